/**
 * Retention: delivered webhook deliveries (with their attempt log) and finished intake items
 * (with the gateway events they produced) are deleted after their configured periods, and
 * idempotency records once they expire (GATEWAY_IDEMPOTENCY_TTL_HOURS, set when each was stored). Items that still need work (pending, failed, dead letters) are never purged.
 *
 * Deletes go in bounded batches so a large backlog never holds the store's write lock for long.
 */
import type { Logger } from 'pino';
import { purgePublishedEvents } from '../intake/events.js';
import { purgeExpiredIdempotencyKeys } from '../intake/idempotency.js';
import { purgeFinishedItems } from '../intake/queue.js';
import { purgeDelivered, purgeDeliveredAttempts } from '../relay/deliveries.js';
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

/** Repeats a bounded delete (the owning module's) until it touches fewer than a batch. */
async function drain(batch: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const changes = await batch(BATCH);
    total += changes;
    if (changes < BATCH) return total;
  }
}

export async function purgeExpired(store: SqlExecutor, policy: RetentionPolicy, now: number): Promise<PurgeReport> {
  const deliveredBefore = now - policy.deliveredDays * DAY;
  const intakeBefore = now - policy.intakeDays * DAY;
  const attempts = await drain((limit) => purgeDeliveredAttempts(store, deliveredBefore, limit));
  const deliveries = await drain((limit) => purgeDelivered(store, deliveredBefore, limit));
  const events = await drain((limit) => purgePublishedEvents(store, intakeBefore, limit));
  const intakeItems = await drain((limit) => purgeFinishedItems(store, intakeBefore, limit));
  const idempotencyRecords = await drain((limit) => purgeExpiredIdempotencyKeys(store, now, limit));
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
