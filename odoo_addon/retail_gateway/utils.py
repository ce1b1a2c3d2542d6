"""Small formatting helpers shared by the payload builders and the RPC methods."""

import re
from datetime import date, datetime, timezone
from http import HTTPStatus

from odoo.exceptions import AccessError
from odoo.tools import float_repr

EVENT_TYPES = (
    "product.updated",
    "inventory.changed",
    "customer.updated",
    "order.created",
    "order.cancelled",
    "shipment.shipped",
    "return.received",
    "invoice.posted",
)
GATEWAY_EVENT_TYPES = ("order.accepted", "order.rejected")
ALL_EVENT_TYPES = EVENT_TYPES + GATEWAY_EVENT_TYPES

SCOPES = (
    "products:read",
    "inventory:read",
    "inventory:write",
    "orders:read",
    "orders:write",
    "returns:read",
    "returns:write",
    "shipments:read",
    "shipments:write",
    "customers:read",
    "webhooks:manage",
    "events:replay",
    "admin",
)
INBOUND_PROVIDERS = ("shopify", "woocommerce", "stripe", "standard")
PARTNER_CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,62}$"


def rfc3339(value):
    """Formats a naive UTC datetime (Odoo's convention) or an aware one as RFC 3339 with ``Z``."""
    if not value:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def utc_now_rfc3339():
    return rfc3339(datetime.now(timezone.utc))


def parse_rfc3339(value):
    """Parses an RFC 3339 timestamp into a naive UTC datetime; ``None`` when empty."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def decimal_string(value, digits=2):
    """Money and quantities travel as decimal strings (see ``Decimal`` in contracts/src/common.ts)."""
    text = float_repr(value or 0.0, digits)
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def amount_string(amount, currency):
    return decimal_string(amount, currency.decimal_places if currency else 2)


SKU_MAX_LENGTH = 64


def valid_sku(value):
    """Whether ``value`` can be a SKU (``Sku`` in contracts/src/common.ts): a string of 1 to 64
    characters without surrounding white space."""
    return isinstance(value, str) and 0 < len(value) <= SKU_MAX_LENGTH and value == value.strip()


def sku_of(product):
    """The SKU of a variant, by the one rule of the addon: **a variant's SKU is its internal
    reference** (``default_code``), when that is a valid SKU; ``None`` otherwise.

    A variant without a SKU is not offered anywhere (``catalog_page``, ``availability``,
    ``product.updated`` and ``inventory.changed`` events, shipment lines) and no intake line can
    name it: ``product.product._rg_resolve_skus`` resolves SKUs by the same rule, and nothing else
    (no barcode, no name, no id) identifies a variant to a partner.
    """
    code = product.default_code or ""
    return code if valid_sku(code) else None


def split_words(value):
    return [word for word in (value or "").split() if word]


USER_GROUP = "retail_gateway.group_integration_user"
MANAGER_GROUP = "retail_gateway.group_integration_manager"
SERVICE_GROUP = "retail_gateway.group_integration_service"


def check_caller(env, groups=(SERVICE_GROUP, MANAGER_GROUP)):
    """RPC methods run their work as superuser after this check, so every caller must hold one of
    ``groups`` (the gateway's technical user is in the service group)."""
    if env.su:
        return
    if not any(env.user.has_group(group) for group in groups):
        raise AccessError(env._("This operation is reserved to the retail gateway's service user and Integration Managers."))


def record_names(env, model, ids):
    """``{id: display name}`` of the records of ``model`` the current user may read; a record it may not
    read is named by its model only, a deleted one says so."""
    if not ids or model not in env:
        return {}
    Model = env[model].with_context(active_test=False)
    description = env["ir.model"]._get(model).name or model
    existing = Model.browse(ids).exists()
    readable = existing._filtered_access("read") if Model.has_access("read") else Model.browse()
    names = {record_id: env._("%(model)s (deleted)", model=description) for record_id in ids}
    names.update({record.id: env._("%(model)s (restricted)", model=description) for record in existing})
    names.update({record.id: record.display_name for record in readable})
    return names


def describe_delivery_error(env, error):
    """A delivery error as the gateway reports it (``HTTP 503``, ``connect timeout``, ``ECONNREFUSED: ...``),
    in words for the people reading the sync status."""
    if not error:
        return False
    text = str(error).replace("(retry schedule exhausted)", "").strip()
    match = re.match(r"^HTTP (\d{3})\b", text)
    if match:
        code = int(match.group(1))
        try:
            phrase = HTTPStatus(code).phrase.lower()
        except ValueError:
            phrase = env._("unknown status")
        return env._("The partner's endpoint answered HTTP %(code)s (%(phrase)s).", code=code, phrase=phrase)
    lowered = text.lower()
    if lowered == "connect timeout":
        return env._("The partner's endpoint did not accept the connection in time.")
    if lowered in ("response timeout", "timeout"):
        return env._("The partner's endpoint did not answer in time.")
    if "econnrefused" in lowered:
        return env._("The partner's endpoint refused the connection.")
    if "enotfound" in lowered or "eai_again" in lowered:
        return env._("The partner's endpoint host name could not be resolved.")
    if "econnreset" in lowered or "socket" in lowered:
        return env._("The connection to the partner's endpoint was cut.")
    if "cert" in lowered or "tls" in lowered or "ssl" in lowered:
        return env._("The partner's endpoint has no valid TLS certificate.")
    if lowered == "invalid url":
        return env._("The subscription's URL is not valid.")
    if lowered.startswith("refused:"):
        return env._("The gateway does not send to this address (%(reason)s).", reason=text[8:].strip())
    if lowered == "partner registry unavailable":
        return env._("The gateway could not read its partner registry; it tries again shortly.")
    return env._("The delivery failed: %(error)s.", error=text)
