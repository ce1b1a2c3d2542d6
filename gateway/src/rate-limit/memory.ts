/**
 * The in-memory GCRA limiter: one number per key in a Map, swept of full buckets now and then.
 * Each replica keeps its own budget; use the Redis limiter to share one.
 *
 * Keys can be chosen by callers (an address, a claimed client id), so both maps are bounded:
 * at most `maxKeys` buckets (default 100,000) and `maxMarkers` markers (default 10,000). When a map
 * is full, expired entries go first, then the oldest tenth. A dropped bucket is a full bucket
 * again: eviction can only make the limiter more lenient for that key, never refuse anyone.
 */
import { gcra, type RateDecision, type RatePolicy } from './gcra.js';
import type { LimiterBackend, RateLimiter } from './limiter.js';

export interface MemoryLimiterOptions {
  /** Clock in ms (tests inject one). */
  now?: () => number;
  /** How often keys whose bucket is full again are dropped. Default 60 s. */
  sweepIntervalMs?: number;
  /** Buckets held at most. Default 100,000. */
  maxKeys?: number;
  /** Markers (`remember`) held at most. Default 10,000. */
  maxMarkers?: number;
}

export const DEFAULT_MAX_KEYS = 100_000;
export const DEFAULT_MAX_MARKERS = 10_000;

export class MemoryRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, number>();
  /** Marker → expiry (ms). */
  private readonly markers = new Map<string, number>();
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private readonly maxKeys: number;
  private readonly maxMarkers: number;

  constructor(options: MemoryLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.maxMarkers = options.maxMarkers ?? DEFAULT_MAX_MARKERS;
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Synchronous decision, for callers on the hot path that need no promise. */
  decide(key: string, policy: RatePolicy, cost = 1): RateDecision {
    const k = `${policy.name}:${key}`;
    const stored = this.tats.get(k);
    const now = this.now();
    const d = gcra(policy, stored ?? null, now, cost);
    if (d.allowed) {
      if (stored === undefined && this.tats.size >= this.maxKeys) this.makeRoom(this.tats, this.maxKeys, (tat) => tat <= now);
      this.tats.set(k, d.tat);
    }
    return { allowed: d.allowed, remaining: d.remaining, resetMs: d.resetMs, retryAfterMs: d.retryAfterMs };
  }

  /** Synchronous `peek`. */
  inspect(key: string, policy: RatePolicy): RateDecision {
    const d = gcra(policy, this.tats.get(`${policy.name}:${key}`) ?? null, this.now(), 1);
    return { allowed: d.allowed, remaining: d.remaining, resetMs: d.resetMs, retryAfterMs: d.retryAfterMs };
  }

  consume(key: string, policy: RatePolicy, cost = 1): Promise<RateDecision> {
    return Promise.resolve(this.decide(key, policy, cost));
  }

  peek(key: string, policy: RatePolicy): Promise<RateDecision> {
    return Promise.resolve(this.inspect(key, policy));
  }

  /** Synchronous `remember`. */
  mark(key: string, ttlMs: number): void {
    const now = this.now();
    if (!this.markers.has(key) && this.markers.size >= this.maxMarkers) this.makeRoom(this.markers, this.maxMarkers, (until) => until <= now);
    this.markers.delete(key);
    this.markers.set(key, now + ttlMs);
  }

  /** Synchronous `recalls`. */
  marked(key: string): boolean {
    const until = this.markers.get(key);
    return until !== undefined && until > this.now();
  }

  remember(key: string, ttlMs: number): Promise<void> {
    this.mark(key, ttlMs);
    return Promise.resolve();
  }

  recalls(key: string): Promise<boolean> {
    return Promise.resolve(this.marked(key));
  }

  backend(): LimiterBackend {
    return 'memory';
  }

  /** Number of buckets held (for tests and the dashboard). */
  size(): number {
    return this.tats.size;
  }

  /** Number of markers held (for tests). */
  markerCount(): number {
    return this.markers.size;
  }

  /** Drops expired entries; if that frees nothing, the oldest tenth (Maps iterate in insertion order). */
  private makeRoom(map: Map<string, number>, max: number, expired: (value: number) => boolean): void {
    for (const [k, v] of map) if (expired(v)) map.delete(k);
    if (map.size < max) return;
    let drop = Math.max(1, Math.ceil(max / 10));
    for (const k of map.keys()) {
      if (drop-- <= 0) break;
      map.delete(k);
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, tat] of this.tats) if (tat <= now) this.tats.delete(k);
    for (const [k, until] of this.markers) if (until <= now) this.markers.delete(k);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.tats.clear();
    this.markers.clear();
  }
}
