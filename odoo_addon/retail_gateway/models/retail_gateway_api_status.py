from collections import defaultdict

from odoo import api, models
from odoo.exceptions import AccessError, ValidationError

from ..utils import MANAGER_GROUP, amount_string, check_caller, rfc3339, sku_of

ORDER_STATES = {"draft": "draft", "sent": "draft", "sale": "confirmed", "done": "done", "cancel": "cancelled"}
INVOICING_STATES = {"no": "not_invoiced", "to invoice": "to_invoice", "invoiced": "invoiced", "upselling": "invoiced"}
MAX_EXTERNAL_IDS = 200


class RetailGatewayApi(models.AbstractModel):
    _inherit = "retail_gateway.api"

    # ------------------------------------------------------------------ tenant-scoped lookups

    @api.model
    def _rg_partner_orders(self, partner, external_ids):
        """``{external id: sale order}`` of the orders ``partner`` submitted under those ids. Only
        the partner's own intake finds an order: another partner's order is never found."""
        intakes = (
            self.env["retail_gateway.intake"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("kind", "=", "order"),
                    ("external_id", "in", list(external_ids)),
                    ("sale_order_id", "!=", False),
                ]
            )
        )
        return {
            intake.external_id: intake.sale_order_id
            for intake in intakes
            if intake.sale_order_id.rg_partner_id == partner
        }

    @api.model
    def _rg_external_ids_arg(self, external_ids):
        if (
            not isinstance(external_ids, list)
            or not external_ids
            or len(external_ids) > MAX_EXTERNAL_IDS
            or not all(isinstance(value, str) and value.strip() for value in external_ids)
        ):
            raise ValidationError(
                self.env._("external_ids must be a list of 1 to %s external ids.", MAX_EXTERNAL_IDS)
            )
        return list(dict.fromkeys(external_ids))

    # ------------------------------------------------------------------ RPC

    @api.model
    def order_status(self, partner, external_ids):
        """The partner's orders by external id, in the order asked: state, total, fulfilment,
        invoicing and payment status. An order that is not the partner's (or does not exist) is absent."""
        check_caller(self.env)
        gateway_partner = self.env["retail_gateway.partner"]._rg_get(partner)
        external_ids = self._rg_external_ids_arg(external_ids)
        orders = self._rg_partner_orders(gateway_partner, external_ids)
        answer = []
        for external_id in external_ids:
            order = orders.get(external_id)
            if not order:
                continue
            state = ORDER_STATES.get(order.state, "draft")
            if state == "confirmed" and order.locked:
                state = "done"
            answer.append(
                {
                    "external_id": external_id,
                    "order": {"id": order.id, "name": order.name},
                    "state": state,
                    "amount_total": amount_string(order.amount_total, order.currency_id),
                    "currency": order.currency_id.name,
                    "fulfilment": _fulfilment(order),
                    "invoicing": INVOICING_STATES.get(order.invoice_status, "not_invoiced"),
                    "payment": order.rg_payment_status or None,
                }
            )
        return {"orders": answer}

    @api.model
    def order_shipments(self, partner, external_id):
        """The outgoing shipments of one of the partner's orders (``Shipment`` of
        contracts/src/fulfilment.ts); lines by SKU, the variant's internal reference (a variant
        without one is not offered, so neither is its line). ``found`` is false when the order is
        not the partner's."""
        check_caller(self.env)
        gateway_partner = self.env["retail_gateway.partner"]._rg_get(partner)
        if not isinstance(external_id, str) or not external_id.strip() or len(external_id) > 128:
            raise ValidationError(self.env._("external_id must be a non-empty string."))
        order = self._rg_partner_orders(gateway_partner, [external_id]).get(external_id)
        if not order:
            return {"found": False, "shipments": []}
        return {
            "found": True,
            "shipments": [_shipment(picking, external_id) for picking in _outgoing_pickings(order)],
        }

    @api.model
    def customer_records(self, identifier):
        """The records holding a customer's personal data, for an erasure request's report: the
        contacts (archived included) whose e-mail address matches ``identifier`` (case
        insensitive, exactly: ``%`` and ``_`` are not wildcards) or whose reference is
        ``identifier``, their delivery and invoice addresses, and the sale orders of any of them."""
        check_caller(self.env)
        if not isinstance(identifier, str) or not identifier.strip() or len(identifier) > 254:
            raise ValidationError(self.env._("identifier must be an e-mail address or a customer reference."))
        identifier = identifier.strip()
        Contact = self.env["res.partner"].sudo().with_context(active_test=False)
        customers = Contact.search(["|", ("email", "=ilike", _escape_like(identifier)), ("ref", "=", identifier)], order="id")
        if customers:
            customers |= Contact.search(
                [("parent_id", "in", customers.ids), ("type", "in", ("delivery", "invoice", "other"))], order="id"
            )
        orders = self.env["sale.order"].sudo().browse()
        if customers:
            orders = orders.search(
                [
                    "|",
                    "|",
                    ("partner_id", "in", customers.ids),
                    ("partner_invoice_id", "in", customers.ids),
                    ("partner_shipping_id", "in", customers.ids),
                ],
                order="id",
            )
        records = [{"kind": "customer", "id": c.id, "name": c.display_name or str(c.id)} for c in customers.sorted("id")]
        records += [{"kind": "order", "id": o.id, "name": o.name} for o in orders]
        return {"records": records}

    @api.model
    def whoami(self):
        """The calling user's name and whether it is an Integration Manager. Any internal user may
        ask (the dashboard signs people in with their own Odoo credentials); portal and public
        users may not."""
        user = self.env.user
        if not self.env.su and not user._is_internal():
            raise AccessError(self.env._("Only internal users can use the retail gateway's dashboard."))
        return {"name": user.name, "integration_manager": bool(user.has_group(MANAGER_GROUP))}


def _outgoing_pickings(order):
    """The order's outgoing transfers (its deliveries), oldest first."""
    return order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing").sorted("id")


def _fulfilment(order):
    deliveries = _outgoing_pickings(order).filtered(lambda p: p.state != "cancel")
    done = deliveries.filtered(lambda p: p.state == "done")
    if not done:
        return "unfulfilled"
    return "shipped" if done == deliveries else "partially_shipped"


def _shipment_state(picking):
    if picking.state == "done":
        return "shipped"
    if picking.state == "cancel":
        return "cancelled"
    if picking.state == "assigned":
        return "ready"
    return "waiting"


def _shipment(picking, order_external_id):
    ordered = defaultdict(float)
    shipped = defaultdict(float)
    moves = picking.move_ids
    if picking.state != "cancel":
        moves = moves.filtered(lambda m: m.state != "cancel")
    for move in moves:
        sku = sku_of(move.product_id)
        if not sku:
            continue
        to_product_uom = move.product_uom._compute_quantity
        ordered[sku] += to_product_uom(move.product_uom_qty, move.product_id.uom_id)
        if move.state == "done":
            shipped[sku] += to_product_uom(move.quantity, move.product_id.uom_id)
    done = picking.state == "done"
    return {
        "id": picking.id,
        "name": picking.name,
        "order_external_id": order_external_id,
        "state": _shipment_state(picking),
        "carrier": picking.carrier_id.name or picking.rg_carrier_name or None,
        "tracking_number": picking.carrier_tracking_ref or None,
        "lines": [{"sku": sku, "ordered": ordered[sku], "shipped": shipped[sku]} for sku in ordered],
        "shipped_at": rfc3339(picking.rg_shipped_at or picking.date_done) if done else None,
    }


def _escape_like(value):
    """``value`` as a literal ``=ilike`` pattern: backslash, ``%`` and ``_`` escaped."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
