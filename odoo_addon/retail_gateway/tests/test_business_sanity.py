from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import RetailGatewayCase


@tagged("post_install", "-at_install")
class TestBusinessSanity(RetailGatewayCase):
    """Payments against the order total Odoo computed, and the per-line quantity ceiling, enforced
    by the addon whoever calls it."""

    def pay(self, order, amount, transaction_id, currency=None, kind="paid"):
        item = {
            "external_id": order.rg_external_id,
            "kind": kind,
            "amount": amount,
            "currency": currency or order.currency_id.name,
            "provider": "stripe",
            "transaction_id": transaction_id,
            "at": "2026-11-27T09:15:00Z",
        }
        return self.Api.register_payments(partner=self.partner.code, items=[{"intake_id": transaction_id, "item": item}])["results"][0]

    def reasons(self, result):
        return [(reason["code"], reason.get("field")) for reason in result["reasons"]]

    # ------------------------------------------------------------------ payments

    def test_a_payment_short_of_the_total_is_partially_paid_never_paid(self):
        order = self.submit_one("WEB-SHORT", payment={"method": "card", "status": "pending"})
        self.assertGreater(order.amount_total, 1)
        result = self.pay(order, "1.00", "pi_short_1")
        self.assertEqual((result["status"], result["payment_status"]), ("registered", "partially_paid"), result)
        self.assertEqual(order.rg_payment_status, "partially_paid")
        status = self.Api.order_status(partner=self.partner.code, external_ids=["WEB-SHORT"])["orders"][0]
        self.assertEqual(status["payment"], "partially_paid")
        rest = f"{order.amount_total - 1:.2f}"
        result = self.pay(order, rest, "pi_short_2")
        self.assertEqual(result["payment_status"], "paid", result)
        self.assertEqual(order.rg_payment_status, "paid")

    def test_a_channel_update_cannot_mark_a_short_payment_paid(self):
        order = self.submit_one("WEB-UPD", payment={"method": "card", "status": "pending"})
        self.pay(order, "1.00", "pi_upd")
        update = {"external_id": "WEB-UPD", "payment_status": "paid"}
        result = self.Api.update_orders(partner=self.partner.code, items=[{"intake_id": "u1", "item": update}])["results"][0]
        self.assertEqual(result["status"], "updated", result)
        self.assertEqual(order.rg_payment_status, "partially_paid")

    def test_a_cent_short_is_not_paid(self):
        order = self.submit_one("WEB-CENT", payment={"method": "card", "status": "pending"})
        result = self.pay(order, f"{order.amount_total - 0.01:.2f}", "pi_cent")
        self.assertEqual(result["payment_status"], "partially_paid")

    def test_an_overpayment_is_kept_and_flagged(self):
        order = self.submit_one("WEB-OVER", payment={"method": "card", "status": "pending"})
        result = self.pay(order, f"{order.amount_total + 5:.2f}", "pi_over")
        self.assertEqual((result["status"], result["payment_status"]), ("registered", "paid"), result)
        self.assertTrue(any("Overpaid" in (message.body or "") for message in order.message_ids))

    def test_a_payment_in_another_currency_is_rejected(self):
        order = self.submit_one("WEB-CUR", payment={"method": "card", "status": "pending"})
        other = self.env["res.currency"].with_context(active_test=False).search([("name", "!=", order.currency_id.name)], limit=1)
        result = self.pay(order, f"{order.amount_total:.2f}", "pi_cur", currency=other.name)
        self.assertEqual(self.reasons(result), [("unknown_currency", "currency")])
        self.assertEqual(order.rg_payment_status, "pending")

    def test_a_refund_after_a_partial_payment(self):
        order = self.submit_one("WEB-REF", payment={"method": "card", "status": "pending"})
        self.pay(order, "10.00", "pi_ref")
        self.assertEqual(self.pay(order, "4.00", "re_ref", kind="refunded")["payment_status"], "partially_refunded")
        self.assertEqual(self.pay(order, "6.00", "re_ref2", kind="refunded")["payment_status"], "refunded")

    def test_an_order_submitted_paid_with_a_short_amount_is_partially_paid(self):
        short = self.submit_one("WEB-SUB-SHORT", payment={"method": "card", "status": "paid", "amount": "1.00"})
        self.assertEqual(short.rg_payment_status, "partially_paid")
        total = f"{short.amount_total:.2f}"
        exact = self.submit_one("WEB-SUB-EXACT", payment={"method": "card", "status": "paid", "amount": total})
        self.assertEqual(exact.rg_payment_status, "paid")
        unsaid = self.submit_one("WEB-SUB-NONE")
        self.assertEqual(unsaid.rg_payment_status, "paid", "without an amount the channel's status stands")
        over = self.submit_one("WEB-SUB-OVER", payment={"method": "card", "status": "paid", "amount": f"{exact.amount_total + 1:.2f}"})
        self.assertEqual(over.rg_payment_status, "paid")
        self.assertTrue(any("Overpaid" in (message.body or "") for message in over.message_ids))

    # ------------------------------------------------------------------ quantity ceiling

    def test_a_line_above_the_ceiling_is_rejected_with_quantity_limit(self):
        self.assertEqual(self.partner.max_line_quantity, 10000)
        lines = [
            {"sku": "RG-LAMP", "quantity": 999999, "unit_price": "40.00", "discount_percent": "0"},
            {"sku": "RG-BOX", "quantity": 1, "unit_price": "15.80", "discount_percent": "0"},
        ]
        result = self.submit(self.order_item("WEB-HUGE", lines=lines))[0]
        self.assertEqual(result["status"], "rejected")
        self.assertEqual(self.reasons(result), [("quantity_limit", "lines/0/quantity")])
        self.assertFalse(self.env["sale.order"].search([("rg_external_id", "=", "WEB-HUGE")]))
        lines[0]["quantity"] = 10000
        self.assertEqual(self.submit(self.order_item("WEB-MAX", lines=lines))[0]["status"], "created")

    def test_the_ceiling_is_the_partners_and_the_registry_tells_the_gateway(self):
        self.partner.max_line_quantity = 5
        record = self.Partner.partners(codes=[self.partner.code])["partners"][0]
        self.assertEqual(record["max_line_quantity"], 5)
        lines = [{"sku": "RG-LAMP", "quantity": 6, "unit_price": "40.00", "discount_percent": "0"}]
        self.assertEqual(self.reasons(self.submit(self.order_item("WEB-SIX", lines=lines))[0]), [("quantity_limit", "lines/0/quantity")])
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.partner.max_line_quantity = 0
            self.partner.flush_recordset()
