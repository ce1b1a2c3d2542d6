from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..utils import INBOUND_PROVIDERS, MANAGER_GROUP, check_caller


class RetailGatewayRotateSecret(models.TransientModel):
    """Rotates one of a partner's credentials from the form. A generated secret is shown once."""

    _name = "retail_gateway.rotate.secret"
    _description = "Rotate a Retail Gateway Secret"

    partner_id = fields.Many2one("retail_gateway.partner", required=True, ondelete="cascade")
    credential = fields.Selection(
        [
            ("client_secret", "Client secret"),
            ("signing_secret", "Webhook signing secret"),
            ("inbound_secret", "Inbound webhook secret"),
        ],
        required=True,
        default="client_secret",
    )
    subscription_id = fields.Many2one(
        "retail_gateway.subscription", domain="[('partner_id', '=', partner_id)]", ondelete="cascade"
    )
    provider = fields.Selection([(p, p.title()) for p in INBOUND_PROVIDERS])
    new_inbound_secret = fields.Char(help="The secret the provider shows you (e.g. Shopify's webhook signing secret).")
    grace_hours = fields.Integer(
        "Grace Period (hours)", default=24, help="How long the previous secret keeps working."
    )
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    result_secret = fields.Char("New Secret", readonly=True, help="Shown once: copy it now.")
    previous_valid_until = fields.Datetime(readonly=True)

    @api.constrains("grace_hours")
    def _check_grace_hours(self):
        if any(not 0 <= wizard.grace_hours <= 30 * 24 for wizard in self):
            raise UserError(self.env._("The grace period must be between 0 and 720 hours."))

    def action_rotate(self):
        self.ensure_one()
        check_caller(self.env, (MANAGER_GROUP,))
        partner = self.partner_id.sudo()
        grace = timedelta(hours=self.grace_hours)
        secret = False
        if self.credential == "client_secret":
            secret, previous = partner._rg_rotate_client_secret(grace)
        elif self.credential == "signing_secret":
            if not self.subscription_id:
                raise UserError(self.env._("Choose the subscription whose signing secret to rotate."))
            secret, previous = self.subscription_id.sudo()._rg_rotate_secret(grace)
        else:
            if not self.provider or not self.new_inbound_secret or len(self.new_inbound_secret) < 8:
                raise UserError(self.env._("Choose the provider and enter its new secret (8 characters or more)."))
            previous = partner._rg_rotate_inbound_secret(self.provider, self.new_inbound_secret, grace)
        self.write(
            {
                "state": "done",
                "result_secret": secret,
                "previous_valid_until": previous or False,
                "new_inbound_secret": False,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Secret"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
