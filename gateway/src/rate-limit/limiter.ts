/**
 * The rate limiter port: one decision per request, against a named policy, for a key
 * (a partner and a route class, a client id, an address).
 */
import type { RateDecision, RatePolicy } from './gcra.js';

export type LimiterBackend = 'memory' | 'redis' | 'fallback';

export interface RateLimiter {
  /** Decides one request (`cost` units) for `key` under `policy`. Never rejects: a broken backend falls back. */
  consume(key: string, policy: RatePolicy, cost?: number): Promise<RateDecision>;
  /** Which backend decides right now (`fallback`: Redis is configured but unreachable). */
  backend(): LimiterBackend;
  close(): Promise<void>;
}
