"""Transactional outbox: one row per domain event, written in the transaction of the change.

How an event is born
    Business models call :meth:`RetailGatewayOutboxEvent._rg_register` while they change a record.
    That only records an *intent* in ``cr.precommit.data``; a pre-commit callback turns the intents
    into outbox rows just before the transaction commits (and whenever Odoo flushes the cursor,
    e.g. on entering a savepoint). So a rolled-back change leaves no event, a committed change always
    has its event, several changes of one record in one transaction become one event, and the payload
    reflects the final state of the transaction (carrier and tracking written after a validation are
    in the ``shipment.shipped`` payload).

Per-aggregate sequence
    Allocated from a counter row per aggregate (``INSERT ... ON CONFLICT DO UPDATE``). The counter
    row stays locked until the transaction ends, so an aggregate's sequence follows its commit
    order. Two transactions racing on one aggregate get a serialisation failure, which Odoo's RPC
    layer retries like any other concurrent update.

Commit-ordered positions (``changes_since``)
    Row ids come from a sequence at insert time, so a transaction that commits late can make a row
    with a *lower* id visible after a reader already moved its cursor past it. A cursor over ids
    would skip that row forever. Instead, each row gets a *position* after it is committed:
    ``changes_since`` first stamps every committed row without a position, in a short separate
    READ COMMITTED transaction holding a transaction-level advisory lock. Stamping transactions are
    therefore serialised and each sees every row committed before it took the lock, so positions
    only ever grow in commit order: when a reader sees position ``p``, every row with a lower
    position is already visible to it, and no row can later appear below its cursor. Positions
    live in their own table so that stamping never updates (nor conflicts with claims on) the
    outbox rows; writers pay nothing for it.

Claiming
    ``claim`` locks candidate rows with ``FOR UPDATE SKIP LOCKED``, so concurrent relays never
    receive the same event, and hands out an event only when every earlier unacknowledged event of
    its aggregate is in the same batch: an aggregate's next event never leaves while an earlier one
    is leased elsewhere or still pending behind a lock.
"""

import json
import logging
import uuid
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..compat import is_test_cursor, sql_constraints
from ..utils import EVENT_TYPES, MANAGER_GROUP, check_caller, parse_rfc3339, record_names, rfc3339, utc_now_rfc3339

_logger = logging.getLogger(__name__)

INTENTS_KEY = "retail_gateway.outbox.intents"
AGGREGATE_TABLE = "retail_gateway_outbox_aggregate"
POSITION_TABLE = "retail_gateway_outbox_position"
POSITION_SEQUENCE = "retail_gateway_outbox_position_seq"
# Arbitrary constant naming the advisory lock that serialises position stamping ("RG_POS").
POSITION_LOCK = 0x52475F504F53
DEFAULT_RETENTION_DAYS = 30


