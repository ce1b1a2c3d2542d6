from odoo import fields, models

from ..compat import sql_constraints


@sql_constraints
class RetailGatewayCustomerLink(models.Model):
    """A customer known to a partner, with the customer's id in the partner's system.

    ``customer.updated`` events are written for linked customers only, and go to the partners
    that know them by an external id (and to admin partners).
    """

    _name = "retail_gateway.customer.link"
    _description = "Retail Gateway Customer Link"
    _order = "partner_id, id"

    partner_id = fields.Many2one("retail_gateway.partner", required=True, ondelete="cascade", index=True)
    customer_id = fields.Many2one("res.partner", string="Customer", required=True, ondelete="cascade", index=True)
    external_id = fields.Char("External ID", help="The customer's id in the partner's system.")
    company_id = fields.Many2one(related="partner_id.company_id", store=True, readonly=True)

    _sql_constraints = [
        ("partner_customer_uniq", "unique(partner_id, customer_id)", "A customer is linked once per partner."),
        ("partner_external_uniq", "unique(partner_id, external_id)", "An external customer id is unique per partner."),
    ]
