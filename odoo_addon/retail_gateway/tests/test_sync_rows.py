from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import RetailGatewayCase


@tagged("post_install", "-at_install")
class TestSyncRows(RetailGatewayCase):
    """The stored sync state of a record for each partner, as people read it in Sync Status."""

    def report(self, event, status="delivered", error=None, at="2026-11-27T12:00:00Z", next_attempt_at=None, attempts=1):
        return self.Outbox.report_deliveries(results=[{
            "event_id": event.name, "partner": self.partner.code, "subscription_id": self.subscription.id,
            "status": status, "attempts": attempts, "last_error": error, "at": at, "next_attempt_at": next_attempt_at}])

    def rows(self, record):
        return self.env["retail_gateway.sync.status"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )

    def filter_domain(self, name):
        """The domain of a filter of the Sync Status search view, as the web client applies it."""
        view = self.env.ref("retail_gateway.retail_gateway_sync_status_view_search")
        node = etree.fromstring(view.arch).xpath(f"//filter[@name='{name}']")[0]
        return safe_eval(node.get("domain"))

    def test_an_event_written_is_pending_then_synced_when_delivered(self):
        order = self.submit_one("WEB-ROW-1")
        self.publish()
        row = self.rows(order)
        self.assertEqual(len(row), 1, "one row per record and partner, from the moment the event is written")
        self.assertEqual(row.state, "pending")
        self.assertEqual(row.partner_id, self.partner)
        self.assertEqual(row.record_name, order.display_name, "the record's name, not model and id")
        self.assertEqual(row.model_name, self.env["ir.model"]._get("sale.order").name)
        created = self.events("order.created")
        self.assertEqual(row.event_id, created)
        self.assertEqual(created.display_name, f"order.created · {order.display_name}")
        self.assertEqual(row.note, "Waiting for the gateway")
        self.assertIn(row, self.env["retail_gateway.sync.status"].search(self.filter_domain("pending")))

        self.report(created)
        self.assertEqual(row.state, "synced")
        self.assertFalse(row.note)
        self.assertEqual(order.rg_sync_state, "synced")

    def test_failed_then_replayed_is_pending_and_follows_the_new_attempt(self):
        order = self.submit_one("WEB-ROW-2")
        created = self.events("order.created")
        row = self.rows(order)
        self.report(created, status="failed", error="HTTP 503", next_attempt_at="2026-11-27T12:05:00Z")
        self.assertEqual(row.state, "failed")
        self.assertEqual(row.error_message, "The partner's endpoint answered HTTP 503 (service unavailable).")
        self.assertEqual(str(row.next_attempt_at), "2026-11-27 12:05:00")
        self.assertFalse(row.note, "the next retry has its own column")
        self.assertTrue(row.next_attempt_text.startswith("Next retry"), row.next_attempt_text)
        order.invalidate_recordset()
        self.assertEqual(order.rg_sync_state, "failed")
        banner = order.rg_sync_message
        for part in (self.partner.name, "order.created", "HTTP 503 (service unavailable)", "Next retry"):
            self.assertIn(part, banner)

        created.action_replay()
        self.assertEqual(row.state, "pending", "Replay: pending again at once")
        self.assertEqual(row.note, "Replaying…")
        self.assertFalse(row.next_attempt_at)
        order.invalidate_recordset()
        self.assertEqual(order.rg_sync_state, "pending")
        self.assertFalse(order.rg_sync_message)

        # The new attempt fails too: failed again, then the gateway gives up.
        self.report(created, status="failed", error="connect timeout", at="2026-11-27T12:10:00Z",
                    next_attempt_at="2026-11-27T12:15:00Z")
        self.assertEqual(row.state, "failed")
        self.assertEqual(row.error_message, "The partner's endpoint did not accept the connection in time.")
        self.report(created, status="dead", error="HTTP 404 (retry schedule exhausted)", at="2026-11-27T12:20:00Z", attempts=12)
        self.assertEqual(row.state, "failed")
        self.assertFalse(row.next_attempt_at, "no retry after the gateway gave up")
        self.assertIn("gave up after 12 attempts", row.note)

        # Replayed once more, delivered this time.
        row.action_replay()
        self.assertEqual((row.state, row.note), ("pending", "Replaying…"))
        self.report(created, at="2026-11-27T12:30:00Z")
        self.assertEqual(row.state, "synced")
        self.assertFalse(row.last_error)
        self.assertFalse(row.error_message)
        order.invalidate_recordset()
        self.assertEqual(order.rg_sync_state, "synced")

    def test_a_newer_event_keeps_the_record_pending_until_it_is_delivered(self):
        order = self.submit_one("WEB-ROW-3")
        created = self.events("order.created")
        self.report(created)
        row = self.rows(order)
        self.assertEqual(row.state, "synced")
        mark = created.id
        self.ship(order)
        shipped = self.events("shipment.shipped", since=mark)
        self.assertEqual(row.state, "pending")
        self.assertEqual(row.event_id, shipped, "the last event is the newest one")
        self.report(shipped)
        self.assertEqual(row.state, "synced")

    def test_sync_status_filters_and_groups(self):
        Status = self.env["retail_gateway.sync.status"]
        synced = self.submit_one("WEB-F-1")
        failed = self.submit_one("WEB-F-2")
        pending = self.submit_one("WEB-F-3")
        created = {e.payload["external_id"]: e for e in self.events("order.created")}
        self.report(created["WEB-F-1"])
        self.report(created["WEB-F-2"], status="dead", error="HTTP 410")
        mine = [("res_model", "=", "sale.order"), ("res_id", "in", (synced | failed | pending).ids)]
        for name, order in (("failed", failed), ("pending", pending), ("synced", synced)):
            found = Status.search(mine + self.filter_domain(name))
            self.assertEqual(found, self.rows(order), f"the {name} filter")
        self.assertEqual(Status._read_group(mine, ["partner_id"], ["__count"]), [(self.partner, 3)], "group by partner")
        self.assertEqual(
            Status._read_group(mine, ["model_name"], ["__count"]),
            [(self.env["ir.model"]._get("sale.order").name, 3)],
            "group by document type",
        )
        # The records' own filters agree.
        SaleOrder = self.env["sale.order"]
        self.assertIn(failed, SaleOrder.search([("rg_sync_state", "=", "failed")]))
        self.assertNotIn(pending, SaleOrder.search([("rg_sync_state", "=", "failed")]))
        self.assertIn(pending, SaleOrder.search([("rg_sync_state", "=", "pending")]))

    def test_the_sync_button_opens_the_record_rows(self):
        order = self.submit_one("WEB-BTN-2")
        self.publish()
        action = order.action_rg_view_sync()
        self.assertEqual(action["res_model"], "retail_gateway.sync.status")
        self.assertEqual(self.env["retail_gateway.sync.status"].search(action["domain"]), self.rows(order))
        template = self.product_a.product_tmpl_id
        template.list_price = 41
        self.publish()
        rows = self.env["retail_gateway.sync.status"].search(template.action_rg_view_sync()["domain"])
        self.assertEqual(set(rows.mapped("res_id")), {self.product_a.id}, "a product's rows are its variants'")

    def test_a_refused_item_is_kept_with_its_reason(self):
        item = self.order_item("WEB-BAD", lines=[{"sku": "RG-NOPE", "quantity": 1, "unit_price": "1.00"}])
        result = self.submit(item)[0]
        self.assertEqual(result["status"], "rejected")
        refused = self.env["retail_gateway.intake.rejection"].search([("external_id", "=", "WEB-BAD")])
        self.assertEqual((refused.partner_id, refused.operation, refused.count), (self.partner, "_rg_submit_order", 1))
        self.assertIn("RG-NOPE", refused.reason)
        self.assertEqual(refused.display_name, "Order WEB-BAD")
        self.submit(item)
        self.assertEqual(refused.count, 2, "one line per external id, counted")
        self.assertFalse(self.env["retail_gateway.intake"].search([("external_id", "=", "WEB-BAD")]))

    def test_subscriptions_and_errors_read_as_words(self):
        self.assertEqual(self.subscription.display_name, "RG Web Shop · shop.example.com")

    def test_a_registered_payment_names_the_order_payment_transaction(self):
        order = self.submit_one("WEB-PAY-LATER", payment={"method": "card", "status": "pending"})
        self.assertFalse(order.rg_payment_transaction)
        payment = {"external_id": "WEB-PAY-LATER", "kind": "paid", "amount": "1.00", "currency": self.currency.name,
                   "provider": "stripe", "transaction_id": "pi_3QLATER", "at": "2026-11-27T09:15:00Z"}
        result = self.Api.register_payments(partner=self.partner.code, items=[{"intake_id": "p1", "item": payment}])
        self.assertEqual(result["results"][0]["status"], "registered")
        self.assertEqual((order.rg_payment_transaction, order.rg_payment_provider), ("pi_3QLATER", "stripe"))
