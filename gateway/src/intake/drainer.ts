/**
 * The drainer: claims accepted items in batches of one partner and kind, sends each batch to the
 * addon's method for that kind (submit_orders, cancel_orders, …) with at most `limit.limit` calls
 * at once, and records every item's outcome. The limit (calls in flight and batch size) is fixed,
 * or adaptive (adaptive-limit.ts): learned from each call's latency, so that the drain takes what
 * Odoo can give without making it slow for its users.
 *
 * Exactly-once: an item is sent at least once (a lease that lapses, a crash, a timeout: it is sent
 * again) and the addon creates at most once (it answers `duplicate` for a partner + external id it
 * has already seen, with the first record). So a write whose outcome is unknown is simply resent.
 *
 * Failures: a transient error (network, timeout, serialization conflict, Odoo down, bad key)
 * retries the batch with exponential backoff, forever, and so does an item the addon answers
 * `retry` (rolled back for a reason that is not the partner's); neither counts toward
 * `maxAttempts`. A permanent error retries up to `maxAttempts`, a batch that fails as a whole is split into single items first so one bad item
 * cannot hold the others, and an argument that breaks the RPC contract fails the item at once.
 *
 * Contention: two calls whose items change the stock of a same SKU (orders reserving it, counts
 * setting it) update the same rows in Odoo; the second waits for the first's commit and then fails
 * with a serialization conflict, which costs its whole batch a fallback to one item at a time
 * (docs/performance.md, "Draining into a real Odoo"). So a batch that shares a SKU with a call in
 * Odoo waits for that call before it is sent; batches on other SKUs still go side by side.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RpcMethod } from '../../../contracts/src/odoo-rpc.js';
import type { OdooClient } from '../odoo/client.js';
import { OdooError } from '../odoo/errors.js';
import { FixedLimit, type DrainLimit } from './adaptive-limit.js';
import { kindSpecs, type BatchResult } from './kinds.js';
import type { IntakeItem, IntakeQueue, RetryCause, Settlement } from './queue.js';

/** Evaluates shadow partners' items without writing to Odoo. */
export type ShadowEvaluator = (items: IntakeItem[]) => Promise<Settlement[]>;

export interface DrainerOptions {
  queue: IntakeQueue;
  odoo: Pick<OdooClient, 'rpc'>;
  logger?: Logger;
  /** Items per call, without `limit` (default 20). */
  batchSize?: number;
  /** Calls in flight, without `limit` (default 2). */
  maxInFlight?: number;
  /** Calls in flight and batch size, learned from the calls (AdaptiveLimit); else fixed. */
  limit?: DrainLimit;
  leaseMs?: number;
  maxAttempts?: number;
  pollMs?: number;
  /** Backoff after a failed attempt: base and ceiling in ms. */
  backoff?: { baseMs: number; maxMs: number };
  /** Required to drain shadow partners' items; without it they wait. */
  shadow?: ShadowEvaluator;
  /** This drainer's name in leases (default: a random id). */
  worker?: string;
  now?: () => number;
  /** Observes each addon call (metrics, benchmarks, tests). */
  onCall?: (info: { method: RpcMethod; size: number; inFlight: number; ms: number; error?: unknown }) => void;
}

export interface DrainerStats {
  calls: number;
  items: number;
  maxInFlightSeen: number;
  retries: number;
  failed: number;
}

export class IntakeDrainer {
  readonly worker: string;
  readonly stats: DrainerStats = { calls: 0, items: 0, maxInFlightSeen: 0, retries: 0, failed: 0 };
  private readonly queue: IntakeQueue;
  /** Calls in flight and items per call; fed with every call's outcome. */
  readonly limit: DrainLimit;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly pollMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly now: () => number;
  private inFlight = 0;
  /** Calls in Odoo now (claimed batches waiting for a call they contend with are not). */
  private calling = 0;
  /** The SKUs each call in Odoo changes the stock of, by the call's completion. */
  private readonly touching = new Map<Promise<void>, ReadonlySet<string>>();
  private readonly tasks = new Set<Promise<void>>();
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly onAccepted = () => this.nudge();

