from odoo import api, fields, models

from ..compat import sql_constraints
from ..utils import parse_rfc3339, rfc3339


@sql_constraints
class RetailGatewayConsent(models.Model):
    """A customer's marketing consent for one channel: opted in or out, when, and where."""

    _name = "retail_gateway.consent"
    _description = "Marketing Consent"
    _order = "customer_id, channel"

    customer_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="cascade", index=True)
    channel = fields.Selection(
        [("email", "E-mail"), ("sms", "SMS"), ("phone", "Phone"), ("post", "Post"), ("push", "Push")], required=True
    )
    status = fields.Selection([("opted_in", "Opted in"), ("opted_out", "Opted out")], required=True)
    at = fields.Datetime("When", required=True, default=fields.Datetime.now)
    source = fields.Char(required=True, default="odoo", help="Where the choice was made, e.g. 'checkout' or 'shopify'.")

    _sql_constraints = [
        ("customer_channel_uniq", "unique(customer_id, channel)", "One consent per customer and channel."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        consents = super().create(vals_list)
        consents.customer_id._rg_register_customer_updated(["consents"])
        return consents

    def write(self, vals):
        customers = self.customer_id
        result = super().write(vals)
        (customers | self.customer_id)._rg_register_customer_updated(["consents"])
        return result

    def unlink(self):
        customers = self.customer_id
        result = super().unlink()
        customers.exists()._rg_register_customer_updated(["consents"])
        return result

    def _rg_contract(self):
        """The ``MarketingConsent`` shape of contracts/src/customer.ts."""
        self.ensure_one()
        return {"channel": self.channel, "status": self.status, "at": rfc3339(self.at), "source": self.source}

    @api.model
    def _rg_apply(self, customer, consents):
        """Applies consents from a channel: a choice replaces the stored one when it is newer."""
        for consent in consents or []:
            at = parse_rfc3339(consent.get("at"))
            existing = self.search([("customer_id", "=", customer.id), ("channel", "=", consent.get("channel"))], limit=1)
            values = {"status": consent.get("status"), "at": at, "source": consent.get("source") or "gateway"}
            if not existing:
                self.create(dict(values, customer_id=customer.id, channel=consent.get("channel")))
            elif at and at >= existing.at and (existing.status, existing.source) != (values["status"], values["source"]):
                existing.write(values)
