/**
 * The documented rate-limit tiers. A partner's tier comes from the partner registry in Odoo; each
 * route class (reads, writes) has its own budget of the tier's size, so a burst of orders never
 * starves availability reads. Credential checks (the token endpoint, the dashboard sign-in) have
 * their own budgets: attempts per address, failures per (client, address) and per client.
 */
import type { RateLimitTier } from '../../../contracts/src/scopes.js';
import { checkPolicy, type RatePolicy } from './gcra.js';

export type RouteClass = 'read' | 'write';

export interface TierLimit {
  /** Sustained requests per second. */
  rate: number;
  /** Requests admitted at once. */
  burst: number;
}

/** Defaults: standard 50/s (burst 100), premium 500/s (burst 1,000), internal 5,000/s (burst 10,000). */
export const defaultTiers: Record<RateLimitTier, TierLimit> = {
  standard: { rate: 50, burst: 100 },
  premium: { rate: 500, burst: 1_000 },
  internal: { rate: 5_000, burst: 10_000 },
};

/**
 * Budgets of credential checks, each per minute (burst: the same number at once):
 * - `attemptsPerMin`: every attempt from one address, whatever the outcome;
 * - `failuresPerMin`: failed attempts for one client id (or login) from one address;
 * - `clientFailuresPerMin`: failed attempts for one client id from all addresses together. It only
 *   holds back addresses that have themselves failed for that client lately and never
 *   authenticated as it: a known address, or a first attempt, is never refused by it.
 */
export interface CredentialLimits {
  attemptsPerMin: number;
  failuresPerMin: number;
  clientFailuresPerMin: number;
}

export const defaultCredentialLimits: CredentialLimits = { attemptsPerMin: 30, failuresPerMin: 5, clientFailuresPerMin: 50 };
const TOKEN_WINDOW_MS = 60_000;

export interface RatePolicies {
  partner(tier: RateLimitTier, routeClass: RouteClass): RatePolicy;
  /** Every credential attempt per address. */
  tokenPerIp: RatePolicy;
  /** Failed credential checks per (client id or login, address). */
  tokenFailures: RatePolicy;
  /** Failed credential checks per client id or login, from addresses that failed and never succeeded. */
  tokenClientFailures: RatePolicy;
}

/** Builds every policy once (checked at start-up); lookups on the request path are map reads. */
export function buildPolicies(tiers: Partial<Record<RateLimitTier, TierLimit>> = {}, credentials: Partial<CredentialLimits> = {}): RatePolicies {
  const cred = { ...defaultCredentialLimits, ...credentials };
  const merged = { ...defaultTiers, ...tiers };
  // By tier, then class: no key string is built per request.
  const table = new Map<string, Record<RouteClass, RatePolicy>>();
  for (const [tier, limit] of Object.entries(merged) as [RateLimitTier, TierLimit][]) {
    const policy = (cls: RouteClass) => checkPolicy({ name: `${tier}-${cls}`, rate: limit.rate, windowMs: 1_000, burst: limit.burst });
    table.set(tier, { read: policy('read'), write: policy('write') });
  }
  const standard = table.get('standard')!;
  return {
    partner: (tier, cls) => (table.get(tier) ?? standard)[cls],
    tokenPerIp: checkPolicy({ name: 'token-ip', rate: cred.attemptsPerMin, windowMs: TOKEN_WINDOW_MS, burst: cred.attemptsPerMin }),
    tokenFailures: checkPolicy({ name: 'token-failures', rate: cred.failuresPerMin, windowMs: TOKEN_WINDOW_MS, burst: cred.failuresPerMin }),
    tokenClientFailures: checkPolicy({ name: 'token-client-failures', rate: cred.clientFailuresPerMin, windowMs: TOKEN_WINDOW_MS, burst: cred.clientFailuresPerMin }),
  };
}

/** GET, HEAD and OPTIONS spend the read budget; everything else the write budget. */
export function routeClassOf(method: string): RouteClass {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'write';
}
