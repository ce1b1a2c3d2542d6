from odoo import api, models


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _update_available_quantity(self, product_id, location_id, *args, **kwargs):
        """Every change of on-hand or reserved quantity goes through here (done moves, inventory
        adjustments, reservations and their release): one ``inventory.changed`` per product and
        warehouse and transaction."""
        result = super()._update_available_quantity(product_id, location_id, *args, **kwargs)
        warehouse = location_id.warehouse_id
        if warehouse and location_id.usage == "internal" and product_id.is_storable:
            product_id._rg_register_inventory_changed(warehouse)
        return result
