from odoo import api, models

from ..compat import setup_groups


class ResGroups(models.Model):
    _inherit = "res.groups"

    @api.model
    def _rg_setup_groups(self):
        """Called by the security data: what differs between the series in filing the addon's groups."""
        setup_groups(
            self.env,
            "retail_gateway.module_category_retail_gateway",
            ["retail_gateway.group_integration_user", "retail_gateway.group_integration_manager"],
            hidden_xmlids=["retail_gateway.group_integration_service"],
            privilege_xmlid="retail_gateway.res_groups_privilege_retail_gateway",
            users={"retail_gateway.group_integration_manager": ["base.user_root", "base.user_admin"]},
        )
