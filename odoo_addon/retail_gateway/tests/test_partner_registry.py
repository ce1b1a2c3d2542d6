import json
import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import USER_GROUPS_FIELD, RetailGatewayCase

CONTRACT_PARTNER_KEYS = {
    "code", "name", "active", "scopes", "tier", "mode", "oversell_policy", "warehouses", "max_line_quantity", "company_id",
    "issuer", "jwks_url", "subscriptions", "inbound_secrets", "updated_at",
}
CONTRACT_SUBSCRIPTION_KEYS = {
    "id", "partner", "url", "event_types", "active", "consecutive_failures", "disabled_at", "created_at",
}


@tagged("post_install", "-at_install")
class TestPartnerRegistry(RetailGatewayCase):
    """Client authentication, rotation with grace, subscriptions, the registry as the gateway reads it."""

    def setUp(self):
        super().setUp()
        self.partner._rg_set_client_secret("first-secret-value")

    def expire(self, credentials):
        """Moves the grace deadline of ``credentials`` into the past, as time passing would."""
        past = fields.Datetime.now() - timedelta(seconds=1)
        credentials.sudo().write({"valid_until": past})

    def previous(self, kind):
        return self.env["retail_gateway.credential"].search(
            [("partner_id", "=", self.partner.id), ("kind", "=", kind), ("valid_until", "!=", False)]
        )

    def test_authenticate_client(self):
        ok = self.Partner.authenticate_client(client_id="rg-shop", client_secret="first-secret-value")
        self.assertEqual(ok, {"ok": True, "partner": "rg-shop", "valid_until": None,
                              "scopes": ["orders:read", "orders:write", "returns:write", "shipments:write", "inventory:write"]})
        self.assertEqual(self.Partner.authenticate_client(client_id="rg-shop", client_secret="wrong"), {"ok": False})
        self.assertEqual(self.Partner.authenticate_client(client_id="nobody", client_secret="x"), {"ok": False})
        self.partner.active = False
        self.assertEqual(self.Partner.authenticate_client(client_id="rg-shop", client_secret="first-secret-value"), {"ok": False})

    def test_client_secret_is_stored_only_as_a_hash(self):
        self.env.cr.execute(
            "SELECT secret, secret_hash FROM retail_gateway_credential WHERE partner_id = %s AND kind = 'client_secret'",
            [self.partner.id],
        )
        secret, secret_hash = self.env.cr.fetchone()
        self.assertIsNone(secret)
        self.assertTrue(secret_hash.startswith("$pbkdf2-sha512$"))
        self.assertNotIn("secret_hash", self.env["retail_gateway.credential"]._fields, "not readable through the ORM")

    def test_rotate_client_secret_keeps_the_previous_one_until_its_grace_deadline(self):
        answer = self.Partner.rotate_client_secret(partner="rg-shop", grace_seconds=3600)
        self.assertEqual(answer["client_id"], "rg-shop")
        self.assertTrue(answer["previous_valid_until"].endswith("Z"))
        new_secret = answer["client_secret"]
        self.assertNotEqual(new_secret, "first-secret-value")
        old = self.Partner.authenticate_client(client_id="rg-shop", client_secret="first-secret-value")
        self.assertTrue(old["ok"], "the previous secret works during the grace period")
        self.assertEqual(old["valid_until"], answer["previous_valid_until"])
        new = self.Partner.authenticate_client(client_id="rg-shop", client_secret=new_secret)
        self.assertEqual((new["ok"], new["valid_until"]), (True, None))
        self.assertEqual(self.partner.client_secret_state, "rotating")
        self.expire(self.previous("client_secret"))
        self.assertFalse(self.Partner.authenticate_client(client_id="rg-shop", client_secret="first-secret-value")["ok"])
        self.assertTrue(self.Partner.authenticate_client(client_id="rg-shop", client_secret=new_secret)["ok"])

    def test_rotation_without_grace_revokes_at_once(self):
        answer = self.Partner.rotate_client_secret(partner="rg-shop", grace_seconds=0)
        self.assertFalse(self.Partner.authenticate_client(client_id="rg-shop", client_secret="first-secret-value")["ok"])
        self.assertTrue(self.Partner.authenticate_client(client_id="rg-shop", client_secret=answer["client_secret"])["ok"])
        with self.assertRaises(ValidationError):
            self.Partner.rotate_client_secret(partner="rg-shop", grace_seconds=31 * 86400)

    def test_rotation_is_tracked_in_the_chatter_without_the_secret(self):
        answer = self.Partner.with_context(actor="admin-cli").rotate_client_secret(partner="rg-shop", grace_seconds=60)
        message = self.partner.message_ids[:1]
        self.assertIn("Client secret rotated by", message.body)
        self.assertIn("admin-cli", message.body)
        self.assertNotIn(answer["client_secret"], message.body)
        self.Partner.rotate_inbound_secret(partner="rg-shop", provider="shopify", secret="shpss_new_value_1", grace_seconds=60)
        self.assertIn("Inbound shopify secret rotated", self.partner.message_ids[:1].body)
        self.assertNotIn("valid until", self.partner.message_ids[:1].body, "a first secret has no previous one")
        self.assertFalse(any("shpss_new_value_1" in (m.body or "") for m in self.partner.message_ids))

    def test_subscription_secret_rotation_overlaps(self):
        created = self.env["retail_gateway.subscription"].create_subscription(
            partner="rg-shop", url="https://shop.example.com/hooks/2", event_types=["order.created"]
        )
        first = created["secret"]
        self.assertRegex(first, r"^whsec_[A-Za-z0-9+/]{32}$", "whsec_ + base64 of 24 random bytes")
        self.assertEqual(set(created["subscription"]), CONTRACT_SUBSCRIPTION_KEYS)
        subscription_id = created["subscription"]["id"]
        rotated = self.env["retail_gateway.subscription"].rotate_subscription_secret(
            partner="rg-shop", id=subscription_id, grace_seconds=3600
        )
        record = next(s for s in self.partners()["subscriptions"] if s["id"] == subscription_id)
        self.assertEqual({v["secret"] for v in record["secrets"]}, {first, rotated["secret"]}, "both sign during the overlap")
        self.assertEqual(sorted(v["valid_until"] is None for v in record["secrets"]), [False, True])
        self.expire(self.env["retail_gateway.credential"].search(
            [("subscription_id", "=", subscription_id), ("valid_until", "!=", False)]))
        record = next(s for s in self.partners()["subscriptions"] if s["id"] == subscription_id)
        self.assertEqual([v["secret"] for v in record["secrets"]], [rotated["secret"]])
        self.assertIn(f"Signing secret of subscription {subscription_id} rotated", self.partner.message_ids[:1].body)

    def test_inbound_secret_rotation_overlaps(self):
        self.Partner.rotate_inbound_secret(partner="rg-shop", provider="stripe", secret="whsec_stripe_one", grace_seconds=0)
        answer = self.Partner.rotate_inbound_secret(partner="rg-shop", provider="stripe", secret="whsec_stripe_two",
                                                    grace_seconds=600)
        self.assertTrue(answer["previous_valid_until"])
        inbound = self.partners()["inbound_secrets"]
        self.assertEqual(set(inbound), {"shopify", "woocommerce", "stripe", "standard"})
        self.assertEqual({v["secret"] for v in inbound["stripe"]}, {"whsec_stripe_one", "whsec_stripe_two"})
        self.assertEqual(inbound["shopify"], [])
        with self.assertRaises(ValidationError):
            self.Partner.rotate_inbound_secret(partner="rg-shop", provider="paypal", secret="12345678", grace_seconds=0)

    def partners(self):
        answer = self.Partner.partners(codes=["rg-shop"])
        self.assertEqual(len(answer["partners"]), 1)
        return answer["partners"][0]

    def test_partners_is_the_registry_without_hashes(self):
        record = self.partners()
        self.assertEqual(set(record), CONTRACT_PARTNER_KEYS)
        self.assertEqual(record["warehouses"], [self.warehouse.code])
        self.assertEqual(record["scopes"], ["orders:read", "orders:write", "returns:write", "shipments:write", "inventory:write"])
        subscription = record["subscriptions"][0]
        self.assertEqual(set(subscription) - {"secrets"}, CONTRACT_SUBSCRIPTION_KEYS)
        self.assertTrue(subscription["secrets"][0]["secret"].startswith("whsec_"))
        dumped = json.dumps(self.Partner.partners())
        self.assertNotIn("pbkdf2", dumped)
        self.assertNotIn("first-secret-value", dumped)
        self.assertRegex(record["updated_at"], r"Z$")

    def test_update_and_delete_only_the_partners_own_subscriptions(self):
        Subscription = self.env["retail_gateway.subscription"]
        other = self.Partner.create({"code": "rg-other", "name": "Other"})
        self.assertEqual(Subscription.update_subscription(partner="rg-other", id=self.subscription.id, active=False),
                         {"subscription": None})
        self.assertEqual(Subscription.delete_subscription(partner="rg-other", id=self.subscription.id), {"deleted": False})
        self.assertTrue(self.subscription.active)
        updated = Subscription.update_subscription(partner="rg-shop", id=self.subscription.id,
                                                   event_types=["order.created"], consecutive_failures=3)
        self.assertEqual(updated["subscription"]["event_types"], ["order.created"])
        self.assertEqual(updated["subscription"]["consecutive_failures"], 3)
        self.assertTrue(other)
        self.assertEqual(Subscription.delete_subscription(partner="rg-shop", id=self.subscription.id), {"deleted": True})

    def test_disabling_an_endpoint_leaves_an_activity_for_the_integration_managers(self):
        manager = self.env["res.users"].create({
            "name": "Integration Manager", "login": "rg-manager",
            USER_GROUPS_FIELD: [(6, 0, [self.env.ref("retail_gateway.group_integration_manager").id])],
        })
        answer = self.env["retail_gateway.subscription"].update_subscription(
            partner="rg-shop", id=self.subscription.id, disabled=True, consecutive_failures=25
        )
        self.assertTrue(answer["subscription"]["disabled_at"])
        activities = self.partner.activity_ids
        self.assertIn(manager, activities.user_id)
        self.assertIn("disabled", activities[:1].summary)
        self.assertNotIn(self.subscription.id, [s["id"] for s in self.partners()["subscriptions"] if s["active"] and not s["disabled_at"]])
        again = self.env["retail_gateway.subscription"].update_subscription(
            partner="rg-shop", id=self.subscription.id, disabled=True
        )
        self.assertEqual(len(self.partner.activity_ids), len(activities), "one activity per disabling")
        enabled = self.env["retail_gateway.subscription"].update_subscription(
            partner="rg-shop", id=self.subscription.id, disabled=False
        )
        self.assertEqual((enabled["subscription"]["disabled_at"], enabled["subscription"]["consecutive_failures"]), (None, 0))
        self.assertTrue(again)

    def test_events_target_the_owner_and_its_subscriptions_only(self):
        other = self.Partner.create({"code": "rg-other", "name": "Other"})
        self.env["retail_gateway.subscription"].create(
            {"partner_id": other.id, "url": "https://other.example.com/h", "event_types": "order.created product.updated"}
        )
        self.submit_one("WEB-TENANT")
        self.product_a.product_tmpl_id.list_price = 99
        self.assertEqual(self.events("order.created").target_partner_ids, self.partner, "tenant data")
        self.assertEqual(self.events("product.updated").target_partner_ids, self.partner | other, "catalog data")

    def test_codes_and_scopes_are_validated(self):
        with self.assertRaises(ValidationError):
            self.Partner.create({"code": "Bad Code", "name": "x"})
        with self.assertRaises(ValidationError):
            self.Partner.create({"code": "good", "name": "x", "scopes": "orders:read everything"})
        with self.assertRaises(ValidationError):
            self.env["retail_gateway.subscription"].create_subscription(partner="rg-shop", url="ftp://x", event_types=["order.created"])

    def test_rotation_wizard_shows_the_new_secret_once(self):
        wizard = self.env["retail_gateway.rotate.secret"].create({"partner_id": self.partner.id, "grace_hours": 1})
        wizard.action_rotate()
        self.assertEqual(wizard.state, "done")
        self.assertTrue(re.match(r"^rgcs_", wizard.result_secret))
        self.assertTrue(self.Partner.authenticate_client(client_id="rg-shop", client_secret=wizard.result_secret)["ok"])
        self.assertTrue(self.Partner.authenticate_client(client_id="rg-shop", client_secret="first-secret-value")["ok"])
