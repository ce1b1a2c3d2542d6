"""Concurrency cases with real, separate transactions.

Each test opens its own database cursors (``registry.cursor()``: separate connections), commits
them, and the class removes everything it committed at the end. The test's own cursor never
writes, so it holds no lock the other transactions could wait for.
"""

import threading
import time
import uuid
from contextlib import closing
from functools import partial

from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

PRODUCTS = 6


@tagged("post_install", "-at_install")
class TestConcurrency(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        suffix = uuid.uuid4().hex[:8]
        cls.code = f"rg-cc-{suffix}"
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM retail_gateway_outbox_event")
            cls.first_event_id = cr.fetchone()[0] + 1
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            products = env["product.product"].create([
                {"name": f"RG Concurrency {i}", "default_code": f"RG-CC-{suffix}-{i}", "type": "consu",
                 "is_storable": True, "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
                for i in range(PRODUCTS)
            ])
            for product in products:
                env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 100.0)
            partner = env["retail_gateway.partner"].create({"code": cls.code, "name": "Concurrency"})
            env["retail_gateway.subscription"].create({
                "partner_id": partner.id, "url": "https://cc.example.com/h",
                "event_types": "product.updated order.created inventory.changed customer.updated"})
            cr.flush()
            # Out of the relay's way: whatever is pending now, and the fixtures' events.
            cr.execute("UPDATE retail_gateway_outbox_event SET state = 'dispatched' WHERE state <> 'dispatched'")
            cls.product_ids = products.ids
            cls.warehouse_code = warehouse.code
        cls.addClassCleanup(cls._remove_committed_data)

    @classmethod
    def _remove_committed_data(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            partner = env["retail_gateway.partner"].search([("code", "=", cls.code)])
            orders = env["sale.order"].search([("rg_partner_id", "=", partner.id)])
            customers = orders.partner_id
            orders._action_cancel()
            env["retail_gateway.intake"].search([("partner_id", "=", partner.id)]).unlink()
            orders.picking_ids.unlink()
            orders.unlink()
            cr.execute("DELETE FROM retail_gateway_outbox_event WHERE id >= %s", [cls.first_event_id])
            cr.execute(
                "DELETE FROM retail_gateway_outbox_aggregate a WHERE NOT EXISTS (SELECT 1 FROM "
                "retail_gateway_outbox_event e WHERE e.aggregate_model = a.aggregate_model AND e.aggregate_id = a.aggregate_id)"
            )
            partner.unlink()
            products = env["product.product"].browse(cls.product_ids)
            env["stock.quant"].search([("product_id", "in", products.ids)]).unlink()
            try:
                with cr.savepoint():
                    products.product_tmpl_id.unlink()
            except Exception:  # noqa: BLE001 - referenced elsewhere: keep it archived
                products.product_tmpl_id.write({"active": False})
            for customer in customers:
                try:
                    with cr.savepoint():
                        customer.child_ids.unlink()
                        customer.unlink()
                except Exception:  # noqa: BLE001 - referenced elsewhere: keep it archived
                    customer.active = False

    # ------------------------------------------------------------------ helpers

    def new_env(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {})

    def dispatch_everything(self):
        """Marks every committed event dispatched, so that a test claims only its own."""
        env = self.new_env()
        env.cr.execute("UPDATE retail_gateway_outbox_event SET state = 'dispatched' WHERE state <> 'dispatched'")
        env.cr.commit()

    def publish_price_change(self, product_ids, price):
        """Commits one ``product.updated`` per product, from its own transaction."""
        env = self.new_env()
        env["product.product"].browse(product_ids).product_tmpl_id.write({"list_price": price})
        env.cr.commit()

    def order(self, external_id):
        address = {"name": "Ana Concurrency", "street": "Rua 1", "city": "Porto", "country_code": "PT"}
        return {
            "intake_id": f"cc-{external_id}",
            "item": {
                "external_id": external_id, "channel": "web", "placed_at": "2026-11-27T10:00:00Z",
                "currency": self.env.company.currency_id.name, "taxes_included": False,
                "customer": {"email": f"{self.code}@example.com", "name": "Ana Concurrency"},
                "billing_address": address, "shipping_address": address,
                "lines": [{"sku": f"RG-CC-{self.code[6:]}-0", "quantity": 1, "unit_price": "10.00"}],
                "payment": {"method": "card", "status": "paid"},
            },
        }

    def submit_as_rpc(self, env, external_id):
        """What ``execute_kw`` does: the call under ``retrying``, which commits or retries."""
        api_model = env["retail_gateway.api"]
        call = partial(api_model.submit_orders, partner=self.code, orders=[self.order(external_id)])
        return retrying(call, env)["results"][0]

    # ------------------------------------------------------------------ claims

    def test_two_claimers_never_get_the_same_event(self):
        self.dispatch_everything()
        self.publish_price_change(self.product_ids, 21.0)
        env_a, env_b = self.new_env(), self.new_env()
        claim_a = env_a["retail_gateway.outbox.event"].claim(limit=3, lease_seconds=60, consumer="relay-a")
        claim_b = env_b["retail_gateway.outbox.event"].claim(limit=100, lease_seconds=60, consumer="relay-b")
        ids_a = {e["event_id"] for e in claim_a["events"]}
        ids_b = {e["event_id"] for e in claim_b["events"]}
        self.assertEqual(len(ids_a), 3)
        self.assertEqual(len(ids_b), PRODUCTS - 3, "the second relay skips the rows the first one locked")
        self.assertFalse(ids_a & ids_b)
        env_a.cr.commit()
        env_b.cr.commit()
        env_c = self.new_env()
        self.assertEqual(env_c["retail_gateway.outbox.event"].claim(limit=100, lease_seconds=60, consumer="c")["events"], [])

    def test_a_concurrent_claimer_never_gets_the_next_event_of_a_locked_aggregate(self):
        product = self.product_ids[:1]
        self.dispatch_everything()
        self.publish_price_change(product, 31.0)
        self.publish_price_change(product, 32.0)
        env_a, env_b = self.new_env(), self.new_env()
        first = env_a["retail_gateway.outbox.event"].claim(limit=1, lease_seconds=60, consumer="relay-a")
        self.assertEqual([e["envelope"]["data"]["list_price"] for e in first["events"]], ["31.00"])
        second = env_b["retail_gateway.outbox.event"].claim(limit=100, lease_seconds=60, consumer="relay-b")
        self.assertEqual(second["events"], [], "the earlier event is locked by another, uncommitted claim")
        env_a.cr.commit()
        env_b.cr.rollback()
        env_a["retail_gateway.outbox.event"].ack(event_ids=[first["events"][0]["event_id"]], consumer="relay-a")
        env_a.cr.commit()
        env_c = self.new_env()
        third = env_c["retail_gateway.outbox.event"].claim(limit=100, lease_seconds=60, consumer="relay-b")
        self.assertEqual([e["envelope"]["data"]["list_price"] for e in third["events"]], ["32.00"])
        env_c.cr.commit()

    # ------------------------------------------------------------------ duplicate submits

    @mute_logger("odoo.sql_db", "odoo.service.model", "odoo.addons.retail_gateway.models.retail_gateway_api")
    def test_concurrent_submits_of_one_external_id_create_one_order(self):
        env_b = self.new_env()
        env_b.cr.execute("SELECT 1")  # B's snapshot is taken before A commits
        env_a = self.new_env()
        first = self.submit_as_rpc(env_a, "CC-1")
        self.assertEqual(first["status"], "created", first)
        second = self.submit_as_rpc(env_b, "CC-1")
        self.assertEqual(second["status"], "retry", "B's snapshot cannot see A's row: a serialisation failure")
        self.assertEqual((second["record"], second["reasons"]), (None, []))
        again = self.submit_as_rpc(self.new_env(), "CC-1")
        self.assertEqual(again["status"], "duplicate", "the gateway's retry answers duplicate")
        self.assertEqual(again["record"], first["record"])
        check = self.new_env()
        self.assertEqual(check["sale.order"].search_count([("rg_external_id", "=", "CC-1")]), 1)

    @mute_logger("odoo.sql_db", "odoo.service.model", "odoo.addons.retail_gateway.models.retail_gateway_api")
    def test_a_submit_waiting_on_an_uncommitted_one_answers_duplicate(self):
        """B submits while A's submit of the same external id is not committed yet: B waits on A's
        row; when A commits, B's item fails with a serialisation error (never a second order) and
        answers ``retry``; the gateway's retry answers ``duplicate``."""
        env_a = self.new_env()
        first = env_a["retail_gateway.api"].submit_orders(partner=self.code, orders=[self.order("CC-2")])["results"][0]
        self.assertEqual(first["status"], "created")
        env_b = self.new_env()
        outcome = {}

        def submit_b():
            # Without ``retrying``: its registry reset would wait for the test runner's lock.
            try:
                outcome["result"] = env_b["retail_gateway.api"].submit_orders(partner=self.code, orders=[self.order("CC-2")])
            except Exception as error:  # noqa: BLE001 - inspected by the test thread
                outcome["error"] = error

        pid_b = env_b.cr._cnx.get_backend_pid()
        thread = threading.Thread(target=submit_b)
        thread.start()
        with closing(self.registry.cursor()) as probe:
            for _attempt in range(600):  # wait (at most a minute) until B blocks on A's row
                probe.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid_b])
                row = probe.fetchone()
                probe.rollback()
                if row and row[0] == "Lock":
                    break
                time.sleep(0.1)
            else:
                self.fail("the second submit never waited for the first one")
        env_a.cr.commit()
        thread.join(60)
        self.assertFalse(thread.is_alive())
        self.assertNotIn("error", outcome)
        self.assertEqual(outcome["result"]["results"][0]["status"], "retry", outcome)
        self.assertEqual(outcome["result"]["results"][0]["reasons"], [])
        env_b.cr.rollback()
        retried = self.submit_as_rpc(env_b, "CC-2")
        self.assertEqual(retried["status"], "duplicate")
        self.assertEqual(retried["record"], first["record"])

    # ------------------------------------------------------------------ changes_since

    def test_changes_since_never_skips_an_event_committed_late_with_a_lower_id(self):
        Outbox = self.env["retail_gateway.outbox.event"]
        cursor = 0
        while True:  # catch up with everything committed so far
            page = Outbox.changes_since(cursor=cursor, limit=1000)
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        env_a = self.new_env()
        env_a["product.product"].browse(self.product_ids[1]).product_tmpl_id.write({"list_price": 41.0})
        env_a.cr.flush()  # A's event row exists (lower id) but is not committed
        env_a.cr.execute("SELECT MAX(id) FROM retail_gateway_outbox_event")
        id_a = env_a.cr.fetchone()[0]
        self.publish_price_change(self.product_ids[2:3], 42.0)  # B: higher id, committed first
        page = Outbox.changes_since(cursor=cursor, limit=1000, types=["product.updated"])
        self.assertEqual([e["envelope"]["data"]["list_price"] for e in page["events"]], ["42.00"])
        env_a.cr.commit()
        late = Outbox.changes_since(cursor=page["cursor"], limit=1000, types=["product.updated"])
        self.assertEqual([e["envelope"]["data"]["list_price"] for e in late["events"]], ["41.00"])
        self.assertGreater(late["events"][0]["cursor"], page["cursor"])
        env_a.cr.execute("SELECT id FROM retail_gateway_outbox_event WHERE name = %s", [late["events"][0]["envelope"]["id"]])
        self.assertEqual(env_a.cr.fetchone()[0], id_a, "the late event has the lower id")
