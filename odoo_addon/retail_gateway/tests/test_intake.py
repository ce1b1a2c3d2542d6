from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RetailGatewayCase


@tagged("post_install", "-at_install")
class TestIntake(RetailGatewayCase):
    """Every intake method: results per item, isolation, idempotency, rejection reasons."""

    def reasons(self, result):
        return [(reason["code"], reason.get("field")) for reason in result["reasons"]]

    # ------------------------------------------------------------------ submit_orders

    def test_submit_creates_a_confirmed_order_with_the_channel_prices(self):
        result = self.submit(self.order_item("WEB-100"))[0]
        self.assertEqual(result["status"], "created", result)
        self.assertEqual(result["intake_id"], "int-0-WEB-100")
        self.assertEqual(result["external_id"], "WEB-100")
        order = self.env["sale.order"].browse(result["record"]["id"])
        self.assertEqual(result["record"]["name"], order.name)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.rg_partner_id, self.partner)
        self.assertEqual((order.rg_external_id, order.rg_channel, order.client_order_ref), ("WEB-100", "webshop", "WEB-100"))
        self.assertEqual(order.rg_payment_status, "paid")
        lamp = order.order_line.filtered(lambda l: l.product_id == self.product_a)
        box = order.order_line.filtered(lambda l: l.product_id == self.product_b)
        self.assertEqual((lamp.product_uom_qty, lamp.price_unit, lamp.discount), (2, 40.0, 0))
        self.assertEqual((box.product_uom_qty, box.price_unit, box.discount), (5, 15.8, 10))
        shipping = order.order_line.filtered("is_delivery")
        self.assertEqual((shipping.product_id, shipping.price_unit), (self.carrier.product_id, 4.95))
        self.assertEqual(order.carrier_id, self.carrier)
        self.assertAlmostEqual(order.amount_total, 80 + 5 * 15.8 * 0.9 + 4.95)
        picking = self.outgoing_picking(order)
        self.assertEqual(result["related"]["picking"]["id"], picking.id)
        self.assertEqual(picking.state, "assigned", "confirmed in the same call, reserving stock")
        self.assertEqual(order.partner_id.email, "ines.peeters@example.com")
        self.assertEqual(order.partner_id.rg_consent_ids.mapped("status"), ["opted_in"])
        intake = self.env["retail_gateway.intake"].search([("external_id", "=", "WEB-100")])
        self.assertEqual((intake.kind, intake.sale_order_id, intake.intake_id), ("order", order, "int-0-WEB-100"))

    def test_taxes_included_prices_are_stored_without_tax(self):
        tax = self.env["account.tax"].create({"name": "RG VAT 21%", "amount": 21.0, "type_tax_use": "sale"})
        self.product_a.taxes_id = tax
        item = self.order_item("WEB-TAX", lines=[{"sku": "RG-LAMP", "quantity": 1, "unit_price": "121.00"}],
                               taxes_included=True)
        item.pop("shipping")
        order = self.env["sale.order"].browse(self.submit(item)[0]["record"]["id"])
        self.assertEqual(order.order_line.price_unit, 100.0)
        self.assertEqual(order.amount_total, 121.0)

    def test_submit_is_idempotent(self):
        first = self.submit(self.order_item("WEB-DUP"))[0]
        again = self.submit(self.order_item("WEB-DUP", channel="other"))[0]
        self.assertEqual(again["status"], "duplicate")
        self.assertEqual(again["record"], first["record"])
        self.assertEqual(self.env["sale.order"].search_count([("rg_external_id", "=", "WEB-DUP")]), 1)
        twice = self.submit(self.order_item("WEB-TWICE"), self.order_item("WEB-TWICE"))
        self.assertEqual([r["status"] for r in twice], ["created", "duplicate"])
        other_partner = self.Partner.create({
            "code": "rg-market", "name": "Marketplace",
            "carrier_map_ids": [(0, 0, {"method": "express", "carrier_id": self.carrier.id})],
        })
        elsewhere = self.submit(self.order_item("WEB-DUP"), partner=other_partner.code)[0]
        self.assertEqual(elsewhere["status"], "created", "external ids are unique per partner")

    def test_one_bad_item_never_fails_the_others(self):
        results = self.submit(
            self.order_item("WEB-OK-1"),
            self.order_item("WEB-BAD", lines=[{"sku": "NOPE-404", "quantity": 1, "unit_price": "1.00"}]),
            self.order_item("WEB-OK-2"),
        )
        self.assertEqual([r["status"] for r in results], ["created", "rejected", "created"])
        self.assertEqual(self.reasons(results[1]), [("unknown_sku", "lines/0/sku")])
        self.assertIsNone(results[1]["record"])
        self.assertFalse(self.env["retail_gateway.intake"].search([("external_id", "=", "WEB-BAD")]))
        self.assertFalse(self.env["sale.order"].search([("rg_external_id", "=", "WEB-BAD")]))
        again = self.submit(self.order_item("WEB-BAD"))[0]
        self.assertEqual(again["status"], "created", "a rejected external id can be submitted again")

    def test_an_odoo_error_in_one_item_is_a_rejection_of_that_item(self):
        with self.confirm_failing("WEB-ERR", UserError("Credit limit exceeded")):
            results = self.submit(self.order_item("WEB-ERR"), self.order_item("WEB-FINE"))
        self.assertEqual(results[0]["status"], "rejected")
        self.assertEqual(results[0]["reasons"], [{"code": "validation_error", "message": "Credit limit exceeded"}])
        self.assertEqual(results[1]["status"], "created", results[1])
        self.assertFalse(self.env["sale.order"].search([("rg_external_id", "=", "WEB-ERR")]), "rolled back alone")
        self.assertFalse(self.events("order.created").filtered(lambda e: e.payload["external_id"] == "WEB-ERR"))

    def test_rejection_reasons_are_machine_readable(self):
        address = self.order_item("x")["shipping_address"]
        cases = {
            "unknown_sku": self.order_item("R1", lines=[{"sku": "NOPE", "quantity": 1, "unit_price": "1.00"}]),
            "inactive_product": self.order_item("R2", lines=[{"sku": "RG-OLD", "quantity": 1, "unit_price": "1.00"}]),
            "invalid_quantity": self.order_item("R3", lines=[{"sku": "RG-LAMP", "quantity": 0, "unit_price": "1.00"}]),
            "unknown_currency": self.order_item("R4", currency="ZZZ"),
            "unknown_warehouse": self.order_item("R5", warehouse="NOWH"),
            "invalid_address": self.order_item("R6", shipping_address=dict(address, country_code="ZZ")),
            "unknown_carrier": self.order_item("R7", shipping={"method": "teleport", "price": "0.00"}),
        }
        results = self.submit(*cases.values())
        for (code, _item), result in zip(cases.items(), results):
            self.assertEqual(result["status"], "rejected", code)
            self.assertIn(code, [reason["code"] for reason in result["reasons"]], result)
        self.assertEqual(self.reasons(results[5]), [("invalid_address", "shipping_address/country_code")])

    def test_lines_match_by_internal_reference_and_customer_by_email(self):
        existing = self.env["res.partner"].create(
            {"name": "Ines P.", "email": "Ines.Peeters@example.com", "phone": "+32 9 000 00 00"}
        )
        self.env["retail_gateway.consent"].create(
            {"customer_id": existing.id, "channel": "sms", "status": "opted_in", "at": "2026-01-01 00:00:00", "source": "store"}
        )
        item = self.order_item("WEB-BARCODE", lines=[{"sku": "2300009990011", "quantity": 1, "unit_price": "15.80"}])
        result = self.submit(item)[0]
        self.assertEqual(result["status"], "rejected", "a barcode is not a SKU")
        self.assertEqual(self.reasons(result), [("unknown_sku", "lines/0/sku")])
        item = self.order_item("WEB-BARCODE", lines=[{"sku": "RG-BOX", "quantity": 1, "unit_price": "15.80"}])
        order = self.env["sale.order"].browse(self.submit(item)[0]["record"]["id"])
        self.assertEqual(order.order_line.filtered(lambda l: not l.is_delivery).product_id, self.product_b)
        self.assertEqual(order.partner_id, existing, "matched by e-mail")
        self.assertEqual(existing.phone, "+32 9 000 00 00", "existing contact data is kept")
        self.assertEqual(sorted(existing.rg_consent_ids.mapped("channel")), ["email", "sms"], "consents are kept")
        self.assertEqual(existing.rg_link_ids.external_id, "cust-8812")
        second = self.order_item("WEB-EXT", customer=dict(item["customer"], email="new.address@example.com"))
        order = self.env["sale.order"].browse(self.submit(second)[0]["record"]["id"])
        self.assertEqual(order.partner_id, existing, "matched by the partner's customer id")

    def test_delivery_address_becomes_a_delivery_contact(self):
        other = dict(self.order_item("x")["shipping_address"], name="Office", street="Veldstraat 1")
        order = self.submit_one("WEB-ADDR", shipping_address=other)
        self.assertEqual(order.partner_shipping_id.parent_id, order.partner_id)
        self.assertEqual(order.partner_shipping_id.type, "delivery")
        self.assertEqual(self.outgoing_picking(order).partner_id, order.partner_shipping_id)

    def test_shadow_partner_writes_nothing(self):
        self.partner.mode = "shadow"
        result = self.submit(self.order_item("WEB-SHADOW"))[0]
        self.assertEqual((result["status"], result["reasons"][0]["code"]), ("rejected", "not_allowed"))

    def test_unknown_partner_is_refused(self):
        with self.assertRaises(UserError):
            self.submit(self.order_item("WEB-X"), partner="nobody")

    # ------------------------------------------------------------------ cancel / update / payments

    def test_cancel_orders(self):
        order = self.submit_one("WEB-CANCEL")
        shipped = self.submit_one("WEB-SHIPPED")
        self.ship(shipped)
        refs = [
            {"intake_id": "c1", "item": {"external_id": "WEB-CANCEL", "reason": "customer changed their mind"}},
            {"intake_id": "c2", "item": {"external_id": "WEB-CANCEL"}},
            {"intake_id": "c3", "item": {"external_id": "WEB-NONE"}},
            {"intake_id": "c4", "item": {"external_id": "WEB-SHIPPED"}},
        ]
        results = self.Api.cancel_orders(partner=self.partner.code, refs=refs)["results"]
        self.assertEqual([r["status"] for r in results], ["cancelled", "duplicate", "rejected", "rejected"])
        self.assertEqual(order.state, "cancel")
        self.assertEqual(self.reasons(results[2])[0][0], "order_not_found")
        self.assertEqual(self.reasons(results[3])[0][0], "order_not_cancellable")
        self.assertTrue(all(p.state == "cancel" for p in order.picking_ids), "its reservation is released")

    def test_update_orders(self):
        order = self.submit_one("WEB-UPD")
        new_address = dict(self.order_item("x")["shipping_address"], street="Nieuwstraat 5")
        items = [
            {"intake_id": "u1", "item": {"external_id": "WEB-UPD", "shipping_address": new_address, "payment_status": "refunded"}},
            {"intake_id": "u2", "item": {"external_id": "WEB-NOPE", "note": "x"}},
        ]
        results = self.Api.update_orders(partner=self.partner.code, items=items)["results"]
        self.assertEqual([r["status"] for r in results], ["updated", "rejected"])
        self.assertEqual(order.partner_shipping_id.street, "Nieuwstraat 5")
        self.assertEqual(self.outgoing_picking(order).partner_id, order.partner_shipping_id)
        self.assertEqual(order.rg_payment_status, "refunded")
        self.ship(order)
        late = self.Api.update_orders(partner=self.partner.code, items=[items[0]])["results"][0]
        self.assertEqual(self.reasons(late), [("not_allowed", "shipping_address")])

    def test_register_payments_pays_the_invoice_once(self):
        order = self.submit_one("WEB-PAY")
        invoice = order._create_invoices()
        invoice.action_post()
        payment = {"external_id": "WEB-PAY", "kind": "paid", "amount": f"{order.amount_total:.2f}",
                   "currency": self.currency.name, "provider": "stripe", "transaction_id": "pi_3Q", "at": "2026-11-27T09:15:00Z"}
        items = [{"intake_id": "p1", "item": payment}, {"intake_id": "p2", "item": payment}]
        results = self.Api.register_payments(partner=self.partner.code, items=items)["results"]
        self.assertEqual([r["status"] for r in results], ["registered", "duplicate"])
        self.assertTrue(results[0]["related"]["payment"])
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        refund = dict(payment, kind="refunded", amount="10.00", transaction_id="re_1")
        result = self.Api.register_payments(partner=self.partner.code, items=[{"intake_id": "p3", "item": refund}])
        self.assertEqual(result["results"][0]["status"], "registered")
        self.assertEqual(order.rg_payment_status, "partially_refunded")
        wrong = dict(payment, transaction_id="pi_other", currency="XTS")
        result = self.Api.register_payments(partner=self.partner.code, items=[{"intake_id": "p4", "item": wrong}])
        self.assertEqual(self.reasons(result["results"][0])[0][0], "unknown_currency")

    # ------------------------------------------------------------------ 3PL

    def test_confirm_shipments_partial_leaves_a_backorder(self):
        order = self.submit_one("WEB-3PL")
        picking = self.outgoing_picking(order)
        result = self.ship(order, lines=[{"sku": "RG-LAMP", "quantity": 2}, {"sku": "RG-BOX", "quantity": 3}])
        self.assertEqual(result["status"], "confirmed", result)
        self.assertEqual(result["record"]["id"], picking.id)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.carrier_id, self.carrier)
        self.assertEqual(picking.carrier_tracking_ref, "1Z999AA10123456784")
        backorder = picking.backorder_ids
        self.assertEqual(result["related"]["backorder"]["id"], backorder.id)
        self.assertEqual(backorder.move_ids.product_id, self.product_b)
        self.assertEqual(backorder.move_ids.product_uom_qty, 2)
        again = self.ship(order, lines=[{"sku": "RG-LAMP", "quantity": 2}, {"sku": "RG-BOX", "quantity": 3}])
        self.assertEqual((again["status"], again["record"]["id"]), ("duplicate", picking.id))
        too_much = self.ship(order, external_id="SHIP-2", lines=[{"sku": "RG-BOX", "quantity": 3}])
        self.assertEqual(self.reasons(too_much), [("invalid_quantity", "lines/0/quantity")])
        rest = self.ship(order, external_id="SHIP-3", lines=[{"sku": "RG-BOX", "quantity": 2}])
        self.assertEqual(rest["status"], "confirmed")
        self.assertEqual(order.delivery_status, "full")

    def test_confirm_shipments_keeps_the_carrier_and_time_the_3pl_reports(self):
        # The order plans RG Express; the 3PL shipped with a carrier Odoo does not know, a day later.
        order = self.submit_one("WEB-3PL-BPOST")
        picking = self.outgoing_picking(order)
        self.assertEqual(picking.carrier_id, self.carrier)
        result = self.ship(
            order,
            external_id="SHIP-BPOST",
            lines=[{"sku": "RG-LAMP", "quantity": 2}, {"sku": "RG-BOX", "quantity": 3}],
            carrier="bpost",
            shipped_at="2026-11-28T16:40:00+01:00",
        )
        self.assertEqual(result["status"], "confirmed", result)
        self.assertEqual(picking.state, "done")
        self.assertFalse(picking.carrier_id, "the carrier planned on the order did not take the parcel")
        self.assertEqual(picking.backorder_ids.carrier_id, self.carrier, "what is left keeps the planned carrier")
        self.assertFalse(picking.backorder_ids.rg_carrier_name)
        self.assertEqual(picking.rg_carrier_name, "bpost")
        self.assertEqual(picking.date_done, datetime(2026, 11, 28, 15, 40))
        self.assertEqual(picking.rg_shipped_at, datetime(2026, 11, 28, 15, 40))
        shipped = self.Api.order_shipments(partner=self.partner.code, external_id="WEB-3PL-BPOST")["shipments"][0]
        self.assertEqual((shipped["carrier"], shipped["shipped_at"]), ("bpost", "2026-11-28T15:40:00.000Z"))
        event = self.events("shipment.shipped")
        self.assertEqual((event.payload["carrier"], event.payload["shipped_at"]), ("bpost", "2026-11-28T15:40:00.000Z"))

    def test_confirm_shipments_maps_the_3pl_carrier_to_an_odoo_carrier(self):
        parcel = self.env["delivery.carrier"].create(
            {"name": "RG Parcel", "product_id": self.carrier.product_id.id, "delivery_type": "fixed", "fixed_price": 3.0}
        )
        self.partner.write({"carrier_map_ids": [(0, 0, {"method": "parcel", "carrier_id": parcel.id})]})
        order = self.submit_one("WEB-3PL-MAP")
        picking = self.outgoing_picking(order)
        result = self.ship(order, external_id="SHIP-MAP", carrier="Parcel")
        self.assertEqual(result["status"], "confirmed", result)
        self.assertEqual((picking.carrier_id, picking.rg_carrier_name), (parcel, "Parcel"))
        self.assertFalse(picking.backorder_ids, "everything shipped")
        self.assertEqual(picking.date_done, datetime(2026, 11, 27, 15, 1))
        shipped = self.Api.order_shipments(partner=self.partner.code, external_id="WEB-3PL-MAP")["shipments"][0]
        self.assertEqual(shipped["carrier"], "RG Parcel")

    def test_submit_returns(self):
        order = self.submit_one("WEB-RET")
        self.ship(order)
        items = [
            {"intake_id": "r1", "item": {"external_id": "RMA-7", "order_external_id": "WEB-RET",
                                         "lines": [{"sku": "RG-BOX", "quantity": 2, "reason": "damaged"}],
                                         "requested_at": "2026-12-01T10:00:00Z"}},
            {"intake_id": "r2", "item": {"external_id": "RMA-7", "order_external_id": "WEB-RET",
                                         "lines": [{"sku": "RG-BOX", "quantity": 2}], "requested_at": "2026-12-01T10:00:00Z"}},
            {"intake_id": "r3", "item": {"external_id": "RMA-8", "order_external_id": "WEB-RET",
                                         "lines": [{"sku": "RG-BOX", "quantity": 4}], "requested_at": "2026-12-01T10:00:00Z"}},
            {"intake_id": "r4", "item": {"external_id": "RMA-9", "order_external_id": "WEB-NONE",
                                         "lines": [{"sku": "RG-BOX", "quantity": 1}], "requested_at": "2026-12-01T10:00:00Z"}},
        ]
        results = self.Api.submit_returns(partner=self.partner.code, returns=items)["results"]
        self.assertEqual([r["status"] for r in results], ["created", "duplicate", "rejected", "rejected"])
        return_picking = self.env["stock.picking"].browse(results[0]["record"]["id"])
        self.assertEqual(return_picking.picking_type_code, "incoming")
        self.assertEqual(return_picking.move_ids.product_uom_qty, 2)
        self.assertEqual(return_picking.rg_external_id, "RMA-7")
        self.assertEqual(self.reasons(results[2]), [("invalid_quantity", "lines/0/quantity")], "only 3 left to return")
        self.assertEqual(self.reasons(results[3])[0][0], "order_not_found")

    def test_apply_stock_counts(self):
        items = [
            {"intake_id": "s1", "item": {"external_id": "COUNT-1", "warehouse": self.warehouse.code,
                                         "counted_at": "2026-11-27T06:00:00Z",
                                         "lines": [{"sku": "RG-LAMP", "quantity": 47}, {"sku": "RG-BOX", "quantity": 30}]}},
            {"intake_id": "s2", "item": {"external_id": "COUNT-1", "warehouse": self.warehouse.code,
                                         "counted_at": "2026-11-27T06:00:00Z", "lines": [{"sku": "RG-LAMP", "quantity": 1}]}},
            {"intake_id": "s3", "item": {"external_id": "COUNT-2", "warehouse": "NOWH",
                                         "counted_at": "2026-11-27T06:00:00Z", "lines": [{"sku": "RG-LAMP", "quantity": 1}]}},
        ]
        results = self.Api.apply_stock_counts(partner=self.partner.code, items=items)["results"]
        self.assertEqual([r["status"] for r in results], ["applied", "duplicate", "rejected"])
        self.assertEqual(results[0]["record"]["name"], "Stock count COUNT-1")
        self.assertEqual(results[1]["record"], results[0]["record"])
        self.assertEqual(self.reasons(results[2]), [("unknown_warehouse", "warehouse")])
        self.assertEqual(self.product_a.with_context(warehouse_id=self.warehouse.id).qty_available, 47)
        self.assertEqual(self.product_b.with_context(warehouse_id=self.warehouse.id).qty_available, 30)
        events = self.events("inventory.changed").filtered(lambda e: e.payload["sku"] == "RG-LAMP")
        self.assertEqual(events[-1].payload["on_hand"], 47.0)
        self.assertFalse(self.events("inventory.changed").filtered(lambda e: e.payload["sku"] == "RG-BOX"),
                         "an unchanged count moves nothing")

    def test_availability(self):
        self.submit_one("WEB-AV")
        self.product_a.product_tmpl_id.rg_safety_stock = 3
        answer = self.Api.availability(skus=["RG-LAMP", "RG-BOX", "NOPE"], warehouses=[self.warehouse.code])
        self.assertFalse(answer["has_more"])
        by_sku = {item["sku"]: item for item in answer["items"]}
        self.assertEqual(
            {k: v for k, v in by_sku["RG-LAMP"].items() if k != "as_of"},
            {"sku": "RG-LAMP", "warehouse": self.warehouse.code, "on_hand": 50.0, "reserved": 2.0,
             "safety_stock": 3.0, "available": 45.0},
        )
        self.assertEqual(by_sku["RG-BOX"]["available"], 25.0)
        self.assertEqual(list(by_sku), ["RG-BOX", "RG-LAMP"], "ordered by SKU")
        page = self.Api.availability(skus=["RG-LAMP", "RG-BOX"], warehouses=[self.warehouse.code], offset=0, limit=1)
        self.assertTrue(page["has_more"])
        self.assertEqual(len(page["items"]), 1)
