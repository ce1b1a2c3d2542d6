from odoo.tests import TransactionCase, tagged

from ..compat import GROUP_USERS_FIELD, IS_19, domain_or, group_users, is_test_cursor, partner_phone
from .common import registry_test_mode

# The unique constraints the addon's upserts and idempotency rely on, by table.
UNIQUE_CONSTRAINTS = {
    "retail_gateway_partner": {"code_uniq", "client_id_uniq"},
    "retail_gateway_outbox_event": {"name_uniq", "aggregate_sequence_uniq"},
    "retail_gateway_delivery": {"event_partner_subscription_uniq"},
    "retail_gateway_sync_status": {"record_partner_uniq"},
    "retail_gateway_intake": {"partner_kind_external_uniq"},
    "retail_gateway_carrier_map": {"partner_method_uniq"},
    "retail_gateway_customer_link": {"partner_customer_uniq", "partner_external_uniq"},
    "retail_gateway_consent": {"customer_channel_uniq"},
}


@tagged("post_install", "-at_install")
class TestCompat(TransactionCase):
    """What differs between Odoo 18.0 and 19.0 works on the series the tests run on."""

    def test_sql_constraints_exist_in_the_database(self):
        for table, names in UNIQUE_CONSTRAINTS.items():
            self.env.cr.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'", [table]
            )
            found = {row[0] for row in self.env.cr.fetchall()}
            self.assertLessEqual({f"{table}_{name}" for name in names}, found, table)

    def test_groups_are_filed_and_the_administrator_manages(self):
        user = self.env.ref("retail_gateway.group_integration_user")
        manager = self.env.ref("retail_gateway.group_integration_manager")
        service = self.env.ref("retail_gateway.group_integration_service")
        category = self.env.ref("retail_gateway.module_category_retail_gateway")
        if IS_19:
            privilege = self.env.ref("retail_gateway.res_groups_privilege_retail_gateway")
            self.assertEqual(privilege.category_id, category)
            self.assertEqual((user | manager).privilege_id, privilege)
            self.assertFalse(service.privilege_id)
        else:
            self.assertEqual((user | manager).category_id, category)
            self.assertEqual(service.category_id, self.env.ref("base.module_category_hidden"))
        self.assertIn(self.env.ref("base.user_admin"), group_users(manager))
        self.assertEqual(group_users(manager), manager[GROUP_USERS_FIELD])

    def test_domain_or_and_partner_phone(self):
        partners = self.env["res.partner"].create([{"name": "RG A", "phone": "+32 1"}, {"name": "RG B"}])
        found = self.env["res.partner"].search(domain_or([[("id", "=", partners[0].id)], [("id", "=", partners[1].id)]]))
        self.assertEqual(found, partners)
        self.assertEqual(partner_phone(partners[0]), "+32 1")
        self.assertIsNone(partner_phone(partners[1]))

    def test_the_test_cursor_is_recognised(self):
        # The test's own cursor is a connection; the registry hands out test cursors in test mode.
        self.assertFalse(is_test_cursor(self.env.cr))
        with registry_test_mode(self), self.env.registry.cursor() as cr:
            self.assertTrue(is_test_cursor(cr))