  constructor(private readonly options: DrainerOptions) {
    this.queue = options.queue;
    const batchSize = options.batchSize ?? 20;
    const maxInFlight = options.maxInFlight ?? 2;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.maxAttempts = options.maxAttempts ?? 12;
    this.pollMs = options.pollMs ?? 250;
    this.backoff = options.backoff ?? { baseMs: 500, maxMs: 300_000 };
    this.worker = options.worker ?? `drainer-${randomUUID().slice(0, 8)}`;
    this.now = options.now ?? Date.now;
    if (!(batchSize >= 1 && batchSize <= 200)) throw new RangeError('drainer batchSize must be within 1..200 (the addon takes 200 at most)');
    if (!(maxInFlight >= 1)) throw new RangeError('drainer maxInFlight must be ≥ 1');
    this.limit = options.limit ?? new FixedLimit(maxInFlight, batchSize);
    if (!(this.leaseMs > 0)) throw new RangeError('drainer leaseMs must be > 0');
  }

  /** Starts draining in the background. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.queue.signals.on('accepted', this.onAccepted);
    this.loopDone = this.loop();
  }

  /** Stops claiming, waits for the calls in flight to finish and record their outcome. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.queue.signals.off('accepted', this.onAccepted);
    this.nudge();
    await this.loopDone;
    await Promise.allSettled([...this.tasks]);
  }

  /** Wakes an idle drainer now (new work was accepted). */
  nudge(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /**
   * Drains until nothing is waiting, retries that are not due yet included (for tests, benchmarks
   * and the CLI); returns the items handled. Gives up after `maxWaitMs` of waiting for retries.
   */
  async drainUntilIdle(maxWaitMs = 600_000): Promise<number> {
    const before = this.stats.items;
    const deadline = this.now() + maxWaitMs;
    for (;;) {
      const started = await this.fill();
      if (this.tasks.size > 0) {
        await Promise.race(this.tasks);
        continue;
      }
      if (started) continue;
      const depth = await this.queue.depth();
      if (depth.accepted + depth.processing === 0 || this.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, Math.min(this.pollMs, 100)));
    }
    return this.stats.items - before;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await this.fill();
      } catch (err) {
        this.options.logger?.error({ err }, 'intake drainer: claim failed');
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = null;
          resolve();
        }, this.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Claims and starts batches while there is room in flight; returns how many were started. */
  private async fill(): Promise<number> {
    let started = 0;
    while (this.inFlight < this.limit.limit) {
      const batch = await this.queue.claim(this.worker, Math.min(200, this.limit.batchSize), this.leaseMs);
      if (batch.length === 0) break;
      this.inFlight++;
      started++;
      this.stats.maxInFlightSeen = Math.max(this.stats.maxInFlightSeen, this.inFlight);
      const task: Promise<void> = this.process(batch)
        .catch((err: unknown) => this.options.logger?.error({ err }, 'intake drainer: batch failed unexpectedly'))
        .finally(() => {
          this.inFlight--;
          this.tasks.delete(task);
          this.nudge();
        });
      this.tasks.add(task);
    }
    return started;
  }

  private async process(batch: IntakeItem[]): Promise<void> {
    const first = batch[0]!;
    if (first.shadow) {
      if (!this.options.shadow) return this.retry(batch, 'no shadow evaluator configured', 'transient');
      const settlements = await this.options.shadow(batch);
      await this.queue.settle(this.worker, settlements);
      this.stats.items += batch.length;
      return;
    }
    await this.send(batch);
  }

  /** Waits until no call in Odoo changes the stock of a SKU of `skus`, then registers this call's. */
  private async clearOf(skus: ReadonlySet<string>): Promise<() => void> {
    if (skus.size > 0) {
      for (;;) {
        const blocking = [...this.touching].filter(([, theirs]) => [...skus].some((sku) => theirs.has(sku))).map(([done]) => done);
        if (blocking.length === 0) break;
        await Promise.all(blocking);
      }
    }
    // Registered at once, before anything else runs: a batch woken with this one sees it.
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    if (skus.size > 0) this.touching.set(done, skus);
    this.calling++;
    return () => {
      this.calling--;
      this.touching.delete(done);
      release();
    };
  }

