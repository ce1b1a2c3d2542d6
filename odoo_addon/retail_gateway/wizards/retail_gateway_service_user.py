import logging
import re

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..compat import USER_GROUPS_FIELD
from ..utils import MANAGER_GROUP, SERVICE_GROUP, check_caller

_logger = logging.getLogger(__name__)

LOGIN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{1,63}$"
API_KEY_NAME = "retail gateway"


class RetailGatewayServiceUser(models.TransientModel):
    """Creates the gateway's technical user with the least privilege it needs, and its API key.

    The user is an internal user with exactly two groups: *Internal User* (to read products and
    stock, which the addon's catalog and availability methods need) and *Integration Service
    (gateway technical user)* (to call the addon's RPC methods). Nothing comes from the default
    user template, which in a demo database carries Sales, Inventory and Invoicing rights. The API
    key is shown once and never stored in clear.
    """

    _name = "retail_gateway.service.user"
    _description = "Create the Retail Gateway's Technical User"

    name = fields.Char(required=True, default="Retail Gateway (technical)")
    login = fields.Char(required=True, default="retail-gateway")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    user_id = fields.Many2one("res.users", string="Technical User", readonly=True)
    api_key = fields.Char("API Key", readonly=True, help="Shown once: copy it now.")

    def action_create(self):
        self.ensure_one()
        check_caller(self.env, (MANAGER_GROUP,))
        user, key = self._rg_create_service_user(self.login, self.name)
        self.write({"state": "done", "user_id": user.id, "api_key": key})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def create_service_user(self, login, name=None):
        """RPC for scripts (an administrator or Integration Manager): creates the technical user and
        returns its API key once."""
        check_caller(self.env, (MANAGER_GROUP,))
        user, key = self._rg_create_service_user(login, name or "Retail Gateway (technical)")
        return {"user_id": user.id, "login": user.login, "api_key": key, "groups": self._rg_group_names(user)}

    @api.model
    def _rg_service_groups(self):
        return self.env.ref("base.group_user") | self.env.ref(SERVICE_GROUP)

    @api.model
    def _rg_group_names(self, user):
        return sorted(user.sudo()[USER_GROUPS_FIELD].mapped("name"))

    @api.model
    def _rg_create_service_user(self, login, name):
        if not isinstance(login, str) or not re.match(LOGIN_PATTERN, login):
            raise ValidationError(
                self.env._("The login must be 2 to 64 letters, digits or . _ @ + - (it starts with a letter or digit).")
            )
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(self.env._("The technical user needs a name."))
        Users = self.env["res.users"].sudo().with_context(active_test=False, no_reset_password=True)
        if Users.search_count([("login", "=", login)]):
            raise UserError(self.env._("A user with the login %s exists already: choose another login.", login))
        # Explicit groups: the default user template's groups (the field's default) are not applied.
        user = Users.create(
            {"name": name.strip(), "login": login, USER_GROUPS_FIELD: [Command.set(self._rg_service_groups().ids)]}
        )
        # The key belongs to the new user (``_generate`` keys it to the environment's user); sudo
        # allows a key without expiry, like the ones an administrator makes.
        key = self.env["res.users.apikeys"].with_user(user).sudo()._generate(None, API_KEY_NAME, None)
        _logger.info("Retail gateway technical user %s (#%s) created by %s (#%s)", login, user.id, self.env.user.login, self.env.uid)
        return user, key
