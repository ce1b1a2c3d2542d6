/**
 * The documented rate-limit tiers. A partner's tier comes from the partner registry in Odoo; each
 * route class (reads, writes) has its own budget of the tier's size, so a burst of orders never
 * starves availability reads. The token endpoint is limited per client and per address.
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

/** The token endpoint: 10 requests a minute per client id and, separately, per client address. */
export const defaultTokenLimit: TierLimit = { rate: 10, burst: 10 };
const TOKEN_WINDOW_MS = 60_000;

export interface RatePolicies {
  partner(tier: RateLimitTier, routeClass: RouteClass): RatePolicy;
  tokenPerClient: RatePolicy;
  tokenPerIp: RatePolicy;
}

/** Builds every policy once (checked at start-up); lookups on the request path are map reads. */
export function buildPolicies(tiers: Partial<Record<RateLimitTier, TierLimit>> = {}, token: TierLimit = defaultTokenLimit): RatePolicies {
  const merged = { ...defaultTiers, ...tiers };
  const table = new Map<string, RatePolicy>();
  for (const [tier, limit] of Object.entries(merged) as [RateLimitTier, TierLimit][]) {
    for (const cls of ['read', 'write'] as const) {
      table.set(`${tier}:${cls}`, checkPolicy({ name: `${tier}-${cls}`, rate: limit.rate, windowMs: 1_000, burst: limit.burst }));
    }
  }
  return {
    partner: (tier, cls) => table.get(`${tier}:${cls}`) ?? table.get(`standard:${cls}`)!,
    tokenPerClient: checkPolicy({ name: 'token-client', rate: token.rate, windowMs: TOKEN_WINDOW_MS, burst: token.burst }),
    tokenPerIp: checkPolicy({ name: 'token-ip', rate: token.rate, windowMs: TOKEN_WINDOW_MS, burst: token.burst }),
  };
}

/** GET, HEAD and OPTIONS spend the read budget; everything else the write budget. */
export function routeClassOf(method: string): RouteClass {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'write';
}
