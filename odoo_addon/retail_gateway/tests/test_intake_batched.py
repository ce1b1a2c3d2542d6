from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import IS_19, RetailGatewayCase


@tagged("post_install", "-at_install")
class TestIntakeBatched(RetailGatewayCase):
    """submit_orders creates and confirms a batch together, and answers exactly what running each
    item alone would answer: a refused item is rolled back alone, a failing common step falls back
    to one item at a time."""

    def setUp(self):
        super().setUp()
        SaleOrder = type(self.env["sale.order"])
        self.confirmed = []
        original = SaleOrder.action_confirm
        confirmed = self.confirmed

        def confirm(orders):
            confirmed.append(sorted(orders.mapped("rg_external_id")))
            return original(orders)

        patcher = patch.object(SaleOrder, "action_confirm", confirm)
        patcher.start()
        self.addCleanup(patcher.stop)

    def orders(self, external_id):
        return self.env["sale.order"].search([("rg_external_id", "=", external_id)])

    def test_a_batch_is_confirmed_in_one_call_and_a_refused_item_is_rolled_back_alone(self):
        results = self.submit(
            self.order_item("BAT-1"),
            self.order_item("BAT-BAD", lines=[{"sku": "NOPE-404", "quantity": 1, "unit_price": "1.00"}]),
            self.order_item("BAT-2"),
            self.order_item("BAT-3", taxes_included=True),
        )
        self.assertEqual([r["status"] for r in results], ["created", "rejected", "created", "created"])
        self.assertEqual([r["intake_id"] for r in results], ["int-0-BAT-1", "int-1-BAT-BAD", "int-2-BAT-2", "int-3-BAT-3"])
        self.assertEqual([r["external_id"] for r in results], ["BAT-1", "BAT-BAD", "BAT-2", "BAT-3"])
        self.assertEqual(self.confirmed, [["BAT-1", "BAT-2", "BAT-3"]], "one action_confirm for the batch")
        self.assertEqual(results[1]["reasons"][0]["code"], "unknown_sku")
        self.assertFalse(self.orders("BAT-BAD"))
        self.assertFalse(self.env["retail_gateway.intake"].search([("external_id", "=", "BAT-BAD")]))
        for result, external_id in ((results[0], "BAT-1"), (results[2], "BAT-2"), (results[3], "BAT-3")):
            order = self.orders(external_id)
            self.assertEqual(order.state, "sale")
            self.assertEqual(result["record"], {"id": order.id, "name": order.name})
            self.assertEqual(result["related"]["picking"]["id"], self.outgoing_picking(order).id)
            intake = self.env["retail_gateway.intake"].search([("external_id", "=", external_id)])
            self.assertEqual((intake.sale_order_id, intake.amount), (order, order.amount_total))
        created = self.events("order.created").mapped(lambda e: e.payload["external_id"])
        self.assertEqual(sorted(created), ["BAT-1", "BAT-2", "BAT-3"])

    def test_a_repeat_within_the_batch_answers_the_first_order(self):
        results = self.submit(self.order_item("BAT-TWICE"), self.order_item("BAT-OTHER"), self.order_item("BAT-TWICE"))
        self.assertEqual([r["status"] for r in results], ["created", "created", "duplicate"])
        self.assertEqual(results[2]["record"], results[0]["record"])
        self.assertEqual(results[2]["intake_id"], "int-2-BAT-TWICE")
        self.assertEqual(len(self.orders("BAT-TWICE")), 1)
        self.assertEqual(self.confirmed, [["BAT-OTHER", "BAT-TWICE"]])

    def test_a_common_step_that_fails_falls_back_to_one_item_at_a_time(self):
        with self.confirm_failing("BAT-ERR", UserError("Credit limit exceeded")):
            results = self.submit(self.order_item("BAT-A"), self.order_item("BAT-ERR"), self.order_item("BAT-B"))
        self.assertEqual([r["status"] for r in results], ["created", "rejected", "created"])
        self.assertEqual(results[1]["reasons"], [{"code": "validation_error", "message": "Credit limit exceeded"}])
        # The batched run was rolled back whole, then each item confirmed alone.
        self.assertEqual(self.confirmed, [["BAT-A"], ["BAT-B"]])
        self.assertEqual((len(self.orders("BAT-A")), len(self.orders("BAT-B")), len(self.orders("BAT-ERR"))), (1, 1, 0))
        self.assertEqual(self.env["retail_gateway.intake"].search_count([("external_id", "like", "BAT-")]), 2)
        created = self.events("order.created").mapped(lambda e: e.payload["external_id"])
        self.assertEqual(sorted(created), ["BAT-A", "BAT-B"], "one event per order, none from the rolled-back run")

    def test_an_unexpected_error_in_one_item_is_retried_alone_while_the_others_are_batched(self):
        Api = type(self.env["retail_gateway.api"])
        original = Api._rg_customer

        def customer(api, partner, data):
            if data.get("email") == "boom@example.com":
                raise RuntimeError("bug")
            return original(api, partner, data)

        broken = self.order_item("BAT-BUG")
        broken["customer"] = dict(broken["customer"], email="boom@example.com")
        with patch.object(Api, "_rg_customer", customer), self.assertLogs("odoo.addons.retail_gateway", "ERROR"):
            results = self.submit(self.order_item("BAT-X"), broken, self.order_item("BAT-Y"))
        self.assertEqual([r["status"] for r in results], ["created", "retry", "created"])
        self.assertEqual(self.confirmed, [["BAT-X", "BAT-Y"]])
        self.assertFalse(self.orders("BAT-BUG"))

    # ------------------------------------------------------------------ what a batch looks up once

    def customer_item(self, external_id, email, customer_id=None, **overrides):
        item = self.order_item(external_id, **overrides)
        item["customer"] = {"email": email, "name": email.split("@")[0]}
        if customer_id:
            item["customer"]["external_id"] = customer_id
        return item

    def test_a_batch_finds_the_same_customers_as_its_orders_alone(self):
        known = self.env["res.partner"].create({"name": "Known Buyer", "email": "Known.Buyer@example.com"})
        linked = self.submit_one("LK-0").partner_id  # the fixtures' customer, linked as cust-8812
        wild = self.env["res.partner"].create({"name": "Wild Buyer", "email": "wild_buyer@example.com"})
        results = self.submit(
            self.customer_item("LK-1", "known.buyer@EXAMPLE.com"),
            self.customer_item("LK-2", "fresh.buyer@example.com", "cust-new"),
            self.customer_item("LK-3", "other@example.com", "cust-8812"),
            self.customer_item("LK-4", "FRESH.buyer@example.com"),
            self.customer_item("LK-5", "wild_buyer@example.com"),
            self.customer_item("LK-6", "fresh.buyer@example.com", "cust-new"),
        )
        self.assertEqual([r["status"] for r in results], ["created"] * 6)
        customers = [self.orders(f"LK-{i}").partner_id for i in range(1, 7)]
        fresh = self.env["retail_gateway.customer.link"].search([("external_id", "=", "cust-new")]).customer_id
        self.assertEqual(fresh.email, "fresh.buyer@example.com", "created by the batch's first order for it")
        self.assertEqual(customers, [known, fresh, linked, fresh, wild, fresh])
        self.assertEqual(self.confirmed[-1], [f"LK-{i}" for i in range(1, 7)], "confirmed together")

    def test_a_batch_resolves_its_skus_once_and_refuses_what_its_orders_alone_refuse(self):
        Product = type(self.env["product.product"])
        original = Product._rg_resolve_skus
        calls = []

        def resolve(products, skus, company):
            calls.append(sorted(skus))
            return original(products, skus, company)

        with patch.object(Product, "_rg_resolve_skus", resolve):
            results = self.submit(
                self.order_item("SK-1"),
                self.order_item("SK-2", lines=[{"sku": "RG-OLD", "quantity": 1, "unit_price": "1.00"}]),
                self.order_item("SK-3", lines=[{"sku": "NOPE-1", "quantity": 1, "unit_price": "1.00"}]),
                self.order_item("SK-4", currency="XXX"),
                self.order_item("SK-5", warehouse="NOPE"),
                self.order_item("SK-6"),
            )
        self.assertEqual(calls, [["NOPE-1", "RG-BOX", "RG-LAMP", "RG-OLD"]], "one lookup for the batch")
        self.assertEqual([r["status"] for r in results], ["created", "rejected", "rejected", "rejected", "rejected", "created"])
        self.assertEqual(results[1]["reasons"][0]["code"], "inactive_product")
        self.assertEqual(results[2]["reasons"][0]["code"], "unknown_sku")
        self.assertEqual(results[3]["reasons"][0]["code"], "unknown_currency")
        self.assertEqual(results[4]["reasons"][0]["code"], "unknown_warehouse")
        alone = self.submit(self.order_item("SK-7", warehouse="NOPE"))[0]
        self.assertEqual(alone["reasons"], results[4]["reasons"])

    def test_a_batch_prepares_each_order_in_a_few_queries(self):
        self.submit_one("Q-0")  # the customer, its link and its addresses exist
        Api = type(self.env["retail_gateway.api"])
        original = Api._rg_submit_order
        queries = []

        def submit_order(api, partner, intake_id, item):
            before = api.env.cr.sql_log_count
            result = original(api, partner, intake_id, item)
            queries.append(api.env.cr.sql_log_count - before)
            return result

        with patch.object(Api, "_rg_submit_order", submit_order):
            results = self.submit(*[self.order_item(f"Q-{i}") for i in range(1, 11)])
        self.assertEqual([r["status"] for r in results], ["created"] * 10)
        # Alone, an order looks up its currency, pricelist, warehouse, carrier, two SKUs, two
        # countries, its customer and its link: a dozen queries before it is created.
        self.assertLessEqual(max(queries[1:]), 4, queries)

    def test_the_customer_follows_its_order_and_the_technical_user_does_not(self):
        service = new_test_user(self.env, "rg-b-service", groups="base.group_user,retail_gateway.group_integration_service")
        answer = self.Api.with_user(service).submit_orders(
            partner=self.partner.code,
            orders=[{"intake_id": f"f-{i}", "item": self.order_item(f"FOL-{i}")} for i in range(3)],
        )["results"]
        self.assertEqual([r["status"] for r in answer], ["created"] * 3)
        for i in range(3):
            order = self.orders(f"FOL-{i}")
            self.assertNotIn(service.partner_id, order.message_partner_ids, "the technical user follows nothing")
            # Odoo 18 makes the customer follow the order it confirms; 19 does not: as Odoo does.
            self.assertEqual(order.partner_id in order.message_partner_ids, not IS_19)
            picking = self.outgoing_picking(order)
            notes = picking.message_ids.filtered(lambda m: "created from" in (m.body or ""))
            self.assertEqual(len(notes), 1, "the delivery names its order once")
            self.assertIn(order.name, notes.body)
            self.assertEqual(notes.subtype_id, self.env.ref("mail.mt_note"))

    def test_a_batch_checks_the_reordering_rules_once_with_every_orders_origin(self):
        self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.product_a.id,
                "location_id": self.stock_location.id,
                "warehouse_id": self.warehouse.id,
                "product_min_qty": 1.0,
                "product_max_qty": 200.0,
                "trigger": "auto",
            }
        )
        Orderpoint = type(self.env["stock.warehouse.orderpoint"])
        original = Orderpoint._procure_orderpoint_confirm
        checks = []

        def procure(orderpoints, *args, **kwargs):
            origins = orderpoints.env.context.get("origins") or {}
            checks.append({op.product_id.default_code: len(origins.get(op.id, [])) for op in orderpoints})
            return original(orderpoints, *args, **kwargs)

        with patch.object(Orderpoint, "_procure_orderpoint_confirm", procure):
            batched = self.submit(*[self.order_item(f"OP-{i}") for i in range(3)])
            alone = self.submit(self.order_item("OP-ALONE"))
        self.assertEqual([r["status"] for r in batched + alone], ["created"] * 4)
        # Checked once for the batch, with the three orders' lamp moves; once for the order alone.
        self.assertEqual(checks, [{"RG-LAMP": 3}, {"RG-LAMP": 1}])
