from odoo import fields, models

from ..compat import PARTNER_PHONE_FIELDS, partner_phone
from ..utils import USER_GROUP

# Name, contact, address and consent: a change is a ``customer.updated`` for a known customer.
CUSTOMER_SYNCED_FIELDS = {
    "name",
    "email",
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "country_id",
    *PARTNER_PHONE_FIELDS,
}


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "retail_gateway.sync.mixin"]

    rg_consent_ids = fields.One2many(
        "retail_gateway.consent", "customer_id", string="Marketing Consents", groups=USER_GROUP
    )
    rg_link_ids = fields.One2many(
        "retail_gateway.customer.link", "customer_id", string="Gateway Partners", groups=USER_GROUP
    )

    def write(self, vals):
        result = super().write(vals)
        changed = sorted(CUSTOMER_SYNCED_FIELDS & set(vals))
        if changed:
            self._rg_register_customer_updated(changed)
        return result

    def _rg_register_customer_updated(self, changed_fields):
        """Registers ``customer.updated`` for the customers among ``self`` known to a partner."""
        if not self.ids:
            return
        links = self.env["retail_gateway.customer.link"].sudo().search([("customer_id", "in", self.ids)])
        known = links.customer_id
        if known:
            self.env["retail_gateway.outbox.event"]._rg_register("customer.updated", known, changed_fields)

    def _rg_event_values(self, event_type, intent):
        self.ensure_one()
        if event_type != "customer.updated":
            return None
        links = self.env["retail_gateway.customer.link"].sudo().search([("customer_id", "=", self.id)])
        if not links:
            return None
        consents = self.env["retail_gateway.consent"].sudo().search([("customer_id", "=", self.id)])
        data = {
            "customer_id": self.id,
            "external_ids": {link.partner_id.code: link.external_id for link in links if link.external_id},
            "name": self.name or "",
            "email": self.email or None,
            "phone": partner_phone(self),
            "city": self.city or None,
            "country_code": self.country_id.code or None,
            "consents": [consent._rg_contract() for consent in consents],
            "changed_fields": list(intent["changed"]),
        }
        return {
            "data": data,
            "aggregate": ("res.partner", self.id),
            "external_id": None,
            "company_id": self.company_id.id,
        }
