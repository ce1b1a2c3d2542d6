from odoo import api, fields, models

from ..compat import domain_or
from ..utils import USER_GROUP
from .retail_gateway_sync_status import STATE_RANK, SYNC_STATES


class RetailGatewaySyncMixin(models.AbstractModel):
    """Sync status of a business record towards the gateway's partners.

    The status lives in ``retail_gateway.sync.status`` (one stored row per record and partner); the
    fields here are computed from it (and searchable) so that delivery reports never write to the
    business table.
    """

    _name = "retail_gateway.sync.mixin"
    _description = "Retail Gateway Sync Status Mixin"

    rg_sync_state = fields.Selection(
        SYNC_STATES,
        string="Sync Status",
        compute="_compute_rg_sync",
        search="_search_rg_sync_state",
        groups=USER_GROUP,
    )
    rg_last_sync_at = fields.Datetime("Last Sync", compute="_compute_rg_sync", groups=USER_GROUP)
    rg_last_sync_error = fields.Text("Last Sync Error", compute="_compute_rg_sync", groups=USER_GROUP)
    rg_sync_message = fields.Char(
        "Sync Problem", compute="_compute_rg_sync", groups=USER_GROUP,
        help="Which partner did not receive which event, why, and when the gateway tries again.",
    )
    rg_event_count = fields.Integer("Integration Events", compute="_compute_rg_sync", groups=USER_GROUP)

    # ------------------------------------------------------------------ hooks

    @api.model
    def _rg_sync_model(self):
        """The model whose events and statuses describe records of this model."""
        return self._name

    def _rg_sync_ids_map(self):
        """``{source_id: own_id}`` for the records of :meth:`_rg_sync_model` behind ``self``."""
        return {record.id: record.id for record in self}

    @api.model
    def _rg_own_id(self, source_ids):
        """Maps source ids (records of :meth:`_rg_sync_model`) to own ids."""
        return {source_id: source_id for source_id in source_ids}

    # ------------------------------------------------------------------ computes

    def _compute_rg_sync(self):
        records = self.filtered(lambda r: isinstance(r.id, int))
        ids_map = records._rg_sync_ids_map()
        Status = self.env["retail_gateway.sync.status"].sudo()
        rows_by_own = {}
        for row in Status._rg_rows_for(self._rg_sync_model(), list(ids_map)):
            rows_by_own.setdefault(ids_map.get(row.res_id), []).append(row)
        counts = records._rg_event_counts(ids_map)
        for record in self:
            rows = rows_by_own.get(record.id) or []
            worst = max(rows, key=lambda r: (STATE_RANK[r.state], r.last_failure_at or r.write_date), default=None)
            synced = [r.last_sync_at for r in rows if r.last_sync_at]
            record.rg_sync_state = worst.state if worst else "not_applicable"
            record.rg_last_sync_at = max(synced) if synced else False
            failed = worst if worst and worst.state == "failed" else None
            record.rg_last_sync_error = failed.last_error if failed else False
            others = len({r.partner_id for r in rows if r.state == "failed"}) - 1
            record.rg_sync_message = record._rg_failure_message(failed, others) if failed else False
            record.rg_event_count = counts.get(record.id, 0)

    def _rg_failure_message(self, status, others=0):
        """One sentence for the failure banner: the partner, the event, the error in words, what next."""
        event = self.env["retail_gateway.outbox.event"].sudo().browse(status.failed_ref).exists()
        parts = [
            self.env._(
                "%(partner)s did not receive %(event)s.",
                partner=status.partner_id.name or status.partner_id.code,
                event=event.display_name if event else self.env._("the last change"),
            ),
            status.error_message or "",
            status.next_attempt_text or status.note or "",
        ]
        if others > 0:
            parts.append(self.env._("%(n)s more partner(s) did not receive it either: see Sync.", n=others))
        return " ".join(part for part in parts if part)

    def _rg_event_counts(self, ids_map):
        if not ids_map:
            return {}
        model = self._rg_sync_model()
        source_ids = list(ids_map)
        self.env["retail_gateway.outbox.event"].flush_model()
        self.env.cr.execute(
            """SELECT res_id, COUNT(DISTINCT id) FROM (
                   SELECT id, record_id AS res_id FROM retail_gateway_outbox_event
                    WHERE record_model = %s AND record_id = ANY(%s)
                   UNION
                   SELECT id, aggregate_id FROM retail_gateway_outbox_event
                    WHERE aggregate_model = %s AND aggregate_id = ANY(%s)) refs
               GROUP BY res_id""",
            [model, source_ids, model, source_ids],
        )
        counts = {}
        for source_id, count in self.env.cr.fetchall():
            own_id = ids_map.get(source_id)
            counts[own_id] = counts.get(own_id, 0) + count
        return counts

    @api.model
    def _search_rg_sync_state(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise NotImplementedError(f"Unsupported operator {operator} for the sync status")
        values = {value} if operator in ("=", "!=") else set(value or ())
        if operator in ("!=", "not in"):
            values = {state for state, _label in SYNC_STATES} - values
        Status = self.env["retail_gateway.sync.status"].sudo()
        states = Status._rg_record_states(self._rg_sync_model())
        own_state = {}
        own_of = self._rg_own_id(list(states))
        for source_id, state in states.items():
            own_id = own_of.get(source_id)
            if own_id is None:
                continue
            if STATE_RANK[state] > STATE_RANK[own_state.get(own_id, "not_applicable")]:
                own_state[own_id] = state
        wanted = [own_id for own_id, state in own_state.items() if state in values]
        domain = [("id", "in", wanted)]
        if "not_applicable" in values:
            domain = domain_or([domain, [("id", "not in", list(own_state))]])
        return domain

    # ------------------------------------------------------------------ actions

    def _rg_events_domain(self):
        model = self._rg_sync_model()
        source_ids = list(self._rg_sync_ids_map())
        return [
            "|",
            "&",
            ("record_model", "=", model),
            ("record_id", "in", source_ids),
            "&",
            ("aggregate_model", "=", model),
            ("aggregate_id", "in", source_ids),
        ]

    def action_rg_view_events(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("retail_gateway.retail_gateway_outbox_event_action")
        action["domain"] = self._rg_events_domain()
        action["context"] = {}
        return action

    def action_rg_view_sync(self):
        """The record's sync rows: one per partner, with its state, last event, error and next retry."""
        action = self.env["ir.actions.act_window"]._for_xml_id("retail_gateway.retail_gateway_sync_status_action")
        action["domain"] = [("res_model", "=", self._rg_sync_model()), ("res_id", "in", list(self._rg_sync_ids_map()))]
        action["context"] = {}
        if len(self) == 1:
            action["name"] = self.env._("Sync: %(name)s", name=self.display_name)
        return action

    def action_rg_view_deliveries(self):
        events = self.env["retail_gateway.outbox.event"].sudo().search(self._rg_events_domain())
        action = self.env["ir.actions.act_window"]._for_xml_id("retail_gateway.retail_gateway_delivery_action")
        action["domain"] = [("event_id", "in", events.ids)]
        action["context"] = {}
        return action
