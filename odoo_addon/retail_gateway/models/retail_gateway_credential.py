from odoo import api, fields, models
from odoo.tools import SQL

from ..utils import INBOUND_PROVIDERS, rfc3339
from .retail_gateway_partner import CLIENT_SECRET_CRYPT


class RetailGatewayCredential(models.Model):
    """One version of a partner secret: a client secret, a subscription's signing secret or an
    inbound provider secret.

    Rotation adds a version and gives the previous ones a deadline (the grace period), so old and
    new both work during the overlap.

    Client secrets are stored only as a passlib hash, in a column that is not an ORM field (like
    Odoo's own API keys): no RPC call can read it, whatever the caller's rights. Signing and inbound
    secrets must be readable by the gateway to sign and verify; they sit in a field restricted to
    administrators and are served only through ``retail_gateway.partner.partners()``. The service
    group has no access to this model at all.
    """

    _name = "retail_gateway.credential"
    _description = "Retail Gateway Credential"
    _order = "partner_id, kind, id desc"

    partner_id = fields.Many2one("retail_gateway.partner", required=True, ondelete="cascade", index=True, readonly=True)
    subscription_id = fields.Many2one("retail_gateway.subscription", ondelete="cascade", index=True, readonly=True)
    kind = fields.Selection(
        [
            ("client_secret", "Client secret"),
            ("signing_secret", "Webhook signing secret"),
            ("inbound_secret", "Inbound webhook secret"),
        ],
        required=True,
        readonly=True,
    )
    provider = fields.Selection([(p, p.title()) for p in INBOUND_PROVIDERS], readonly=True)
    secret = fields.Char(readonly=True, groups="base.group_system", copy=False)
    hint = fields.Char(readonly=True, help="The last characters of the secret, to recognise it.")
    valid_until = fields.Datetime(readonly=True, help="Deadline after which the secret is refused; none while current.")
    is_valid = fields.Boolean("Valid", compute="_compute_is_valid")
    company_id = fields.Many2one(related="partner_id.company_id", store=True, readonly=True)

    def init(self):
        self.env.cr.execute(
            SQL("ALTER TABLE %s ADD COLUMN IF NOT EXISTS secret_hash varchar", SQL.identifier(self._table))
        )

    def _compute_is_valid(self):
        for credential in self:
            credential.is_valid = credential._rg_is_valid()

    def _rg_is_valid(self):
        self.ensure_one()
        return not self.valid_until or self.valid_until > fields.Datetime.now()

    def _rg_secret_version(self):
        """The ``SecretVersion`` shape of contracts/src/partner.ts (for readable secrets)."""
        self.ensure_one()
        return {
            "secret": self.sudo().secret,
            "valid_until": rfc3339(self.valid_until) if self.valid_until else None,
        }

    @api.model
    def _rg_rotate(self, partner, kind, secret, grace, hashed=False, provider=None, subscription=None):
        """Adds ``secret`` as the current version and limits the current ones to ``grace``
        (a timedelta; ``None`` keeps them as they are). Returns the latest deadline given to a
        previous version, or None when there was none."""
        now = fields.Datetime.now()
        domain = [("partner_id", "=", partner.id), ("kind", "=", kind)]
        if provider:
            domain.append(("provider", "=", provider))
        if subscription:
            domain.append(("subscription_id", "=", subscription.id))
        current = self.search(domain).filtered(lambda c: c._rg_is_valid())
        previous_valid_until = None
        if grace is not None:
            deadline = now + grace
            for credential in current:
                until = min(credential.valid_until, deadline) if credential.valid_until else deadline
                credential.valid_until = until
                previous_valid_until = max(previous_valid_until or until, until)
        credential = self.create(
            {
                "partner_id": partner.id,
                "subscription_id": subscription.id if subscription else False,
                "kind": kind,
                "provider": provider or False,
                "secret": False if hashed else secret,
                "hint": "…" + secret[-4:],
            }
        )
        if hashed:
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET secret_hash = %s WHERE id = %s",
                    SQL.identifier(self._table),
                    CLIENT_SECRET_CRYPT.hash(secret),
                    credential.id,
                )
            )
        return previous_valid_until

    @api.model
    def _rg_current_secret(self, subscription):
        credential = self.search(
            [("subscription_id", "=", subscription.id), ("kind", "=", "signing_secret"), ("valid_until", "=", False)],
            limit=1,
        )
        return credential.sudo().secret

    @api.model
    def _rg_verify_client_secret(self, partner, secret):
        """The valid client-secret version of ``partner`` that matches ``secret``, if any."""
        self.flush_model(["partner_id", "kind", "valid_until"])
        self.env.cr.execute(
            SQL(
                """SELECT id, secret_hash FROM %s
                    WHERE partner_id = %s AND kind = 'client_secret' AND secret_hash IS NOT NULL
                      AND (valid_until IS NULL OR valid_until > %s)
                    ORDER BY id DESC""",
                SQL.identifier(self._table),
                partner.id,
                fields.Datetime.now(),
            )
        )
        for credential_id, secret_hash in self.env.cr.fetchall():
            if CLIENT_SECRET_CRYPT.verify(secret, secret_hash):
                return self.browse(credential_id)
        return self.browse()

    @api.autovacuum
    def _gc_expired_credentials(self):
        """Forgets secrets whose grace period ended more than 30 days ago."""
        limit = fields.Datetime.subtract(fields.Datetime.now(), days=30)
        self.sudo().search([("valid_until", "!=", False), ("valid_until", "<", limit)]).unlink()
