from odoo import api, fields, models

from ..compat import sql_constraints


@sql_constraints
class RetailGatewayCarrierMap(models.Model):
    """Maps a channel's shipping method or a 3PL's carrier name to an Odoo carrier."""

    _name = "retail_gateway.carrier.map"
    _description = "Retail Gateway Shipping Method Mapping"
    _order = "partner_id, method"

    partner_id = fields.Many2one("retail_gateway.partner", required=True, ondelete="cascade", index=True)
    method = fields.Char("Shipping Method", required=True, help="The name the partner uses, e.g. 'standard' or 'DHL'.")
    carrier_id = fields.Many2one("delivery.carrier", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="partner_id.company_id", store=True, readonly=True)

    _sql_constraints = [
        ("partner_method_uniq", "unique(partner_id, method)", "A shipping method is mapped once per partner."),
    ]

    @api.model
    def _rg_carrier(self, partner, method):
        """The carrier for ``method``: the partner's mapping, else a carrier of that name."""
        if not method:
            return self.env["delivery.carrier"]
        mapping = self.sudo().search([("partner_id", "=", partner.id), ("method", "=ilike", method)], limit=1)
        if mapping:
            return mapping.carrier_id
        return (
            self.env["delivery.carrier"]
            .sudo()
            .search(
                [("name", "=ilike", method), ("company_id", "in", [False, partner.company_id.id])],
                limit=1,
            )
        )
