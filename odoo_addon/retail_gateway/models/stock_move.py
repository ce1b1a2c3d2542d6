from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _trigger_scheduler(self):
        """While the gateway confirms a batch of orders (``rg_scheduler_moves`` in the context),
        the moves whose auto-triggered reordering rules sale_stock checks once per order (when it
        confirms each order's pickings) are collected and checked once for the whole batch by
        ``_rg_trigger_scheduler``, with every order's origin: each check runs the rules in a
        savepoint that flushes the batch's pending work, a cost per order. The rules then see the
        forecast after the whole batch (as the scheduler would), not after each of its orders."""
        moves = self.env.context.get("rg_scheduler_moves")
        if moves is not None:
            moves.append(self)
            return None
        return super()._trigger_scheduler()

    def _rg_trigger_scheduler(self, collected):
        """Checks the reordering rules of the moves ``_trigger_scheduler`` collected, once."""
        if not collected:
            return
        # sale_stock confirms an order's pickings each time it launches its lines' rules (twice
        # with stock_delivery's delivery line): each move is checked once here.
        moves = collected[0].browse(list(dict.fromkeys(move_id for moves in collected for move_id in moves.ids)))
        moves = moves.with_context(rg_scheduler_moves=None).filtered(
            lambda move: move.state not in ("draft", "cancel", "done")
        )
        moves._trigger_scheduler()
