import re
import secrets
from datetime import timedelta

from passlib.context import CryptContext

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..compat import sql_constraints
from ..utils import (
    INBOUND_PROVIDERS,
    MANAGER_GROUP,
    PARTNER_CODE_PATTERN,
    SCOPES,
    check_caller,
    rfc3339,
    split_words,
)

# Client secrets are long random strings, so a fast KDF is enough and keeps the token endpoint
# cheap; the same choice Odoo makes for API keys.
CLIENT_SECRET_CRYPT = CryptContext(["pbkdf2_sha512"], pbkdf2_sha512__rounds=6000)
# Verified when the client id is unknown, so that the answer takes as long as for a known one.
_DUMMY_HASH = CLIENT_SECRET_CRYPT.hash("retail-gateway-dummy-secret")
MAX_GRACE_SECONDS = 30 * 86400
# Events that carry no tenant's data: every subscriber may receive them.
CATALOG_EVENT_TYPES = frozenset({"product.updated", "inventory.changed"})
# The default largest quantity of one order line (contracts/src/partner.ts DEFAULT_MAX_LINE_QUANTITY).
DEFAULT_MAX_LINE_QUANTITY = 10000


@sql_constraints
class RetailGatewayPartner(models.Model):
    """A channel, marketplace or 3PL that talks to Odoo through the gateway."""

    _name = "retail_gateway.partner"
    _description = "Retail Gateway Partner"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "code"

    code = fields.Char(required=True, tracking=True, copy=False, help="Lower-case identifier used in URLs and tokens.")
    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    client_id = fields.Char(
        "Client ID",
        compute="_compute_client_id",
        store=True,
        readonly=False,
        copy=False,
        tracking=True,
        help="OAuth2 client id; the partner code unless set otherwise.",
    )
    scopes = fields.Char(
        default="products:read inventory:read orders:read orders:write returns:read returns:write shipments:read",
        tracking=True,
        help="Space-separated scopes granted to the partner: " + " ".join(SCOPES),
    )
    tier = fields.Selection(
        [("standard", "Standard"), ("premium", "Premium"), ("internal", "Internal")],
        string="Rate-limit Tier",
        default="standard",
        required=True,
        tracking=True,
    )
    mode = fields.Selection(
        [("live", "Live"), ("shadow", "Shadow")],
        default="live",
        required=True,
        tracking=True,
        help="In shadow mode the gateway validates and records the partner's traffic but writes nothing to Odoo.",
    )
    max_line_quantity = fields.Integer(
        "Maximum Line Quantity",
        default=DEFAULT_MAX_LINE_QUANTITY,
        required=True,
        tracking=True,
        help="The largest quantity one order line may ask for; the gateway refuses larger lines of the "
        "partner's API orders and Odoo rejects them (quantity_limit) from any source.",
    )
    oversell_policy = fields.Selection(
        [("reject", "Reject"), ("backorder", "Backorder"), ("accept", "Accept (count as oversold)")],
        default="accept",
        required=True,
        tracking=True,
        help="What the gateway does with an API order for more than is available to promise: "
        "Reject answers 409 insufficient_stock and queues nothing; Backorder accepts it and flags the "
        "receipt; Accept accepts it and counts the units as oversold. Storefront webhooks (already paid) "
        "are never refused.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, tracking=True)
    warehouse_ids = fields.Many2many(
        "stock.warehouse",
        string="Allowed Warehouses",
        check_company=True,
        help="Warehouses the partner may see and use; all of the company's when empty.",
    )
    pricelist_ids = fields.Many2many(
        "product.pricelist",
        string="Pricelists",
        check_company=True,
        help="Pricelists by currency for the partner's orders; the first one in the order's currency is used.",
    )
    issuer = fields.Char(help="For federated partners: the issuer of the tokens they sign themselves.")
    jwks_url = fields.Char("JWKS URL", help="For federated partners: where their signing keys are published.")
    carrier_map_ids = fields.One2many("retail_gateway.carrier.map", "partner_id", string="Shipping Methods")
    subscription_ids = fields.One2many(
        "retail_gateway.subscription", "partner_id", string="Webhook Subscriptions", context={"active_test": False}
    )
    credential_ids = fields.One2many(
        "retail_gateway.credential", "partner_id", string="Credentials", groups=MANAGER_GROUP
    )
    customer_link_ids = fields.One2many("retail_gateway.customer.link", "partner_id", string="Customers")
    client_secret_state = fields.Selection(
        [("none", "Not set"), ("set", "Set"), ("rotating", "Rotation in grace period")],
        compute="_compute_credential_summary",
    )
    client_secret_age_days = fields.Integer(compute="_compute_credential_summary")
    intake_count = fields.Integer(compute="_compute_counts")
    delivery_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The partner code must be unique."),
        ("client_id_uniq", "unique(client_id)", "The client id must be unique."),
    ]

    @api.depends("code")
    def _compute_client_id(self):
        for partner in self:
            if not partner.client_id:
                partner.client_id = partner.code

    @api.depends("credential_ids.valid_until", "credential_ids.kind")
    def _compute_credential_summary(self):
        now = fields.Datetime.now()
        for partner in self:
            # Credentials are for managers only; the summary (no secret in it) is for everyone.
            valid = partner.sudo().credential_ids.filtered(
                lambda c: c.kind == "client_secret" and (not c.valid_until or c.valid_until > now)
            )
            if not valid:
                partner.client_secret_state = "none"
            elif len(valid) > 1:
                partner.client_secret_state = "rotating"
            else:
                partner.client_secret_state = "set"
            newest = max(valid.mapped("create_date"), default=False)
            partner.client_secret_age_days = (now - newest).days if newest else 0

    def _compute_counts(self):
        Intake = self.env["retail_gateway.intake"]
        Delivery = self.env["retail_gateway.delivery"]
        for partner in self:
            partner.intake_count = Intake.search_count([("partner_id", "=", partner.id)])
            partner.delivery_count = Delivery.search_count([("partner_id", "=", partner.id)])

    @api.constrains("code")
    def _check_code(self):
        for partner in self:
            if not re.match(PARTNER_CODE_PATTERN, partner.code or ""):
                raise ValidationError(
                    self.env._(
                        "The partner code %s must be 2 to 63 lower-case letters, digits, '-' or '_'.", partner.code
                    )
                )

    @api.constrains("max_line_quantity")
    def _check_max_line_quantity(self):
        for partner in self:
            if partner.max_line_quantity < 1:
                raise ValidationError(self.env._("The maximum line quantity must be at least 1."))

    @api.constrains("scopes")
    def _check_scopes(self):
        for partner in self:
            unknown = set(split_words(partner.scopes)) - set(SCOPES)
            if unknown:
                raise ValidationError(self.env._("Unknown scopes: %s", ", ".join(sorted(unknown))))

    # ------------------------------------------------------------------ helpers

    @api.model
    def _rg_get(self, code, active_only=True):
        """The partner with ``code`` (as superuser); raises a UserError when unknown."""
        if not isinstance(code, str):
            raise ValidationError(self.env._("partner must be a partner code."))
        partner = self.sudo().with_context(active_test=False).search([("code", "=", code)], limit=1)
        if not partner or (active_only and not partner.active):
            raise UserError(self.env._("Unknown or inactive partner %s.", code))
        return partner

    def _rg_scopes(self):
        self.ensure_one()
        return [scope for scope in split_words(self.scopes) if scope in SCOPES]

    def _rg_warehouses(self):
        """Warehouses the partner may use, the company's when none is configured."""
        self.ensure_one()
        if self.warehouse_ids:
            return self.warehouse_ids
        return self.env["stock.warehouse"].sudo().search([("company_id", "=", self.company_id.id)])

    def _rg_is_admin(self):
        """Holds the ``admin`` scope: an internal consumer (a data warehouse, the back office's own
        tools), not a channel or a 3PL."""
        self.ensure_one()
        return "admin" in self._rg_scopes()

    @api.model
    def _rg_event_targets(self, event_type, data, subscriptions):
        """Partners an event is meant for, among the active subscribers to its type; the relay
        (gateway/src/relay/routing.ts) applies the same rule to the same payload when it fans out,
        so the sync status waits for exactly the deliveries it makes. A partner only ever receives
        its own tenant data:

        * catalog and stock (:data:`CATALOG_EVENT_TYPES`) go to every subscriber;
        * ``customer.updated`` goes to the partners that know the customer (``external_ids``) and
          to admin partners;
        * every other event (orders, shipments, returns, invoices) goes to the partner named in
          ``partner`` only; when that is empty (a record made in Odoo itself, not through a
          channel) only to admin partners, never to channels or 3PLs;
        * then an event naming a warehouse goes only to partners allowed on it (all when the
          partner lists none). Being allowed on a warehouse never adds a recipient.
        """
        partners = self.browse()
        for subscription in subscriptions:
            if event_type in subscription["event_types"]:
                partners |= subscription["partner"]
        data = data if isinstance(data, dict) else {}
        if event_type == "customer.updated":
            known = set(data.get("external_ids") or {})
            partners = partners.filtered(lambda p: p.code in known or p._rg_is_admin())
        elif event_type not in CATALOG_EVENT_TYPES:
            owner = data.get("partner") or None
            partners = partners.filtered(lambda p: p.code == owner if owner else p._rg_is_admin())
        warehouse = data.get("warehouse")
        if warehouse:
            partners = partners.filtered(lambda p: not p.warehouse_ids or warehouse in p.warehouse_ids.mapped("code"))
        return partners

    def _rg_post_rotation(self, what, previous_valid_until):
        """Tracks a rotation in the chatter: who, when, which credential; never the secret."""
        self.ensure_one()
        actor = self.env.context.get("actor")
        values = {"what": what, "user": self.env.user.name, "actor": f" (on behalf of {actor})" if actor else ""}
        if previous_valid_until:
            body = self.env._(
                "%(what)s rotated by %(user)s%(actor)s. Previous secret valid until %(until)s.",
                until=fields.Datetime.to_string(previous_valid_until) + " UTC",
                **values,
            )
        else:
            body = self.env._("%(what)s rotated by %(user)s%(actor)s.", **values)
        self.message_post(body=body, subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------ RPC (gateway)

    @api.model
    def authenticate_client(self, client_id, client_secret):
        """Checks a client secret against the current hash and any previous one still in its grace
        period. Only the verdict leaves Odoo, never a hash."""
        check_caller(self.env)
        if not isinstance(client_id, str) or not isinstance(client_secret, str) or not client_secret:
            return {"ok": False}
        partner = self.sudo().search([("client_id", "=", client_id), ("active", "=", True)], limit=1)
        if not partner:
            CLIENT_SECRET_CRYPT.verify(client_secret, _DUMMY_HASH)
            return {"ok": False}
        credential = self.env["retail_gateway.credential"].sudo()._rg_verify_client_secret(partner, client_secret)
        if not credential:
            return {"ok": False}
        return {
            "ok": True,
            "partner": partner.code,
            "scopes": partner._rg_scopes(),
            "valid_until": rfc3339(credential.valid_until) if credential.valid_until else None,
        }

    @api.model
    def partners(self, codes=None):
        """The registry as the gateway caches it: with signing and inbound secrets, never a
        client-secret hash."""
        check_caller(self.env)
        domain = []
        if codes is not None:
            if not isinstance(codes, (list, tuple)):
                raise ValidationError(self.env._("codes must be a list of partner codes."))
            domain = [("code", "in", list(codes))]
        records = self.sudo().with_context(active_test=False).search(domain)
        return {"partners": [partner._rg_record() for partner in records]}

    def _rg_record(self):
        self.ensure_one()
        Credential = self.env["retail_gateway.credential"].sudo()
        subscriptions = self.with_context(active_test=False).subscription_ids
        credentials = Credential.search([("partner_id", "=", self.id)])
        inbound = {provider: [] for provider in INBOUND_PROVIDERS}
        for credential in credentials.filtered(lambda c: c.kind == "inbound_secret" and c._rg_is_valid()):
            inbound[credential.provider].append(credential._rg_secret_version())
        subscription_records = []
        for subscription in subscriptions:
            versions = [
                c._rg_secret_version()
                for c in credentials
                if c.kind == "signing_secret" and c.subscription_id == subscription and c._rg_is_valid()
            ]
            if not versions:
                continue  # no usable signing secret: the gateway cannot sign for it
            values = subscription._rg_contract()
            values["secrets"] = versions
            subscription_records.append(values)
        updated = max(
            [self.write_date] + subscriptions.mapped("write_date") + credentials.mapped("write_date"),
        )
        return {
            "code": self.code,
            "name": self.name,
            "active": self.active,
            "scopes": self._rg_scopes(),
            "tier": self.tier,
            "mode": self.mode,
            "oversell_policy": self.oversell_policy,
            "warehouses": self._rg_warehouses().mapped("code") if self.warehouse_ids else [],
            "max_line_quantity": self.max_line_quantity,
            "company_id": self.company_id.id,
            "issuer": self.issuer or None,
            "jwks_url": self.jwks_url or None,
            "subscriptions": subscription_records,
            "inbound_secrets": inbound,
            "updated_at": rfc3339(updated),
        }

    @api.model
    def create_partner(self, code, scopes, name=None, tier="standard", mode="live", oversell_policy=None):
        """Registers a partner and issues its client secret (returned once): the first token's
        prerequisites in one call, for the gateway's ``partner create`` command. An existing code is
        refused, never overwritten. ``oversell_policy`` is the partner form's (``accept`` when not
        given)."""
        check_caller(self.env)
        if not isinstance(code, str) or not re.match(PARTNER_CODE_PATTERN, code):
            raise ValidationError(
                self.env._("The partner code must be 2 to 63 lower-case letters, digits, '-' or '_'.")
            )
        if not isinstance(scopes, (list, tuple)) or not scopes or not all(isinstance(s, str) for s in scopes):
            raise ValidationError(self.env._("scopes must be a non-empty list of scopes."))
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValidationError(self.env._("name must be a non-empty string."))
        tiers = dict(self._fields["tier"].selection)
        modes = dict(self._fields["mode"].selection)
        if tier not in tiers or mode not in modes:
            raise ValidationError(self.env._("tier must be one of %(tiers)s and mode one of %(modes)s.",
                                             tiers=", ".join(tiers), modes=", ".join(modes)))
        policies = dict(self._fields["oversell_policy"].selection)
        if oversell_policy is not None and oversell_policy not in policies:
            raise ValidationError(self.env._("oversell_policy must be one of %(policies)s.", policies=", ".join(policies)))
        Partners = self.sudo().with_context(active_test=False)
        if Partners.search_count(["|", ("code", "=", code), ("client_id", "=", code)]):
            raise UserError(self.env._("A partner with the code or client id %s exists already.", code))
        values = {"code": code, "name": (name or code).strip(), "scopes": " ".join(scopes), "tier": tier, "mode": mode}
        if oversell_policy is not None:
            values["oversell_policy"] = oversell_policy
        record = Partners.create(values)
        secret, _previous = record._rg_rotate_client_secret(timedelta(0))
        return {"partner": record._rg_record(), "client_id": record.client_id, "client_secret": secret}

    @api.model
    def rotate_client_secret(self, partner, grace_seconds):
        """Issues a new client secret (returned once); the previous one stays valid for
        ``grace_seconds``."""
        check_caller(self.env)
        record = self._rg_get(partner, active_only=False)
        secret, previous_valid_until = record._rg_rotate_client_secret(_grace(self.env, grace_seconds))
        return {
            "client_id": record.client_id,
            "client_secret": secret,
            "previous_valid_until": rfc3339(previous_valid_until) if previous_valid_until else None,
        }

    @api.model
    def rotate_inbound_secret(self, partner, provider, secret, grace_seconds):
        """Sets a new inbound secret for ``provider``; the previous one stays accepted for
        ``grace_seconds``."""
        check_caller(self.env)
        record = self._rg_get(partner, active_only=False)
        if provider not in INBOUND_PROVIDERS:
            raise ValidationError(self.env._("Unknown inbound provider %s.", provider))
        if not isinstance(secret, str) or not 8 <= len(secret) <= 512:
            raise ValidationError(self.env._("The inbound secret must have 8 to 512 characters."))
        previous_valid_until = record._rg_rotate_inbound_secret(provider, secret, _grace(self.env, grace_seconds))
        return {"previous_valid_until": rfc3339(previous_valid_until) if previous_valid_until else None}

    # ------------------------------------------------------------------ rotation (shared by RPC and UI)

    def _rg_rotate_client_secret(self, grace):
        self.ensure_one()
        secret = "rgcs_" + secrets.token_urlsafe(32)
        previous = self.env["retail_gateway.credential"].sudo()._rg_rotate(
            self, "client_secret", secret, grace, hashed=True
        )
        self._rg_post_rotation(self.env._("Client secret"), previous)
        return secret, previous

    def _rg_set_client_secret(self, secret, grace=timedelta(0)):
        """Sets a known client secret (demo set-up, migrations)."""
        self.ensure_one()
        previous = self.env["retail_gateway.credential"].sudo()._rg_rotate(
            self, "client_secret", secret, grace, hashed=True
        )
        self._rg_post_rotation(self.env._("Client secret"), previous)
        return previous

    def _rg_rotate_inbound_secret(self, provider, secret, grace):
        self.ensure_one()
        previous = self.env["retail_gateway.credential"].sudo()._rg_rotate(
            self, "inbound_secret", secret, grace, provider=provider
        )
        self._rg_post_rotation(self.env._("Inbound %s secret", provider), previous)
        return previous

    # ------------------------------------------------------------------ actions

    def action_rotate_secret(self):
        self.ensure_one()
        check_caller(self.env, (MANAGER_GROUP,))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Rotate a Secret"),
            "res_model": "retail_gateway.rotate.secret",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    def action_view_intake(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("retail_gateway.retail_gateway_intake_action")
        action["domain"] = [("partner_id", "=", self.id)]
        return action

    def action_view_deliveries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("retail_gateway.retail_gateway_delivery_action")
        action["domain"] = [("partner_id", "=", self.id)]
        return action


def _grace(env, grace_seconds):
    if isinstance(grace_seconds, bool) or not isinstance(grace_seconds, int):
        raise ValidationError(env._("grace_seconds must be an integer."))
    if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise ValidationError(env._("grace_seconds must be between 0 and 30 days."))
    return timedelta(seconds=grace_seconds)
