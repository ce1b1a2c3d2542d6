from odoo import api, fields, models
from odoo.tools import SQL

from ..compat import sql_constraints

INTAKE_KINDS = [
    ("order", "Order"),
    ("return", "Return"),
    ("shipment", "Shipment"),
    ("stock_count", "Stock count"),
    ("payment", "Payment"),
]


@sql_constraints
class RetailGatewayIntake(models.Model):
    """What a partner submitted, keyed by its own id.

    The unique constraint on (partner, kind, external id) is what makes submits idempotent, even
    for concurrent submits of one external id: the row is reserved first, with
    ``INSERT ... ON CONFLICT DO NOTHING``. A concurrent submit waits on the first one's row; once
    the first commits, PostgreSQL reports a serialisation failure to the second (its snapshot
    cannot see the row), its item answers ``retry``, and the gateway's retry answers ``duplicate``.
    """

    _name = "retail_gateway.intake"
    _description = "Retail Gateway Intake"
    _order = "id desc"

    partner_id = fields.Many2one("retail_gateway.partner", required=True, ondelete="restrict", index=True, readonly=True)
    kind = fields.Selection(INTAKE_KINDS, required=True, readonly=True)
    external_id = fields.Char("External ID", required=True, readonly=True)
    intake_id = fields.Char("Gateway Intake ID", readonly=True)
    request_id = fields.Char("Request ID", readonly=True)
    res_model = fields.Char("Model", readonly=True)
    res_id = fields.Integer("Record ID", readonly=True)
    res_name = fields.Char("Record", readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null", ondelete="set null")
    amount = fields.Float(readonly=True)
    currency_code = fields.Char(readonly=True)
    note = fields.Text(readonly=True)
    company_id = fields.Many2one(related="partner_id.company_id", store=True, readonly=True)

    _sql_constraints = [
        (
            "partner_kind_external_uniq",
            "unique(partner_id, kind, external_id)",
            "A partner submits each external id once per kind.",
        ),
    ]

    @api.depends("kind", "external_id")
    def _compute_display_name(self):
        labels = dict(INTAKE_KINDS)
        for intake in self:
            intake.display_name = f"{labels.get(intake.kind, intake.kind)} {intake.external_id}"

    def _rg_reserve(self, partner, kind, external_id, intake_id):
        """Reserves (partner, kind, external id). Returns ``(intake, created)``; ``created`` is False
        when the external id was submitted before (the intake then holds the first result)."""
        self.env.cr.execute(
            SQL(
                """INSERT INTO %(table)s (partner_id, kind, external_id, intake_id, request_id,
                                          company_id, create_uid, create_date, write_uid, write_date)
                   VALUES (%(partner)s, %(kind)s, %(external_id)s, %(intake_id)s, %(request_id)s,
                           %(company)s, %(uid)s, now() at time zone 'utc', %(uid)s, now() at time zone 'utc')
                   ON CONFLICT (partner_id, kind, external_id) DO NOTHING
                   RETURNING id""",
                table=SQL.identifier(self._table),
                partner=partner.id,
                kind=kind,
                external_id=external_id,
                intake_id=intake_id,
                request_id=self.env.context.get("request_id"),
                company=partner.company_id.id,
                uid=self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            return self.browse(row[0]), True
        existing = self.search(
            [("partner_id", "=", partner.id), ("kind", "=", kind), ("external_id", "=", external_id)], limit=1
        )
        return existing, False

    def _rg_find(self, partner, kind, external_id):
        return self.search(
            [("partner_id", "=", partner.id), ("kind", "=", kind), ("external_id", "=", external_id)], limit=1
        )

    def _rg_set_record(self, record, **values):
        self.ensure_one()
        self.write(dict(values, res_model=record._name, res_id=record.id, res_name=record.display_name))

    def _rg_record(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            return self.env["res.partner"].browse()
        return self.env[self.res_model].browse(self.res_id).exists()

    def action_open_record(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": self.res_model, "res_id": self.res_id, "view_mode": "form"}
