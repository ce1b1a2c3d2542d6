from collections import defaultdict

from odoo import api, models
from odoo.tools import float_compare, float_is_zero

from ..exceptions import IntakeRejected
from ..utils import parse_rfc3339
from .retail_gateway_api import _reason
from .retail_gateway_api_orders import _list, _required_str


class RetailGatewayApi(models.AbstractModel):
    _inherit = "retail_gateway.api"

    # ------------------------------------------------------------------ RPC

    @api.model
    def submit_returns(self, partner, returns):
        """Creates return pickings for delivered orders; ``duplicate`` on the same return id."""
        return self._rg_batch(partner, returns, "_rg_submit_return", "returns")

    @api.model
    def confirm_shipments(self, partner, items):
        """Validates outgoing pickings with carrier, tracking and shipped quantities; a partial
        quantity leaves a backorder."""
        return self._rg_batch(partner, items, "_rg_confirm_shipment", "items")

    @api.model
    def apply_stock_counts(self, partner, items):
        """Turns counted quantities into an applied inventory adjustment."""
        return self._rg_batch(partner, items, "_rg_apply_stock_count", "items")

    # ------------------------------------------------------------------ returns

    def _rg_submit_return(self, partner, intake_id, item):
        external_id = _required_str(item, "external_id")
        intake, created = self.env["retail_gateway.intake"]._rg_reserve(partner, "return", external_id, intake_id)
        if not created:
            return self._rg_result("duplicate", record=intake._rg_record())
        order = self._rg_order(partner, _required_str(item, "order_external_id"), "order_external_id")
        delivered_moves = order.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        ).move_ids.filtered(lambda m: m.state == "done")
        reasons = []
        allocation = defaultdict(dict)  # picking -> {move: quantity}
        for index, line in enumerate(_list(item, "lines")):
            field = f"lines/{index}"
            product = self._rg_product(partner, line.get("sku"), f"{field}/sku", reasons, for_sale=False)
            quantity = _positive(line.get("quantity"), f"{field}/quantity", reasons)
            if not product or quantity is None:
                continue
            moves = delivered_moves.filtered(lambda m, p=product: m.product_id == p).sorted("id")
            if not moves:
                reasons.append(_reason("unknown_sku", f"{line.get('sku')} was not delivered in this order.", f"{field}/sku"))
                continue
            for move in moves:
                returnable = move.quantity - sum(
                    move.returned_move_ids.filtered(lambda r: r.state != "cancel").mapped("product_uom_qty")
                ) - allocation[move.picking_id].get(move, 0)
                take = min(returnable, quantity)
                if take > 0:
                    allocation[move.picking_id][move] = allocation[move.picking_id].get(move, 0) + take
                    quantity -= take
                if float_is_zero(quantity, precision_rounding=product.uom_id.rounding):
                    break
            if not float_is_zero(quantity, precision_rounding=product.uom_id.rounding):
                reasons.append(
                    _reason("invalid_quantity", "More than was delivered and not yet returned.", f"{field}/quantity")
                )
        if reasons:
            raise IntakeRejected(reasons)
        returns = self.env["stock.picking"]
        for picking, quantities in allocation.items():
            wizard = self.env["stock.return.picking"].with_context(active_id=picking.id, active_model="stock.picking").create(
                {"picking_id": picking.id}
            )
            for wizard_line in wizard.product_return_moves:
                wizard_line.quantity = quantities.get(wizard_line.move_id, 0)
            new_picking = wizard._create_return()
            new_picking.write(
                {
                    "rg_partner_id": partner.id,
                    "rg_external_id": external_id,
                    "note": item.get("note") or new_picking.note,
                }
            )
            returns |= new_picking
        intake._rg_set_record(returns[:1], sale_order_id=order.id)
        related = {"order": order}
        for index, extra in enumerate(returns[1:], start=2):
            related[f"picking_{index}"] = extra
        return self._rg_result("created", record=returns[:1], related=related)

    # ------------------------------------------------------------------ shipments

    def _rg_confirm_shipment(self, partner, intake_id, item):
        external_id = _required_str(item, "external_id")
        intake, created = self.env["retail_gateway.intake"]._rg_reserve(partner, "shipment", external_id, intake_id)
        if not created:
            picking = intake._rg_record()
            return self._rg_result("duplicate", record=picking, related={"backorder": picking.backorder_ids[:1] or None})
        order = self._rg_order(partner, _required_str(item, "order_external_id"), "order_external_id")
        open_pickings = order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel", "draft")
        ).sorted("id")
        if not open_pickings:
            raise IntakeRejected.single("not_allowed", f"Order {order.name} has nothing left to ship.", "order_external_id")
        reasons = []
        shipped = defaultdict(float)  # product -> quantity
        for index, line in enumerate(_list(item, "lines")):
            field = f"lines/{index}"
            product = self._rg_product(partner, line.get("sku"), f"{field}/sku", reasons, for_sale=False)
            quantity = _positive(line.get("quantity"), f"{field}/quantity", reasons)
            if product and quantity is not None:
                moves = open_pickings.move_ids.filtered(lambda m, p=product: m.product_id == p and m.state != "cancel")
                remaining = sum(moves.mapped("product_uom_qty")) - shipped[product]
                if not moves:
                    reasons.append(_reason("unknown_sku", f"{line.get('sku')} is not to be shipped in this order.", f"{field}/sku"))
                elif float_compare(quantity, remaining, precision_rounding=product.uom_id.rounding) > 0:
                    reasons.append(_reason("invalid_quantity", "More than is left to ship.", f"{field}/quantity"))
                else:
                    shipped[product] += quantity
        carrier = self.env["retail_gateway.carrier.map"]._rg_carrier(partner, item.get("carrier"))
        if reasons:
            raise IntakeRejected(reasons)
        shipped_at = parse_rfc3339(item.get("shipped_at"))
        validated = self.env["stock.picking"]
        planned = {}  # picking -> the carrier planned on it, for what is left to ship
        for picking in open_pickings:
            touched = False
            for move in picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel")).sorted("id"):
                take = min(move.product_uom_qty, shipped.get(move.product_id, 0.0))
                move.quantity = take
                move.picked = take > 0
                if take > 0:
                    shipped[move.product_id] -= take
                    touched = True
            if not touched:
                continue
            # The 3PL's carrier is a fact: it replaces the carrier planned on the order. Mapped, it is
            # the Odoo carrier; unmapped, the transfer keeps no Odoo carrier and the name as reported.
            values = {
                "carrier_id": carrier.id,
                "carrier_tracking_ref": item.get("tracking_number") or False,
                "rg_carrier_name": item.get("carrier") or False,
                "rg_partner_id": partner.id,
                "rg_external_id": external_id,
                "rg_shipped_at": shipped_at,
            }
            planned[picking] = picking.carrier_id
            picking.write(values)
            picking.with_context(skip_backorder=True, picking_ids_not_to_backorder=[], skip_sms=True).button_validate()
            validated |= picking
        if not validated:
            raise IntakeRejected.single("invalid_quantity", "Nothing to ship.", "lines")
        if shipped_at:
            # Validating stamps the transfer with the time of processing; it left when the 3PL says.
            validated.write({"date_done": shipped_at})
        for picking in validated:
            # A backorder is what is still to ship: it keeps the carrier planned, not the one reported.
            if picking.backorder_ids:
                picking.backorder_ids.write({"carrier_id": planned[picking].id})
        intake._rg_set_record(validated[:1], sale_order_id=order.id)
        return self._rg_result(
            "confirmed", record=validated[:1], related={"backorder": validated.backorder_ids[:1] or None}
        )

    # ------------------------------------------------------------------ stock counts

    def _rg_apply_stock_count(self, partner, intake_id, item):
        external_id = _required_str(item, "external_id")
        intake, created = self.env["retail_gateway.intake"]._rg_reserve(partner, "stock_count", external_id, intake_id)
        if not created:
            return self._rg_result("duplicate", record=intake)
        reasons = []
        warehouse = self._rg_warehouse(partner, _required_str(item, "warehouse"), "warehouse", reasons)
        counted = {}
        for index, line in enumerate(_list(item, "lines")):
            field = f"lines/{index}"
            product = self._rg_product(partner, line.get("sku"), f"{field}/sku", reasons, for_sale=False)
            quantity = line.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or quantity < 0:
                reasons.append(_reason("invalid_quantity", "A counted quantity cannot be negative.", f"{field}/quantity"))
                continue
            if product and not product.is_storable:
                reasons.append(_reason("validation_error", f"{line.get('sku')} is not tracked in stock.", f"{field}/sku"))
            elif product:
                counted[product] = float(quantity)
        if reasons:
            raise IntakeRejected(reasons)
        on_hand = self.env["product.product"].browse([p.id for p in counted])._rg_stock_figures(warehouse)
        Quant = self.env["stock.quant"].with_context(inventory_mode=True, inventory_name=f"{partner.name} count {external_id}")
        location = warehouse.lot_stock_id
        quants = Quant.browse()
        for product, quantity in counted.items():
            difference = quantity - on_hand.get((product.id, warehouse.id), (0.0, 0.0))[0]
            if float_is_zero(difference, precision_rounding=product.uom_id.rounding):
                continue
            quant = Quant.search(
                [
                    ("product_id", "=", product.id),
                    ("location_id", "=", location.id),
                    ("lot_id", "=", False),
                    ("package_id", "=", False),
                    ("owner_id", "=", False),
                ],
                limit=1,
            )
            if not quant:
                quant = Quant.create({"product_id": product.id, "location_id": location.id, "inventory_quantity": 0})
            quant.inventory_quantity = quant.quantity + difference
            quants |= quant
        if quants:
            quants._apply_inventory()
        intake.write({"res_model": intake._name, "res_id": intake.id, "res_name": f"{warehouse.code} count {external_id}"})
        return self._rg_result("applied", record=intake)


def _positive(value, field, reasons):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        reasons.append(_reason("invalid_quantity", "The quantity must be positive.", field))
        return None
    return float(value)
