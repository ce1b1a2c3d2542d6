/**
 * Sends due deliveries: leases them from the queue, signs each with the subscription's active
 * secrets at send time, posts it, and records the outcomes in batches (one transaction per batch,
 * so durability costs little per delivery). A per-endpoint limit bounds concurrent requests to one
 * receiver; a per-aggregate rule in the queue keeps one record's events in order per endpoint.
 * Endpoints failing past the threshold are disabled in Odoo, which notifies the partner's managers.
 */
import type { Logger } from 'pino';
import { activeSecrets, webhookHeaders } from '../webhooks/outbound/signing.js';
import type { WebhookSender } from '../webhooks/outbound/sender.js';
import type { AttemptResult, DeliveryQueue, DeliveryRow } from './deliveries.js';
import type { PartnerDirectory } from './directory.js';
import { retryDelay, type Random } from './schedule.js';

export interface DispatcherOptions {
  queue: DeliveryQueue;
  directory: PartnerDirectory;
  sender: WebhookSender;
  /** Disables a subscription in the registry (Odoo's `update_subscription`, which notifies the partner's managers). */
  disableSubscription: (e: { partner: string; subscriptionId: number; consecutiveFailures: number }) => Promise<void>;
  logger: Logger;
  /** Lease owner name, unique per process. */
  owner: string;
  /** Scheduling clock (ms). The `webhook-timestamp` header always uses the wall clock. */
  now: () => number;
  random?: Random;
  /** Concurrent requests per endpoint. Default 8. */
  concurrencyPerEndpoint?: number;
  /** Concurrent requests in all. Default 256. */
  maxInFlight?: number;
  /** How long a leased delivery is ours before another replica may take it. Default 5 min. */
  leaseMs?: number;
  /** Poll interval when idle (other replicas' work in a shared store). Default 1 s. */
  idlePollMs?: number;
  /** Auto-disable: consecutive failed attempts… Default 10. */
  disableAfterFailures?: number;
  /** …over at least this long. Default 24 h. */
  disableAfterMs?: number;
  /** Called after outcomes were recorded (the reporter listens). */
  onRecorded?: (results: readonly AttemptResult[]) => void;
}

export class Dispatcher {
  private readonly inFlightBySub = new Map<number, number>();
  private inFlight = 0;
  private buffer: AttemptResult[] = [];
  private flushing: Promise<void> | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private readonly sends = new Set<Promise<void>>();
  private readonly perEndpoint: number;
  private readonly maxInFlight: number;
  private readonly leaseMs: number;
  private readonly idlePollMs: number;
  private readonly random: Random;
  private lastDisableCheck = 0;
  private readonly lowWater: number;

  constructor(private readonly o: DispatcherOptions) {
    this.perEndpoint = o.concurrencyPerEndpoint ?? 8;
    this.maxInFlight = o.maxInFlight ?? 256;
    this.leaseMs = o.leaseMs ?? 5 * 60_000;
    this.idlePollMs = o.idlePollMs ?? 1_000;
    this.random = o.random ?? Math.random;
    this.lowWater = Math.max(0, Math.floor(this.maxInFlight / 2));
    if (this.perEndpoint < 1 || this.maxInFlight < 1) throw new TypeError('dispatcher: concurrency limits must be at least 1');
  }

  /** Requests in flight to one endpoint (for tests and metrics). */
  inFlightFor(subscriptionId: number): number {
    return this.inFlightBySub.get(subscriptionId) ?? 0;
  }

  /** New work may be due: stop waiting. */
  wake(): void {
    // A wake-up while the loop is busy is kept for its next wait.
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  /**
   * One round without the background loop (tests, CLI): lease what is due, send it all, record.
   * Returns how many deliveries were attempted.
   */
  async dispatchOnce(): Promise<number> {
    const leased = await this.leaseDue();
    await Promise.all([...this.sends]);
    await this.flush();
    await this.checkDisable(true);
    return leased;
  }

  /** Dispatches until nothing is due at the current clock (tests drive the clock between calls). */
  async drain(maxRounds = 1000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = await this.dispatchOnce();
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops leasing, waits for requests in flight, records their outcomes. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    // A batch recorded just before the stop may have leased more: wait until nothing is left.
    while (this.sends.size > 0 || this.buffer.length > 0 || this.flushing) {
      await Promise.all([...this.sends]);
      await this.flush();
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      // Refill in batches: lease again once half the window is free, so each lease and each
      // recorded batch covers many deliveries (one fsync for many, not one per delivery).
      if (this.inFlight > this.lowWater) {
        await this.idle(this.idlePollMs);
        continue;
      }
      let leased = 0;
      try {
        leased = await this.leaseDue();
        await this.checkDisable(false);
      } catch (err) {
        this.o.logger.error({ err }, 'relay: leasing deliveries failed');
      }
      if (!this.running) break;
      if (leased > 0) continue;
      await this.idle(this.inFlight > 0 ? this.idlePollMs : await this.untilNextDue());
    }
  }

  private async untilNextDue(): Promise<number> {
    try {
      const at = await this.o.queue.nextDueAt();
      if (at === null) return this.idlePollMs;
      return Math.max(5, Math.min(this.idlePollMs, at - this.o.now()));
    } catch {
      return this.idlePollMs;
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        if (this.wakeUp === finish) this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = finish;
    });
  }

