from odoo import api, fields, models

from ..utils import amount_string, rfc3339, sku_of, valid_sku
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

    # ------------------------------------------------------------------ SKU identity

    @api.model
    def _rg_sku_domain(self):
        """The variants that have a SKU (see :func:`..utils.sku_of`: a variant's SKU is its internal
        reference). Callers still filter with ``sku_of``, which also refuses internal references
        that are not valid SKUs (surrounding white space, longer than 64 characters)."""
        return [("default_code", "!=", False), ("default_code", "!=", "")]

    @api.model
    def _rg_resolve_skus(self, skus, company):
        """``{sku: variant}`` for the ``skus`` that name a variant of ``company`` (or shared), by the
        addon's one rule: the variant whose internal reference (``default_code``) is the SKU, an
        active one first, then the oldest. Barcodes, names and ids never resolve. Archived
        variants are returned too, so callers can tell an unknown SKU from one not sold any more.
        Every intake line (orders, returns, shipments, stock counts) resolves through here."""
        wanted = sorted({sku for sku in skus if valid_sku(sku)})
        if not wanted:
            return {}
        products = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [("default_code", "in", wanted), ("company_id", "in", [False, company.id])],
                order="active desc, id",
            )
        )
        found = {}
        for product in products:
            found.setdefault(product.default_code, product)
        return found

    def _rg_currency(self):
        """The currency of the variant's prices: its company's, else the current company's."""
        self.ensure_one()
        return self.currency_id or self.env.company.currency_id

    def _rg_list_price(self):
        """The sales price (with the variant's extra price), formatted with the decimal places of
        :meth:`_rg_currency`; never a float."""
        self.ensure_one()
        return amount_string(self.lst_price, self._rg_currency())

    def _rg_variant(self):
        """The ``ProductVariant`` of contracts/src/product.ts; only for a variant with a SKU."""
        self.ensure_one()
        template = self.product_tmpl_id
        attributes = {}
        for value in self.product_template_attribute_value_ids:
            attributes[value.attribute_id.name] = value.name
        updated = max(filter(None, (self.write_date, template.write_date, self.create_date)))
        return {
            "sku": sku_of(self),
            "barcode": self.barcode or None,
            "name": self.with_context(display_default_code=False).display_name or template.name,
            "attributes": attributes,
            "list_price": self._rg_list_price(),
            "currency": self._rg_currency().name,
            "active": bool(self.active and template.active),
            "updated_at": rfc3339(updated),
        }

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
        if not sku_of(self):
            return None  # a variant without a SKU is not offered to partners
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
                "external_id": sku_of(self),
                "company_id": warehouse.company_id.id,
            }
        return None

    def _rg_product_updated_values(self, intent):
        data = {
            "product_id": self.id,
            "template_id": self.product_tmpl_id.id,
            "sku": sku_of(self),
            "barcode": self.barcode or None,
            "name": self.with_context(display_default_code=False).display_name or self.name,
            "list_price": self._rg_list_price(),
            "currency": self._rg_currency().name,
            "active": bool(self.active and self.product_tmpl_id.active),
            "safety_stock": max(self.rg_safety_stock, 0.0),
            "changed_fields": list(intent["changed"]),
        }
        return {
            "data": data,
            "aggregate": ("product.product", self.id),
            "external_id": sku_of(self),
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
