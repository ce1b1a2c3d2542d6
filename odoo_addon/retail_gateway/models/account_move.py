from odoo import models

from ..utils import amount_string
from .sale_order import order_ref


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "retail_gateway.sync.mixin"]

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        self.env["retail_gateway.outbox.event"]._rg_register(
            "invoice.posted", posted.filtered(lambda move: move.move_type == "out_invoice")
        )
        return posted

    def _rg_event_values(self, event_type, intent):
        self.ensure_one()
        if event_type != "invoice.posted" or self.state != "posted":
            return None
        orders = self.line_ids.sale_line_ids.order_id.sorted("id")
        gateway_partner = orders.sudo().rg_partner_id[:1]
        data = {
            "invoice": {"id": self.id, "name": self.name},
            "orders": [order_ref(order) for order in orders],
            "partner": gateway_partner.code or None,
            "order_external_ids": [order.rg_external_id for order in orders if order.rg_external_id],
            "currency": self.currency_id.name,
            "amount_untaxed": amount_string(self.amount_untaxed, self.currency_id),
            "amount_tax": amount_string(self.amount_tax, self.currency_id),
            "amount_total": amount_string(self.amount_total, self.currency_id),
            "invoice_date": (self.invoice_date or self.date).isoformat(),
            "payment_state": self.payment_state or "not_paid",
        }
        return {
            "data": data,
            "aggregate": ("sale.order", orders.id) if len(orders) == 1 else ("account.move", self.id),
            "external_id": (orders.rg_external_id or None) if len(orders) == 1 else None,
            "company_id": self.company_id.id,
        }
