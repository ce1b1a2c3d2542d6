from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import RetailGatewayCase


@tagged("post_install", "-at_install")
class TestQueries(RetailGatewayCase):
    """catalog_page, order_status, order_shipments, customer_records, whoami and claim's
    recipients: the read side of the RPC contract, with the SKU rule and tenant isolation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.Partner.create(
            {
                "code": "rg-market",
                "name": "RG Marketplace",
                "carrier_map_ids": [(0, 0, {"method": "express", "carrier_id": cls.carrier.id})],
            }
        )
        cls.service = new_test_user(cls.env, "rg-q-service", groups="base.group_user,retail_gateway.group_integration_service")
        cls.clerk = new_test_user(cls.env, "rg-q-clerk", groups="base.group_user")
        cls.boss = new_test_user(cls.env, "rg-q-boss", groups="base.group_user,retail_gateway.group_integration_manager")
        cls.portal = new_test_user(cls.env, "rg-q-portal", groups="base.group_portal")
        # A variant without internal reference: it has no SKU, so it is offered nowhere.
        cls.nameless = cls.env["product.product"].create(
            {"name": "RG No Code", "type": "consu", "is_storable": True, "barcode": "2300009990028", "list_price": 9.0}
        )
        cls.env["stock.quant"]._update_available_quantity(cls.nameless, cls.stock_location, 10.0)

    def catalog(self, **kwargs):
        return self.Api.catalog_page(**kwargs)

    def catalog_skus(self, **kwargs):
        return [item["variant"]["sku"] for item in self.catalog(**kwargs)["items"]]

    # ------------------------------------------------------------------ catalog_page

    def test_catalog_page_lists_sellable_variants_with_a_sku_as_the_contract_defines(self):
        answer = self.catalog(skus=["RG-LAMP", "RG-BOX", "RG-OLD"])
        self.assertIsNone(answer["next_cursor"])
        self.assertEqual([item["cursor"] for item in answer["items"]], sorted([self.product_a.id, self.product_b.id, self.product_inactive.id]))
        box = next(item["variant"] for item in answer["items"] if item["cursor"] == self.product_b.id)
        self.assertEqual(
            {key: value for key, value in box.items() if key != "updated_at"},
            {
                "sku": "RG-BOX",
                "barcode": "2300009990011",
                "name": "RG Test Box",
                "attributes": {},
                "list_price": "15.80",
                "currency": self.currency.name,
                "active": True,
            },
        )
        self.assertRegex(box["updated_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        old = next(item["variant"] for item in answer["items"] if item["cursor"] == self.product_inactive.id)
        self.assertFalse(old["active"], "archived variants are listed, inactive")
        everything = self.catalog(limit=1000)
        self.assertNotIn(self.nameless.id, [item["cursor"] for item in everything["items"]], "no SKU: not offered")
        unsellable = self.env["product.product"].create({"name": "RG Internal", "default_code": "RG-INT", "sale_ok": False})
        self.assertNotIn(unsellable.id, [item["cursor"] for item in self.catalog(limit=1000)["items"]])

    def test_catalog_page_names_attribute_values(self):
        color = self.env["product.attribute"].create(
            {"name": "RG Colour", "value_ids": [(0, 0, {"name": "Red"}), (0, 0, {"name": "Blue"})]}
        )
        template = self.env["product.template"].create(
            {
                "name": "RG Shirt",
                "list_price": 20.0,
                "attribute_line_ids": [(0, 0, {"attribute_id": color.id, "value_ids": [(6, 0, color.value_ids.ids)]})],
            }
        )
        red, blue = template.product_variant_ids.sorted(lambda v: v.product_template_attribute_value_ids.name != "Red")
        red.default_code = "RG-SHIRT-RED"
        variants = {item["variant"]["sku"]: item["variant"] for item in self.catalog(skus=["RG-SHIRT-RED"])["items"]}
        self.assertEqual(list(variants), ["RG-SHIRT-RED"], "the blue shirt has no SKU")
        self.assertEqual(variants["RG-SHIRT-RED"]["attributes"], {"RG Colour": "Red"})
        self.assertEqual(variants["RG-SHIRT-RED"]["name"], "RG Shirt (Red)")
        self.assertFalse(blue.default_code)

    def test_catalog_page_formats_the_price_with_the_currency_precision(self):
        self.product_a.product_tmpl_id.list_price = 12.5
        variant = self.catalog(skus=["RG-LAMP"])["items"][0]["variant"]
        self.assertEqual(variant["list_price"], "12.50")
        self.assertIsInstance(variant["list_price"], str)
        yen = self.env.ref("base.JPY")
        yen.active = True
        self.assertEqual(yen.decimal_places, 0)
        japan = self.env["res.company"].create({"name": "RG Japan", "currency_id": yen.id})
        self.env["product.product"].create(
            {"name": "RG Yen Lamp", "default_code": "RG-YEN", "list_price": 1234.4, "company_id": japan.id}
        )
        variant = self.catalog(skus=["RG-YEN"])["items"][0]["variant"]
        self.assertEqual((variant["list_price"], variant["currency"]), ("1234", "JPY"), "in the product's company currency")

    def test_catalog_page_pages_by_cursor_and_filters_by_update_time(self):
        skus = ["RG-LAMP", "RG-BOX", "RG-OLD"]
        first = self.catalog(skus=skus, limit=2)
        self.assertEqual(len(first["items"]), 2)
        self.assertEqual(first["next_cursor"], first["items"][-1]["cursor"])
        second = self.catalog(skus=skus, limit=2, after=first["next_cursor"])
        self.assertEqual(len(second["items"]), 1)
        self.assertIsNone(second["next_cursor"])
        self.assertGreater(second["items"][0]["cursor"], first["next_cursor"])
        future = (fields.Datetime.now() + timedelta(days=1)).isoformat() + "Z"
        self.assertEqual(self.catalog(skus=skus, updated_since=future)["items"], [])
        self.assertEqual(len(self.catalog(skus=skus, updated_since="2000-01-01T00:00:00Z")["items"]), 3)
        self.env.cr.execute(
            "UPDATE product_product SET write_date = %s WHERE id = ANY(%s)",
            [fields.Datetime.now() + timedelta(days=2), self.product_b.ids],
        )
        self.env["product.product"].invalidate_model(["write_date"])
        self.assertEqual(self.catalog_skus(skus=skus, updated_since=future), ["RG-BOX"])
        with self.assertRaises(ValidationError):
            self.catalog(updated_since="yesterday")
        with self.assertRaises(ValidationError):
            self.catalog(limit=0)
        with self.assertRaises(ValidationError):
            self.catalog(skus="RG-LAMP")

    def test_catalog_page_reads_a_page_in_a_bounded_number_of_queries(self):
        Product = self.env["product.product"]
        Product.create([{"name": f"RG Bulk {i}", "default_code": f"RG-BULK-{i:02d}", "list_price": i} for i in range(40)])
        Product.invalidate_model()
        skus = [f"RG-BULK-{i:02d}" for i in range(40)]
        queries_before = self.env.cr.sql_log_count
        self.assertEqual(len(self.catalog(skus=skus, limit=1000)["items"]), 40)
        page_40 = self.env.cr.sql_log_count - queries_before
        Product.invalidate_model()
        self.env["product.template"].invalidate_model()
        queries_before = self.env.cr.sql_log_count
        self.assertEqual(len(self.catalog(skus=skus[:5], limit=1000)["items"]), 5)
        page_5 = self.env.cr.sql_log_count - queries_before
        self.assertLessEqual(page_40, page_5 + 3, "no query per variant")

    # ------------------------------------------------------------------ the SKU rule elsewhere

    def test_a_variant_without_sku_is_offered_nowhere_and_cannot_be_named(self):
        self.assertNotIn(None, [item["sku"] for item in self.Api.availability()["items"]])
        self.assertFalse([i for i in self.Api.availability()["items"] if i["sku"].startswith("product.product/")])
        mark = self.events()[-1:].id or self.baseline_event_id
        self.nameless.product_tmpl_id.list_price = 10.0
        self.env["stock.quant"]._update_available_quantity(self.nameless, self.stock_location, 1.0)
        self.product_a.product_tmpl_id.list_price = 41.0
        events = self.events(since=mark)
        self.assertTrue(events.filtered(lambda e: e.event_type == "product.updated"), "the lamp's change is an event")
        self.assertFalse(
            events.filtered(lambda e: e.aggregate_model == "product.product" and e.aggregate_id == self.nameless.id),
            "no product.updated nor inventory.changed for a variant without SKU",
        )
        by_barcode = [{"sku": "2300009990028", "quantity": 1, "unit_price": "9.00"}]
        result = self.submit(self.order_item("WEB-NOCODE", lines=by_barcode))[0]
        self.assertEqual(result["status"], "rejected")
        self.assertEqual([r["code"] for r in result["reasons"]], ["unknown_sku"])
        by_id = [{"sku": f"product.product/{self.nameless.id}", "quantity": 1, "unit_price": "9.00"}]
        self.assertEqual(self.submit(self.order_item("WEB-NOCODE", lines=by_id))[0]["reasons"][0]["code"], "unknown_sku")
        count = self.Api.apply_stock_counts(
            partner=self.partner.code,
            items=[{"intake_id": "c-1", "item": {"external_id": "CNT-BC", "warehouse": self.warehouse.code,
                                                  "counted_at": "2026-11-27T10:00:00Z",
                                                  "lines": [{"sku": "2300009990011", "quantity": 3}]}}],
        )["results"][0]
        self.assertEqual((count["status"], count["reasons"][0]["code"]), ("rejected", "unknown_sku"))
        order = self.submit_one("WEB-SHIPBC")
        shipped = self.ship(order, lines=[{"sku": "2300009990011", "quantity": 1}])
        self.assertEqual((shipped["status"], shipped["reasons"][0]["code"]), ("rejected", "unknown_sku"))

    def test_an_internal_reference_that_is_not_a_valid_sku_is_no_sku(self):
        padded = self.env["product.product"].create({"name": "RG Padded", "default_code": " RG-PAD ", "list_price": 1.0})
        self.assertNotIn(padded.id, [item["cursor"] for item in self.catalog(limit=1000)["items"]])
        self.assertEqual(self.env["product.product"]._rg_resolve_skus([" RG-PAD ", "RG-PAD"], self.company), {})
        padded.default_code = "RG-PAD"
        self.assertEqual(self.catalog_skus(skus=["RG-PAD"]), ["RG-PAD"])
        self.assertEqual(self.env["product.product"]._rg_resolve_skus(["RG-PAD"], self.company), {"RG-PAD": padded})

    # ------------------------------------------------------------------ order_status

    def test_order_status_answers_the_partners_orders_only(self):
        order = self.submit_one("WEB-ST-1")
        theirs = self.submit(self.order_item("WEB-ST-THEIRS"), partner=self.other.code)[0]
        self.assertEqual(theirs["status"], "created")
        answer = self.Api.order_status(partner=self.partner.code, external_ids=["WEB-ST-1", "WEB-ST-THEIRS", "NOPE"])
        self.assertEqual(
            answer["orders"],
            [
                {
                    "external_id": "WEB-ST-1",
                    "order": {"id": order.id, "name": order.name},
                    "state": "confirmed",
                    "amount_total": f"{order.amount_total:.2f}",
                    "currency": self.currency.name,
                    "fulfilment": "unfulfilled",
                    "invoicing": "to_invoice",
                    "payment": "paid",
                }
            ],
            "another partner's order is absent, like an unknown one",
        )
        self.assertEqual(self.Api.order_status(partner=self.other.code, external_ids=["WEB-ST-1"])["orders"], [])

    def test_order_status_follows_fulfilment_invoicing_and_cancellation(self):
        order = self.submit_one("WEB-ST-2")
        self.ship(order, lines=[{"sku": "RG-LAMP", "quantity": 1}])
        status = self.Api.order_status(partner=self.partner.code, external_ids=["WEB-ST-2"])["orders"][0]
        self.assertEqual(status["fulfilment"], "partially_shipped")
        self.ship(order, external_id="SHIP-2", lines=[{"sku": "RG-LAMP", "quantity": 1}, {"sku": "RG-BOX", "quantity": 5}])
        order._create_invoices()._post()
        status = self.Api.order_status(partner=self.partner.code, external_ids=["WEB-ST-2"])["orders"][0]
        self.assertEqual((status["fulfilment"], status["invoicing"]), ("shipped", "invoiced"))
        cancelled = self.submit_one("WEB-ST-3")
        self.Api.cancel_orders(partner=self.partner.code, refs=[{"intake_id": "x", "item": {"external_id": "WEB-ST-3"}}])
        self.assertEqual(cancelled.state, "cancel")
        status = self.Api.order_status(partner=self.partner.code, external_ids=["WEB-ST-3"])["orders"][0]
        self.assertEqual(status["state"], "cancelled")
        for bad in ([], ["x"] * 201, [""], "WEB-ST-2", [1]):
            with self.assertRaises(ValidationError, msg=repr(bad)[:40]):
                self.Api.order_status(partner=self.partner.code, external_ids=bad)

    # ------------------------------------------------------------------ order_shipments

    def test_order_shipments_of_a_partial_shipment(self):
        order = self.submit_one("WEB-SH-1")
        self.ship(order, lines=[{"sku": "RG-LAMP", "quantity": 2}, {"sku": "RG-BOX", "quantity": 2}])
        answer = self.Api.order_shipments(partner=self.partner.code, external_id="WEB-SH-1")
        self.assertTrue(answer["found"])
        shipped, backorder = answer["shipments"]
        self.assertEqual(shipped["state"], "shipped")
        self.assertEqual((shipped["carrier"], shipped["tracking_number"]), ("RG Express", "1Z999AA10123456784"))
        self.assertEqual(shipped["shipped_at"], "2026-11-27T15:01:00.000Z")
        self.assertEqual(shipped["order_external_id"], "WEB-SH-1")
        self.assertEqual(
            sorted(shipped["lines"], key=lambda line: line["sku"]),
            [{"sku": "RG-BOX", "ordered": 2.0, "shipped": 2.0}, {"sku": "RG-LAMP", "ordered": 2.0, "shipped": 2.0}],
        )
        self.assertEqual(backorder["state"], "ready")
        self.assertEqual(backorder["lines"], [{"sku": "RG-BOX", "ordered": 3.0, "shipped": 0.0}])
        self.assertIsNone(backorder["shipped_at"])
        picking = self.env["stock.picking"].browse(backorder["id"])
        picking.action_cancel()
        states = [s["state"] for s in self.Api.order_shipments(partner=self.partner.code, external_id="WEB-SH-1")["shipments"]]
        self.assertEqual(states, ["shipped", "cancelled"])

    def test_order_shipments_of_another_partners_order_are_not_found(self):
        self.submit_one("WEB-SH-2")
        self.assertEqual(
            self.Api.order_shipments(partner=self.other.code, external_id="WEB-SH-2"), {"found": False, "shipments": []}
        )
        self.assertEqual(
            self.Api.order_shipments(partner=self.partner.code, external_id="NOPE"), {"found": False, "shipments": []}
        )
        waiting = self.Api.order_shipments(partner=self.partner.code, external_id="WEB-SH-2")["shipments"]
        self.assertEqual([s["state"] for s in waiting], ["ready"])
        with self.assertRaises(ValidationError):
            self.Api.order_shipments(partner=self.partner.code, external_id="")

    # ------------------------------------------------------------------ customer_records

    def test_customer_records_by_email_or_reference_archived_included(self):
        order = self.submit_one("WEB-CR-1", shipping_address={
            "name": "Ines at work", "street": "Veldstraat 1", "city": "Gent", "country_code": "BE"})
        customer = order.partner_id
        customer.ref = "CUST-77"
        archived = self.env["res.partner"].create({"name": "Old Ines", "email": "INES.PEETERS@example.com", "active": False})
        stranger = self.env["res.partner"].create({"name": "Stranger", "email": "inesXpeeters@example.com"})
        records = self.Api.customer_records(identifier="ines.peeters@example.com")["records"]
        kinds = {(r["kind"], r["id"]) for r in records}
        self.assertIn(("customer", customer.id), kinds)
        self.assertIn(("customer", archived.id), kinds, "archived contacts hold personal data too")
        self.assertIn(("customer", order.partner_shipping_id.id), kinds, "the delivery address is the customer's")
        self.assertIn(("order", order.id), kinds)
        self.assertNotIn(("customer", stranger.id), kinds)
        by_ref = {(r["kind"], r["id"]) for r in self.Api.customer_records(identifier="CUST-77")["records"]}
        self.assertIn(("customer", customer.id), by_ref)
        self.assertIn(("order", order.id), by_ref)
        self.assertEqual(self.Api.customer_records(identifier="%@%")["records"], [], "no wildcards")
        self.assertEqual(self.Api.customer_records(identifier="ines_peeters@example.com")["records"], [])
        with self.assertRaises(ValidationError):
            self.Api.customer_records(identifier=" ")

    # ------------------------------------------------------------------ access

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_access(self):
        self.submit_one("WEB-AC-1")
        Api = self.env["retail_gateway.api"]
        service = Api.with_user(self.service)
        self.assertTrue(service.catalog_page(skus=["RG-LAMP"])["items"])
        self.assertTrue(service.order_status(partner=self.partner.code, external_ids=["WEB-AC-1"])["orders"])
        self.assertTrue(service.order_shipments(partner=self.partner.code, external_id="WEB-AC-1")["found"])
        self.assertTrue(service.customer_records(identifier="ines.peeters@example.com")["records"])
        for user in (self.clerk, self.portal):
            with self.assertRaises(AccessError):
                Api.with_user(user).catalog_page()
            with self.assertRaises(AccessError):
                Api.with_user(user).order_status(partner=self.partner.code, external_ids=["WEB-AC-1"])
            with self.assertRaises(AccessError):
                Api.with_user(user).order_shipments(partner=self.partner.code, external_id="WEB-AC-1")
            with self.assertRaises(AccessError):
                Api.with_user(user).customer_records(identifier="ines.peeters@example.com")

    def test_whoami(self):
        Api = self.env["retail_gateway.api"]
        self.assertEqual(Api.with_user(self.clerk).whoami(), {"name": self.clerk.name, "integration_manager": False})
        self.assertEqual(Api.with_user(self.boss).whoami(), {"name": self.boss.name, "integration_manager": True})
        self.assertFalse(Api.with_user(self.service).whoami()["integration_manager"])
        with self.assertRaises(AccessError):
            Api.with_user(self.portal).whoami()

    # ------------------------------------------------------------------ claim recipients

    def test_claimed_events_name_their_recipients(self):
        Subscription = self.env["retail_gateway.subscription"]
        Subscription.create({"partner_id": self.other.id, "url": "https://m.example.com/h", "event_types": "order.created product.updated"})
        self.product_a.product_tmpl_id.list_price = 43.0
        self.submit_one("WEB-RC-1")
        self.publish()
        claimed = self.Outbox.claim(limit=100, lease_seconds=60, consumer="relay")["events"]
        by_type = {}
        for event in claimed:
            by_type.setdefault(event["envelope"]["type"], []).append(event)
        self.assertEqual(
            [e["recipients"] for e in by_type["product.updated"]],
            [["rg-market", "rg-shop"]],
            "catalog events go to every subscriber",
        )
        self.assertEqual([e["recipients"] for e in by_type["order.created"]], [["rg-shop"]], "an order to its partner only")
        for event in claimed:
            row = self.Outbox.search([("name", "=", event["event_id"])])
            self.assertEqual(event["recipients"], sorted(row.target_partner_ids.mapped("code")))
