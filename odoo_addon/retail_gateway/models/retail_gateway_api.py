"""Intake API called by the gateway over RPC (``execute_kw('retail_gateway.api', method, [], kwargs)``).

Batch methods answer one result per item, in input order. Each item runs in its own savepoint:
a rejected or failing item is rolled back alone and never fails the others. What an item answers
when it fails:

* ``rejected``, with its reasons, for a business refusal only: the addon's own
  :class:`~..exceptions.IntakeRejected` (a stable code and a message meant for the partner) and
  Odoo's ``UserError``/``ValidationError``, whose messages are written for users;
* ``retry``, with no reasons, for anything that is not the partner's doing: a serialisation
  failure, a deadlock or a lock timeout (a concurrent submit of the same external id, which
  answers ``duplicate`` when retried), an ``AccessError`` or ``MissingError`` (a configuration or a
  concurrent deletion), and any unexpected exception (a bug). The detail goes to Odoo's log under
  the intake id, never to the partner; the gateway retries the item with backoff.
"""

import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.tools import float_round

from ..exceptions import IntakeRejected
from ..utils import check_caller, rfc3339, sku_of

_logger = logging.getLogger(__name__)

MAX_BATCH = 200


class RetailGatewayApi(models.AbstractModel):
    _name = "retail_gateway.api"
    _description = "Retail Gateway Intake API"

    # ------------------------------------------------------------------ batch runner

    @api.model
    def _rg_batch(self, partner_code, items, handler, argument, finish=None):
        """Runs the method named ``handler`` as ``handler(partner, intake_id, item)`` for each
        ``{intake_id, item}`` of ``items``, as superuser in the partner's company.

        With ``finish`` (the name of a method taking a list of what ``handler`` answers when the
        context has ``rg_deferred``), a batch of several items is first run *batched*: each item is
        checked and prepared in its own savepoint as usual, then the prepared items are completed
        together (one ``create``, one ``action_confirm`` on the recordset). If that common step
        fails, everything the batched run did is rolled back and each item is run alone, exactly
        as without ``finish``: the batched run is an optimisation that never changes an answer.
        That includes a concurrency failure (serialization, deadlock, lock): run alone, the items
        that do not touch the rows another transaction changed are still created."""
        check_caller(self.env)
        partner = self.env["retail_gateway.partner"]._rg_get(partner_code)
        if not isinstance(items, list) or not items or len(items) > MAX_BATCH:
            raise ValidationError(self.env._("%(arg)s must be a list of 1 to %(max)s items.", arg=argument, max=MAX_BATCH))
        api_env = self.sudo().with_company(partner.company_id).with_context(mail_create_nosubscribe=True)
        partner = partner.with_env(api_env.env)
        if finish and len(items) > 1 and partner.mode != "shadow":
            try:
                with self.env.cr.savepoint():
                    return {"results": self._rg_batched(api_env, partner, items, handler, finish)}
            except Exception:  # noqa: BLE001 - any failure of the common step: run each item alone
                _logger.info(
                    "Batch of %s items of partner %s failed as a whole; running each item alone",
                    len(items), partner.code, exc_info=True,
                )
        return {"results": [self._rg_item(api_env, partner, handler, index, entry) for index, entry in enumerate(items)]}

    @api.model
    def _rg_batched(self, api_env, partner, items, handler, finish):
        """Prepares each item in its own savepoint (``rg_deferred``), then completes the prepared
        ones together with ``finish``; an exception from ``finish`` fails the whole batched run."""
        lookups = Lookups()
        deferred = api_env.with_context(rg_deferred=True, rg_lookups=lookups)
        prefetch = getattr(deferred, f"{handler}_prefetch", None)
        if prefetch:
            prefetch(partner, [entry.get("item") if isinstance(entry, dict) else None for entry in items], lookups)
        results = [self._rg_item(deferred, partner, handler, index, entry) for index, entry in enumerate(items)]
        waiting = [result for result in results if "deferred" in result]
        if waiting:
            done = getattr(api_env, finish)([result.pop("deferred") for result in waiting])
            for result, answer in zip(waiting, done, strict=True):
                result.update(answer, intake_id=result["intake_id"], external_id=result["external_id"])
        return results

    @api.model
    def _rg_item(self, api_env, partner, handler, index, entry):
        """One item of a batch, in its own savepoint; the result it answers (see the module doc)."""
        intake_id = entry.get("intake_id") if isinstance(entry, dict) else None
        item = entry.get("item") if isinstance(entry, dict) else None
        intake_id = str(intake_id) if intake_id else f"#{index}"
        external_id = item.get("external_id") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict):
                raise IntakeRejected.single("validation_error", "item must be an object", "item")
            if partner.mode == "shadow":
                raise IntakeRejected.single(
                    "not_allowed", "The partner is in shadow mode: nothing is written to Odoo."
                )
            with self.env.cr.savepoint():
                result = getattr(api_env, handler)(partner, intake_id, item)
                if not isinstance(result, dict):
                    # Prepared, to be completed with the rest of the batch (``rg_deferred``).
                    result = {"deferred": result}
        except IntakeRejected as rejection:
            result = self._rg_result("rejected", reasons=rejection.reasons)
        except (AccessError, MissingError):
            # UserError subclasses, but not the partner's doing: configuration or a concurrent deletion.
            _logger.exception("Intake item %s of partner %s rolled back, to be retried", intake_id, partner.code)
            result = self._rg_result("retry")
        except (UserError, ValidationError) as error:
            result = self._rg_result("rejected", reasons=[_reason("validation_error", _message(error))])
        except Exception:  # noqa: BLE001 - one item must never fail its batch
            # Serialisation failures, deadlocks, lock timeouts and bugs: the savepoint is rolled
            # back, the detail stays in the log and the gateway retries the item.
            _logger.exception("Intake item %s of partner %s rolled back, to be retried", intake_id, partner.code)
            result = self._rg_result("retry")
        if result.get("status") == "rejected":  # a prepared item (``deferred``) has no status yet
            # Outside the item's savepoint: the refusal stays visible in Odoo (Intake › Refused).
            self.env["retail_gateway.intake.rejection"].sudo()._rg_record(
                partner, handler, external_id, intake_id, result["reasons"]
            )
        result.update(intake_id=intake_id, external_id=str(external_id or "-"))
        return result

    @api.model
    def _rg_result(self, status, record=None, related=None, reasons=None):
        result = {
            "intake_id": "",
            "external_id": "",
            "status": status,
            "record": _ref(record),
            "reasons": list(reasons or []),
        }
        if related:
            result["related"] = {key: _ref(value) for key, value in related.items()}
        return result

    # ------------------------------------------------------------------ lookups shared by the handlers

    @api.model
    def _rg_product(self, partner, sku, field, reasons, for_sale=True):
        """The variant whose SKU is ``sku`` by the addon's one rule (its internal reference, see
        ``product.product._rg_resolve_skus``); appends ``unknown_sku`` when no variant has it (a
        barcode or anything else never matches) and ``inactive_product`` when it is not sold.
        In a batched run the batch's SKUs were resolved together beforehand (``rg_lookups``)."""
        if not isinstance(sku, str) or not sku.strip():
            reasons.append(_reason("unknown_sku", "A SKU is required.", field))
            return None
        lookups = self.env.context.get("rg_lookups")
        if lookups is not None and (partner.company_id.id, sku) in lookups.skus:
            product = lookups.skus[partner.company_id.id, sku]
        else:
            product = self.env["product.product"]._rg_resolve_skus([sku], partner.company_id).get(sku)
        if not product:
            reasons.append(_reason("unknown_sku", f"Unknown SKU {sku}.", field))
            return None
        if not product.active or not product.product_tmpl_id.active or (for_sale and not product.sale_ok):
            reasons.append(_reason("inactive_product", f"The product {sku} is not sold any more.", field))
            return None
        return product

    @api.model
    def _rg_warehouse(self, partner, code, field, reasons):
        """The partner's warehouse with ``code``; its first allowed warehouse when no code is given."""
        return _lookup(self.env, ("warehouse", partner.id, code, field), reasons, self._rg_find_warehouse, partner, code, field)

    @api.model
    def _rg_find_warehouse(self, partner, code, field, reasons):
        allowed = partner._rg_warehouses()
        if not code:
            if not allowed:
                reasons.append(_reason("unknown_warehouse", "The partner has no warehouse.", field))
            return allowed[:1]
        warehouse = allowed.filtered(lambda w: w.code == code)[:1]
        if not warehouse:
            exists = self.env["stock.warehouse"].sudo().search_count([("code", "=", code)])
            code_name = "not_allowed" if exists else "unknown_warehouse"
            reasons.append(_reason(code_name, f"Warehouse {code} is not available to this partner.", field))
        return warehouse

    @api.model
    def _rg_order(self, partner, external_id, field="external_id"):
        """The sale order the partner submitted as ``external_id``; rejects when unknown."""
        intake = self.env["retail_gateway.intake"].sudo()._rg_find(partner, "order", external_id)
        order = intake.sale_order_id
        if not order:
            raise IntakeRejected.single("order_not_found", f"No order {external_id} from this partner.", field)
        return order

    # ------------------------------------------------------------------ availability

    @api.model
    def availability(self, skus=None, warehouses=None, offset=0, limit=1000):
        """Availability by the contract's definition (contracts/src/availability.ts), per SKU and
        warehouse, ordered by SKU then warehouse code; variants without a SKU are not offered."""
        check_caller(self.env)
        Outbox = self.env["retail_gateway.outbox.event"]
        offset = Outbox._rg_int_arg("offset", offset, 0, None)
        limit = Outbox._rg_int_arg("limit", limit, 1, 5000)
        Warehouse = self.env["stock.warehouse"].sudo()
        if warehouses:
            warehouse_records = Warehouse.search([("code", "in", list(warehouses))], order="code, id")
        else:
            warehouse_records = Warehouse.search([], order="code, id")
        Product = self.env["product.product"].sudo()
        domain = [("is_storable", "=", True)] + Product._rg_sku_domain()
        if skus is not None:
            if not isinstance(skus, list) or len(skus) > 1000:
                raise ValidationError(self.env._("skus must be a list of at most 1000 SKUs."))
            domain.append(("default_code", "in", skus))
        # Only variants with a SKU (their internal reference) are offered.
        products = Product.search(domain).filtered(sku_of).sorted(lambda p: (sku_of(p), p.id))
        combos = [(product, warehouse) for product in products for warehouse in warehouse_records]
        page = combos[offset : offset + limit]
        figures = Product.browse({p.id for p, _w in page})._rg_stock_figures(
            Warehouse.browse({w.id for _p, w in page})
        )
        as_of = rfc3339(fields.Datetime.now())
        items = [
            product._rg_availability_item(warehouse, figures.get((product.id, warehouse.id), (0.0, 0.0)), as_of)
            for product, warehouse in page
        ]
        return {"items": items, "has_more": len(combos) > offset + limit}