  private async send(batch: IntakeItem[]): Promise<void> {
    const first = batch[0]!;
    const spec = kindSpecs[first.kind];
    const finished = await this.clearOf(new Set(batch.flatMap((item) => spec.touches(item.payload))));
    const inFlight = this.calling;
    const started = performance.now();
    let answer: BatchResult;
    try {
      answer = await spec.send(this.options.odoo, first.partner, batch, { requestId: first.requestId, kind: 'write' });
    } catch (err) {
      finished();
      const ms = performance.now() - started;
      this.stats.calls++;
      this.options.onCall?.({ method: spec.method, size: batch.length, inFlight, ms, error: err });
      // Only Odoo's state (network, timeout, restart, conflicts) is a load signal; a refused call is not.
      if (err instanceof OdooError && err.retryable) this.limit.observe({ size: batch.length, inFlight, ms, failure: 'transient' });
      return this.handleFailure(batch, err);
    }
    finished();
    this.stats.calls++;
    this.options.onCall?.({ method: spec.method, size: batch.length, inFlight, ms: performance.now() - started });
    const rolledBackCount = answer.results.filter((r) => r.status === 'retry').length;
    this.limit.observe({ size: batch.length, inFlight, ms: performance.now() - started, rolledBack: rolledBackCount });
    const byId = new Map(answer.results.map((r) => [r.intake_id, r]));
    const settlements: Settlement[] = [];
    const rolledBack: IntakeItem[] = [];
    const unanswered: IntakeItem[] = [];
    for (const item of batch) {
      const result = byId.get(item.id);
      const status = result?.status;
      if (!result || !status) unanswered.push(item);
      else if (status === 'retry') rolledBack.push(item);
      else settlements.push({ id: item.id, result: { ...result, status } });
    }
    await this.queue.settle(this.worker, settlements);
    this.stats.items += settlements.length;
    // Rolled back for a reason that is not the partner's (serialization conflict, lock timeout, a
    // bug): transient, like a network error; the detail is in Odoo's log.
    if (rolledBack.length) await this.retry(rolledBack, `retry: ${spec.method} rolled the item back (not the partner's doing); see the Odoo log`, 'odoo_retry');
    if (unanswered.length) await this.retry(unanswered, `${spec.method} answered no result for these items`, 'error');
  }

  private async handleFailure(batch: IntakeItem[], err: unknown): Promise<void> {
    const e = err instanceof OdooError ? err : null;
    const message = `${e?.kind ?? 'error'}: ${err instanceof Error ? err.message : String(err)}`;
    const transient = e ? e.retryable || e.kind === 'auth' : false;
    if (transient) return this.retry(batch, message, 'transient');
    if (batch.length > 1) {
      // One item may be the cause: settle what can be settled, one by one.
      for (const item of batch) await this.send([item]);
      return;
    }
    const item = batch[0]!;
    // Only permanent failures count toward the limit: transient ones (and the addon's `retry`) never do.
    if (e?.kind === 'contract' || item.attempts - item.transientAttempts >= this.maxAttempts) {
      this.options.logger?.error({ intake_id: item.id, partner: item.partner, kind: item.kind, err: message }, 'intake: item failed permanently');
      this.stats.failed++;
      await this.queue.fail(this.worker, [item.id], message);
      return;
    }
    await this.retry(batch, message, 'error');
  }

  /**
   * Puts items back to wait with exponential backoff. `cause`: `transient` (network, timeout, Odoo
   * down…) and `odoo_retry` (the addon answered `retry`) do not count toward `maxAttempts`; `error`
   * (a permanent error, or no answer for the item) does.
   */
  private async retry(items: IntakeItem[], error: string, cause: RetryCause): Promise<void> {
    const attempts = Math.max(...items.map((i) => i.attempts));
    const ceiling = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.max(0, attempts - 1));
    const delay = Math.floor(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.stats.retries += items.length;
    this.options.logger?.warn({ items: items.length, kind: items[0]?.kind, attempts, delay_ms: delay, cause, err: error }, 'intake: will retry');
    await this.queue.retryLater(this.worker, items.map((i) => i.id), this.now() + delay, error, cause);
  }
}
