/**
 * The IETF httpapi rate-limit fields (draft-ietf-httpapi-ratelimit-headers-11), both Structured
 * Field lists of items whose value is a quoted policy name:
 *
 *   RateLimit-Policy: "standard-read";q=100;w=2      (quota q over a window of w seconds)
 *   RateLimit: "standard-read";r=57;t=1              (r units remain; full again in t seconds)
 *
 * A GCRA policy of `rate` per second with `burst` is advertised as q = burst over the window
 * the bucket takes to refill (burst / rate seconds), which is the same average rate.
 */
import type { RateDecision, RatePolicy } from './gcra.js';

/** The policy's window in whole seconds (at least 1). */
export function policyWindowSeconds(p: RatePolicy): number {
  return Math.max(1, Math.round((p.burst * p.windowMs) / p.rate / 1000));
}

/** One `RateLimit-Policy` list member. */
export function formatPolicy(p: RatePolicy): string {
  return `"${p.name}";q=${p.burst};w=${policyWindowSeconds(p)}`;
}

/** Whole seconds for `Retry-After` (at least 1, so a client never retries at once). */
export function retryAfterSeconds(d: RateDecision): number {
  return Math.max(1, Math.ceil(d.retryAfterMs / 1000));
}

/** One `RateLimit` list member. On a refusal `t` names the same instant as `Retry-After`. */
export function formatLimit(p: RatePolicy, d: RateDecision): string {
  const t = d.allowed ? Math.max(0, Math.ceil(d.resetMs / 1000)) : retryAfterSeconds(d);
  return `"${p.name}";r=${d.allowed ? d.remaining : 0};t=${t}`;
}

/** Header values for one or more decisions; `RateLimit` carries the most constraining one. */
export function rateLimitHeaders(decisions: readonly { policy: RatePolicy; decision: RateDecision }[]): Record<string, string> {
  const policy = decisions.map((x) => formatPolicy(x.policy)).join(', ');
  const worst = decisions.reduce((a, b) => {
    if (a.decision.allowed !== b.decision.allowed) return a.decision.allowed ? b : a;
    return b.decision.remaining < a.decision.remaining ? b : a;
  });
  const headers: Record<string, string> = { 'RateLimit-Policy': policy, RateLimit: formatLimit(worst.policy, worst.decision) };
  if (!worst.decision.allowed) headers['Retry-After'] = String(retryAfterSeconds(worst.decision));
  return headers;
}