class Lookups:
    """What a batched run looks up once for all its items (context key ``rg_lookups``): the
    batch's SKUs resolved together, and the answers of lookups of configuration that no item of the
    batch changes (currencies and pricelists, warehouses, carriers, countries and states), with
    the refusal reasons they gave. Records that items create or change (customers, addresses) are
    never kept here: only what existed before the batch started, found again the same way."""

    __slots__ = ("skus", "answers", "customers_by_link", "customers_by_email", "links_by_customer")

    def __init__(self):
        self.skus = {}  # (company id, sku) -> variant or None, for every SKU of the batch
        self.answers = {}  # lookup key -> (answer, reasons it appended)
        self.customers_by_link = {}  # customer external id -> customer, links found before the batch
        self.customers_by_email = {}  # e-mail (lower case) -> customer found before the batch
        self.links_by_customer = {}  # customer id -> its link with the partner, found before the batch


def _lookup(env, key, reasons, compute, *args):
    """``compute(*args, reasons)`` once per batched run for ``key`` (every time outside one); the
    reasons it appended are appended again each time the answer is reused."""
    lookups = env.context.get("rg_lookups")
    try:
        hash(key)
    except TypeError:  # a malformed item (a list where a code belongs): looked up as usual
        lookups = None
    if lookups is None:
        return compute(*args, reasons)
    if key not in lookups.answers:
        found = []
        lookups.answers[key] = (compute(*args, found), found)
    answer, found = lookups.answers[key]
    reasons.extend(dict(reason) for reason in found)
    return answer


def _reason(code, message, field=None):
    reason = {"code": code, "message": message}
    if field:
        reason["field"] = field
    return reason


def _message(error):
    return str(error.args[0]) if getattr(error, "args", None) else str(error)


def _ref(record):
    if record is None or not record:
        return None
    record = record[:1]
    return {"id": record.id, "name": record.display_name or str(record.id)}


def round_quantity(product, quantity):
    return float_round(quantity, precision_rounding=product.uom_id.rounding or 0.01)
