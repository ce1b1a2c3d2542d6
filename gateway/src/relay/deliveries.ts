/**
 * The durable delivery queue in the gateway store: enqueue (idempotent per event and
 * subscription), lease what is due while keeping order per aggregate and endpoint, record outcomes
 * in batches, dead letters, replay, and the rows the batched report to Odoo still owes.
 */
import { likeContaining, sqlList, type Param, type SqlExecutor, type SqlStore } from '../store/store.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';
/** Where the event came from: the addon's outbox, the gateway's own events, or a partner's test. */
export type DeliverySource = 'outbox' | 'gateway' | 'test';

export interface NewDelivery {
  eventId: string;
  source: DeliverySource;
  subscriptionId: number;
  partner: string;
  eventType: string;
  /** The envelope's `subject`: deliveries of one aggregate to one endpoint go out in order. */
  aggregate: string;
  body: string;
  eventTimeMs: number;
}

export interface DeliveryRow {
  id: number;
  event_id: string;
  source: DeliverySource;
  subscription_id: number;
  partner: string;
  event_type: string;
  aggregate: string;
  body: string;
  event_time: number;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
  replays: number;
  report_pending: number;
}

export interface AttemptRow {
  id: number;
  delivery_id: number;
  attempt: number;
  at: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** The outcome of one attempt, as the dispatcher records it. */
export interface AttemptResult {
  delivery: DeliveryRow;
  at: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** `delivered`, `retry` at `nextAttemptAt`, or `dead`. */
  next: { kind: 'delivered' } | { kind: 'retry'; at: number } | { kind: 'dead' };
  /** Nothing was sent (the partner registry was unreachable): release the lease, spend no attempt. */
  uncounted?: boolean;
}

/**
 * What a replay puts back (parameters: now, now): finished deliveries, and pending ones waiting for a
 * later retry; not one due already nor one being sent right now (leased).
 */
const REPLAYABLE = "(status <> 'pending' OR (next_attempt_at > ? AND (lease_until IS NULL OR lease_until < ?)))";

const COLUMNS = 'event_id, source, subscription_id, partner, event_type, aggregate, body, event_time, status, attempts, next_attempt_at, created_at, updated_at, report_pending';

export class DeliveryQueue {
  constructor(
    readonly store: SqlStore,
    private readonly now: () => number,
  ) {}

  /** Inserts deliveries, skipping any (event, subscription) already stored. Returns how many were new. */
  async enqueue(items: readonly NewDelivery[], tx: SqlExecutor = this.store): Promise<number> {
    if (items.length === 0) return 0;
    const now = this.now();
    let inserted = 0;
    const run = async (ex: SqlExecutor) => {
      // Chunks keep the statement under SQLite's bound-parameter limit.
      for (let i = 0; i < items.length; i += 200) {
        const chunk = items.slice(i, i + 200);
        const params: Param[] = [];
        for (const d of chunk) {
          params.push(d.eventId, d.source, d.subscriptionId, d.partner, d.eventType, d.aggregate, d.body, d.eventTimeMs, 'pending', 0, now, now, now, d.source === 'outbox' ? 1 : 0);
        }
        const sql = `INSERT INTO webhook_deliveries (${COLUMNS}) VALUES ${sqlList(chunk.length, `(${sqlList(14)})`)} ON CONFLICT (event_id, subscription_id) DO NOTHING`;
        inserted += (await ex.run(sql, params)).changes;
      }
    };
    if (tx !== this.store) await run(tx);
    else await this.store.transaction(run);
    return inserted;
  }

  /**
   * Leases due deliveries for `owner` until `leaseMs` from now. Only the oldest pending delivery
   * of each (subscription, aggregate) is due, so a later event waits for the earlier one, and
   * `capacity(subscriptionId)` caps how many each endpoint gets.
   */
  async lease(owner: string, limit: number, leaseMs: number, capacity: (subscriptionId: number) => number): Promise<DeliveryRow[]> {
    return this.store.transaction((tx) => this.leaseIn(tx, owner, limit, leaseMs, capacity));
  }

