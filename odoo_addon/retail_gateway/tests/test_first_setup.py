from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import USER_GROUPS_FIELD, RetailGatewayCase

# Groups the technical user must never hold, whatever the database's default user template says.
ADMIN_GROUPS = (
    "base.group_system",
    "base.group_erp_manager",
    "sales_team.group_sale_salesman",
    "sales_team.group_sale_manager",
    "stock.group_stock_user",
    "stock.group_stock_manager",
    "account.group_account_invoice",
    "account.group_account_manager",
    "retail_gateway.group_integration_user",
    "retail_gateway.group_integration_manager",
)


def implied_closure(groups):
    """``groups`` and every group they imply, transitively (implied_ids exists on both series)."""
    closure = groups.browse()
    todo = groups
    while todo:
        closure |= todo
        todo = todo.implied_ids - closure
    return closure


@tagged("post_install", "-at_install")
class TestFirstSetup(RetailGatewayCase):
    """The technical user made with least privilege by construction, and a partner with its first
    client secret in one call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, "rg-setup-boss", groups="base.group_user,retail_gateway.group_integration_manager"
        )
        cls.service = new_test_user(
            cls.env, "rg-setup-service", groups="base.group_user,retail_gateway.group_integration_service"
        )
        cls.clerk = new_test_user(cls.env, "rg-setup-clerk", groups="base.group_user,sales_team.group_sale_manager")

    def assert_least_privilege(self, user):
        wanted = self.env.ref("base.group_user") | self.env.ref("retail_gateway.group_integration_service")
        self.assertFalse(user.share, "an internal user")
        self.assertTrue(user.has_group("base.group_user"))
        self.assertTrue(user.has_group("retail_gateway.group_integration_service"))
        extra = user[USER_GROUPS_FIELD] - implied_closure(wanted)
        self.assertFalse(extra, f"groups beyond Internal User and the service group: {extra.mapped('name')}")
        for xmlid in ADMIN_GROUPS:
            if self.env.ref(xmlid, raise_if_not_found=False):
                self.assertFalse(user.has_group(xmlid), xmlid)

    def test_rpc_creates_an_internal_user_with_the_service_group_only_and_a_working_key(self):
        Wizard = self.env["retail_gateway.service.user"].with_user(self.manager)
        answer = Wizard.create_service_user(login="rg-tech", name="RG Tech")
        user = self.env["res.users"].browse(answer["user_id"])
        self.assertEqual(user.login, "rg-tech")
        self.assertEqual(answer["login"], "rg-tech")
        self.assert_least_privilege(user)
        self.assertIn("Integration Service (gateway technical user)", answer["groups"])
        key = answer["api_key"]
        self.assertGreaterEqual(len(key), 32)
        uid = self.env["res.users.apikeys"]._check_credentials(scope="rpc", key=key)
        self.assertEqual(uid, user.id, "the key authenticates the new user, not its creator")
        wrong = key[:-1] + ("1" if key[-1] == "0" else "0")
        self.assertFalse(self.env["res.users.apikeys"]._check_credentials(scope="rpc", key=wrong))
        self.env.cr.execute("SELECT key FROM res_users_apikeys WHERE user_id = %s", [user.id])
        (stored,) = self.env.cr.fetchone()
        self.assertNotEqual(stored, key, "only the key's hash is stored")

    def test_default_user_template_groups_are_not_inherited(self):
        # Whatever the template grants (a demo database grants Sales, Inventory and Invoicing
        # rights), the technical user gets none of it: put an administrator group on the defaults.
        system = self.env.ref("base.group_system")
        template = self.env.ref("base.default_user", raise_if_not_found=False)
        if template is not None and USER_GROUPS_FIELD in template._fields:
            template.sudo()[USER_GROUPS_FIELD] = [(4, system.id)]
        default_group = self.env.ref("base.default_user_group", raise_if_not_found=False)
        if default_group is not None:
            default_group.sudo().implied_ids = [(4, system.id)]
        default_user_groups = self.env["res.users"].default_get([USER_GROUPS_FIELD]).get(USER_GROUPS_FIELD)
        self.assertTrue(default_user_groups, "the test changed the default groups")
        answer = self.env["retail_gateway.service.user"].with_user(self.manager).create_service_user(login="rg-tech-2")
        self.assert_least_privilege(self.env["res.users"].browse(answer["user_id"]))

    def test_wizard_shows_the_key_once_after_creating(self):
        form = Form(self.env["retail_gateway.service.user"].with_user(self.manager))
        form.login = "rg-tech-form"
        wizard = form.save()
        self.assertEqual(wizard.state, "draft")
        action = wizard.action_create()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertEqual(wizard.state, "done")
        self.assertTrue(wizard.api_key)
        self.assertEqual(wizard.user_id.login, "rg-tech-form")
        self.assert_least_privilege(wizard.user_id)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_only_integration_managers_create_it(self):
        for user in (self.service, self.clerk):
            with self.assertRaises(AccessError, msg=user.login):
                self.env["retail_gateway.service.user"].with_user(user).create_service_user(login=f"x-{user.id}")
        self.assertFalse(self.env["res.users"].search([("login", "like", "x-%")]))

    def test_refuses_an_existing_login_and_a_bad_one(self):
        Wizard = self.env["retail_gateway.service.user"].with_user(self.manager)
        with self.assertRaises(UserError):
            Wizard.create_service_user(login="rg-setup-clerk")
        self.assertFalse(self.clerk.has_group("retail_gateway.group_integration_service"), "never changes a user")
        for bad in ("", "a", "with space", None, 42):
            with self.assertRaises(ValidationError, msg=repr(bad)):
                Wizard.create_service_user(login=bad)

    # ------------------------------------------------------------------ create_partner

    def test_create_partner_registers_it_and_issues_its_first_client_secret(self):
        Partner = self.env["retail_gateway.partner"].with_user(self.service)
        answer = Partner.create_partner(code="rg-new", scopes=["products:read", "orders:write"], name="New Shop")
        self.assertEqual(answer["client_id"], "rg-new")
        self.assertTrue(answer["client_secret"].startswith("rgcs_"))
        self.assertEqual(answer["partner"]["code"], "rg-new")
        self.assertEqual(answer["partner"]["name"], "New Shop")
        self.assertEqual(answer["partner"]["scopes"], ["products:read", "orders:write"])
        self.assertEqual((answer["partner"]["tier"], answer["partner"]["mode"]), ("standard", "live"))
        self.assertEqual(answer["partner"]["oversell_policy"], "accept", "the partner form's default")
        ok = Partner.authenticate_client(client_id="rg-new", client_secret=answer["client_secret"])
        self.assertEqual(ok["partner"], "rg-new")
        self.assertEqual(ok["scopes"], ["products:read", "orders:write"])

    def test_create_partner_takes_an_oversell_policy(self):
        Partner = self.env["retail_gateway.partner"].with_user(self.service)
        for policy in ("reject", "backorder", "accept"):
            answer = Partner.create_partner(code=f"rg-os-{policy}", scopes=["orders:write"], oversell_policy=policy)
            self.assertEqual(answer["partner"]["oversell_policy"], policy)
            self.assertEqual(self.env["retail_gateway.partner"].search([("code", "=", f"rg-os-{policy}")]).oversell_policy, policy)
        with self.assertRaises(ValidationError):
            Partner.create_partner(code="rg-os-bad", scopes=["orders:write"], oversell_policy="refuse")
        self.assertFalse(self.env["retail_gateway.partner"].search([("code", "=", "rg-os-bad")]))

    def test_create_partner_never_overwrites_and_validates(self):
        Partner = self.env["retail_gateway.partner"].with_user(self.manager)
        with self.assertRaises(UserError):
            Partner.create_partner(code=self.partner.code, scopes=["orders:read"])
        with self.assertRaises(ValidationError):
            Partner.create_partner(code="Bad Code", scopes=["orders:read"])
        with self.assertRaises(ValidationError):
            Partner.create_partner(code="rg-x", scopes=["root"])
        with self.assertRaises(ValidationError):
            Partner.create_partner(code="rg-x", scopes=[])
        with self.assertRaises(ValidationError):
            Partner.create_partner(code="rg-x", scopes=["orders:read"], tier="gold")
        self.assertFalse(self.env["retail_gateway.partner"].search([("code", "=", "rg-x")]))

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_create_partner_is_refused_to_other_users(self):
        with self.assertRaises(AccessError):
            self.env["retail_gateway.partner"].with_user(self.clerk).create_partner(code="rg-y", scopes=["orders:read"])
