"""1.1.0 stores the sync state of each record and partner: rows for the records with events still in
the outbox (pending ones had none before), their newest event, and the stored state."""


def migrate(cr, version):
    if not version:
        return
    for ref_model, ref_id in (("record_model", "record_id"), ("aggregate_model", "aggregate_id")):
        cr.execute(
            f"""INSERT INTO retail_gateway_sync_status AS s (res_model, res_id, partner_id, state, last_event_ref,
                                                           create_uid, create_date, write_uid, write_date)
                SELECT e.{ref_model}, e.{ref_id}, rel.partner_id, 'pending', MAX(e.id),
                       1, now() at time zone 'utc', 1, now() at time zone 'utc'
                  FROM retail_gateway_outbox_event e
                  JOIN retail_gateway_outbox_event_target_rel rel ON rel.event_id = e.id
                 GROUP BY e.{ref_model}, e.{ref_id}, rel.partner_id
                ON CONFLICT (res_model, res_id, partner_id) DO UPDATE
                   SET last_event_ref = GREATEST(s.last_event_ref, EXCLUDED.last_event_ref)"""
        )
    cr.execute(
        """UPDATE retail_gateway_sync_status s
              SET last_event_ref = GREATEST(s.last_event_ref, s.delivered_ref, s.failed_ref),
                  event_id = e.id,
                  model_name = COALESCE(m.name->>'en_US', s.res_model)
             FROM retail_gateway_sync_status s2
             LEFT JOIN retail_gateway_outbox_event e
                    ON e.id = GREATEST(s2.last_event_ref, s2.delivered_ref, s2.failed_ref)
             LEFT JOIN ir_model m ON m.model = s2.res_model
            WHERE s2.id = s.id"""
    )
    cr.execute(
        """UPDATE retail_gateway_sync_status s
              SET state = CASE WHEN COALESCE(s.failed_ref, 0) > COALESCE(s.delivered_ref, 0) THEN 'failed'
                               WHEN COALESCE(s.last_event_ref, 0) > COALESCE(s.delivered_ref, 0) THEN 'pending'
                               ELSE 'synced' END,
                  delivery_status = CASE WHEN COALESCE(s.failed_ref, 0) > COALESCE(s.delivered_ref, 0) THEN 'failed'
                                         WHEN s.delivered_ref IS NOT NULL THEN 'delivered' END"""
    )
