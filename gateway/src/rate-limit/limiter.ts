/**
 * The rate limiter port: one decision per request, against a named policy, for a key
 * (a partner and a route class, a client id, an address).
 */
import type { RateDecision, RatePolicy } from './gcra.js';

export type LimiterBackend = 'memory' | 'redis' | 'fallback';

export interface RateLimiter {
  /** Decides one request (`cost` units) for `key` under `policy`. Never rejects: a broken backend falls back. */
  consume(key: string, policy: RatePolicy, cost?: number): Promise<RateDecision>;
  /** The decision one more request would get, without charging it. */
  peek(key: string, policy: RatePolicy): Promise<RateDecision>;
  /** Remembers a marker (e.g. an address that authenticated) for `ttlMs`. */
  remember(key: string, ttlMs: number): Promise<void>;
  /** Whether a marker set by `remember` is still held. */
  recalls(key: string): Promise<boolean>;
  /** Which backend decides right now (`fallback`: Redis is configured but unreachable). */
  backend(): LimiterBackend;
  close(): Promise<void>;
}
