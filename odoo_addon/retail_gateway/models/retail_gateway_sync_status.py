from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_datetime

from ..compat import sql_constraints
from ..utils import describe_delivery_error, record_names

# The state of a record as a whole (the worst of its partners); "Not sent" when no partner is to receive it.
SYNC_STATES = [
    ("pending", "Pending"),
    ("synced", "Synced"),
    ("failed", "Failed"),
    ("not_applicable", "Not sent"),
]
# The state of a record for one partner.
ROW_STATES = [
    ("pending", "Pending"),
    ("synced", "Synced"),
    ("failed", "Failed"),
]
STATE_RANK = {"not_applicable": 0, "synced": 1, "pending": 2, "failed": 3}

# The stored state, from the row's event references: a Replay in progress is pending; a failure newer
# than the last delivery is failed; an event newer than the last delivery is pending; else synced.
STATE_SQL = SQL(
    """CASE WHEN s.replay_ref IS NOT NULL THEN 'pending'
            WHEN COALESCE(s.failed_ref, 0) > COALESCE(s.delivered_ref, 0) THEN 'failed'
            WHEN COALESCE(s.last_event_ref, 0) > COALESCE(s.delivered_ref, 0) THEN 'pending'
            ELSE 'synced' END"""
)


@sql_constraints
class RetailGatewaySyncStatus(models.Model):
    """Sync state of one business record for one partner, stored so that it is searched, filtered and
    grouped like any field.

    Rows live in the addon's own table: the business rows are never written nor locked for them.
    Transitions:

    - an event is written for the record → *pending* for each partner it is for;
    - the gateway reports it delivered → *synced* (unless a newer event is still on its way);
    - reported failed (the gateway retries) or dead (it gave up) → *failed*, with the error and the
      next retry;
    - Replay on the event → *pending* ("Replaying…"), then whatever the new attempt's report says.
    """

    _name = "retail_gateway.sync.status"
    _description = "Retail Gateway Sync Status"
    _order = "write_date desc, id desc"
    _rec_name = "record_name"

    res_model = fields.Char("Model", required=True, readonly=True, index=True)
    model_name = fields.Char("Document Type", readonly=True, help="The kind of record: Sales Order, Transfer, ...")
    res_id = fields.Integer("Record ID", required=True, readonly=True)
    record_name = fields.Char("Record", compute="_compute_record_name")
    partner_id = fields.Many2one("retail_gateway.partner", required=True, ondelete="cascade", readonly=True)
    state = fields.Selection(ROW_STATES, required=True, default="pending", readonly=True, index=True)
    event_id = fields.Many2one(
        "retail_gateway.outbox.event", "Last Event", readonly=True, ondelete="set null",
        help="The newest event of this record for this partner.",
    )
    last_event_ref = fields.Integer("Newest Event", readonly=True, help="Outbox row id of the newest event.")
    delivered_ref = fields.Integer("Last Delivered Event", readonly=True, help="Outbox row id of the newest delivered event.")
    failed_ref = fields.Integer("Last Failed Event", readonly=True, help="Outbox row id of the newest failed event.")
    replay_ref = fields.Integer(readonly=True, help="Outbox row id of the event being replayed, until its new attempt is reported.")
    replay_at = fields.Datetime("Replay Asked At", readonly=True)
    delivery_status = fields.Selection(
        [("delivered", "Delivered"), ("failed", "Failed, retrying"), ("dead", "Failed, gave up")],
        "Last Report",
        readonly=True,
    )
    attempts = fields.Integer(readonly=True)
    last_sync_at = fields.Datetime("Last Sync", readonly=True)
    last_failure_at = fields.Datetime(readonly=True)
    last_error = fields.Text("Error (technical)", readonly=True)
    error_message = fields.Char("Error", compute="_compute_error_message")
    next_attempt_at = fields.Datetime("Next Retry", readonly=True)
    note = fields.Char("Details", compute="_compute_note")
    next_attempt_text = fields.Char("Next Retry (text)", compute="_compute_next_attempt_text")
    company_id = fields.Many2one(related="partner_id.company_id", readonly=True)

    _sql_constraints = [
        ("record_partner_uniq", "unique(res_model, res_id, partner_id)", "One status per record and partner."),
    ]

    # ------------------------------------------------------------------ computes

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        by_model = {}
        for status in self:
            by_model.setdefault(status.res_model, []).append(status.res_id)
        names = {model: record_names(self.env, model, ids) for model, ids in by_model.items() if model}
        for status in self:
            status.record_name = names.get(status.res_model, {}).get(status.res_id) or f"{status.res_model} {status.res_id}"

    @api.depends("last_error", "state")
    def _compute_error_message(self):
        for status in self:
            status.error_message = describe_delivery_error(self.env, status.last_error) if status.state == "failed" else False

    @api.depends("state", "replay_ref", "delivery_status", "attempts")
    def _compute_note(self):
        """What happens next, in words (the next retry has its own column)."""
        for status in self:
            if status.replay_ref:
                status.note = self.env._("Replaying…")
            elif status.state == "failed" and status.delivery_status == "dead":
                status.note = self.env._("The gateway gave up after %(n)s attempts; use Replay to send it again.", n=status.attempts)
            elif status.state == "pending":
                status.note = self.env._("Waiting for the gateway")
            else:
                status.note = False

    @api.depends("next_attempt_at", "state")
    def _compute_next_attempt_text(self):
        for status in self:
            status.next_attempt_text = (
                self.env._("Next retry %(at)s.", at=format_datetime(self.env, status.next_attempt_at))
                if status.state == "failed" and status.next_attempt_at
                else False
            )

    # ------------------------------------------------------------------ writers (SQL: no business row touched)

    @api.model
    def _rg_model_names(self, models_):
        return {model: self.env["ir.model"]._get(model).name or model for model in models_}

    @api.model
    def _rg_events_written(self, events):
        """Pending for every partner each of ``events`` is for, on its record and its aggregate."""
        newest = {}
        for event in events:
            refs = {(event.record_model, event.record_id), (event.aggregate_model, event.aggregate_id)}
            for partner in event.target_partner_ids:
                for res_model, res_id in refs:
                    key = (res_model, res_id, partner.id)
                    newest[key] = max(newest.get(key, 0), event.id)
        if not newest:
            return
        keys = sorted(newest)
        names = self._rg_model_names({key[0] for key in keys})
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s AS s (res_model, model_name, res_id, partner_id, state, last_event_ref, event_id,
                                               create_uid, create_date, write_uid, write_date)
                   SELECT m, n, r, p, 'pending', e, e, %(uid)s, now() at time zone 'utc', %(uid)s, now() at time zone 'utc'
                     FROM unnest(%(models)s::varchar[], %(names)s::varchar[], %(ids)s::int[], %(partners)s::int[],
                                 %(events)s::int[]) AS t(m, n, r, p, e)
                   ON CONFLICT (res_model, res_id, partner_id) DO UPDATE SET
                       last_event_ref = GREATEST(s.last_event_ref, EXCLUDED.last_event_ref),
                       event_id = CASE WHEN EXCLUDED.last_event_ref >= COALESCE(s.last_event_ref, 0)
                                       THEN EXCLUDED.event_id ELSE s.event_id END,
                       model_name = EXCLUDED.model_name,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                   RETURNING s.id""",
                table=SQL.identifier(self._table),
                uid=self.env.uid,
                models=[k[0] for k in keys],
                names=[names[k[0]] for k in keys],
                ids=[k[1] for k in keys],
                partners=[k[2] for k in keys],
                events=[newest[k] for k in keys],
            )
        )
        self._rg_restate([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _rg_restate(self, ids):
        if not ids:
            return
        self.env.cr.execute(
            SQL(
                "UPDATE %(table)s s SET state = %(state)s WHERE s.id = ANY(%(ids)s)",
                table=SQL.identifier(self._table),
                state=STATE_SQL,
                ids=list(ids),
            )
        )
        self.invalidate_model()

    @api.model
    def _rg_upsert(self, res_model, res_id, partner_id, event_ref, outcome, error, at, attempts=0, next_attempt_at=None):
        """Applies one delivery report (``delivered``, ``failed`` or ``dead``) of event ``event_ref``."""
        delivered = outcome == "delivered"
        names = self._rg_model_names([res_model])
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s AS s (res_model, model_name, res_id, partner_id, state, last_event_ref, event_id,
                                               delivered_ref, failed_ref, last_sync_at, last_failure_at, last_error,
                                               delivery_status, attempts, next_attempt_at,
                                               create_uid, create_date, write_uid, write_date)
                   VALUES (%(model)s, %(model_name)s, %(res_id)s, %(partner)s, 'pending', %(event)s,
                           (SELECT id FROM retail_gateway_outbox_event WHERE id = %(event)s),
                           %(delivered)s, %(failed)s, %(sync_at)s, %(failure_at)s, %(error)s, %(outcome)s, %(attempts)s,
                           %(next_at)s, %(uid)s, now() at time zone 'utc', %(uid)s, now() at time zone 'utc')
                   ON CONFLICT (res_model, res_id, partner_id) DO UPDATE SET
                       last_event_ref = GREATEST(s.last_event_ref, EXCLUDED.last_event_ref),
                       event_id = CASE WHEN EXCLUDED.last_event_ref >= COALESCE(s.last_event_ref, 0)
                                       THEN EXCLUDED.event_id ELSE s.event_id END,
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
                       delivery_status = CASE
                           WHEN %(event)s >= GREATEST(COALESCE(s.failed_ref, 0), COALESCE(s.delivered_ref, 0))
                           THEN EXCLUDED.delivery_status ELSE s.delivery_status END,
                       attempts = CASE
                           WHEN %(event)s >= GREATEST(COALESCE(s.failed_ref, 0), COALESCE(s.delivered_ref, 0))
                           THEN EXCLUDED.attempts ELSE s.attempts END,
                       next_attempt_at = CASE
                           WHEN %(event)s >= GREATEST(COALESCE(s.failed_ref, 0), COALESCE(s.delivered_ref, 0))
                           THEN EXCLUDED.next_attempt_at ELSE s.next_attempt_at END,
                       replay_ref = CASE WHEN %(event)s >= COALESCE(s.replay_ref, 0) THEN NULL ELSE s.replay_ref END,
                       replay_at = CASE WHEN %(event)s >= COALESCE(s.replay_ref, 0) THEN NULL ELSE s.replay_at END,
                       model_name = EXCLUDED.model_name,
                       write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
                   RETURNING s.id""",
                table=SQL.identifier(self._table),
                model=res_model,
                model_name=names[res_model],
                res_id=res_id,
                partner=partner_id,
                event=event_ref,
                delivered=event_ref if delivered else None,
                failed=None if delivered else event_ref,
                sync_at=at if delivered else None,
                failure_at=None if delivered else at,
                error=None if delivered else (error or outcome),
                outcome=outcome,
                attempts=attempts or 0,
                next_at=next_attempt_at if outcome == "failed" else None,
                uid=self.env.uid,
            )
        )
        self._rg_restate([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _rg_replay_requested(self, events):
        """Replay pressed on ``events``: their records are pending again for the partners they are for,
        marked as replaying until the new attempt is reported."""
        now = fields.Datetime.now()
        touched = []
        for event in events:
            refs = {(event.record_model, event.record_id), (event.aggregate_model, event.aggregate_id)}
            for res_model, res_id in sorted(refs):
                self.env.cr.execute(
                    SQL(
                        """UPDATE %(table)s SET replay_ref = GREATEST(COALESCE(replay_ref, 0), %(event)s),
                                  replay_at = %(now)s, next_attempt_at = NULL,
                                  write_uid = %(uid)s, write_date = %(now)s
                            WHERE res_model = %(model)s AND res_id = %(res_id)s AND partner_id = ANY(%(partners)s)
                           RETURNING id""",
                        table=SQL.identifier(self._table),
                        event=event.id,
                        now=now,
                        uid=self.env.uid,
                        model=res_model,
                        res_id=res_id,
                        partners=event.target_partner_ids.ids,
                    )
                )
                touched += [row[0] for row in self.env.cr.fetchall()]
        self._rg_restate(touched)

    # ------------------------------------------------------------------ readers

    @api.model
    def _rg_rows_for(self, res_model, res_ids):
        """The rows of records ``res_ids`` of ``res_model``."""
        if not res_ids:
            return self.browse()
        return self.search([("res_model", "=", res_model), ("res_id", "in", list(res_ids))])

    @api.model
    def _rg_record_states(self, res_model, res_ids=None):
        """``{res_id: state}`` for records of ``res_model`` with any row (all of them when ``res_ids``
        is None): the worst state of its partners. Records without a row are not sent."""
        if res_ids is not None and not res_ids:
            return {}
        ids_filter = SQL("AND s.res_id = ANY(%s)", list(res_ids)) if res_ids is not None else SQL()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT s.res_id,
                          CASE WHEN bool_or(s.state = 'failed') THEN 'failed'
                               WHEN bool_or(s.state = 'pending') THEN 'pending'
                               ELSE 'synced' END
                     FROM %(table)s s
                    WHERE s.res_model = %(model)s %(ids_filter)s
                    GROUP BY s.res_id""",
                table=SQL.identifier(self._table),
                model=res_model,
                ids_filter=ids_filter,
            )
        )
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------ actions

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def action_replay(self):
        """Replays the newest failed (else the newest) event of each row."""
        refs = {status.failed_ref or status.last_event_ref for status in self if status.failed_ref or status.last_event_ref}
        events = self.env["retail_gateway.outbox.event"].browse(sorted(refs)).exists()
        return events.action_replay()
