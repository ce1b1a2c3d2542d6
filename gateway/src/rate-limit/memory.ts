/**
 * The in-memory GCRA limiter: one number per key in a Map per policy, swept of full buckets now
 * and then. Each replica keeps its own budget; use the Redis limiter to share one.
 *
 * A Map per policy rather than one keyed by `policy:key`: a request's key is then a string the
 * caller already holds (a partner code from the cached token), whose hash V8 keeps, instead of a
 * new string built, flattened and hashed on every decision (measured on the cached read: the
 * limiter's decision was the gateway's second-largest own cost).
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
  /** TAT (ms) by key, by policy name. */
  private readonly tats = new Map<string, Map<string, number>>();
  /** Buckets held in all the policies' maps. */
  private buckets = 0;
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
    let bucket = this.tats.get(policy.name);
    if (!bucket) this.tats.set(policy.name, (bucket = new Map()));
    const stored = bucket.get(key);
    const now = this.now();
    const d = gcra(policy, stored ?? null, now, cost);
    if (d.allowed) {
      if (stored === undefined) {
        if (this.buckets >= this.maxKeys) this.makeRoomForBucket(now);
        this.buckets++;
      }
      bucket.set(key, d.tat);
    }
    return { allowed: d.allowed, remaining: d.remaining, resetMs: d.resetMs, retryAfterMs: d.retryAfterMs };
  }

  /** Synchronous `peek`. */
  inspect(key: string, policy: RatePolicy): RateDecision {
    const d = gcra(policy, this.tats.get(policy.name)?.get(key) ?? null, this.now(), 1);
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
    return this.buckets;
  }

  /** Number of markers held (for tests). */
  markerCount(): number {
    return this.markers.size;
  }

  /** Drops every policy's buckets that are full again at `now`, and recounts `buckets`. */
  private dropFullBuckets(now: number): void {
    this.buckets = 0;
    for (const bucket of this.tats.values()) {
      for (const [k, tat] of bucket) if (tat <= now) bucket.delete(k);
      this.buckets += bucket.size;
    }
  }

  /** Room for one more bucket: expired ones go first, then the oldest tenth of each policy's. */
  private makeRoomForBucket(now: number): void {
    this.dropFullBuckets(now);
    if (this.buckets < this.maxKeys) return;
    this.buckets = 0;
    for (const bucket of this.tats.values()) {
      dropOldest(bucket, Math.ceil(bucket.size / 10));
      this.buckets += bucket.size;
    }
  }

  /** Drops expired entries; if that frees nothing, the oldest tenth (Maps iterate in insertion order). */
  private makeRoom(map: Map<string, number>, max: number, expired: (value: number) => boolean): void {
    for (const [k, v] of map) if (expired(v)) map.delete(k);
    if (map.size >= max) dropOldest(map, Math.max(1, Math.ceil(max / 10)));
  }

  private sweep(): void {
    const now = this.now();
    this.dropFullBuckets(now);
    for (const [k, until] of this.markers) if (until <= now) this.markers.delete(k);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.tats.clear();
    this.buckets = 0;
    this.markers.clear();
  }
}

/** Drops a Map's `n` oldest entries (Maps iterate in insertion order). */
function dropOldest(map: Map<string, number>, n: number): void {
  for (const k of map.keys()) {
    if (n-- <= 0) break;
    map.delete(k);
  }
}
