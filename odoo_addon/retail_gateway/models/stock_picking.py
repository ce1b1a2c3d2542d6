from collections import defaultdict

from odoo import fields, models

from ..utils import USER_GROUP, rfc3339, sku_of
from .sale_order import order_ref


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "retail_gateway.sync.mixin"]

    rg_partner_id = fields.Many2one(
        "retail_gateway.partner", string="Gateway Partner", readonly=True, copy=False, groups=USER_GROUP
    )
    rg_external_id = fields.Char(
        "Partner Reference", readonly=True, copy=False, help="The shipment or return id in the partner's system."
    )
    rg_carrier_name = fields.Char("Carrier (as reported)", readonly=True, copy=False)
    rg_shipped_at = fields.Datetime("Shipped At (as reported)", readonly=True, copy=False)

    def _action_done(self):
        result = super()._action_done()
        Outbox = self.env["retail_gateway.outbox.event"]
        done = self.filtered(lambda picking: picking.state == "done")
        Outbox._rg_register("shipment.shipped", done.filtered(lambda p: p.picking_type_code == "outgoing"))
        Outbox._rg_register(
            "return.received",
            done.filtered(
                lambda p: p.picking_type_code == "incoming" and p.return_id.picking_type_code == "outgoing"
            ),
        )
        return result

    def message_post_with_source(self, source_ref, render_values=None, message_type="notification", subtype_xmlid=False, subtype_id=False, **kwargs):
        """While the gateway confirms a batch of orders (``rg_origin_notes`` in the context), the
        note "This transfer has been created from: <order>" that sale_stock posts on each new
        delivery is collected and logged for the whole batch at once by ``_rg_log_origin_notes``:
        the same text, author and subtype (an internal note) in the picking's chatter. A new
        picking has no follower who receives internal notes, so posting it one picking at a time
        notified no one; it cost a post (reply-to, recipients, notification) per order."""
        notes = self.env.context.get("rg_origin_notes")
        if (
            notes is not None
            and source_ref == "mail.message_origin_link"
            and message_type == "notification"
            and subtype_xmlid == "mail.mt_note"
            and not subtype_id
            and not kwargs
        ):
            notes.append((self, dict(render_values or {})))
            return self.env["mail.message"]
        return super().message_post_with_source(
            source_ref, render_values=render_values, message_type=message_type, subtype_xmlid=subtype_xmlid,
            subtype_id=subtype_id, **kwargs,
        )

    def _rg_log_origin_notes(self, notes):
        """Logs the origin notes collected by ``message_post_with_source``, rendered as sale_stock
        renders them, in one batch."""
        if not notes:
            return
        # As the procurement that created the pickings (its user is the notes' author).
        pickings = notes[0][0]
        bodies = {}
        Render = pickings.env["mail.render.mixin"]
        for records, values in notes:
            bodies.update(Render._render_template_qweb_view("mail.message_origin_link", self._name, records.ids, add_context=values))
        pickings.browse(list(bodies))._message_log_batch(bodies)

    def _rg_event_values(self, event_type, intent):
        self.ensure_one()
        if event_type not in ("shipment.shipped", "return.received"):
            return None
        order = self.sale_id
        gateway_partner = self.sudo().rg_partner_id or order.sudo().rg_partner_id
        quantities = defaultdict(float)
        # Lines by SKU (the internal reference); a variant without one is not offered to partners.
        for move in self.move_ids.filtered(lambda m: m.state == "done" and m.quantity > 0 and sku_of(m.product_id)):
            quantities[sku_of(move.product_id)] += move.product_uom._compute_quantity(move.quantity, move.product_id.uom_id)
        lines = [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items() if quantity > 0]
        warehouse = self.picking_type_id.warehouse_id or self.location_id.warehouse_id or self.location_dest_id.warehouse_id
        data = {
            "picking": {"id": self.id, "name": self.name},
            "order": order_ref(order),
            "partner": gateway_partner.code or None,
            "order_external_id": order.rg_external_id or None,
            "warehouse": warehouse.code or "",
            "lines": lines,
        }
        if event_type == "shipment.shipped":
            backorder = self.backorder_ids[:1]
            data.update(
                carrier=self.carrier_id.name or self.rg_carrier_name or None,
                tracking_number=self.carrier_tracking_ref or None,
                backorder={"id": backorder.id, "name": backorder.name} if backorder else None,
                shipped_at=rfc3339(self.rg_shipped_at or self.date_done or fields.Datetime.now()),
            )
            data = {key: data[key] for key in (
                "picking", "order", "partner", "order_external_id", "warehouse", "carrier",
                "tracking_number", "lines", "backorder", "shipped_at",
            )}
        else:
            data.update(
                return_external_id=self.rg_external_id or None,
                received_at=rfc3339(self.date_done or fields.Datetime.now()),
            )
        aggregate = ("sale.order", order.id) if order else ("stock.picking", self.id)
        return {
            "data": data,
            "aggregate": aggregate,
            "external_id": order.rg_external_id or self.rg_external_id or None,
            "company_id": self.company_id.id,
        }
