from odoo import api, fields, models
from odoo.tools import SQL

from ..compat import sql_constraints
from ..utils import describe_delivery_error


@sql_constraints
class RetailGatewayDelivery(models.Model):
    """The outcome of one event's delivery to one partner subscription (a webhook attempt), as reported
    by the relay."""

    _name = "retail_gateway.delivery"
    _description = "Retail Gateway Webhook Attempt"
    _order = "at desc, id desc"

    event_id = fields.Many2one(
        "retail_gateway.outbox.event", string="Event", required=True, ondelete="cascade", index=True, readonly=True
    )
    event_type = fields.Selection(related="event_id.event_type", store=True, readonly=True)
    partner_id = fields.Many2one(
        "retail_gateway.partner", string="Partner", required=True, ondelete="cascade", index=True, readonly=True
    )
    subscription_id = fields.Many2one("retail_gateway.subscription", string="Subscription", ondelete="set null", readonly=True)
    subscription_ref = fields.Integer(
        readonly=True, help="Subscription id as reported (0 when none), kept after the subscription is deleted."
    )
    status = fields.Selection(
        [("delivered", "Delivered"), ("failed", "Failed"), ("dead", "Dead letter")], required=True, readonly=True
    )
    attempts = fields.Integer(readonly=True)
    last_error = fields.Text(readonly=True)
    error_message = fields.Char("Error", compute="_compute_error_message")
    next_attempt_at = fields.Datetime("Next Retry", readonly=True)
    at = fields.Datetime("Reported At", required=True, readonly=True)
    record_model = fields.Char(related="event_id.record_model", readonly=True)
    record_id = fields.Integer(related="event_id.record_id", readonly=True)
    company_id = fields.Many2one(related="partner_id.company_id", store=True, readonly=True)

    _sql_constraints = [
        (
            "event_partner_subscription_uniq",
            "unique(event_id, partner_id, subscription_ref)",
            "One delivery row per event, partner and subscription.",
        ),
    ]

    @api.depends("last_error")
    def _compute_error_message(self):
        for delivery in self:
            delivery.error_message = describe_delivery_error(self.env, delivery.last_error)

    @api.depends("event_id", "partner_id")
    def _compute_display_name(self):
        for delivery in self:
            delivery.display_name = f"{delivery.event_id.display_name} → {delivery.partner_id.display_name}"

    @api.model
    def _rg_upsert(self, event_id, partner_id, subscription_id, status, attempts, last_error, at, next_attempt_at=None):
        """Inserts or updates the delivery; a report older than the stored one is ignored."""
        subscription = self.env["retail_gateway.subscription"].browse(subscription_id or 0).exists()
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s AS d (event_id, partner_id, subscription_id, subscription_ref,
                                               status, attempts, last_error, at, company_id,
                                               event_type, next_attempt_at, create_uid, create_date, write_uid, write_date)
                   SELECT %(event)s, %(partner)s, %(subscription)s, %(ref)s, %(status)s, %(attempts)s,
                          %(error)s, %(at)s, p.company_id, e.event_type, %(next_at)s,
                          %(uid)s, now() at time zone 'utc', %(uid)s, now() at time zone 'utc'
                     FROM retail_gateway_partner p, retail_gateway_outbox_event e
                    WHERE p.id = %(partner)s AND e.id = %(event)s
                   ON CONFLICT (event_id, partner_id, subscription_ref) DO UPDATE
                      SET status = EXCLUDED.status, attempts = GREATEST(d.attempts, EXCLUDED.attempts),
                          last_error = EXCLUDED.last_error, at = EXCLUDED.at,
                          next_attempt_at = EXCLUDED.next_attempt_at,
                          subscription_id = EXCLUDED.subscription_id,
                          write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                    WHERE EXCLUDED.at >= d.at""",
                table=SQL.identifier(self._table),
                event=event_id,
                partner=partner_id,
                subscription=subscription.id or None,
                ref=subscription_id or 0,
                status=status,
                attempts=attempts,
                error=last_error,
                at=at,
                next_at=next_attempt_at,
                uid=self.env.uid,
            )
        )
        self.invalidate_model()
