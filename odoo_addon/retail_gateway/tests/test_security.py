from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import RetailGatewayCase


@tagged("post_install", "-at_install")
class TestSecurity(RetailGatewayCase):
    """The access rights of each group, and that nobody reads a secret hash."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = new_test_user(cls.env, "rg-service", groups="base.group_user,retail_gateway.group_integration_service")
        # Integration people also work with orders, transfers and invoices.
        business = "sales_team.group_sale_salesman_all_leads,stock.group_stock_user,account.group_account_invoice"
        cls.viewer = new_test_user(cls.env, "rg-viewer", groups=f"base.group_user,retail_gateway.group_integration_user,{business}")
        cls.manager = new_test_user(cls.env, "rg-boss", groups=f"base.group_user,retail_gateway.group_integration_manager,{business}")
        cls.clerk = new_test_user(cls.env, "rg-clerk", groups="base.group_user,sales_team.group_sale_salesman_all_leads")
        cls.partner._rg_set_client_secret("service-test-secret")

    def as_user(self, user, model):
        return self.env[model].with_user(user)

    def test_service_user_claims_acks_reports_and_submits(self):
        Outbox = self.as_user(self.service, "retail_gateway.outbox.event")
        self.product_a.product_tmpl_id.list_price = 12
        self.publish()
        claimed = Outbox.claim(limit=10, lease_seconds=30, consumer="relay")
        self.assertEqual(len(claimed["events"]), 1)
        event_id = claimed["events"][0]["event_id"]
        self.assertEqual(Outbox.ack(event_ids=[event_id], consumer="relay")["acked"], [event_id])
        report = Outbox.report_deliveries(results=[{
            "event_id": event_id, "partner": self.partner.code, "subscription_id": self.subscription.id,
            "status": "delivered", "attempts": 1, "last_error": None, "at": "2026-11-27T10:00:00Z"}])
        self.assertEqual(report["recorded"], 1)
        results = self.as_user(self.service, "retail_gateway.api").submit_orders(
            partner=self.partner.code, orders=[{"intake_id": "s-1", "item": self.order_item("WEB-SVC")}]
        )["results"]
        self.assertEqual(results[0]["status"], "created", results)
        order = self.env["sale.order"].browse(results[0]["record"]["id"])
        self.assertEqual(order.create_uid, self.service, "the technical user is the author")
        Partner = self.as_user(self.service, "retail_gateway.partner")
        self.assertTrue(Partner.authenticate_client(client_id="rg-shop", client_secret="service-test-secret")["ok"])
        self.assertTrue(Partner.partners()["partners"])
        self.assertTrue(self.as_user(self.service, "retail_gateway.api").availability(skus=["RG-LAMP"])["items"])

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_service_user_never_reads_secrets_or_changes_the_registry(self):
        with self.assertRaises(AccessError):
            self.as_user(self.service, "retail_gateway.credential").search_read([], ["kind"])
        with self.assertRaises(AccessError):
            self.partner.with_user(self.service).write({"scopes": "admin"})
        with self.assertRaises(AccessError):
            self.as_user(self.service, "retail_gateway.partner").create({"code": "evil", "name": "Evil"})
        with self.assertRaises(AccessError):
            self.as_user(self.service, "retail_gateway.outbox.event").search([]).write({"state": "pending"})
        order = self.submit_one("WEB-RO")
        self.assertEqual(order.with_user(self.service).read(["name"])[0]["name"], order.name, "it reads order status")
        with self.assertRaises(AccessError):
            order.with_user(self.service).write({"client_order_ref": "changed"})
        with self.assertRaises(AccessError):
            self.outgoing_picking(order).with_user(self.service).button_validate()

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_no_group_reads_a_client_secret_hash(self):
        Credential = self.env["retail_gateway.credential"]
        self.assertNotIn("secret_hash", Credential._fields)
        client = Credential.search([("partner_id", "=", self.partner.id), ("kind", "=", "client_secret")])
        self.assertFalse(client.secret)
        with self.assertRaises(AccessError):
            client.with_user(self.manager).read(["secret"])
        signing = Credential.search([("subscription_id", "=", self.subscription.id)])
        with self.assertRaises(AccessError):
            signing.with_user(self.manager).read(["secret"])
        self.assertEqual(signing.with_user(self.manager).read(["hint"])[0]["hint"][:1], "…")

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_integration_user_reads_status_only(self):
        order = self.submit_one("WEB-VIEW")
        self.publish()
        self.assertTrue(self.as_user(self.viewer, "retail_gateway.outbox.event").search([]))
        self.assertEqual(order.with_user(self.viewer).rg_sync_state, "pending")
        with self.assertRaises(AccessError):
            self.as_user(self.viewer, "retail_gateway.outbox.event").claim(limit=1, lease_seconds=30, consumer="x")
        with self.assertRaises(AccessError):
            self.as_user(self.viewer, "retail_gateway.api").submit_orders(
                partner=self.partner.code, orders=[{"intake_id": "v", "item": self.order_item("WEB-V2")}]
            )
        with self.assertRaises(AccessError):
            self.partner.with_user(self.viewer).write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            self.as_user(self.viewer, "retail_gateway.credential").search([])
        with self.assertRaises(AccessError):
            self.events()[:1].with_user(self.viewer).action_replay()

    def test_manager_manages_partners_rotates_and_replays(self):
        partner = self.as_user(self.manager, "retail_gateway.partner").create({"code": "rg-new", "name": "New channel"})
        partner.write({"tier": "premium"})
        wizard = self.env["retail_gateway.rotate.secret"].with_user(self.manager).create({"partner_id": partner.id})
        wizard.action_rotate()
        self.assertTrue(wizard.result_secret)
        self.product_a.product_tmpl_id.list_price = 13
        event = self.events("product.updated")
        event.with_user(self.manager).action_replay()
        self.assertEqual(event.state, "pending")

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_users_outside_the_groups_see_no_integration_data(self):
        order = self.submit_one("WEB-CLERK")
        with self.assertRaises(AccessError):
            self.as_user(self.clerk, "retail_gateway.outbox.event").search([])
        with self.assertRaises(AccessError):
            self.as_user(self.clerk, "retail_gateway.partner").search([])
        with self.assertRaises(AccessError):
            order.with_user(self.clerk).read(["rg_sync_state"])
        self.assertEqual(order.with_user(self.clerk).read(["rg_external_id"])[0]["rg_external_id"], "WEB-CLERK")

    def test_forms_open_for_each_group(self):
        order = self.submit_one("WEB-FORMS")
        self.ship(order)
        self.publish()
        picking = order.picking_ids.filtered(lambda p: p.state == "done")
        for user in (self.viewer, self.manager, self.clerk):
            form = Form(order.with_user(user))
            self.assertEqual(form.rg_external_id, "WEB-FORMS")
            Form(order.partner_id.with_user(user))
            Form(self.product_a.product_tmpl_id.with_user(user))
        for user in (self.viewer, self.manager):
            self.assertEqual(Form(order.with_user(user)).rg_sync_state, "pending")
            self.assertEqual(Form(picking.with_user(user)).rg_sync_state, "pending")
            partner_form = Form(self.partner.with_user(user))
            self.assertEqual(partner_form.client_secret_state, "set")
            Form(self.events("order.created").with_user(user))
            Form(self.subscription.with_user(user))

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_record_rules_keep_partners_within_their_company(self):
        other_company = self.env["res.company"].create({"name": "RG Other Company"})
        foreign = self.Partner.create({"code": "rg-foreign", "name": "Foreign", "company_id": other_company.id})
        visible = self.as_user(self.manager, "retail_gateway.partner").search([])
        self.assertIn(self.partner, visible)
        self.assertNotIn(foreign, visible)
