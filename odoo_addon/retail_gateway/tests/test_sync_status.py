from odoo.tests import Form, tagged

from .common import RetailGatewayCase


@tagged("post_install", "-at_install")
class TestSyncStatus(RetailGatewayCase):
    """Sync status on orders, pickings, invoices, customers and products, searchable."""

    def report(self, event, status="delivered", error=None, at="2026-11-27T12:00:00Z"):
        return self.Outbox.report_deliveries(results=[{
            "event_id": event.name, "partner": self.partner.code, "subscription_id": self.subscription.id,
            "status": status, "attempts": 1, "last_error": error, "at": at}])

    def test_order_goes_pending_synced_failed(self):
        order = self.submit_one("WEB-SYNC")
        self.publish()
        self.assertEqual(order.rg_sync_state, "pending")
        self.assertEqual(order.rg_event_count, 1)
        self.report(self.events("order.created"))
        order.invalidate_recordset()
        self.assertEqual(order.rg_sync_state, "synced")
        self.assertTrue(order.rg_last_sync_at)
        SaleOrder = self.env["sale.order"]
        self.assertIn(order, SaleOrder.search([("rg_sync_state", "=", "synced")]))
        self.ship(order)
        shipped = self.events("shipment.shipped")
        order.invalidate_recordset()
        self.assertEqual(order.rg_sync_state, "pending", "the order's shipment is not delivered yet")
        picking = self.env["stock.picking"].browse(shipped.record_id)
        self.assertEqual(picking.rg_sync_state, "pending")
        self.report(shipped, status="failed", error="HTTP 502 from https://shop.example.com")
        order.invalidate_recordset()
        picking.invalidate_recordset()
        self.assertEqual(order.rg_sync_state, "failed")
        self.assertEqual(picking.rg_sync_state, "failed")
        self.assertEqual(picking.rg_last_sync_error, "HTTP 502 from https://shop.example.com")
        self.assertEqual(SaleOrder.search([("rg_sync_state", "=", "failed"), ("id", "=", order.id)]), order)
        self.assertIn(picking, self.env["stock.picking"].search([("rg_sync_state", "=", "failed")]))
        self.assertNotIn(order, SaleOrder.search([("rg_sync_state", "!=", "failed")]))

    def test_records_without_subscribers_are_not_applicable(self):
        self.subscription.active = False
        order = self.submit_one("WEB-NA")
        self.publish()
        self.assertEqual(order.rg_sync_state, "not_applicable")
        self.assertEqual(order.rg_event_count, 1, "the event exists; nobody is subscribed")
        quotation = self.env["sale.order"].create({"partner_id": self.env.user.partner_id.id})
        self.assertIn(quotation, self.env["sale.order"].search([("rg_sync_state", "=", "not_applicable")]))
        self.assertNotIn(quotation, self.env["sale.order"].search([("rg_sync_state", "in", ["pending", "failed"])]))

    def test_invoice_customer_and_product_status(self):
        order = self.submit_one("WEB-INV-SYNC")
        invoice = order._create_invoices()
        invoice.action_post()
        self.product_a.product_tmpl_id.list_price = 44
        self.publish()
        self.assertEqual(invoice.rg_sync_state, "pending")
        self.assertEqual(order.partner_id.rg_sync_state, "pending")
        template = self.product_a.product_tmpl_id
        self.assertEqual(template.rg_sync_state, "pending")
        self.report(self.events("invoice.posted"), status="dead", error="410 Gone")
        invoice.invalidate_recordset()
        self.assertEqual(invoice.rg_sync_state, "failed")
        self.assertIn(invoice, self.env["account.move"].search([("rg_sync_state", "=", "failed")]))
        for event in self.events("product.updated") | self.events("inventory.changed").filtered(
            lambda e: e.payload["sku"] == "RG-LAMP"
        ):
            self.report(event)
        template.invalidate_recordset()
        self.assertEqual(template.rg_sync_state, "synced")
        self.assertIn(template, self.env["product.template"].search([("rg_sync_state", "=", "synced")]))

    def test_smart_buttons_open_events_and_deliveries(self):
        order = self.submit_one("WEB-BTN")
        self.report(self.events("order.created"))
        events_action = order.action_rg_view_events()
        self.assertEqual(self.env["retail_gateway.outbox.event"].search(events_action["domain"]), self.events("order.created"))
        deliveries_action = order.action_rg_view_deliveries()
        self.assertEqual(len(self.env["retail_gateway.delivery"].search(deliveries_action["domain"])), 1)

    def test_forms_render_the_badge(self):
        order = self.submit_one("WEB-FORM")
        self.publish()
        form = Form(order)
        self.assertEqual(form.rg_sync_state, "pending")