  private async leaseIn(tx: SqlExecutor, owner: string, limit: number, leaseMs: number, capacity: (subscriptionId: number) => number): Promise<DeliveryRow[]> {
    const now = this.now();
    {
      const lock = tx.dialect === 'postgres' ? ' FOR UPDATE OF d SKIP LOCKED' : '';
      const candidates = await tx.query<DeliveryRow>(
        `SELECT d.* FROM webhook_deliveries d
          WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until < ?)
            AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries e
               WHERE e.subscription_id = d.subscription_id AND e.aggregate = d.aggregate
                 AND e.status = 'pending' AND e.id < d.id)
          ORDER BY d.next_attempt_at, d.id
          LIMIT ?${lock}`,
        [now, now, limit],
      );
      const taken = new Map<number, number>();
      const chosen = candidates.filter((d) => {
        const used = taken.get(d.subscription_id) ?? 0;
        if (used >= capacity(d.subscription_id)) return false;
        taken.set(d.subscription_id, used + 1);
        return true;
      });
      for (let i = 0; i < chosen.length; i += 500) {
        const ids = chosen.slice(i, i + 500).map((d) => d.id);
        await tx.run(`UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ? WHERE id IN (${sqlList(ids.length)})`, [owner, now + leaseMs, ...ids]);
      }
      for (const d of chosen) {
        d.lease_owner = owner;
        d.lease_until = now + leaseMs;
      }
      return chosen;
    }
  }

  /**
   * Records a batch of attempt outcomes in one transaction, and the endpoints' failure counters;
   * with `next`, leases the next deliveries in the same transaction (one commit, one fsync, for both).
   */
  async record(results: readonly AttemptResult[], next?: { owner: string; limit: number; leaseMs: number; capacity: (subscriptionId: number) => number }): Promise<DeliveryRow[]> {
    if (results.length === 0 && !next) return [];
    return this.store.transaction(async (tx) => {
      await this.recordIn(tx, results);
      return next && next.limit > 0 ? this.leaseIn(tx, next.owner, next.limit, next.leaseMs, next.capacity) : [];
    });
  }

  private async recordIn(tx: SqlExecutor, results: readonly AttemptResult[]): Promise<void> {
    if (results.length === 0) return;
    {
      for (const r of results) {
        const d = r.delivery;
        const attempts = d.attempts + 1;
        const status: DeliveryStatus = r.next.kind === 'delivered' ? 'delivered' : r.next.kind === 'dead' ? 'dead' : 'pending';
        const nextAt = r.next.kind === 'retry' ? r.next.at : d.next_attempt_at;
        await tx.run(
          `UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,
              last_status = ?, last_error = ?, updated_at = ?, delivered_at = ?, report_pending = ?
            WHERE id = ? AND lease_owner = ?`,
          [status, attempts, nextAt, r.statusCode, r.error, r.at, r.next.kind === 'delivered' ? r.at : null, d.source === 'outbox' ? 1 : 0, d.id, d.lease_owner],
        );
      }
      const params: Param[] = [];
      for (const r of results) params.push(r.delivery.id, r.delivery.attempts + 1, r.at, r.statusCode, r.error, Math.round(r.durationMs));
      for (let i = 0; i < results.length; i += 150) {
        const n = Math.min(150, results.length - i);
        await tx.run(`INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms) VALUES ${sqlList(n, `(${sqlList(6)})`)}`, params.slice(i * 6, (i + n) * 6));
      }
      // Failure counters: the last outcome per endpoint in this batch decides.
      const lastBySub = new Map<number, AttemptResult>();
      const failuresBySub = new Map<number, number>();
      for (const r of results) {
        if (r.delivery.source === 'test') continue;
        const sub = r.delivery.subscription_id;
        if (r.next.kind === 'delivered') failuresBySub.set(sub, 0);
        else failuresBySub.set(sub, (failuresBySub.get(sub) ?? 0) + 1);
        lastBySub.set(sub, r);
      }
      for (const [sub, r] of lastBySub) {
        const failuresSinceLastSuccess = failuresBySub.get(sub) ?? 0;
        const sawSuccess = results.some((x) => x.delivery.subscription_id === sub && x.next.kind === 'delivered');
        await tx.run(
          `INSERT INTO webhook_endpoints (subscription_id, partner, consecutive_failures, failing_since) VALUES (?, ?, 0, NULL)
             ON CONFLICT (subscription_id) DO NOTHING`,
          [sub, r.delivery.partner],
        );
        if (sawSuccess) {
          await tx.run(
            `UPDATE webhook_endpoints SET consecutive_failures = ?, failing_since = ? WHERE subscription_id = ?`,
            [failuresSinceLastSuccess, failuresSinceLastSuccess > 0 ? r.at : null, sub],
          );
        } else {
          await tx.run(
            `UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + ?, failing_since = COALESCE(failing_since, ?) WHERE subscription_id = ?`,
            [failuresSinceLastSuccess, r.at, sub],
          );
        }
      }
    }
  }

