from odoo import api, fields, models

from ..compat import domain_or
from ..utils import USER_GROUP
from .retail_gateway_sync_status import STATE_RANK, SYNC_STATES


class RetailGatewaySyncMixin(models.AbstractModel):
    """Sync status of a business record towards the gateway's partners.

    The status lives in ``retail_gateway.sync.status`` and the outbox; the fields here are computed
    (and searchable) so that delivery reports never write to the business table.
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
        source_states = Status._rg_record_states(self._rg_sync_model(), list(ids_map))
        merged = {}
        for source_id, row in source_states.items():
            own_id = ids_map.get(source_id)
            current = merged.get(own_id)
            if current is None:
                merged[own_id] = dict(row)
                continue
            if STATE_RANK[row["state"]] > STATE_RANK[current["state"]]:
                current["state"] = row["state"]
                current["last_error"] = row["last_error"] or current["last_error"]
            if row["last_sync_at"] and (not current["last_sync_at"] or row["last_sync_at"] > current["last_sync_at"]):
                current["last_sync_at"] = row["last_sync_at"]
        counts = records._rg_event_counts(ids_map)
        for record in self:
            row = merged.get(record.id) or {}
            record.rg_sync_state = row.get("state") or "not_applicable"
            record.rg_last_sync_at = row.get("last_sync_at") or False
            record.rg_last_sync_error = row.get("last_error") or False
            record.rg_event_count = counts.get(record.id, 0)

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
        for source_id, row in states.items():
            own_id = own_of.get(source_id)
            if own_id is None:
                continue
            if STATE_RANK[row["state"]] > STATE_RANK[own_state.get(own_id, "not_applicable")]:
                own_state[own_id] = row["state"]
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

    def action_rg_view_deliveries(self):
        events = self.env["retail_gateway.outbox.event"].sudo().search(self._rg_events_domain())
        action = self.env["ir.actions.act_window"]._for_xml_id("retail_gateway.retail_gateway_delivery_action")
        action["domain"] = [("event_id", "in", events.ids)]
        action["context"] = {}
        return action