  private async leaseDue(): Promise<number> {
    const room = this.maxInFlight - this.inFlight;
    if (room <= 0) return 0;
    const rows = await this.o.queue.lease(this.o.owner, room, this.leaseMs, (sub) => this.perEndpoint - this.inFlightFor(sub));
    this.send(rows);
    return rows.length;
  }

  private send(rows: readonly DeliveryRow[]): void {
    for (const row of rows) {
      this.inFlight++;
      this.inFlightBySub.set(row.subscription_id, this.inFlightFor(row.subscription_id) + 1);
      const p = this.attempt(row)
        .catch((err: unknown) => this.unexpected(row, err))
        .then((result) => {
          this.buffer.push(result);
          void this.flushSoon();
        })
        .finally(() => this.sends.delete(p));
      this.sends.add(p);
    }
  }

  /** A bug or a broken secret must not strand the delivery: count a failed attempt and retry on schedule. */
  private unexpected(row: DeliveryRow, err: unknown): AttemptResult {
    this.o.logger.error({ err, delivery: row.id }, 'relay: delivery attempt failed unexpectedly');
    const at = this.o.now();
    const delay = retryDelay(row.attempts + 1, null, this.random);
    const error = `internal: ${(err as Error)?.message ?? String(err)}`.slice(0, 500);
    return { delivery: row, at, statusCode: null, error, durationMs: 0, next: delay === null ? { kind: 'dead' } : { kind: 'retry', at: at + delay } };
  }

  /**
   * One warning line per failed attempt: who, which event, what went wrong and what happens next.
   * Ids and codes only (the endpoint URL may carry a partner's token, the body personal data).
   */
  private warnFailed(r: AttemptResult): void {
    const d = r.delivery;
    const next = r.next.kind === 'retry' ? { next_attempt_at: new Date(r.next.at).toISOString() } : { dead_lettered: true };
    this.o.logger.warn(
      { partner: d.partner, subscription: d.subscription_id, event_id: d.event_id, event_type: d.event_type, attempt: d.attempts + 1, status: r.statusCode, error: r.error, ...next },
      r.next.kind === 'retry' ? 'relay: delivery failed; will retry' : 'relay: delivery failed; dead-lettered',
    );
  }

  private async attempt(row: DeliveryRow): Promise<AttemptResult> {
    const at = () => this.o.now();
    const fail = (error: string): AttemptResult => ({ delivery: row, at: at(), statusCode: null, error, durationMs: 0, next: { kind: 'dead' } });
    let found;
    try {
      found = await this.o.directory.subscription(row.subscription_id);
    } catch (err) {
      // Odoo unreachable: the registry is unknown, so try again later without spending an attempt.
      this.o.logger.warn({ err, delivery: row.id }, 'relay: partner registry unavailable');
      return { delivery: row, at: at(), statusCode: null, error: 'partner registry unavailable', durationMs: 0, next: { kind: 'retry', at: at() + 5_000 }, uncounted: true };
    }
    if (!found) return fail('subscription deleted');
    const { subscription } = found;
    if (row.source !== 'test') {
      if (subscription.disabled_at !== null) return fail('endpoint disabled');
      if (!subscription.active) return fail('subscription inactive');
    }
    const secrets = activeSecrets(subscription.secrets, Date.now());
    if (secrets.length === 0) return fail('no active signing secret');
    const headers = webhookHeaders(secrets, row.event_id, Math.floor(Date.now() / 1000), row.body);
    const outcome = await this.o.sender.send({ url: subscription.url, headers, body: row.body });
    const base = { delivery: row, at: at(), statusCode: outcome.status, error: outcome.error, durationMs: outcome.durationMs };
    if (outcome.ok) return { ...base, next: { kind: 'delivered' } };
    if (!outcome.retryable) return { ...base, next: { kind: 'dead' } };
    const delay = retryDelay(row.attempts + 1, outcome.retryAfterMs, this.random);
    if (delay === null) return { ...base, error: `${outcome.error ?? 'failed'} (retry schedule exhausted)`, next: { kind: 'dead' } };
    return { ...base, next: { kind: 'retry', at: base.at + delay } };
  }

