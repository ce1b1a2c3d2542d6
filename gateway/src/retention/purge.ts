/**
 * Retention: delivered webhook deliveries (with their attempt log) and finished intake items
 * (with the gateway events they produced) are deleted after their configured periods, and
 * idempotency records once they expire (GATEWAY_IDEMPOTENCY_TTL_HOURS, set when each was stored). Items that still need work (pending, failed, dead letters) are never purged.
 *
 * Deletes go in bounded batches so a large backlog never holds the store's write lock for long.
 */
import type { Logger } from 'pino';
import { purgeExpiredIdempotencyKeys } from '../intake/idempotency.js';
import type { SqlExecutor } from '../store/store.js';

export interface RetentionPolicy {
  deliveredDays: number;
  intakeDays: number;
}

export interface PurgeReport {
  deliveries: number;
  attempts: number;
  intakeItems: number;
  events: number;
  idempotencyRecords: number;
}

const BATCH = 5_000;
const DAY = 86_400_000;

const missingTable = (err: unknown) => /no such table|does not exist/i.test((err as Error).message);

/** Repeats a bounded delete until it touches nothing; a table not created (feature off) counts 0. */
async function drain(store: SqlExecutor, sql: string, params: (number | string)[]): Promise<number> {
  let total = 0;
  try {
    for (;;) {
      const { changes } = await store.run(sql, [...params, BATCH]);
      total += changes;
      if (changes < BATCH) return total;
    }
  } catch (err) {
    if (missingTable(err)) return total;
    throw err;
  }
}

export async function purgeExpired(store: SqlExecutor, policy: RetentionPolicy, now: number): Promise<PurgeReport> {
  const deliveredBefore = now - policy.deliveredDays * DAY;
  const intakeBefore = now - policy.intakeDays * DAY;

  const attempts = await drain(
    store,
    `DELETE FROM webhook_attempts WHERE id IN (SELECT a.id FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
       WHERE d.status = 'delivered' AND d.delivered_at < ? LIMIT ?)`,
    [deliveredBefore],
  );
  const deliveries = await drain(
    store,
    `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < ? LIMIT ?)`,
    [deliveredBefore],
  );
  const events = await drain(
    store,
    'DELETE FROM gateway_events WHERE seq IN (SELECT seq FROM gateway_events WHERE published_at IS NOT NULL AND published_at < ? LIMIT ?)',
    [intakeBefore],
  );
  const intakeItems = await drain(
    store,
    `DELETE FROM intake_items WHERE seq IN (SELECT seq FROM intake_items
       WHERE status IN ('completed', 'rejected', 'shadowed') AND completed_at IS NOT NULL AND completed_at < ? LIMIT ?)`,
    [intakeBefore],
  );
  let idempotencyRecords = 0;
  for (;;) {
    const n = await purgeExpiredIdempotencyKeys(store, now, BATCH);
    idempotencyRecords += n;
    if (n < BATCH) break;
  }
  return { deliveries, attempts, intakeItems, events, idempotencyRecords };
}

export interface RetentionRunnerOptions {
  store: SqlExecutor;
  policy: RetentionPolicy;
  logger: Logger;
  now?: () => number;
  /** Default hourly. */
  intervalMs?: number;
}

/** Purges once shortly after start, then every `intervalMs`. Returns a stop function. */
export function startRetention(options: RetentionRunnerOptions): () => Promise<void> {
  const now = options.now ?? Date.now;
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = purgeExpired(options.store, options.policy, now())
      .then((report) => {
        const total = Object.values(report).reduce((a, b) => a + b, 0);
        if (total > 0) options.logger.info({ purged: report }, 'retention: purged expired records');
      })
      .catch((err: Error) => options.logger.warn({ err: err.message }, 'retention: purge failed; retrying on the next run'))
      .finally(() => {
        running = null;
      });
  };
  const first = setTimeout(tick, 30_000);
  const timer = setInterval(tick, options.intervalMs ?? 3_600_000);
  first.unref();
  timer.unref();
  return async () => {
    clearTimeout(first);
    clearInterval(timer);
    await running;
  };
}
