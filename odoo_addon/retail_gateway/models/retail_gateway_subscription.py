import base64
import secrets
from urllib.parse import urlparse

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..compat import group_users
from ..utils import ALL_EVENT_TYPES, MANAGER_GROUP, check_caller, rfc3339, split_words
from .retail_gateway_partner import _grace


def new_signing_secret():
    """A Standard Webhooks signing secret: ``whsec_`` and the base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class RetailGatewaySubscription(models.Model):
    """A partner's webhook endpoint and the event types it receives."""

    _name = "retail_gateway.subscription"
    _description = "Retail Gateway Webhook Subscription"
    _order = "partner_id, id"

    partner_id = fields.Many2one("retail_gateway.partner", required=True, ondelete="cascade", index=True)
    url = fields.Char("URL", required=True)
    event_types = fields.Char(
        required=True, help="Space-separated event types: " + " ".join(ALL_EVENT_TYPES)
    )
    active = fields.Boolean(default=True)
    consecutive_failures = fields.Integer(readonly=True)
    disabled_at = fields.Datetime(
        readonly=True, help="Set when the gateway disabled the endpoint after too many failures."
    )
    company_id = fields.Many2one(related="partner_id.company_id", store=True, readonly=True)

    @api.depends("partner_id", "url")
    def _compute_display_name(self):
        # The host only: a path or query may carry the partner's token.
        for subscription in self:
            host = urlparse(subscription.url or "").hostname or self.env._("no URL")
            subscription.display_name = f"{subscription.partner_id.name or subscription.partner_id.code or ''} · {host}"

    @api.constrains("url")
    def _check_url(self):
        for subscription in self:
            parsed = urlparse(subscription.url or "")
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValidationError(self.env._("The subscription URL must be an http(s) URL."))

    @api.constrains("event_types")
    def _check_event_types(self):
        for subscription in self:
            types = split_words(subscription.event_types)
            unknown = set(types) - set(ALL_EVENT_TYPES)
            if not types or unknown:
                raise ValidationError(
                    self.env._("Unknown or missing event types: %s", ", ".join(sorted(unknown)) or "-")
                )

    @api.model_create_multi
    def create(self, vals_list):
        subscriptions = super().create(vals_list)
        # Every subscription signs its deliveries with its own secret from the start.
        Credential = self.env["retail_gateway.credential"].sudo()
        for subscription in subscriptions:
            if not Credential.search_count([("subscription_id", "=", subscription.id), ("kind", "=", "signing_secret")]):
                Credential._rg_rotate(
                    subscription.partner_id, "signing_secret", new_signing_secret(), None, subscription=subscription
                )
        return subscriptions

    def write(self, vals):
        newly_disabled = self.browse()
        if vals.get("disabled_at"):
            newly_disabled = self.filtered(lambda s: not s.disabled_at)
        result = super().write(vals)
        newly_disabled._rg_notify_disabled()
        return result

    # ------------------------------------------------------------------ helpers

    @api.model
    def _rg_effective_subscriptions(self):
        """Active, enabled subscriptions of active partners, as plain data for event targeting."""
        subscriptions = self.sudo().search([("active", "=", True), ("disabled_at", "=", False)])
        return [
            {"partner": s.partner_id, "event_types": set(split_words(s.event_types))}
            for s in subscriptions
            if s.partner_id.active
        ]

    def _rg_contract(self):
        """The ``Subscription`` shape of contracts/src/partner.ts."""
        self.ensure_one()
        return {
            "id": self.id,
            "partner": self.partner_id.code,
            "url": self.url,
            "event_types": split_words(self.event_types),
            "active": self.active,
            "consecutive_failures": self.consecutive_failures,
            "disabled_at": rfc3339(self.disabled_at) if self.disabled_at else None,
            "created_at": rfc3339(self.create_date),
        }

    def _rg_notify_disabled(self):
        """Leaves a to-do for every Integration Manager of the partner's company."""
        if not self:
            return
        managers = group_users(self.env.ref(MANAGER_GROUP).sudo()).filtered(
            lambda u: not u.share and u.active and any(c in u.company_ids for c in self.mapped("company_id"))
        )
        for subscription in self:
            partner = subscription.partner_id.sudo()
            note = self.env._(
                "The gateway disabled the webhook endpoint %(url)s of %(partner)s after %(count)s consecutive "
                "failures. Fix the endpoint, then re-enable the subscription.",
                url=subscription.url,
                partner=partner.name,
                count=subscription.consecutive_failures,
            )
            partner.message_post(body=note, subtype_xmlid="mail.mt_note")
            for manager in managers or self.env.ref("base.user_admin"):
                partner.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Webhook endpoint disabled"),
                    note=note,
                    user_id=manager.id,
                )

    @api.model
    def _rg_own(self, partner, subscription_id):
        """The partner's subscription with that id, or an empty recordset."""
        if isinstance(subscription_id, bool) or not isinstance(subscription_id, int):
            raise ValidationError(self.env._("id must be an integer."))
        return (
            self.sudo()
            .with_context(active_test=False)
            .search([("id", "=", subscription_id), ("partner_id", "=", partner.id)], limit=1)
        )

    @api.model
    def _rg_event_types_arg(self, event_types):
        if not isinstance(event_types, (list, tuple)) or not event_types:
            raise ValidationError(self.env._("event_types must be a non-empty list."))
        unknown = set(event_types) - set(ALL_EVENT_TYPES)
        if unknown:
            raise ValidationError(self.env._("Unknown event types: %s", ", ".join(sorted(map(str, unknown)))))
        return " ".join(dict.fromkeys(event_types))

    # ------------------------------------------------------------------ RPC (gateway)

    @api.model
    def create_subscription(self, partner, url, event_types, active=True):
        """Creates a subscription; its signing secret is returned once."""
        check_caller(self.env)
        owner = self.env["retail_gateway.partner"]._rg_get(partner)
        subscription = self.sudo().create(
            {
                "partner_id": owner.id,
                "url": url,
                "event_types": self._rg_event_types_arg(event_types),
                "active": bool(active),
            }
        )
        secret = self.env["retail_gateway.credential"].sudo()._rg_current_secret(subscription)
        return {"subscription": subscription._rg_contract(), "secret": secret}

    @api.model
    def update_subscription(
        self, partner, id, url=None, event_types=None, active=None, consecutive_failures=None, disabled=None
    ):  # pylint: disable=redefined-builtin
        check_caller(self.env)
        owner = self.env["retail_gateway.partner"]._rg_get(partner, active_only=False)
        subscription = self._rg_own(owner, id)
        if not subscription:
            return {"subscription": None}
        vals = {}
        if url is not None:
            vals["url"] = url
        if event_types is not None:
            vals["event_types"] = self._rg_event_types_arg(event_types)
        if active is not None:
            vals["active"] = bool(active)
        if consecutive_failures is not None:
            if isinstance(consecutive_failures, bool) or not isinstance(consecutive_failures, int) or consecutive_failures < 0:
                raise ValidationError(self.env._("consecutive_failures must be a non-negative integer."))
            vals["consecutive_failures"] = consecutive_failures
        if disabled is True and not subscription.disabled_at:
            vals["disabled_at"] = fields.Datetime.now()
        elif disabled is False:
            vals.update(disabled_at=False, consecutive_failures=vals.get("consecutive_failures", 0))
        if vals:
            subscription.write(vals)
        return {"subscription": subscription._rg_contract()}

    @api.model
    def delete_subscription(self, partner, id):  # pylint: disable=redefined-builtin
        check_caller(self.env)
        owner = self.env["retail_gateway.partner"]._rg_get(partner, active_only=False)
        subscription = self._rg_own(owner, id)
        if not subscription:
            return {"deleted": False}
        subscription.unlink()
        return {"deleted": True}

    @api.model
    def rotate_subscription_secret(self, partner, id, grace_seconds):  # pylint: disable=redefined-builtin
        """Issues a new signing secret; deliveries carry signatures for both until the previous
        one's deadline."""
        check_caller(self.env)
        owner = self.env["retail_gateway.partner"]._rg_get(partner, active_only=False)
        subscription = self._rg_own(owner, id)
        if not subscription:
            raise ValidationError(self.env._("No subscription %s for this partner.", id))
        secret, previous = subscription._rg_rotate_secret(_grace(self.env, grace_seconds))
        return {"secret": secret, "previous_valid_until": rfc3339(previous) if previous else None}

    def _rg_rotate_secret(self, grace):
        self.ensure_one()
        secret = new_signing_secret()
        previous = self.env["retail_gateway.credential"].sudo()._rg_rotate(
            self.partner_id, "signing_secret", secret, grace, subscription=self
        )
        self.partner_id._rg_post_rotation(self.env._("Signing secret of subscription %s", self.id), previous)
        return secret, previous

    # ------------------------------------------------------------------ actions

    def action_enable(self):
        check_caller(self.env, (MANAGER_GROUP,))
        self.sudo().write({"disabled_at": False, "consecutive_failures": 0})
        return True
