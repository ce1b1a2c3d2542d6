/**
 * The in-memory GCRA limiter: one number per key in a Map, swept of full buckets now and then.
 * Each replica keeps its own budget; use the Redis limiter to share one.
 */
import { gcra, type RateDecision, type RatePolicy } from './gcra.js';
import type { LimiterBackend, RateLimiter } from './limiter.js';

export interface MemoryLimiterOptions {
  /** Clock in ms (tests inject one). */
  now?: () => number;
  /** How often keys whose bucket is full again are dropped. Default 60 s. */
  sweepIntervalMs?: number;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, number>();
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(options: MemoryLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Synchronous decision, for callers on the hot path that need no promise. */
  decide(key: string, policy: RatePolicy, cost = 1): RateDecision {
    const k = `${policy.name}:${key}`;
    const d = gcra(policy, this.tats.get(k) ?? null, this.now(), cost);
    if (d.allowed) this.tats.set(k, d.tat);
    return { allowed: d.allowed, remaining: d.remaining, resetMs: d.resetMs, retryAfterMs: d.retryAfterMs };
  }

  consume(key: string, policy: RatePolicy, cost = 1): Promise<RateDecision> {
    return Promise.resolve(this.decide(key, policy, cost));
  }

  backend(): LimiterBackend {
    return 'memory';
  }

  /** Number of keys held (for tests and the dashboard). */
  size(): number {
    return this.tats.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, tat] of this.tats) if (tat <= now) this.tats.delete(k);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.tats.clear();
  }
}
