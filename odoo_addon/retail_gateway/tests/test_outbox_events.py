from odoo.tests import tagged

from .common import ADDON_EVENT_TYPES, RetailGatewayCase


@tagged("post_install", "-at_install")
class TestOutboxEvents(RetailGatewayCase):
    """An event on each trigger, in the transaction of the change, and none after a rollback."""

    def test_product_updated_on_synced_field_only(self):
        self.product_a.product_tmpl_id.write({"description": "Not a synced field"})
        self.assertFalse(self.events("product.updated"))
        self.product_a.product_tmpl_id.write({"list_price": 42.5})
        self.product_a.product_tmpl_id.write({"rg_safety_stock": 2.0})
        events = self.events("product.updated")
        self.assertEqual(len(events), 1, "two writes in one transaction coalesce into one event")
        self.assertEqual(events.subject, f"product.product/{self.product_a.id}")
        self.assertEqual(events.payload["list_price"], "42.50")
        self.assertEqual(events.payload["safety_stock"], 2.0)
        self.assertEqual(sorted(events.payload["changed_fields"]), ["list_price", "rg_safety_stock"])
        self.assertMatchesGolden(events)

    def test_variant_sku_change_is_product_updated(self):
        self.product_b.write({"default_code": "RG-BOX-2"})
        event = self.events("product.updated")
        self.assertEqual(event.payload["sku"], "RG-BOX-2")
        self.assertEqual(event.aggregate_external_id, "RG-BOX-2")
        self.assertEqual(event.payload["changed_fields"], ["default_code"])

    def test_inventory_changed_on_reservation_release_and_done_move(self):
        order = self.submit_one("WEB-INV")
        reserved = self.events("inventory.changed").filtered(lambda e: e.payload["sku"] == "RG-LAMP")
        self.assertEqual(len(reserved), 1, "the reservation of one product is one event")
        self.assertEqual(reserved.payload["reserved"], 2.0)
        self.assertEqual(reserved.payload["on_hand"], 50.0)
        self.assertEqual(reserved.payload["available"], 48.0)
        self.assertEqual(reserved.payload["warehouse"], self.warehouse.code)
        self.assertMatchesGolden(reserved)
        mark = reserved.id
        self.outgoing_picking(order).do_unreserve()
        released = self.events("inventory.changed", since=mark).filtered(lambda e: e.payload["sku"] == "RG-LAMP")
        self.assertEqual(released.payload["reserved"], 0.0)
        self.outgoing_picking(order).action_assign()
        mark = self.events()[-1:].id
        self.ship(order)
        done = self.events("inventory.changed", since=mark).filtered(lambda e: e.payload["sku"] == "RG-LAMP")
        self.assertEqual(done.payload["on_hand"], 48.0)
        self.assertEqual(done.payload["reserved"], 0.0)

    def test_inventory_available_subtracts_safety_stock(self):
        self.product_b.product_tmpl_id.rg_safety_stock = 5.0
        event = self.events("inventory.changed").filtered(
            lambda e: e.payload["sku"] == "RG-BOX" and e.payload["warehouse"] == self.warehouse.code
        )
        self.assertEqual(event.payload["safety_stock"], 5.0)
        self.assertEqual(event.payload["available"], 25.0)

    def test_customer_updated_only_for_known_customers(self):
        stranger = self.env["res.partner"].create({"name": "Walk-in", "email": "walkin@example.com"})
        stranger.write({"phone": "+32 9 123 45 67"})
        self.assertFalse(self.events("customer.updated"))
        order = self.submit_one("WEB-CUST")
        customer = order.partner_id
        mark = self.events()[-1:].id
        customer.write({"phone": "+32 470 12 34 56", "city": "Brugge"})
        event = self.events("customer.updated", since=mark)
        self.assertEqual(len(event), 1)
        self.assertEqual(event.subject, f"res.partner/{customer.id}")
        self.assertEqual(event.payload["external_ids"], {self.partner.code: "cust-8812"})
        self.assertEqual(event.payload["city"], "Brugge")
        self.assertEqual(sorted(event.payload["changed_fields"]), ["city", "phone"])
        self.assertEqual(event.target_partner_ids, self.partner)
        self.assertMatchesGolden(event)

    def test_customer_consent_change_is_customer_updated(self):
        customer = self.submit_one("WEB-CONSENT").partner_id
        mark = self.events()[-1:].id
        customer.rg_consent_ids.filtered(lambda c: c.channel == "email").status = "opted_out"
        event = self.events("customer.updated", since=mark)
        self.assertEqual(event.payload["changed_fields"], ["consents"])
        self.assertEqual(event.payload["consents"][0]["status"], "opted_out")

    def test_order_created_and_cancelled(self):
        order = self.submit_one("WEB-ORD")
        created = self.events("order.created")
        self.assertEqual(created.subject, f"sale.order/{order.id}")
        self.assertEqual(created.sequence, 1)
        self.assertEqual(created.payload["external_id"], "WEB-ORD")
        self.assertEqual(created.payload["partner"], self.partner.code)
        self.assertEqual(created.payload["amount_total"], f"{order.amount_total:.2f}")
        self.assertEqual([line["sku"] for line in created.payload["lines"]], ["RG-LAMP", "RG-BOX", "RG-SHIP"])
        self.assertMatchesGolden(created)
        order._action_cancel()
        cancelled = self.events("order.cancelled")
        self.assertEqual(cancelled.sequence, 2, "the order's second event")
        self.assertMatchesGolden(cancelled)

    def test_cancelling_a_quotation_is_no_event(self):
        quotation = self.env["sale.order"].create(
            {"partner_id": self.env.user.partner_id.id, "order_line": [(0, 0, {"product_id": self.product_a.id})]}
        )
        quotation._action_cancel()
        self.assertFalse(self.events("order.cancelled"))
        self.assertFalse(self.events("order.created"))

    def test_order_confirmed_in_the_ui_is_order_created(self):
        order = self.env["sale.order"].create(
            {"partner_id": self.env.user.partner_id.id, "order_line": [(0, 0, {"product_id": self.product_a.id})]}
        )
        order.action_confirm()
        event = self.events("order.created")
        self.assertEqual(event.payload["partner"], None)
        self.assertFalse(event.target_partner_ids, "an Odoo order goes to admin partners only, not to a channel")
        self.assertMatchesGolden(event)

    def test_shipment_return_and_invoice_in_order_of_one_aggregate(self):
        order = self.submit_one("WEB-FLOW")
        result = self.ship(order, lines=[{"sku": "RG-LAMP", "quantity": 2}, {"sku": "RG-BOX", "quantity": 3}])
        self.assertEqual(result["status"], "confirmed", result)
        shipped = self.events("shipment.shipped")
        self.assertEqual(shipped.subject, f"sale.order/{order.id}", "the order is the aggregate")
        self.assertEqual(shipped.sequence, 2)
        self.assertEqual(shipped.payload["carrier"], "RG Express")
        self.assertEqual(shipped.payload["tracking_number"], "1Z999AA10123456784")
        self.assertEqual(shipped.payload["shipped_at"], "2026-11-27T15:01:00.000Z")
        self.assertEqual(shipped.payload["lines"], [{"sku": "RG-LAMP", "quantity": 2.0}, {"sku": "RG-BOX", "quantity": 3.0}])
        self.assertTrue(shipped.payload["backorder"], "the 2 boxes not shipped wait in a backorder")
        self.assertEqual(shipped.record_model, "stock.picking")
        self.assertMatchesGolden(shipped)

        invoice = order._create_invoices()
        invoice.action_post()
        posted = self.events("invoice.posted")
        self.assertEqual(posted.sequence, 3)
        self.assertEqual(posted.payload["order_external_ids"], ["WEB-FLOW"])
        self.assertEqual(posted.payload["amount_total"], f"{invoice.amount_total:.2f}")
        self.assertMatchesGolden(posted)

        returned = self.Api.submit_returns(
            partner=self.partner.code,
            returns=[
                {
                    "intake_id": "ret-1",
                    "item": {
                        "external_id": "RMA-1",
                        "order_external_id": "WEB-FLOW",
                        "lines": [{"sku": "RG-LAMP", "quantity": 1}],
                        "requested_at": "2026-12-01T10:00:00Z",
                    },
                }
            ],
        )["results"][0]
        self.assertEqual(returned["status"], "created", returned)
        return_picking = self.env["stock.picking"].browse(returned["record"]["id"])
        return_picking.move_ids.quantity = 1
        return_picking.button_validate()
        received = self.events("return.received")
        self.assertEqual(received.sequence, 4)
        self.assertEqual(received.payload["return_external_id"], "RMA-1")
        self.assertEqual(received.payload["lines"], [{"sku": "RG-LAMP", "quantity": 1.0}])
        self.assertMatchesGolden(received)
        sequences = self.events().filtered(lambda e: e.subject == f"sale.order/{order.id}").mapped("sequence")
        self.assertEqual(sequences, [1, 2, 3, 4])

    def test_no_event_after_rollback(self):
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            self.product_a.product_tmpl_id.write({"list_price": 99.0})
            self.env["sale.order"].create(
                {"partner_id": self.env.user.partner_id.id, "order_line": [(0, 0, {"product_id": self.product_a.id})]}
            ).action_confirm()
            1 / 0  # noqa: B018 - the failure that rolls the change back
        self.assertFalse(self.events(), "a rolled-back change leaves no event")
        self.env.cr.execute(
            "SELECT count(*) FROM retail_gateway_outbox_aggregate WHERE aggregate_model = 'sale.order'"
            " AND aggregate_id NOT IN (SELECT id FROM sale_order)"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "nor a sequence")

    def test_event_carries_request_id_of_the_call(self):
        self.Api.with_context(request_id="req-7f3a9c41").submit_orders(
            partner=self.partner.code, orders=[{"intake_id": "i-1", "item": self.order_item("WEB-REQ")}]
        )
        event = self.events("order.created")
        self.assertEqual(event.request_id, "req-7f3a9c41")
        self.assertEqual(self.envelope(event)["requestid"], "req-7f3a9c41")
        self.product_a.product_tmpl_id.list_price = 41
        self.assertNotIn("requestid", self.envelope(self.events("product.updated")))

    def test_envelope_is_cloudevents(self):
        order = self.submit_one("WEB-ENV")
        envelope = self.envelope(self.events("order.created"))
        self.assertEqual(envelope["specversion"], "1.0")
        self.assertEqual(envelope["datacontenttype"], "application/json")
        self.assertEqual(envelope["subject"], f"sale.order/{order.id}")
        self.assertRegex(envelope["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertTrue(envelope["source"].startswith("odoo://"))
        self.assertEqual(len({e.name for e in self.events()}), len(self.events()), "event ids are unique")

    def test_every_addon_event_type_has_a_golden_file(self):
        from .common import load_golden

        for event_type in ADDON_EVENT_TYPES:
            self.assertEqual(load_golden(event_type)["type"], event_type)
