/**
 * The gateway's own events (`order.accepted`, `order.rejected`), written to `gateway_events` in the
 * same transaction as the intake change that causes them, as CloudEvents envelopes of
 * contracts/src/events.ts. The relay publishes them like the addon's outbox events and sets
 * `published_at`.
 *
 * Columns: seq (increasing cursor), id (event id, a UUIDv7; not indexed: events are found by
 * seq), type, partner, subject (`retail_gateway.intake/<intake seq>`), sequence (per subject: 1
 * accepted, 2 its outcome), envelope (the whole CloudEvent as JSON), created_at (ms), published_at
 * (ms, null until published).
 */
import { randomUUID, randomUUIDv7 } from 'node:crypto';
import type { EventEnvelope, EventType } from '../../../contracts/src/events.js';
import { sqlByCount, sqlList, type SqlExecutor } from '../store/store.js';

/**
 * Event ids are UUIDv7: they begin with their time, so they sort as the events were made. (They
 * also kept the table's former unique index on id append-only: 36–41 KiB written per order with v4
 * ids, 28–31 KiB with v7; the index went in 0105, events being marked published by seq.) Node
 * before 24.16 has no `randomUUIDv7`: v4 there.
 */
const newEventId: () => string = typeof randomUUIDv7 === 'function' ? randomUUIDv7 : randomUUID;

export const GATEWAY_EVENT_SOURCE = 'urn:retail-gateway:intake';
export const INTAKE_SUBJECT_MODEL = 'retail_gateway.intake';
/** The subject model of ATP events about an accepted item (`inventory.oversold`). */
export const ATP_SUBJECT_MODEL = 'retail_gateway.atp';

export interface GatewayEventInput<T extends EventType> {
  type: T;
  partner: string;
  intakeSeq: number;
  sequence: number;
  /** The subject's model (default: the intake item). */
  subjectModel?: string;
  data: Extract<EventEnvelope, { type: T }>['data'];
  requestId?: string;
  now: number;
}

let lastMs = Number.NaN;
let lastIso = '';
/**
 * An instant (ms) as ISO 8601, the last one kept: an order's events and the time in their data are
 * one instant, spelt once instead of three times.
 */
export function isoAt(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/** An event input of any type (the union of each type's own). */
export type AnyGatewayEventInput = { [T in EventType]: GatewayEventInput<T> }[EventType];

/** Inserts one event; returns its envelope. */
export async function recordGatewayEvent<T extends EventType>(tx: SqlExecutor, e: GatewayEventInput<T>): Promise<EventEnvelope> {
  return (await recordGatewayEvents(tx, [e as AnyGatewayEventInput]))[0]!;
}

const insertEventsSql = sqlByCount(
  (n) => `INSERT INTO gateway_events (id, type, partner, subject, sequence, envelope, created_at) VALUES ${sqlList(n, '(?, ?, ?, ?, ?, ?, ?)')}`,
);

/** Inserts events in one statement, in the order given (their seq follows it); returns their envelopes. */
export async function recordGatewayEvents(tx: SqlExecutor, events: readonly AnyGatewayEventInput[]): Promise<EventEnvelope[]> {
  if (events.length === 0) return [];
  const envelopes = events.map(
    (e) =>
      ({
        id: newEventId(),
        source: GATEWAY_EVENT_SOURCE,
        specversion: '1.0',
        type: e.type,
        time: isoAt(e.now),
        subject: `${e.subjectModel ?? INTAKE_SUBJECT_MODEL}/${e.intakeSeq}`,
        datacontenttype: 'application/json',
        sequence: e.sequence,
        ...(e.requestId ? { requestid: e.requestId.slice(0, 128) } : {}),
        data: e.data,
      }) as EventEnvelope,
  );
  await tx.run(
    insertEventsSql(events.length),
    events.flatMap((e, i) => {
      const envelope = envelopes[i]!;
      return [envelope.id, e.type, e.partner, envelope.subject, e.sequence, JSON.stringify(envelope), e.now];
    }),
  );
  return envelopes;
}

export interface StoredGatewayEvent {
  seq: number;
  envelope: EventEnvelope;
  partner: string;
  publishedAt: number | null;
}

/** Events after `cursor` (by seq), oldest first; `unpublishedOnly` skips those already published. */
export async function readGatewayEvents(
  db: SqlExecutor,
  opts: { cursor?: number; limit?: number; unpublishedOnly?: boolean; partner?: string } = {},
): Promise<StoredGatewayEvent[]> {
  const where = ['seq > ?'];
  const params: (string | number)[] = [opts.cursor ?? 0];
  if (opts.unpublishedOnly) where.push('published_at IS NULL');
  if (opts.partner) {
    where.push('partner = ?');
    params.push(opts.partner);
  }
  params.push(opts.limit ?? 100);
  const rows = await db.query<{ seq: number; envelope: string; partner: string; published_at: number | null }>(
    `SELECT seq, envelope, partner, published_at FROM gateway_events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`,
    params,
  );
  return rows.map((r) => ({ seq: Number(r.seq), envelope: JSON.parse(r.envelope) as EventEnvelope, partner: r.partner, publishedAt: r.published_at }));
}

/** Marks events published (by seq: the table has no index by event id). */
export async function markGatewayEventsPublished(db: SqlExecutor, seqs: readonly number[], now: number): Promise<number> {
  if (seqs.length === 0) return 0;
  const r = await db.run(
    `UPDATE gateway_events SET published_at = ? WHERE published_at IS NULL AND seq IN (${sqlList(seqs.length)})`,
    [now, ...seqs],
  );
  return r.changes;
}

/** When the oldest gateway event not yet published was created (ms), or null (metrics, the dashboard). */
export async function oldestUnpublishedAt(db: SqlExecutor): Promise<number | null> {
  const [row] = await db.query<{ v: number | string | null }>('SELECT MIN(created_at) AS v FROM gateway_events WHERE published_at IS NULL');
  return row?.v === null || row?.v === undefined ? null : Number(row.v);
}

/** Deletes at most `limit` events published before `before` (retention); returns how many. */
export async function purgePublishedEvents(db: SqlExecutor, before: number, limit: number): Promise<number> {
  const r = await db.run('DELETE FROM gateway_events WHERE seq IN (SELECT seq FROM gateway_events WHERE published_at IS NOT NULL AND published_at < ? LIMIT ?)', [before, limit]);
  return r.changes;
}
