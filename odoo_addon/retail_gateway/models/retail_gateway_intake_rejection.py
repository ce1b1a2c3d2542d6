from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..compat import sql_constraints

OPERATIONS = [
    ("_rg_submit_order", "Order"),
    ("_rg_cancel_order", "Order cancellation"),
    ("_rg_update_order", "Order update"),
    ("_rg_register_payment", "Payment"),
    ("_rg_submit_return", "Return"),
    ("_rg_confirm_shipment", "Shipment"),
    ("_rg_apply_stock_count", "Stock count"),
]
RETENTION_DAYS = 30


@sql_constraints
class RetailGatewayIntakeRejection(models.Model):
    """An item a partner submitted that Odoo refused, with the reasons it was given.

    A refused item leaves nothing else behind (its savepoint is rolled back), so this is where a
    person sees it. One row per partner, operation and external id (a resubmission refused again
    updates it and counts it); rows older than 30 days are removed.
    """

    _name = "retail_gateway.intake.rejection"
    _description = "Retail Gateway Rejected Intake"
    _order = "write_date desc, id desc"

    partner_id = fields.Many2one("retail_gateway.partner", required=True, ondelete="cascade", index=True, readonly=True)
    operation = fields.Selection(OPERATIONS, required=True, readonly=True)
    external_id = fields.Char("External ID", required=True, readonly=True)
    intake_id = fields.Char("Gateway Intake ID", readonly=True)
    request_id = fields.Char("Request ID", readonly=True)
    reason = fields.Text(readonly=True, help="What the partner was told, one reason a line.")
    count = fields.Integer("Times Refused", readonly=True, default=1)
    company_id = fields.Many2one(related="partner_id.company_id", store=True, readonly=True)

    _sql_constraints = [
        (
            "partner_operation_external_uniq",
            "unique(partner_id, operation, external_id)",
            "One line per refused external id and operation.",
        ),
    ]

    @api.depends("operation", "external_id")
    def _compute_display_name(self):
        labels = dict(OPERATIONS)
        for rejection in self:
            rejection.display_name = f"{labels.get(rejection.operation, rejection.operation)} {rejection.external_id}"

    @api.model
    def _rg_record(self, partner, operation, external_id, intake_id, reasons):
        """Keeps the refusal (after the item's savepoint was rolled back)."""
        if operation not in dict(OPERATIONS):
            return
        lines = []
        for reason in reasons or ():
            field = f" ({reason.get('field')})" if reason.get("field") else ""
            lines.append(f"{reason.get('message') or reason.get('code')}{field}")
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s AS r (partner_id, operation, external_id, intake_id, request_id, reason, count,
                                               company_id, create_uid, create_date, write_uid, write_date)
                   VALUES (%(partner)s, %(operation)s, %(external_id)s, %(intake_id)s, %(request_id)s, %(reason)s, 1,
                           %(company)s, %(uid)s, now() at time zone 'utc', %(uid)s, now() at time zone 'utc')
                   ON CONFLICT (partner_id, operation, external_id) DO UPDATE SET
                       intake_id = EXCLUDED.intake_id, request_id = EXCLUDED.request_id, reason = EXCLUDED.reason,
                       count = r.count + 1, write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date""",
                table=SQL.identifier(self._table),
                partner=partner.id,
                operation=operation,
                external_id=str(external_id or "-")[:255],
                intake_id=str(intake_id)[:128],
                request_id=self.env.context.get("request_id"),
                reason="\n".join(lines)[:4000],
                company=partner.company_id.id,
                uid=self.env.uid,
            )
        )

    @api.autovacuum
    def _gc_rejections(self):
        limit_date = fields.Datetime.now() - timedelta(days=RETENTION_DAYS)
        self.sudo().search([("write_date", "<", limit_date)], limit=10000).unlink()
