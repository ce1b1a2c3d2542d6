from odoo import api, fields, models
from odoo.tools import SQL

from ..compat import sql_constraints

SYNC_STATES = [
    ("pending", "Pending"),
    ("synced", "Synced"),
    ("failed", "Failed"),
    ("not_applicable", "Not applicable"),
]
STATE_RANK = {"not_applicable": 0, "synced": 1, "pending": 2, "failed": 3}


@sql_constraints
class RetailGatewaySyncStatus(models.Model):
    """Delivery state of one business record for one partner.

    Only delivery reports write these rows, so they never touch nor lock business rows. Whether a
    record is still *pending* is derived when reading: it has an event targeting the partner that
    is newer than the last delivered one (see :meth:`_rg_record_states`).
    """

    _name = "retail_gateway.sync.status"
    _description = "Retail Gateway Sync Status"
    _order = "write_date desc, id desc"

    res_model = fields.Char("Model", required=True, readonly=True, index=True)
    res_id = fields.Integer("Record ID", required=True, readonly=True)
    partner_id = fields.Many2one("retail_gateway.partner", required=True, ondelete="cascade", readonly=True)
    delivered_ref = fields.Integer("Last Delivered Event", readonly=True, help="Outbox row id of the newest delivered event.")
    failed_ref = fields.Integer("Last Failed Event", readonly=True, help="Outbox row id of the newest failed event.")
    last_sync_at = fields.Datetime("Last Sync", readonly=True)
    last_failure_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)
    state = fields.Selection(
        [("synced", "Synced"), ("failed", "Failed")], compute="_compute_state", help="Outcome of the newest report."
    )
    company_id = fields.Many2one(related="partner_id.company_id", readonly=True)

    _sql_constraints = [
        ("record_partner_uniq", "unique(res_model, res_id, partner_id)", "One status per record and partner."),
    ]

    @api.depends("delivered_ref", "failed_ref")
    def _compute_state(self):
        for status in self:
            status.state = "failed" if (status.failed_ref or 0) > (status.delivered_ref or 0) else "synced"

    @api.model
    def _rg_upsert(self, res_model, res_id, partner_id, event_ref, outcome, error, at):
        delivered = outcome == "delivered"
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s AS s (res_model, res_id, partner_id, delivered_ref, failed_ref,
                                               last_sync_at, last_failure_at, last_error,
                                               create_uid, create_date, write_uid, write_date)
                   VALUES (%(model)s, %(res_id)s, %(partner)s, %(delivered)s, %(failed)s, %(sync_at)s,
                           %(failure_at)s, %(error)s, %(uid)s, now() at time zone 'utc', %(uid)s,
                           now() at time zone 'utc')
                   ON CONFLICT (res_model, res_id, partner_id) DO UPDATE SET
                       delivered_ref = GREATEST(s.delivered_ref, EXCLUDED.delivered_ref),
                       failed_ref = GREATEST(s.failed_ref, EXCLUDED.failed_ref),
                       last_sync_at = GREATEST(s.last_sync_at, EXCLUDED.last_sync_at),
                       last_failure_at = GREATEST(s.last_failure_at, EXCLUDED.last_failure_at),
                       last_error = CASE
                           WHEN EXCLUDED.failed_ref IS NOT NULL
                                AND EXCLUDED.failed_ref >= COALESCE(s.failed_ref, 0) THEN EXCLUDED.last_error
                           WHEN EXCLUDED.delivered_ref IS NOT NULL
                                AND EXCLUDED.delivered_ref >= COALESCE(s.failed_ref, 0) THEN NULL
                           ELSE s.last_error END,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date""",
                table=SQL.identifier(self._table),
                model=res_model,
                res_id=res_id,
                partner=partner_id,
                delivered=event_ref if delivered else None,
                failed=None if delivered else event_ref,
                sync_at=at if delivered else None,
                failure_at=None if delivered else at,
                error=None if delivered else (error or outcome),
                uid=self.env.uid,
            )
        )
        self.invalidate_model()

    @api.model
    def _rg_record_states(self, res_model, res_ids=None):
        """``{res_id: {"state", "last_sync_at", "last_error"}}`` for records of ``res_model`` with any
        integration history (all of them when ``res_ids`` is None). Others are not applicable.

        Per partner: *failed* when its newest report is a failure, *pending* when an event
        targeting it is newer than its last delivery, *synced* otherwise. A record is the worst of
        its partners.
        """
        if res_ids is not None and not res_ids:
            return {}
        ids = list(res_ids) if res_ids is not None else None
        record_filter = SQL("AND e.record_id = ANY(%s)", ids) if ids is not None else SQL()
        aggregate_filter = SQL("AND e.aggregate_id = ANY(%s)", ids) if ids is not None else SQL()
        status_filter = SQL("AND s.res_id = ANY(%s)", ids) if ids is not None else SQL()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """WITH refs AS (
                       SELECT e.id AS event_ref, e.record_id AS res_id
                         FROM retail_gateway_outbox_event e
                        WHERE e.record_model = %(model)s %(record_filter)s
                       UNION
                       SELECT e.id, e.aggregate_id
                         FROM retail_gateway_outbox_event e
                        WHERE e.aggregate_model = %(model)s %(aggregate_filter)s
                   ), targets AS (
                       SELECT r.res_id, rel.partner_id, MAX(r.event_ref) AS last_event
                         FROM refs r
                         JOIN retail_gateway_outbox_event_target_rel rel ON rel.event_id = r.event_ref
                        GROUP BY r.res_id, rel.partner_id
                   ), status AS (
                       SELECT s.* FROM retail_gateway_sync_status s
                        WHERE s.res_model = %(model)s %(status_filter)s
                   ), per_partner AS (
                       SELECT COALESCE(t.res_id, s.res_id) AS res_id,
                              CASE WHEN COALESCE(s.failed_ref, 0) > COALESCE(s.delivered_ref, 0) THEN 'failed'
                                   WHEN t.last_event > COALESCE(s.delivered_ref, 0) THEN 'pending'
                                   ELSE 'synced' END AS state,
                              s.last_sync_at, s.last_error, s.last_failure_at
                         FROM targets t
                         FULL OUTER JOIN status s ON s.res_id = t.res_id AND s.partner_id = t.partner_id
                   )
                   SELECT res_id,
                          CASE WHEN bool_or(state = 'failed') THEN 'failed'
                               WHEN bool_or(state = 'pending') THEN 'pending'
                               ELSE 'synced' END,
                          MAX(last_sync_at),
                          (array_agg(last_error ORDER BY last_failure_at DESC NULLS LAST)
                              FILTER (WHERE state = 'failed'))[1]
                     FROM per_partner
                    GROUP BY res_id""",
                model=res_model,
                record_filter=record_filter,
                aggregate_filter=aggregate_filter,
                status_filter=status_filter,
            )
        )
        return {
            res_id: {"state": state, "last_sync_at": last_sync_at, "last_error": last_error}
            for res_id, state, last_sync_at, last_error in self.env.cr.fetchall()
        }

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
