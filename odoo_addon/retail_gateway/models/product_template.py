from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Fields whose change is a ``product.updated`` event for every variant of the template.
TEMPLATE_SYNCED_FIELDS = {"name", "list_price", "default_code", "barcode", "active", "sale_ok", "rg_safety_stock"}


class ProductTemplate(models.Model):
    _name = "product.template"
    _inherit = ["product.template", "retail_gateway.sync.mixin"]

    rg_safety_stock = fields.Float(
        "Safety Stock",
        digits="Product Unit of Measure",
        default=0.0,
        help="Quantity never offered for sale: available = on hand - reserved - safety stock.",
    )

    @api.constrains("rg_safety_stock")
    def _check_rg_safety_stock(self):
        if any(template.rg_safety_stock < 0 for template in self):
            raise ValidationError(self.env._("The safety stock cannot be negative."))

    @api.model_create_multi
    def create(self, vals_list):
        templates = super().create(vals_list)
        templates.with_context(active_test=False).product_variant_ids._rg_register_product_updated(
            sorted(TEMPLATE_SYNCED_FIELDS)
        )
        return templates

    def write(self, vals):
        result = super().write(vals)
        changed = sorted(TEMPLATE_SYNCED_FIELDS & set(vals))
        if changed:
            variants = self.with_context(active_test=False).product_variant_ids
            variants._rg_register_product_updated(changed)
            if "rg_safety_stock" in vals:
                variants._rg_register_inventory_changed()
        return result

    # ------------------------------------------------------------------ sync status (through the variants)

    @api.model
    def _rg_sync_model(self):
        return "product.product"

    def _rg_sync_ids_map(self):
        variants = self.with_context(active_test=False).product_variant_ids
        return {variant.id: variant.product_tmpl_id.id for variant in variants}

    @api.model
    def _rg_own_id(self, source_ids):
        variants = self.env["product.product"].sudo().with_context(active_test=False).browse(source_ids).exists()
        return {variant.id: variant.product_tmpl_id.id for variant in variants}
