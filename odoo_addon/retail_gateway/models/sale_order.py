from odoo import Command, fields, models
from odoo.tools import float_compare

from ..compat import IS_19, sale_line_taxes
from ..utils import USER_GROUP, amount_string, decimal_string, sku_of

PAYMENT_STATUS_SELECTION = [
    ("pending", "Pending"),
    ("authorized", "Authorized"),
    ("paid", "Paid"),
    ("partially_paid", "Partially paid"),
    ("partially_refunded", "Partially refunded"),
    ("refunded", "Refunded"),
    ("failed", "Failed"),
]


def order_ref(order):
    return {"id": order.id, "name": order.name} if order else None


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "retail_gateway.sync.mixin"]

    rg_partner_id = fields.Many2one(
        "retail_gateway.partner",
        string="Gateway Partner",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups=USER_GROUP,
        help="The partner (channel) the order came from through the gateway.",
    )
    rg_external_id = fields.Char("Channel Order ID", readonly=True, copy=False, index="btree_not_null")
    rg_channel = fields.Char("Channel", readonly=True, copy=False)
    rg_intake_ref = fields.Char("Gateway Intake ID", readonly=True, copy=False)
    rg_placed_at = fields.Datetime("Placed At", readonly=True, copy=False)
    rg_payment_method = fields.Char("Channel Payment Method", readonly=True, copy=False)
    rg_payment_status = fields.Selection(PAYMENT_STATUS_SELECTION, "Payment Status", readonly=True, copy=False)
    rg_payment_provider = fields.Char("Payment Provider", readonly=True, copy=False)
    rg_payment_transaction = fields.Char("Payment Transaction", readonly=True, copy=False)

    def action_confirm(self):
        result = super().action_confirm()
        self.env["retail_gateway.outbox.event"]._rg_register(
            "order.created", self.filtered(lambda order: order.state == "sale")
        )
        return result

    def _rg_subscribe_customers(self):
        """Makes each order's customer a follower before ``action_confirm`` does it (Odoo 18 does
        it at confirmation, one order at a time; 19 does not), for a batch at once: a few queries
        for the batch instead of five an order. The customer follows its order as Odoo makes it
        follow (default subtypes, the external ones for a portal/share partner), so that what is
        sent from the order's chatter reaches the customer. The technical user that creates the
        order does not follow it (``mail_create_nosubscribe``, see ``_rg_batch``): nothing it
        would receive is read by anyone."""
        if IS_19 or not self:
            return
        self.env["mail.followers"].flush_model()
        self.env.cr.execute(
            "SELECT res_id, partner_id FROM mail_followers WHERE res_model = %s AND res_id = ANY(%s)",
            [self._name, self.ids],
        )
        following = set(self.env.cr.fetchall())
        customers = self.partner_id.sudo().filtered("active")
        shared = set(customers.filtered("partner_share").ids)
        default, _internal, external = self.env["mail.message.subtype"].default_subtypes(self._name)
        values = [
            {
                "res_model": self._name,
                "res_id": order.id,
                "partner_id": order.partner_id.id,
                "subtype_ids": [Command.set((external if order.partner_id.id in shared else default).ids)],
            }
            for order in self
            if order.partner_id in customers and (order.id, order.partner_id.id) not in following
        ]
        if values:
            self.env["mail.followers"].sudo().with_context(default_partner_id=False).create(values)
            self.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    def _action_cancel(self):
        confirmed = self.filtered(lambda order: order.state == "sale")
        result = super()._action_cancel()
        self.env["retail_gateway.outbox.event"]._rg_register(
            "order.cancelled", confirmed.filtered(lambda order: order.state == "cancel")
        )
        return result

    def _rg_prices_to_tax_excluded(self, unit_prices):
        """The channel's prices include taxes: store the tax-excluded unit prices Odoo computes
        with, so that the order totals what the customer paid (to the cent in most cases; Odoo
        rounds unit prices to the product price precision)."""
        self.ensure_one()
        lines = self.order_line.filtered(lambda line: not line.display_type)
        for line, price in zip(lines, unit_prices):
            taxes = sale_line_taxes(line).filtered(lambda tax: not tax.price_include)
            if not taxes:
                continue
            excluded = taxes.with_context(force_price_include=True).compute_all(
                price, currency=self.currency_id, quantity=1.0, product=line.product_id, partner=self.partner_id
            )["total_excluded"]
            line.write({"price_unit": excluded, "technical_price_unit": excluded})

    def _rg_payment_amounts(self):
        """What the gateway registered for the order: (paid, refunded), in the order currency."""
        self.ensure_one()
        intakes = self.env["retail_gateway.intake"].sudo().search([("sale_order_id", "=", self.id), ("kind", "=", "payment")])
        paid = sum(intakes.filtered(lambda i: i.note == "paid").mapped("amount"))
        refunded = sum(intakes.filtered(lambda i: i.note == "refunded").mapped("amount"))
        return paid, refunded

    def _rg_net_paid(self):
        paid, refunded = self._rg_payment_amounts()
        return paid - refunded

    def _rg_flag_overpayment(self, paid):
        """Payments above the order total are kept (the money was taken) and flagged for a person."""
        self.ensure_one()
        currency = self.currency_id
        self.message_post(
            body=self.env._(
                "Overpaid: the payments of %(paid)s %(currency)s exceed the order total of %(total)s %(currency)s by %(excess)s %(currency)s.",
                paid=amount_string(paid, currency),
                total=amount_string(self.amount_total, currency),
                excess=amount_string(paid - self.amount_total, currency),
                currency=currency.name,
            )
        )

    def _rg_update_payment_status(self):
        """``paid`` only when the registered payments reach the order total (to the currency's
        rounding); less is ``partially_paid``. A refund makes it ``partially_refunded``, or
        ``refunded`` once the refunds reach the payments."""
        self.ensure_one()
        paid, refunded = self._rg_payment_amounts()
        rounding = self.currency_id.rounding
        if refunded:
            status = "refunded" if float_compare(refunded, paid, precision_rounding=rounding) >= 0 else "partially_refunded"
        elif paid:
            covered = float_compare(paid, self.amount_total, precision_rounding=rounding) >= 0
            status = "paid" if covered else "partially_paid"
        else:
            status = self.rg_payment_status
        self.rg_payment_status = status

    # ------------------------------------------------------------------ events

    def _rg_event_values(self, event_type, intent):
        self.ensure_one()
        gateway_partner = self.sudo().rg_partner_id
        common = {
            "order": order_ref(self),
            "partner": gateway_partner.code or None,
            "external_id": self.rg_external_id or None,
            "channel": self.rg_channel or None,
        }
        if event_type == "order.created":
            price_digits = self.env["decimal.precision"].precision_get("Product Price")
            data = dict(
                common,
                currency=self.currency_id.name,
                amount_untaxed=amount_string(self.amount_untaxed, self.currency_id),
                amount_total=amount_string(self.amount_total, self.currency_id),
                customer_id=self.partner_id.id,
                lines=[
                    {
                        "sku": sku_of(line.product_id) if line.product_id else None,
                        "quantity": line.product_uom_qty,
                        "unit_price": decimal_string(line.price_unit, price_digits),
                        "discount_percent": decimal_string(line.discount, 2),
                    }
                    for line in self.order_line
                    if not line.display_type
                ],
            )
        elif event_type == "order.cancelled":
            data = common
        else:
            return None
        return {
            "data": data,
            "aggregate": ("sale.order", self.id),
            "external_id": self.rg_external_id or None,
            "company_id": self.company_id.id,
        }
