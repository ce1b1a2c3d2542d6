from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import RetailGatewayCase


@tagged("post_install", "-at_install")
class TestRelayApi(RetailGatewayCase):
    """claim / ack / report_deliveries / changes_since, within one transaction."""

    def setUp(self):
        super().setUp()
        # Two events of the lamp (one aggregate) and one of the box.
        self.product_a.product_tmpl_id.list_price = 41.0
        self.publish()
        self.product_b.product_tmpl_id.list_price = 16.0
        self.publish()
        self.product_a.product_tmpl_id.list_price = 42.0
        self.lamp_1, self.box_1, self.lamp_2 = self.events("product.updated")

    def claim(self, consumer, limit=10, lease_seconds=60):
        return self.Outbox.claim(limit=limit, lease_seconds=lease_seconds, consumer=consumer)

    def claimed_ids(self, answer):
        return [event["event_id"] for event in answer["events"]]

    def test_claim_hands_out_oldest_first_with_envelopes(self):
        answer = self.claim("relay-a")
        self.assertEqual(self.claimed_ids(answer), [self.lamp_1.name, self.box_1.name, self.lamp_2.name])
        sequences = [e["envelope"]["sequence"] for e in answer["events"]]
        self.assertEqual(sequences[2], sequences[0] + 1, "the lamp's events follow each other")
        self.assertEqual(answer["events"][0]["cursor"], self.lamp_1.id)
        self.assertTrue(answer["lease_until"].endswith("Z"))
        self.assertEqual(set(self.events().mapped("state")), {"leased"})
        self.assertEqual(self.claim("relay-b")["events"], [], "leased events are not handed out twice")

    def test_claim_never_hands_out_an_aggregates_next_event_while_an_earlier_one_is_unacknowledged(self):
        first = self.claim("relay-a", limit=1)
        self.assertEqual(self.claimed_ids(first), [self.lamp_1.name])
        second = self.claim("relay-b")
        self.assertEqual(self.claimed_ids(second), [self.box_1.name], "the lamp's second event waits for its first")
        self.Outbox.ack(event_ids=[self.lamp_1.name], consumer="relay-a")
        third = self.claim("relay-b")
        self.assertEqual(self.claimed_ids(third), [self.lamp_2.name])

    def test_lease_expiry_makes_events_claimable_again(self):
        self.claim("relay-a")
        self.assertEqual(self.claim("relay-b")["events"], [])
        past = fields.Datetime.now() - timedelta(seconds=1)
        self.env.cr.execute(
            "UPDATE retail_gateway_outbox_event SET lease_until = %s WHERE id = ANY(%s)", [past, self.events().ids]
        )
        self.Outbox.invalidate_model()
        answer = self.claim("relay-b")
        self.assertEqual(self.claimed_ids(answer), [self.lamp_1.name, self.box_1.name, self.lamp_2.name])
        self.assertEqual(self.lamp_1.claim_count, 2)
        acked = self.Outbox.ack(event_ids=[self.lamp_1.name], consumer="relay-a")
        self.assertEqual(acked, {"acked": [], "not_leased": [self.lamp_1.name]}, "the crashed relay lost its lease")
        acked = self.Outbox.ack(event_ids=[self.lamp_1.name], consumer="relay-b")
        self.assertEqual(acked["acked"], [self.lamp_1.name])

    def test_expired_lease_of_an_earlier_event_is_reclaimed_first(self):
        self.claim("relay-a", limit=1)
        self.env.cr.execute(
            "UPDATE retail_gateway_outbox_event SET lease_until = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(seconds=1), self.lamp_1.id],
        )
        answer = self.claim("relay-b")
        self.assertEqual(self.claimed_ids(answer), [self.lamp_1.name, self.box_1.name, self.lamp_2.name])

    def test_ack_is_idempotent_and_reports_unleased_events(self):
        self.claim("relay-a", limit=1)
        first = self.Outbox.ack(event_ids=[self.lamp_1.name, self.box_1.name, "no-such-event"], consumer="relay-a")
        self.assertEqual(first, {"acked": [self.lamp_1.name], "not_leased": [self.box_1.name, "no-such-event"]})
        self.assertEqual(self.lamp_1.state, "dispatched")
        self.assertTrue(self.lamp_1.dispatched_at)
        again = self.Outbox.ack(event_ids=[self.lamp_1.name], consumer="relay-a")
        self.assertEqual(again["acked"], [self.lamp_1.name])

    def test_report_deliveries_feeds_sync_status_without_touching_business_rows(self):
        template = self.product_a.product_tmpl_id
        self.assertEqual(template.rg_sync_state, "pending")
        write_date = template.write_date
        at = "2026-11-27T10:00:00Z"
        report = self.Outbox.report_deliveries(
            results=[
                {"event_id": self.lamp_1.name, "partner": self.partner.code, "subscription_id": self.subscription.id,
                 "status": "delivered", "attempts": 1, "last_error": None, "at": at},
                {"event_id": "unknown", "partner": self.partner.code, "subscription_id": None,
                 "status": "delivered", "attempts": 1, "last_error": None, "at": at},
            ]
        )
        self.assertEqual(report, {"recorded": 1, "unknown_events": ["unknown"]})
        template.invalidate_recordset()
        self.assertEqual(template.rg_sync_state, "pending", "the lamp's second event is not delivered yet")
        self.Outbox.report_deliveries(
            results=[{"event_id": self.lamp_2.name, "partner": self.partner.code, "subscription_id": self.subscription.id,
                      "status": "dead", "attempts": 12, "last_error": "HTTP 500 Internal Server Error", "at": at}]
        )
        template.invalidate_recordset()
        self.assertEqual(template.rg_sync_state, "failed")
        self.assertEqual(template.rg_last_sync_error, "HTTP 500 Internal Server Error")
        self.assertIn(template, self.env["product.template"].search([("rg_sync_state", "=", "failed")]))
        self.Outbox.report_deliveries(
            results=[{"event_id": self.lamp_2.name, "partner": self.partner.code, "subscription_id": self.subscription.id,
                      "status": "delivered", "attempts": 13, "last_error": None, "at": "2026-11-27T11:00:00Z"}]
        )
        template.invalidate_recordset()
        self.assertEqual(template.rg_sync_state, "synced")
        self.assertEqual(fields.Datetime.to_string(template.rg_last_sync_at), "2026-11-27 11:00:00")
        self.assertFalse(template.rg_last_sync_error)
        self.assertEqual(template.write_date, write_date, "reports never write the business row")
        delivery = self.lamp_2.delivery_ids
        self.assertEqual((delivery.status, delivery.attempts), ("delivered", 13))
        self.assertNotIn(template, self.env["product.template"].search([("rg_sync_state", "=", "failed")]))
        self.assertIn(template, self.env["product.template"].search([("rg_sync_state", "=", "synced")]))

    def test_stale_report_does_not_overwrite_a_newer_one(self):
        newer = {"event_id": self.box_1.name, "partner": self.partner.code, "subscription_id": self.subscription.id,
                 "status": "delivered", "attempts": 2, "last_error": None, "at": "2026-11-27T11:00:00Z"}
        older = dict(newer, status="failed", attempts=1, last_error="timeout", at="2026-11-27T10:00:00Z")
        self.Outbox.report_deliveries(results=[newer])
        self.Outbox.report_deliveries(results=[older])
        self.assertEqual(self.box_1.delivery_ids.status, "delivered")

    def test_changes_since_reads_in_commit_order_without_claiming(self):
        Outbox = self.Outbox
        self.assertGreaterEqual(Outbox._rg_stamp_positions(self.env.cr), 3)
        self.env.cr.execute(
            "SELECT COALESCE(MAX(position), 0) FROM retail_gateway_outbox_position WHERE event_id <= %s",
            [self.baseline_event_id],
        )
        start = self.env.cr.fetchone()[0]
        page = Outbox._rg_read_changes(self.env.cr, start, None, 2)
        self.assertTrue(page["has_more"])
        self.assertEqual([e["envelope"]["id"] for e in page["events"]], [self.lamp_1.name, self.box_1.name])
        self.assertEqual(page["cursor"], page["events"][-1]["cursor"])
        rest = Outbox._rg_read_changes(self.env.cr, page["cursor"], None, 10)
        self.assertFalse(rest["has_more"])
        self.assertEqual([e["envelope"]["id"] for e in rest["events"]], [self.lamp_2.name])
        self.assertEqual(set(self.events().mapped("state")), {"pending"}, "reading does not claim")
        other_types = Outbox._rg_read_changes(self.env.cr, start, ["inventory.changed"], 10)
        self.assertEqual(other_types["events"], [])
        self.assertEqual(other_types["cursor"], rest["cursor"], "the cursor moves past events of other types")
        self.assertEqual(Outbox._rg_stamp_positions(self.env.cr), 0, "positions are given once")

    def test_replay_puts_a_dispatched_event_back_in_the_queue(self):
        first = self.claim("relay-a")
        self.assertEqual({e["replay"] for e in first["events"]}, {False}, "a first claim is no replay")
        self.Outbox.ack(event_ids=[self.box_1.name], consumer="relay-a")
        self.box_1.action_replay()
        self.assertEqual(self.box_1.state, "pending")
        self.assertTrue(self.box_1.replay_requested)
        answer = self.claim("relay-b")
        self.assertEqual(self.claimed_ids(answer), [self.box_1.name], "same event id, so receivers de-duplicate")
        self.assertEqual([e["replay"] for e in answer["events"]], [True], "the relay is told to send it again")
        self.Outbox.ack(event_ids=[self.box_1.name], consumer="relay-b")
        self.assertFalse(self.box_1.replay_requested, "the acknowledgement ends the replay request")

    def test_arguments_are_checked(self):
        with self.assertRaises(ValidationError):
            self.Outbox.claim(limit=0, lease_seconds=60, consumer="relay")
        with self.assertRaises(ValidationError):
            self.Outbox.claim(limit=10, lease_seconds=60, consumer="")
        with self.assertRaises(ValidationError):
            self.Outbox.ack(event_ids=[], consumer="relay")
