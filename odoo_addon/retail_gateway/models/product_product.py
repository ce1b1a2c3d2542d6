from odoo import api, fields, models

from ..utils import decimal_string, rfc3339, sku_of
from .retail_gateway_api import round_quantity

VARIANT_SYNCED_FIELDS = {"default_code", "barcode", "active", "product_template_attribute_value_ids", "lst_price"}


class ProductProduct(models.Model):
    _inherit = "product.product"

    rg_safety_stock = fields.Float(related="product_tmpl_id.rg_safety_stock", readonly=False)

    @api.model_create_multi
    def create(self, vals_list):
        products = super().create(vals_list)
        products._rg_register_product_updated(sorted(VARIANT_SYNCED_FIELDS - {"product_template_attribute_value_ids"}))
        return products

    def write(self, vals):
        result = super().write(vals)
        changed = sorted(VARIANT_SYNCED_FIELDS & set(vals))
        if changed:
            self._rg_register_product_updated(changed)
        return result

    # ------------------------------------------------------------------ events

    def _rg_register_product_updated(self, changed_fields):
        self.env["retail_gateway.outbox.event"]._rg_register("product.updated", self, changed_fields)

    def _rg_register_inventory_changed(self, warehouses=None):
        warehouses = warehouses or self.env["stock.warehouse"].sudo().search([])
        Outbox = self.env["retail_gateway.outbox.event"]
        for product in self.filtered("is_storable"):
            for warehouse in warehouses:
                Outbox._rg_register(
                    "inventory.changed", product, extra_key=warehouse.id, extra={"warehouse_id": warehouse.id}
                )

    def _rg_event_values(self, event_type, intent):
        self.ensure_one()
        if event_type == "product.updated":
            return self._rg_product_updated_values(intent)
        if event_type == "inventory.changed":
            warehouse = self.env["stock.warehouse"].browse(intent["extra"].get("warehouse_id")).exists()
            if not warehouse or not self.is_storable:
                return None
            figures = self._rg_stock_figures(warehouse).get((self.id, warehouse.id), (0.0, 0.0))
            data = self._rg_availability_item(warehouse, figures, rfc3339(fields.Datetime.now()))
            data["product_id"] = self.id
            return {
                "data": data,
                "aggregate": ("product.product", self.id),
                "external_id": self.default_code or None,
                "company_id": warehouse.company_id.id,
            }
        return None

    def _rg_product_updated_values(self, intent):
        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        currency = self.currency_id or self.env.company.currency_id
        data = {
            "product_id": self.id,
            "template_id": self.product_tmpl_id.id,
            "sku": self.default_code or None,
            "barcode": self.barcode or None,
            "name": self.with_context(display_default_code=False).display_name or self.name,
            "list_price": decimal_string(self.lst_price, price_digits),
            "currency": currency.name,
            "active": bool(self.active and self.product_tmpl_id.active),
            "safety_stock": max(self.rg_safety_stock, 0.0),
            "changed_fields": list(intent["changed"]),
        }
        return {
            "data": data,
            "aggregate": ("product.product", self.id),
            "external_id": self.default_code or None,
            "company_id": self.company_id.id,
        }

    # ------------------------------------------------------------------ availability

    def _rg_stock_figures(self, warehouses):
        """``{(product id, warehouse id): (on hand, reserved)}`` over the warehouses' internal
        locations (contracts/src/availability.ts)."""
        if not self or not warehouses:
            return {}
        groups = (
            self.env["stock.quant"]
            .sudo()
            ._read_group(
                [
                    ("product_id", "in", self.ids),
                    ("location_id.usage", "=", "internal"),
                    ("location_id.warehouse_id", "in", warehouses.ids),
                ],
                ["product_id", "location_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
        )
        figures = {}
        for product, location, quantity, reserved in groups:
            key = (product.id, location.warehouse_id.id)
            on_hand, held = figures.get(key, (0.0, 0.0))
            figures[key] = (on_hand + quantity, held + reserved)
        return figures

    def _rg_availability_item(self, warehouse, figures, as_of):
        """The ``Availability`` shape (without ``stale``): available = max(0, on hand - reserved -
        safety stock)."""
        self.ensure_one()
        on_hand = round_quantity(self, figures[0])
        reserved = max(round_quantity(self, figures[1]), 0.0)
        safety = max(self.rg_safety_stock, 0.0)
        return {
            "sku": sku_of(self),
            "warehouse": warehouse.code,
            "on_hand": on_hand,
            "reserved": reserved,
            "safety_stock": safety,
            "available": max(0.0, round_quantity(self, on_hand - reserved - safety)),
            "as_of": as_of,
        }
