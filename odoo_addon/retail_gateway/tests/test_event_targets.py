from odoo.tests import tagged

from .common import ADDON_EVENT_TYPES, RetailGatewayCase

ORDER_TYPES = ("order.created", "order.cancelled", "shipment.shipped", "return.received", "invoice.posted")


@tagged("post_install", "-at_install")
class TestEventTargets(RetailGatewayCase):
    """Whom an event is for (``_rg_event_targets``), the rule the relay applies too
    (gateway/src/relay/routing.test.ts holds the same table), and the sync status that follows."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Subscription = cls.env["retail_gateway.subscription"]
        cls.other_warehouse = cls.env["stock.warehouse"].create({"name": "RG Europe", "code": "RGEU"})
        cls.wh, cls.eu = cls.warehouse.code, cls.other_warehouse.code
        everything = " ".join(ADDON_EVENT_TYPES)
        # rg-shop (the fixture's channel, allowed on wh only) and four more: an unrestricted
        # channel, an internal consumer with the admin scope, a 3PL allowed on wh only, and a
        # channel that knows the customer without an id for it.
        cls.channel = cls.Partner.create({"code": "rg-market", "name": "RG Marketplace"})
        cls.ops = cls.Partner.create(
            {"code": "rg-ops", "name": "RG Data Warehouse", "scopes": "admin", "tier": "internal"}
        )
        cls.tpl = cls.Partner.create(
            {
                "code": "rg-3pl",
                "name": "RG 3PL",
                "scopes": "shipments:read shipments:write inventory:write",
                "warehouse_ids": [(6, 0, cls.warehouse.ids)],
            }
        )
        for index, partner in enumerate((cls.channel, cls.ops, cls.tpl)):
            Subscription.create(
                {"partner_id": partner.id, "url": f"https://p{index}.example.com/h", "event_types": everything}
            )
        cls.subscriptions = Subscription._rg_effective_subscriptions()

    def targets(self, event_type, **data):
        return self.Partner._rg_event_targets(event_type, data, self.subscriptions)

    # ------------------------------------------------------------------ the rule

    def test_order_events_go_to_their_partner_only(self):
        for event_type in ORDER_TYPES:
            self.assertEqual(self.targets(event_type, partner="rg-market"), self.channel, event_type)
            self.assertEqual(self.targets(event_type, partner="rg-ops"), self.ops, event_type)
        self.assertEqual(self.targets("order.created", partner="rg-shop"), self.partner, "not to admins either")

    def test_order_events_made_in_odoo_go_to_admin_partners_only(self):
        for event_type in ORDER_TYPES:
            self.assertEqual(self.targets(event_type, partner=None), self.ops, event_type)
            self.assertEqual(self.targets(event_type), self.ops, f"{event_type} without a partner field")

    def test_a_3pl_gets_no_shipment_or_return_it_is_not_named_on_even_on_its_warehouse(self):
        for event_type in ("shipment.shipped", "return.received"):
            self.assertEqual(self.targets(event_type, partner=None, warehouse=self.wh), self.ops, event_type)
            self.assertEqual(self.targets(event_type, partner="rg-market", warehouse=self.wh), self.channel)
            self.assertEqual(self.targets(event_type, partner="rg-3pl", warehouse=self.wh), self.tpl)
        self.assertFalse(self.targets("shipment.shipped", partner="rg-3pl", warehouse=self.eu), "not its warehouse")
        self.assertFalse(self.targets("shipment.shipped", partner="rg-shop", warehouse=self.eu), "not its warehouse")

    def test_catalog_and_stock_go_to_every_subscriber_allowed_on_the_warehouse(self):
        everyone = self.partner | self.channel | self.ops | self.tpl
        self.assertEqual(self.targets("product.updated", sku="RG-LAMP"), everyone)
        self.assertEqual(self.targets("inventory.changed", sku="RG-LAMP", warehouse=self.wh), everyone)
        self.assertEqual(self.targets("inventory.changed", sku="RG-LAMP", warehouse=self.eu), self.channel | self.ops)

    def test_customers_go_to_the_partners_that_know_them_and_to_admins(self):
        self.assertEqual(self.targets("customer.updated", external_ids={"rg-market": "C-9"}), self.channel | self.ops)
        self.assertEqual(
            self.targets("customer.updated", external_ids={"rg-market": "C-9", "rg-shop": "A-1"}),
            self.partner | self.channel | self.ops,
        )
        self.assertEqual(self.targets("customer.updated", external_ids={}), self.ops)

    def test_inactive_partners_and_subscriptions_receive_nothing(self):
        self.ops.active = False
        self.channel.subscription_ids.active = False
        subscriptions = self.env["retail_gateway.subscription"]._rg_effective_subscriptions()
        self.assertFalse(self.Partner._rg_event_targets("order.created", {"partner": None}, subscriptions))
        self.assertFalse(self.Partner._rg_event_targets("order.created", {"partner": "rg-market"}, subscriptions))

    # ------------------------------------------------------------------ written events and sync status

    def back_office_order(self):
        line = {"product_id": self.product_a.id, "product_uom_qty": 1}
        order = self.env["sale.order"].create({"partner_id": self.env.user.partner_id.id, "order_line": [(0, 0, line)]})
        order.action_confirm()
        return order

    def test_an_order_entered_in_odoo_is_pending_for_admin_partners_only(self):
        order = self.back_office_order()
        created = self.events("order.created")
        self.assertIsNone(created.payload["partner"])
        self.assertEqual(created.target_partner_ids, self.ops)
        self.assertEqual(order.rg_sync_state, "pending", "waits for the internal consumer")
        self.Outbox.report_deliveries(results=[{
            "event_id": created.name, "partner": self.ops.code, "subscription_id": self.ops.subscription_ids.id,
            "status": "delivered", "attempts": 1, "last_error": None, "at": "2026-11-27T12:00:00Z"}])
        order.invalidate_recordset()
        self.assertEqual(order.rg_sync_state, "synced", "no channel holds it pending")
        statuses = self.env["retail_gateway.sync.status"].search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
        self.assertEqual(statuses.partner_id, self.ops)

        # Shipped from its warehouse (the 3PL's) and invoiced in Odoo: still admin partners only.
        picking = self.outgoing_picking(order)
        picking.move_ids.quantity = 1
        picking.button_validate()
        shipped = self.events("shipment.shipped")
        self.assertEqual(shipped.payload["warehouse"], self.wh)
        self.assertEqual(shipped.target_partner_ids, self.ops)
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(self.events("invoice.posted").target_partner_ids, self.ops)

    def test_an_order_entered_in_odoo_is_not_applicable_without_admin_subscribers(self):
        self.ops.active = False
        order = self.back_office_order()
        self.assertFalse(self.events("order.created").target_partner_ids)
        self.assertEqual(order.rg_sync_state, "not_applicable", "no channel shows it pending")
        self.assertEqual(order.rg_event_count, 1)

    def test_a_channel_order_and_its_events_go_to_that_channel_only(self):
        order = self.submit_one("WEB-OWN")
        self.assertEqual(self.events("order.created").target_partner_ids, self.partner)
        self.ship(order)
        self.assertEqual(self.events("shipment.shipped").target_partner_ids, self.partner, "not the 3PL of the warehouse")
        self.assertEqual(order.rg_sync_state, "pending")
        mark = self.events()[-1:].id
        order.partner_id.write({"city": "Brugge"})
        customer = self.events("customer.updated", since=mark)
        self.assertEqual(customer.target_partner_ids, self.partner | self.ops)
        self.submit_one("WEB-OWN-2")._action_cancel()
        self.assertEqual(self.events("order.cancelled").target_partner_ids, self.partner)

    def test_a_customer_link_without_external_id_is_not_a_target(self):
        order = self.submit_one("WEB-LINK")
        self.env["retail_gateway.customer.link"].create({"partner_id": self.channel.id, "customer_id": order.partner_id.id})
        mark = self.events()[-1:].id
        order.partner_id.write({"city": "Brugge"})
        event = self.events("customer.updated", since=mark)
        self.assertEqual(event.payload["external_ids"], {"rg-shop": "cust-8812"}, "the relay routes by this map")
        self.assertEqual(event.target_partner_ids, self.partner | self.ops)

    def test_a_delivery_to_a_partner_the_event_is_not_for_leaves_the_sync_status_alone(self):
        self.ops.active = False
        order = self.back_office_order()
        created = self.events("order.created")
        answer = self.Outbox.report_deliveries(results=[{
            "event_id": created.name, "partner": self.channel.code, "subscription_id": self.channel.subscription_ids.id,
            "status": "delivered", "attempts": 1, "last_error": None, "at": "2026-11-27T12:00:00Z"}])
        self.assertEqual(answer["recorded"], 1, "kept in the delivery log")
        self.assertEqual(created.delivery_ids.partner_id, self.channel)
        self.assertFalse(self.env["retail_gateway.sync.status"].search(
            [("partner_id", "=", self.channel.id), ("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        ))
        order.invalidate_recordset()
        self.assertEqual(order.rg_sync_state, "not_applicable", "never synced to a channel")