  private flushSoon(): Promise<void> {
    // One flush at a time; results arriving meanwhile go in the next one (group commit).
    this.flushing ??= (async () => {
      try {
        // Let the answers arriving in this turn of the event loop join the batch.
        // Each batch costs one fsync: under load, wait a few milliseconds for a bigger one.
        await new Promise<void>((resolve) => setImmediate(resolve));
        for (let waited = 0; waited < 5 && this.buffer.length < Math.min(128, this.inFlight); waited++) {
          await new Promise<void>((resolve) => setTimeout(resolve, 1));
        }
        while (this.buffer.length > 0) {
          const batch = this.buffer;
          this.buffer = [];
          await this.record(batch);
        }
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.flushing || this.buffer.length > 0) await (this.flushing ?? this.flushSoon());
  }

  private async record(batch: AttemptResult[]): Promise<void> {
    const counted = batch.filter((r) => !r.uncounted);
    const uncounted = batch.filter((r) => r.uncounted);
    // In the background loop, lease the next deliveries in the same transaction once half the
    // window is free again: one commit (one fsync) for both.
    const freed = new Map<number, number>();
    for (const r of batch) freed.set(r.delivery.subscription_id, (freed.get(r.delivery.subscription_id) ?? 0) + 1);
    const after = this.inFlight - batch.length;
    const next =
      this.running && after <= this.lowWater
        ? {
            owner: this.o.owner,
            limit: this.maxInFlight - after,
            leaseMs: this.leaseMs,
            capacity: (sub: number) => this.perEndpoint - (this.inFlightFor(sub) - (freed.get(sub) ?? 0)),
          }
        : undefined;
    let leased: DeliveryRow[] = [];
    for (let tries = 1; ; tries++) {
      try {
        leased = await this.o.queue.record(counted, next);
        if (uncounted.length) await this.o.queue.release(uncounted.map((r) => r.delivery.id), this.o.owner, this.o.now() + 5_000);
        break;
      } catch (err) {
        // The store must take the outcome, else the delivery is sent again after its lease: retry,
        // but not forever once stopping (the leases run out and the deliveries go again: at least once).
        if (!this.running && tries >= 25) {
          this.o.logger.error({ err, deliveries: batch.length }, 'relay: could not record delivery outcomes; they will be sent again');
          break;
        }
        this.o.logger.error({ err }, 'relay: recording delivery outcomes failed, retrying');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    for (const r of counted) if (r.next.kind !== 'delivered') this.warnFailed(r);
    for (const r of batch) {
      this.inFlight--;
      const n = this.inFlightFor(r.delivery.subscription_id) - 1;
      if (n <= 0) this.inFlightBySub.delete(r.delivery.subscription_id);
      else this.inFlightBySub.set(r.delivery.subscription_id, n);
    }
    this.send(leased);
    this.o.onRecorded?.(counted);
    this.wake();
  }

  private async checkDisable(force: boolean): Promise<void> {
    const now = this.o.now();
    if (!force && now - this.lastDisableCheck < 1_000) return;
    this.lastDisableCheck = now;
    const endpoints = await this.o.queue.endpointsToDisable(this.o.disableAfterFailures ?? 10, this.o.disableAfterMs ?? 24 * 3_600_000);
    for (const e of endpoints) {
      try {
        await this.o.disableSubscription({ partner: e.partner, subscriptionId: Number(e.subscription_id), consecutiveFailures: Number(e.consecutive_failures) });
        const dead = await this.o.queue.disableEndpoint(Number(e.subscription_id), 'endpoint disabled after repeated failures');
        await Promise.resolve(this.o.directory.invalidate()).catch(() => undefined);
        this.o.logger.warn({ subscription: e.subscription_id, partner: e.partner, failures: e.consecutive_failures, dead_lettered: dead }, 'relay: endpoint disabled');
      } catch (err) {
        this.o.logger.error({ err, subscription: e.subscription_id }, 'relay: disabling endpoint failed; will try again');
      }
    }
  }
}
