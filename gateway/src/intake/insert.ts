/**
 * Writing an accepted item in the caller's transaction: its row and, for a live order, its
 * `order.accepted` event (with `inventory.oversold` when units were promised beyond what was
 * available). A repeat (same partner, kind and dedupe key) writes nothing but a count on the first
 * item, and answers it.
 *
 * Shared by the queue's accepts on the event loop and by the writer thread (writer-thread.ts), so
 * it takes plain data only and imports nothing heavier than the store's types.
 */
import type { IntakeStatus } from '../../../contracts/src/intake.js';
import type { SqlExecutor } from '../store/store.js';
import { ATP_SUBJECT_MODEL, isoAt, recordGatewayEvents, type AnyGatewayEventInput } from './events.js';
import { newIntakeId } from './ids.js';

export interface Accepted {
  id: string;
  duplicate: boolean;
  status: IntakeStatus;
}

/** Units promised beyond availability (ATP), recorded as an `inventory.oversold` event with the item. */
export interface OversoldUnits {
  policy: 'accept' | 'backorder';
  lines: { sku: string; warehouse: string; units: number }[];
}

/** An item ready to be written: validated, serialised, its mode known. */
export interface PreparedItem {
  partner: string;
  kind: string;
  externalId: string;
  dedupeKey: string;
  orderRef: string | null;
  source: string;
  requestId: string;
  shadow: boolean;
  payloadJson: string;
  /** The id's prefix (its kind's). */
  idPrefix: string;
  /** An order's sales channel, named by its `order.accepted` event (default: the source). */
  channel?: string;
  oversold?: OversoldUnits;
}

export async function insertItem(tx: SqlExecutor, p: PreparedItem, now: number): Promise<Accepted> {
  const id = newIntakeId(p.idPrefix, now);
  const inserted = await tx.query<{ seq: number }>(
    `INSERT INTO intake_items (id, partner, kind, external_id, dedupe_key, order_ref, source, request_id, shadow, payload, status, next_attempt_at, accepted_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted', ?, ?, ?)
     ON CONFLICT (partner, kind, dedupe_key) DO NOTHING RETURNING seq`,
    [id, p.partner, p.kind, p.externalId, p.dedupeKey, p.orderRef, p.source, p.requestId, p.shadow ? 1 : 0, p.payloadJson, now, now, now],
  );
  const seq = inserted[0]?.seq;
  if (seq !== undefined) {
    if (p.kind === 'order' && !p.shadow) {
      const events: AnyGatewayEventInput[] = [
        {
          type: 'order.accepted',
          partner: p.partner,
          intakeSeq: Number(seq),
          sequence: 1,
          requestId: p.requestId,
          now,
          data: { intake_id: id, partner: p.partner, external_id: p.externalId, channel: p.channel ?? p.source, accepted_at: isoAt(now) },
        },
      ];
      if (p.oversold && p.oversold.lines.length > 0) {
        events.push({
          type: 'inventory.oversold',
          partner: p.partner,
          intakeSeq: Number(seq),
          subjectModel: ATP_SUBJECT_MODEL,
          sequence: 1,
          requestId: p.requestId,
          now,
          data: { intake_id: id, partner: p.partner, external_id: p.externalId, policy: p.oversold.policy, lines: p.oversold.lines },
        });
      }
      await recordGatewayEvents(tx, events);
    }
    return { id, duplicate: false, status: 'accepted' };
  }
  const [existing] = await tx.query<{ id: string; status: string }>(
    'SELECT id, status FROM intake_items WHERE partner = ? AND kind = ? AND dedupe_key = ?',
    [p.partner, p.kind, p.dedupeKey],
  );
  if (!existing) throw new Error('intake: conflicting item vanished'); // rows are never deleted while keys live
  await tx.run('UPDATE intake_items SET duplicates = duplicates + 1 WHERE id = ?', [existing.id]);
  return { id: existing.id, duplicate: true, status: existing.status as IntakeStatus };
}

/** Whether an item with the same partner, kind and dedupe key is queued already (a repeat). */
export async function holdsItem(tx: SqlExecutor, p: PreparedItem): Promise<boolean> {
  const [row] = await tx.query('SELECT 1 AS x FROM intake_items WHERE partner = ? AND kind = ? AND dedupe_key = ?', [p.partner, p.kind, p.dedupeKey]);
  return row !== undefined;
}
