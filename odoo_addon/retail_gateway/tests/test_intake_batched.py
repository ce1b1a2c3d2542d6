from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RetailGatewayCase


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
        SaleOrder = type(self.env["sale.order"])
        batched = SaleOrder.action_confirm

        def confirm(orders):
            if "BAT-ERR" in orders.mapped("rg_external_id"):
                raise UserError("Credit limit exceeded")
            return batched(orders)

        with patch.object(SaleOrder, "action_confirm", confirm):
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