  /** Releases leases without counting an attempt, to be tried again at `notBefore` (ms) at the earliest. */
  async release(ids: readonly number[], owner: string, notBefore = 0): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await this.store.run(
        `UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL, next_attempt_at = CASE WHEN next_attempt_at < ? THEN ? ELSE next_attempt_at END
          WHERE lease_owner = ? AND id IN (${sqlList(chunk.length)})`,
        [notBefore, notBefore, owner, ...chunk],
      );
    }
  }

  /** Endpoints past the failure threshold that are not disabled yet. */
  async endpointsToDisable(minFailures: number, minFailingMs: number): Promise<{ subscription_id: number; partner: string; consecutive_failures: number }[]> {
    return this.store.query(
      `SELECT subscription_id, partner, consecutive_failures FROM webhook_endpoints
        WHERE disabled_at IS NULL AND consecutive_failures >= ? AND failing_since IS NOT NULL AND failing_since <= ?`,
      [minFailures, this.now() - minFailingMs],
    );
  }

  /** Marks an endpoint disabled and moves its pending deliveries to the dead letters. */
  async disableEndpoint(subscriptionId: number, reason: string): Promise<number> {
    const now = this.now();
    return this.store.transaction(async (tx) => {
      await tx.run('UPDATE webhook_endpoints SET disabled_at = ? WHERE subscription_id = ?', [now, subscriptionId]);
      return (await this.deadLetterPending(tx, subscriptionId, reason, now)).changes;
    });
  }

  /** Dead-letters every pending delivery of a subscription (deleted, disabled or deactivated). */
  async deadLetterSubscription(subscriptionId: number, reason: string): Promise<number> {
    return (await this.deadLetterPending(this.store, subscriptionId, reason, this.now())).changes;
  }

  private deadLetterPending(ex: SqlExecutor, subscriptionId: number, reason: string, now: number) {
    return ex.run(
      `UPDATE webhook_deliveries SET status = 'dead', last_error = ?, updated_at = ?, lease_owner = NULL, lease_until = NULL,
          report_pending = CASE WHEN source = 'outbox' THEN 1 ELSE 0 END
        WHERE subscription_id = ? AND status = 'pending'`,
      [reason, now, subscriptionId],
    );
  }

  /** Forgets an endpoint's failure streak (it was re-enabled). */
  async resetEndpoint(subscriptionId: number): Promise<void> {
    await this.store.run('UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL, disabled_at = NULL WHERE subscription_id = ?', [subscriptionId]);
  }

  /**
   * Puts deliveries back in the queue for a new round of the schedule, due now, keeping their event
   * id (so `webhook-id` is unchanged): delivered and dead ones, and pending ones waiting for a later
   * retry. One due already or being sent right now is left alone. Returns the count.
   */
  async replay(filter: ReplayFilter): Promise<number> {
    const { where, params } = replayWhere(filter);
    const now = this.now();
    return (
      await this.store.run(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,
            replays = replays + 1, updated_at = ?
          WHERE ${REPLAYABLE} AND ${where}`,
        [now, now, now, now, ...params],
      )
    ).changes;
  }

  /**
   * Replay asked for in Odoo: the stored deliveries of these outbox events, as `replay` does for
   * one event. Returns how many were put back.
   */
  async replayNow(eventIds: readonly string[]): Promise<number> {
    if (eventIds.length === 0) return 0;
    const now = this.now();
    let n = 0;
    for (let i = 0; i < eventIds.length; i += 500) {
      const chunk = eventIds.slice(i, i + 500);
      n += (
        await this.store.run(
          `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL,
              replays = replays + 1, updated_at = ?
            WHERE source = 'outbox' AND event_id IN (${sqlList(chunk.length)}) AND ${REPLAYABLE}`,
          [now, now, ...chunk, now, now],
        )
      ).changes;
    }
    return n;
  }

  /** How many deliveries a replay filter selects (for progress bars and dry runs). */
  async countForReplay(filter: ReplayFilter): Promise<number> {
    const { where, params } = replayWhere(filter);
    const now = this.now();
    const rows = await this.store.query<{ n: number }>(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE ${REPLAYABLE} AND ${where}`, [now, now, ...params]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Deliveries of a replay filter still pending: a replay is done when this reaches zero. */
  async pendingFor(ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    let n = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.store.query<{ n: number }>(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending' AND id IN (${sqlList(chunk.length)})`, chunk);
      n += Number(rows[0]?.n ?? 0);
    }
    return n;
  }

  /** Ids a replay filter selects. */
  async idsForReplay(filter: ReplayFilter): Promise<number[]> {
    const { where, params } = replayWhere(filter);
    const now = this.now();
    return (await this.store.query<{ id: number }>(`SELECT id FROM webhook_deliveries WHERE ${REPLAYABLE} AND ${where} ORDER BY id`, [now, now, ...params])).map((r) => Number(r.id));
  }

  /** One subscription's deliveries, newest first, with keyset pagination on the id. */
  async listForSubscription(subscriptionId: number, options: { limit: number; before?: number; status?: DeliveryStatus }): Promise<DeliveryRow[]> {
    const params: Param[] = [subscriptionId];
    let sql = 'SELECT * FROM webhook_deliveries WHERE subscription_id = ?';
    if (options.status) {
      sql += ' AND status = ?';
      params.push(options.status);
    }
    if (options.before !== undefined) {
      sql += ' AND id < ?';
      params.push(options.before);
    }
    sql += ' ORDER BY id DESC LIMIT ?';
    params.push(options.limit);
    return this.store.query<DeliveryRow>(sql, params);
  }

  async attemptsFor(deliveryIds: readonly number[]): Promise<AttemptRow[]> {
    if (deliveryIds.length === 0) return [];
    return this.store.query<AttemptRow>(`SELECT * FROM webhook_attempts WHERE delivery_id IN (${sqlList(deliveryIds.length)}) ORDER BY id`, deliveryIds);
  }

  async get(id: number): Promise<DeliveryRow | undefined> {
    return (await this.store.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?', [id]))[0];
  }

  /** Outcomes Odoo has not been told yet (outbox events only: Odoo knows no other ids). */
  async unreported(limit: number): Promise<DeliveryRow[]> {
    return this.store.query<DeliveryRow>(`SELECT * FROM webhook_deliveries WHERE report_pending = 1 ORDER BY id LIMIT ?`, [limit]);
  }

  /** Clears the report flag of rows that did not change since they were read. */
  async markReported(rows: readonly Pick<DeliveryRow, 'id' | 'updated_at'>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.store.transaction(async (tx) => {
      for (const r of rows) await tx.run('UPDATE webhook_deliveries SET report_pending = 0 WHERE id = ? AND updated_at = ?', [r.id, r.updated_at]);
    });
  }

  /** When the next pending delivery is due (ms), or null when none is pending. */
  async nextDueAt(): Promise<number | null> {
    const [row] = await this.store.query<{ at: number | string | null }>("SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'");
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  /** The event time (ms) of the oldest pending delivery, or null: the delivery lag. */
  async oldestPendingEventTime(): Promise<number | null> {
    const [row] = await this.store.query<{ v: number | string | null }>("SELECT MIN(event_time) AS v FROM webhook_deliveries WHERE status = 'pending'");
    return row?.v === null || row?.v === undefined ? null : Number(row.v);
  }

  /** The id of an event's delivery to one subscription. */
  async idOf(eventId: string, subscriptionId: number): Promise<number | undefined> {
    const [row] = await this.store.query<{ id: number }>('SELECT id FROM webhook_deliveries WHERE event_id = ? AND subscription_id = ?', [eventId, subscriptionId]);
    return row ? Number(row.id) : undefined;
  }

  /** Counts by status of the given deliveries (e.g. the ones a replay queued). */
  async countsFor(ids: readonly number[]): Promise<Partial<Record<DeliveryStatus, number>>> {
    const out: Partial<Record<DeliveryStatus, number>> = {};
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.store.query<{ status: DeliveryStatus; n: number }>(
        `SELECT status, COUNT(*) AS n FROM webhook_deliveries WHERE id IN (${sqlList(chunk.length)}) GROUP BY status`,
        chunk,
      );
      for (const r of rows) out[r.status] = (out[r.status] ?? 0) + Number(r.n);
    }
    return out;
  }

  /** Dead letters, most recently changed first (the dashboard). */
  async listDead(limit: number): Promise<DeliveryRow[]> {
    return this.store.query<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE status = 'dead' ORDER BY updated_at DESC LIMIT ?", [limit]);
  }

  /** Deliveries replayed at least once, most recently changed first (the dashboard). */
  async listReplayed(limit: number): Promise<DeliveryRow[]> {
    return this.store.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE replays > 0 ORDER BY updated_at DESC LIMIT ?', [limit]);
  }

  /** Counts by status, for metrics and the CLI. */
  async counts(): Promise<Record<DeliveryStatus, number>> {
    const rows = await this.store.query<{ status: DeliveryStatus; n: number }>('SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status');
    const out: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, dead: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }
}

/** What to replay: one event, a partner's dead letters, or everything of a partner since a time. */
export type ReplayFilter =
  | { kind: 'event'; eventId: string; partner?: string }
  | { kind: 'dead'; partner: string; subscriptionId?: number }
  | { kind: 'since'; partner: string; sinceMs: number; subscriptionId?: number };

function replayWhere(filter: ReplayFilter): { where: string; params: Param[] } {
  // Test pings are never replayed: they are not events of the record.
  const base = "source <> 'test'";
  switch (filter.kind) {
    case 'event':
      return filter.partner
        ? { where: `${base} AND event_id = ? AND partner = ?`, params: [filter.eventId, filter.partner] }
        : { where: `${base} AND event_id = ?`, params: [filter.eventId] };
    case 'dead': {
      const params: Param[] = [filter.partner];
      let where = `${base} AND status = 'dead' AND partner = ?`;
      if (filter.subscriptionId !== undefined) {
        where += ' AND subscription_id = ?';
        params.push(filter.subscriptionId);
      }
      return { where, params };
    }
    case 'since': {
      const params: Param[] = [filter.partner, filter.sinceMs];
      let where = `${base} AND partner = ? AND event_time >= ?`;
      if (filter.subscriptionId !== undefined) {
        where += ' AND subscription_id = ?';
        params.push(filter.subscriptionId);
      }
      return { where, params };
    }
  }
}

/** Deletes at most `limit` attempt-log rows of deliveries delivered before `before` (retention; before the deliveries themselves). */
export async function purgeDeliveredAttempts(db: SqlExecutor, before: number, limit: number): Promise<number> {
  const r = await db.run(
    `DELETE FROM webhook_attempts WHERE id IN (SELECT a.id FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
       WHERE d.status = 'delivered' AND d.delivered_at < ? LIMIT ?)`,
    [before, limit],
  );
  return r.changes;
}

/** Deletes at most `limit` deliveries delivered before `before` (retention); returns how many. */
export async function purgeDelivered(db: SqlExecutor, before: number, limit: number): Promise<number> {
  const r = await db.run(`DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < ? LIMIT ?)`, [
    before,
    limit,
  ]);
  return r.changes;
}

/** Deliveries whose body contains `needle` (lower-case), for erasure. */
export async function deliveriesContaining(db: SqlExecutor, needle: string): Promise<{ id: number; body: string }[]> {
  return db.query<{ id: number; body: string }>("SELECT id, body FROM webhook_deliveries WHERE LOWER(body) LIKE ? ESCAPE '\\'", [likeContaining(needle)]);
}

/** Replaces a delivery's body (erasure). */
export async function rewriteDeliveryBody(db: SqlExecutor, id: number, body: string): Promise<void> {
  await db.run('UPDATE webhook_deliveries SET body = ? WHERE id = ?', [body, id]);
}