@sql_constraints
class RetailGatewayOutboxEvent(models.Model):
    _name = "retail_gateway.outbox.event"
    _description = "Retail Gateway Outbox Event"
    _order = "id desc"

    name = fields.Char("Event ID", required=True, readonly=True, copy=False, index=True)
    event_type = fields.Selection(
        [(event_type, event_type) for event_type in EVENT_TYPES], required=True, readonly=True, index=True
    )
    aggregate_model = fields.Char(required=True, readonly=True)
    aggregate_id = fields.Integer(required=True, readonly=True)
    aggregate_external_id = fields.Char("Aggregate External ID", readonly=True)
    subject = fields.Char(compute="_compute_subject", help="The envelope's subject: model/id of the aggregate.")
    aggregate_name = fields.Char("Record", compute="_compute_aggregate_name", help="The record the event is about.")
    record_model = fields.Char(required=True, readonly=True, help="The business record whose change caused the event.")
    record_id = fields.Integer("Record ID", required=True, readonly=True)
    sequence = fields.Integer(required=True, readonly=True, help="Sequence of the event within its aggregate, from 1.")
    position = fields.Integer(
        compute="_compute_position", help="Commit-ordered position, assigned once the event is committed and read."
    )
    event_time = fields.Char("Time (RFC 3339)", required=True, readonly=True, help="The envelope's time, as sent.")
    event_at = fields.Datetime("Time", compute="_compute_event_at", store=True, index=True)
    request_id = fields.Char("Request ID", readonly=True, index="btree_not_null")
    payload = fields.Json(readonly=True)
    payload_text = fields.Text("Data", compute="_compute_payload_text")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    target_partner_ids = fields.Many2many(
        "retail_gateway.partner",
        "retail_gateway_outbox_event_target_rel",
        "event_id",
        "partner_id",
        string="Target Partners",
        readonly=True,
        help="Subscribers to its type that may see its data, when the event was written: catalog and stock "
        "go to all; an order, shipment, return or invoice to its own partner only (to admin partners only "
        "when made in Odoo); a customer to the partners that know it and admin partners.",
    )
    state = fields.Selection(
        [("pending", "Waiting for the gateway"), ("leased", "Being relayed"), ("dispatched", "Handed to the gateway")],
        string="Relay State",
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    lease_until = fields.Datetime(readonly=True)
    consumer = fields.Char(readonly=True)
    claim_count = fields.Integer(readonly=True)
    dispatched_at = fields.Datetime(readonly=True)
    replay_requested = fields.Boolean(
        readonly=True,
        copy=False,
        help="A user asked to deliver this event again: the gateway sends a new attempt to every subscription "
        "at once, delivered before or not. Cleared when the gateway has queued them.",
    )
    delivery_ids = fields.One2many("retail_gateway.delivery", "event_id", string="Deliveries", readonly=True)
    delivery_count = fields.Integer(compute="_compute_delivery_count")
    delivery_state = fields.Selection(
        [("waiting", "Waiting"), ("delivered", "Delivered"), ("failed", "Failed, retrying"), ("dead", "Failed, gave up")],
        "Delivery",
        compute="_compute_delivery_count",
        help="How the webhook attempts went, as the gateway reported them: the worst of the partners.",
    )

    _sql_constraints = [
        ("name_uniq", "unique(name)", "The event id must be unique."),
        (
            "aggregate_sequence_uniq",
            "unique(aggregate_model, aggregate_id, sequence)",
            "An aggregate cannot have two events with the same sequence.",
        ),
    ]

    def init(self):
        cr = self.env.cr
        cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(POSITION_SEQUENCE)))
        cr.execute(
            SQL(
                """CREATE TABLE IF NOT EXISTS %s (
                       aggregate_model varchar NOT NULL,
                       aggregate_id integer NOT NULL,
                       last_sequence integer NOT NULL,
                       PRIMARY KEY (aggregate_model, aggregate_id))""",
                SQL.identifier(AGGREGATE_TABLE),
            )
        )
        cr.execute(
            SQL(
                """CREATE TABLE IF NOT EXISTS %s (
                       event_id integer PRIMARY KEY REFERENCES %s (id) ON DELETE CASCADE,
                       position bigint UNIQUE)""",
                SQL.identifier(POSITION_TABLE),
                SQL.identifier(self._table),
            )
        )
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS %s ON %s (event_id) WHERE position IS NULL",
                SQL.identifier(POSITION_TABLE + "_unstamped_idx"),
                SQL.identifier(POSITION_TABLE),
            )
        )
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS %s ON %s (id) WHERE state <> 'dispatched'",
                SQL.identifier(self._table + "_undispatched_idx"),
                SQL.identifier(self._table),
            )
        )
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS %s ON %s (record_model, record_id)",
                SQL.identifier(self._table + "_record_idx"),
                SQL.identifier(self._table),
            )
        )

    # ------------------------------------------------------------------ computes

    @api.depends("aggregate_model", "aggregate_id")
    def _compute_subject(self):
        for event in self:
            event.subject = f"{event.aggregate_model}/{event.aggregate_id}"

    @api.depends("aggregate_model", "aggregate_id")
    def _compute_aggregate_name(self):
        by_model = {}
        for event in self:
            by_model.setdefault(event.aggregate_model, []).append(event.aggregate_id)
        names = {model: record_names(self.env, model, ids) for model, ids in by_model.items() if model}
        for event in self:
            event.aggregate_name = names.get(event.aggregate_model, {}).get(event.aggregate_id) or event.subject

    @api.depends("event_type", "aggregate_name")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.event_type} · {event.aggregate_name}" if event.event_type else event.name

    @api.depends("event_time")
    def _compute_event_at(self):
        for event in self:
            event.event_at = parse_rfc3339(event.event_time) if event.event_time else False

    def _compute_position(self):
        positions = {}
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT event_id, position FROM %s WHERE event_id = ANY(%s)",
                    SQL.identifier(POSITION_TABLE),
                    list(self.ids),
                )
            )
            positions = dict(self.env.cr.fetchall())
        for event in self:
            event.position = positions.get(event.id) or 0

    @api.depends("payload")
    def _compute_payload_text(self):
        for event in self:
            event.payload_text = json.dumps(event.payload, indent=2, sort_keys=True) if event.payload else False

    @api.depends("delivery_ids.status", "replay_requested")
    def _compute_delivery_count(self):
        rank = {"delivered": 1, "failed": 2, "dead": 3}
        for event in self:
            event.delivery_count = len(event.delivery_ids)
            statuses = event.delivery_ids.mapped("status")
            if event.replay_requested or not statuses:
                event.delivery_state = "waiting"
            else:
                event.delivery_state = max(statuses, key=rank.get)

    # ------------------------------------------------------------------ producing events

    @api.model
    def _rg_register(self, event_type, records, changed_fields=(), extra_key=None, extra=None):
        """Records the intent to publish ``event_type`` for each of ``records`` at commit.

        Intents are keyed by (type, record, ``extra_key``): repeated changes of one record in one
        transaction coalesce into one event whose ``changed_fields`` is the union.
        """
        if self.env.context.get("retail_gateway_mute_events"):
            return
        records = records.filtered(lambda r: isinstance(r.id, int))
        if not records:
            return
        cr = self.env.cr
        intents = cr.precommit.data.get(INTENTS_KEY)
        if intents is None:
            intents = cr.precommit.data[INTENTS_KEY] = {}
            cr.precommit.add(self.sudo().with_context(active_test=False)._rg_publish_intents)
        request_id = self.env.context.get("request_id")
        for record in records:
            key = (event_type, record._name, record.id, extra_key)
            intent = intents.get(key)
            if intent is None:
                intent = intents[key] = {
                    "type": event_type,
                    "model": record._name,
                    "res_id": record.id,
                    "changed": [],
                    "request_id": request_id,
                    "extra": dict(extra or {}),
                }
            for field_name in changed_fields or ():
                if field_name not in intent["changed"]:
                    intent["changed"].append(field_name)
            if request_id and not intent["request_id"]:
                intent["request_id"] = str(request_id)[:128]

    def _rg_publish_intents(self):
        """Pre-commit callback: turns the transaction's intents into outbox rows."""
        intents = self.env.cr.precommit.data.pop(INTENTS_KEY, None)
        if not intents:
            return
        # One language for every payload, whoever made the change.
        lang = self.env["ir.config_parameter"].sudo().get_param("retail_gateway.event_lang") or "en_US"
        self = self.with_context(lang=lang)  # noqa: PLW0642
        subscriptions = self.env["retail_gateway.subscription"]._rg_effective_subscriptions()
        vals_list = []
        for intent in intents.values():
            record = self.env[intent["model"]].browse(intent["res_id"]).exists()
            if not record:
                continue
            values = record._rg_event_values(intent["type"], intent)
            if not values:
                continue
            vals_list.append(self._rg_prepare_event(intent, values, subscriptions))
        if not vals_list:
            return
        events = self.create(vals_list)
        self.env["retail_gateway.sync.status"]._rg_events_written(events)
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (event_id) SELECT unnest(%s::int[])",
                SQL.identifier(POSITION_TABLE),
                events.ids,
            )
        )
        self.env.flush_all()

    def _rg_prepare_event(self, intent, values, subscriptions):
        aggregate_model, aggregate_id = values["aggregate"]
        data = values["data"]
        targets = self.env["retail_gateway.partner"]._rg_event_targets(intent["type"], data, subscriptions)
        return {
            "name": str(uuid.uuid4()),
            "event_type": intent["type"],
            "aggregate_model": aggregate_model,
            "aggregate_id": aggregate_id,
            "aggregate_external_id": values.get("external_id") or False,
            "record_model": intent["model"],
            "record_id": intent["res_id"],
            "sequence": self._rg_next_sequence(aggregate_model, aggregate_id),
            "event_time": utc_now_rfc3339(),
            "request_id": intent["request_id"] or False,
            "payload": data,
            "company_id": values.get("company_id") or False,
            "target_partner_ids": [Command.set(targets.ids)],
        }

    def _rg_next_sequence(self, aggregate_model, aggregate_id):
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s AS a (aggregate_model, aggregate_id, last_sequence)
                   VALUES (%(model)s, %(res_id)s, 1)
                   ON CONFLICT (aggregate_model, aggregate_id)
                   DO UPDATE SET last_sequence = a.last_sequence + 1
                   RETURNING last_sequence""",
                table=SQL.identifier(AGGREGATE_TABLE),
                model=aggregate_model,
                res_id=aggregate_id,
            )
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------ envelope

    @api.model
    def _rg_source(self):
        source = self.env["ir.config_parameter"].sudo().get_param("retail_gateway.event_source")
        return source or f"odoo://{self.env.cr.dbname}/retail_gateway"

    @api.model
    def _rg_envelope(self, row, source):
        """The CloudEvents 1.0 envelope of ``contracts/src/events.ts`` for one outbox row (a dict)."""
        envelope = {
            "specversion": "1.0",
            "id": row["name"],
            "source": source,
            "type": row["event_type"],
            "time": row["event_time"],
            "subject": f"{row['aggregate_model']}/{row['aggregate_id']}",
            "datacontenttype": "application/json",
            "sequence": row["sequence"],
            "data": row["payload"],
        }
        if row.get("request_id"):
            envelope["requestid"] = row["request_id"]
        return envelope

    def _rg_fetch_rows(self, cr, ids):
        cr.execute(
            SQL(
                """SELECT e.id, e.name, e.event_type, e.event_time, e.aggregate_model, e.aggregate_id,
                          e.sequence, e.request_id, e.payload, e.replay_requested
                     FROM %s e WHERE e.id = ANY(%s) ORDER BY e.id""",
                SQL.identifier(self._table),
                list(ids),
            )
        )
        columns = [c[0] for c in cr.description]
        return [dict(zip(columns, values)) for values in cr.fetchall()]

    # ------------------------------------------------------------------ relay API (RPC)

    @api.model
    def claim(self, limit, lease_seconds, consumer):
        """Leases up to ``limit`` pending events to ``consumer`` for ``lease_seconds``.

        See the module docstring for the ordering guarantee. Expired leases are claimable again.
        Each event names its ``recipients``: the codes of the partners it is for.
        """
        check_caller(self.env)
        limit = self._rg_int_arg("limit", limit, 1, 1000)
        lease_seconds = self._rg_int_arg("lease_seconds", lease_seconds, 5, 3600)
        consumer = self._rg_str_arg("consumer", consumer, 128)
        self.env.flush_all()
        cr = self.env.cr
        now = fields.Datetime.now()
        lease_until = now + timedelta(seconds=lease_seconds)
        cr.execute(
            SQL(
                """SELECT e.id, e.aggregate_model, e.aggregate_id
                     FROM %(table)s e
                    WHERE (e.state = 'pending' OR (e.state = 'leased' AND e.lease_until < %(now)s))
                      AND NOT EXISTS (
                            SELECT 1 FROM %(table)s p
                             WHERE p.aggregate_model = e.aggregate_model
                               AND p.aggregate_id = e.aggregate_id
                               AND p.sequence < e.sequence
                               AND p.state = 'leased'
                               AND p.lease_until >= %(now)s)
                    ORDER BY e.id
                    LIMIT %(limit)s
                    FOR UPDATE OF e SKIP LOCKED""",
                table=SQL.identifier(self._table),
                now=now,
                limit=limit,
            )
        )
        candidates = cr.fetchall()
        eligible = self._rg_eligible_in_order(cr, candidates)
        events = []
        if eligible:
            cr.execute(
                SQL(
                    """UPDATE %s
                          SET state = 'leased', lease_until = %s, consumer = %s,
                              claim_count = COALESCE(claim_count, 0) + 1,
                              write_uid = %s, write_date = %s
                        WHERE id = ANY(%s)""",
                    SQL.identifier(self._table),
                    lease_until,
                    consumer,
                    self.env.uid,
                    now,
                    eligible,
                )
            )
            self.invalidate_model(["state", "lease_until", "consumer", "claim_count"])
            source = self._rg_source()
            recipients = self._rg_recipient_codes(cr, eligible)
            for row in self._rg_fetch_rows(cr, eligible):
                events.append(
                    {
                        "event_id": row["name"],
                        "cursor": row["id"],
                        "envelope": self._rg_envelope(row, source),
                        "recipients": recipients.get(row["id"], []),
                        "replay": bool(row["replay_requested"]),
                    }
                )
        return {"events": events, "lease_until": rfc3339(lease_until)}

    @api.model
    def _rg_recipient_codes(self, cr, ids):
        """``{event row id: [partner code, ...]}``: the codes of the partners each event is for
        (``target_partner_ids``, decided when the event was written), sorted."""
        cr.execute(
            SQL(
                """SELECT r.event_id, p.code
                     FROM retail_gateway_outbox_event_target_rel r
                     JOIN %s p ON p.id = r.partner_id
                    WHERE r.event_id = ANY(%s)
                    ORDER BY r.event_id, p.code""",
                SQL.identifier(self.env["retail_gateway.partner"]._table),
                list(ids),
            )
        )
        codes = {}
        for event_id, code in cr.fetchall():
            codes.setdefault(event_id, []).append(code)
        return codes

    @api.model
    def _rg_eligible_in_order(self, cr, candidates):
        """Keeps the candidates whose earlier undispatched events (same aggregate) are all candidates
        too, i.e. none of them is leased elsewhere or skipped because another claimer locked it."""
        if not candidates:
            return []
        candidate_ids = {row[0] for row in candidates}
        aggregates = sorted({(row[1], row[2]) for row in candidates})
        cr.execute(
            SQL(
                """SELECT e.id, e.aggregate_model, e.aggregate_id
                     FROM %s e
                    WHERE e.state <> 'dispatched'
                      AND (e.aggregate_model, e.aggregate_id) IN (
                            SELECT * FROM unnest(%s::varchar[], %s::integer[]))
                    ORDER BY e.aggregate_model, e.aggregate_id, e.sequence""",
                SQL.identifier(self._table),
                [a[0] for a in aggregates],
                [a[1] for a in aggregates],
            )
        )
        eligible = set()
        blocked = set()
        for event_id, model, res_id in cr.fetchall():
            aggregate = (model, res_id)
            if aggregate in blocked:
                continue
            if event_id in candidate_ids:
                eligible.add(event_id)
            else:
                blocked.add(aggregate)
        return sorted(eligible)

    @api.model
    def ack(self, event_ids, consumer):
        """Marks leased events dispatched. Already dispatched events are acknowledged again
        (idempotent); events leased by another consumer, pending or unknown are ``not_leased``."""
        check_caller(self.env)
        event_ids = self._rg_list_arg("event_ids", event_ids, 1000)
        consumer = self._rg_str_arg("consumer", consumer, 128)
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT id, name, state, consumer FROM %s WHERE name = ANY(%s) FOR UPDATE",
                SQL.identifier(self._table),
                [str(e) for e in event_ids],
            )
        )
        rows = {name: (row_id, state, holder) for row_id, name, state, holder in cr.fetchall()}
        acked, not_leased, to_dispatch = [], [], []
        for event_id in event_ids:
            row = rows.get(str(event_id))
            if row and row[1] == "dispatched":
                acked.append(event_id)
            elif row and row[1] == "leased" and row[2] == consumer:
                acked.append(event_id)
                to_dispatch.append(row[0])
            else:
                not_leased.append(event_id)
        if to_dispatch:
            now = fields.Datetime.now()
            cr.execute(
                SQL(
                    """UPDATE %s SET state = 'dispatched', dispatched_at = %s, lease_until = NULL,
                              replay_requested = FALSE, write_uid = %s, write_date = %s
                        WHERE id = ANY(%s)""",
                    SQL.identifier(self._table),
                    now,
                    self.env.uid,
                    now,
                    to_dispatch,
                )
            )
            self.invalidate_model(["state", "dispatched_at", "lease_until", "replay_requested"])
        return {"acked": acked, "not_leased": not_leased}

    @api.model
    def report_deliveries(self, results):
        """Records per-event, per-partner delivery outcomes and updates the records' sync status.

        Only the addon's own tables are written: business rows are never written nor locked. The
        sync status moves only for the partners the event is for (``target_partner_ids``): a
        delivery to any other partner (a subscription made after the event, a relay that routes
        differently) is kept in the delivery log but never shows a record as synced to a partner.
        """
        check_caller(self.env)
        results = self._rg_list_arg("results", results, 1000)
        self.env.flush_all()
        cr = self.env.cr
        names = list({str(r.get("event_id")) for r in results if isinstance(r, dict)})
        cr.execute(
            SQL(
                "SELECT name, id, record_model, record_id, aggregate_model, aggregate_id FROM %s WHERE name = ANY(%s)",
                SQL.identifier(self._table),
                names,
            )
        )
        events = {row[0]: row[1:] for row in cr.fetchall()}
        cr.execute(
            SQL(
                "SELECT event_id, partner_id FROM retail_gateway_outbox_event_target_rel"
                " WHERE event_id = ANY(%s)",
                [row[0] for row in events.values()],
            )
        )
        targeted = set(cr.fetchall())
        partners = {
            p.code: p
            for p in self.env["retail_gateway.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("code", "in", [r.get("partner") for r in results if isinstance(r, dict)])])
        }
        Delivery = self.env["retail_gateway.delivery"].sudo()
        Status = self.env["retail_gateway.sync.status"].sudo()
        recorded, unknown = 0, []
        for result in results:
            if not isinstance(result, dict):
                raise ValidationError(self.env._("Each delivery result must be an object."))
            event = events.get(str(result.get("event_id")))
            partner = partners.get(result.get("partner"))
            if not event or not partner:
                if result.get("event_id") not in unknown:
                    unknown.append(result.get("event_id"))
                continue
            status = result.get("status")
            if status not in ("delivered", "failed", "dead"):
                raise ValidationError(self.env._("Unknown delivery status %s.", status))
            at = parse_rfc3339(result.get("at")) or fields.Datetime.now()
            event_ref, record_model, record_id, aggregate_model, aggregate_id = event
            error = (result.get("last_error") or "")[:1000] or None
            attempts = int(result.get("attempts") or 0)
            next_attempt_at = parse_rfc3339(result.get("next_attempt_at")) if status == "failed" else None
            Delivery._rg_upsert(event_ref, partner.id, result.get("subscription_id"), status, attempts, error, at, next_attempt_at)
            if (event_ref, partner.id) in targeted:
                refs = {(record_model, record_id), (aggregate_model, aggregate_id)}
                for res_model, res_id in sorted(refs):
                    Status._rg_upsert(res_model, res_id, partner.id, event_ref, status, error, at, attempts, next_attempt_at)
            recorded += 1
        return {"recorded": recorded, "unknown_events": unknown}

    @api.model
    def changes_since(self, cursor, limit, types=None):
        """Non-claiming read of committed events after ``cursor`` (a commit-ordered position).

        Stamps positions and reads in fresh transactions of their own, so that the read sees every
        row committed before the stamping (see the module docstring).
        """
        check_caller(self.env)
        cursor = self._rg_int_arg("cursor", cursor, 0, None)
        limit = self._rg_int_arg("limit", limit, 1, 1000)
        if types is not None:
            types = self._rg_list_arg("types", types, 100, allow_empty=True)
        registry = self.env.registry
        with registry.cursor() as cr:
            self._rg_stamp_positions(cr, fresh_transaction=True)
        with registry.cursor() as cr:
            return self.with_env(self.env(cr=cr))._rg_read_changes(cr, cursor, types, limit)

    @api.model
    def _rg_stamp_positions(self, cr, fresh_transaction=False):
        """Gives a position to every committed event that has none, in one serialised step."""
        if fresh_transaction and not is_test_cursor(cr):
            # Must be the transaction's first statement: each statement then sees every row
            # committed before it started, in particular before the advisory lock was granted.
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cr.execute(SQL("SELECT pg_advisory_xact_lock(%s)", POSITION_LOCK))
        cr.execute(
            SQL(
                """UPDATE %(table)s p SET position = s.position
                     FROM (SELECT q.event_id, nextval(%(sequence)s) AS position
                             FROM (SELECT event_id FROM %(table)s
                                    WHERE position IS NULL ORDER BY event_id) q) s
                    WHERE p.event_id = s.event_id""",
                table=SQL.identifier(POSITION_TABLE),
                sequence=POSITION_SEQUENCE,
            )
        )
        return cr.rowcount

    @api.model
    def _rg_read_changes(self, cr, cursor, types, limit):
        type_filter = SQL("AND e.event_type = ANY(%s)", list(types)) if types else SQL()
        cr.execute(
            SQL(
                """SELECT e.id, p.position
                     FROM %(positions)s p JOIN %(table)s e ON e.id = p.event_id
                    WHERE p.position > %(cursor)s %(type_filter)s
                    ORDER BY p.position
                    LIMIT %(limit)s""",
                positions=SQL.identifier(POSITION_TABLE),
                table=SQL.identifier(self._table),
                cursor=cursor,
                type_filter=type_filter,
                limit=limit + 1,
            )
        )
        found = cr.fetchall()
        has_more = len(found) > limit
        found = found[:limit]
        position_of = dict(found)
        rows = self._rg_fetch_rows(cr, list(position_of))
        source = self._rg_source()
        events = [
            {"cursor": position_of[row["id"]], "envelope": self._rg_envelope(row, source)}
            for row in sorted(rows, key=lambda r: position_of[r["id"]])
        ]
        next_cursor = found[-1][1] if found else cursor
        if not has_more:
            # Every stamped row up to the highest position was scanned (the others did not match
            # ``types``), and no row can appear below a visible position later.
            cr.execute(SQL("SELECT COALESCE(MAX(position), 0) FROM %s", SQL.identifier(POSITION_TABLE)))
            next_cursor = max(next_cursor, cr.fetchone()[0])
        return {"events": events, "cursor": next_cursor, "has_more": has_more}

    # ------------------------------------------------------------------ argument checks

    @api.model
    def _rg_int_arg(self, name, value, minimum, maximum):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(self.env._("%s must be an integer.", name))
        if value < minimum or (maximum is not None and value > maximum):
            raise ValidationError(self.env._("%(name)s is out of range.", name=name))
        return value

    @api.model
    def _rg_str_arg(self, name, value, max_length):
        if not isinstance(value, str) or not value or len(value) > max_length:
            raise ValidationError(self.env._("%s must be a non-empty string.", name))
        return value

    @api.model
    def _rg_list_arg(self, name, value, max_length, allow_empty=False):
        if not isinstance(value, (list, tuple)) or (not value and not allow_empty) or len(value) > max_length:
            raise ValidationError(self.env._("%s must be a non-empty list.", name))
        return list(value)

    # ------------------------------------------------------------------ actions

    def action_replay(self):
        """Puts events back in the queue marked for replay: the relay sends a new attempt to every
        subscription at once (delivered, failed or waiting for its next retry), under the same event
        id, so receivers de-duplicate them."""
        check_caller(self.env, (MANAGER_GROUP,))
        self.sudo().write(
            {"state": "pending", "lease_until": False, "consumer": False, "dispatched_at": False, "replay_requested": True}
        )
        self.env["retail_gateway.sync.status"].sudo()._rg_replay_requested(self.sudo())
        for event in self:
            _logger.info("Outbox event %s put back in the queue by %s", event.name, self.env.user.login)
        return True

    def action_view_deliveries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("retail_gateway.retail_gateway_delivery_action")
        action["domain"] = [("event_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------ retention

    @api.autovacuum
    def _gc_dispatched_events(self):
        days = int(
            self.env["ir.config_parameter"].sudo().get_param("retail_gateway.outbox_retention_days", DEFAULT_RETENTION_DAYS)
        )
        limit_date = fields.Datetime.now() - timedelta(days=days)
        events = self.sudo().search([("state", "=", "dispatched"), ("dispatched_at", "<", limit_date)], limit=10000)
        events.unlink()
        _logger.info("GC retail_gateway.outbox.event: %d dispatched events removed", len(events))
