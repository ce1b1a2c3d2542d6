from odoo import api, models
from odoo.exceptions import ValidationError

from ..utils import check_caller, parse_rfc3339, sku_of


class RetailGatewayApi(models.AbstractModel):
    _inherit = "retail_gateway.api"

    @api.model
    def catalog_page(self, after=0, limit=500, updated_since=None, skus=None):
        """Sellable variants (``sale_ok``) as ``ProductVariant`` (contracts/src/product.ts), in a
        stable order: the variant id is the cursor; ``next_cursor`` is ``None`` on the last page.

        A variant's SKU is its internal reference (``default_code``): a variant without one is not
        offered. Archived variants are listed (``active: false``) so a cache learns they left.
        ``updated_since`` keeps the variants whose variant or template changed at or after it;
        ``skus`` keeps those SKUs. ``list_price`` is a decimal string with the decimal places of
        the product's currency (its company's, else the current company's).
        """
        check_caller(self.env)
        Outbox = self.env["retail_gateway.outbox.event"]
        after = Outbox._rg_int_arg("after", after, 0, None)
        limit = Outbox._rg_int_arg("limit", limit, 1, 1000)
        Product = self.env["product.product"].sudo().with_context(active_test=False)
        domain = [("id", ">", after), ("sale_ok", "=", True)] + Product._rg_sku_domain()
        if updated_since is not None:
            try:
                since = parse_rfc3339(updated_since) if isinstance(updated_since, str) else None
            except ValueError:
                since = None
            if since is None:
                raise ValidationError(self.env._("updated_since must be an RFC 3339 timestamp."))
            domain += ["|", ("write_date", ">=", since), ("product_tmpl_id.write_date", ">=", since)]
        if skus is not None:
            if not isinstance(skus, list) or len(skus) > 1000 or not all(isinstance(sku, str) for sku in skus):
                raise ValidationError(self.env._("skus must be a list of at most 1000 SKUs."))
            domain.append(("default_code", "in", skus))
        products = Product.search(domain, order="id", limit=limit + 1)
        page = products[:limit]
        # One query per field and relation for the whole page, not one per variant.
        page.mapped("product_tmpl_id.name")
        page.mapped("product_template_attribute_value_ids.attribute_id.name")
        page.mapped("currency_id.decimal_places")
        items = [{"cursor": product.id, "variant": product._rg_variant()} for product in page if sku_of(product)]
        return {"items": items, "next_cursor": page[-1].id if len(products) > limit else None}
