/**
 * The generic cell rate algorithm (GCRA), as one pure function so the in-memory limiter and the
 * Redis script make the same decision from the same state.
 *
 * State is one number per key: the theoretical arrival time (TAT) of the next request, in ms.
 * A policy of `rate` requests per `windowMs` with a `burst` admits `burst` requests at once and
 * then one every `windowMs / rate`.
 */

/** A limit as configured: `rate` requests per `windowMs`, up to `burst` at once. */
export interface RatePolicy {
  /** Identifier in the `RateLimit-Policy` header, e.g. `partner-read`. */
  name: string;
  rate: number;
  windowMs: number;
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Requests that could still go through right now. */
  remaining: number;
  /** Ms until the bucket is full again (the draft's `t`). */
  resetMs: number;
  /** Ms until a refused request would be admitted (0 when allowed). */
  retryAfterMs: number;
}

/** Ms between two requests at the sustained rate. */
export const emissionInterval = (p: RatePolicy) => p.windowMs / p.rate;

/** Checks a policy at construction time, so a bad tier fails at start-up, not on a request. */
export function checkPolicy(p: RatePolicy): RatePolicy {
  if (!/^[a-z][a-z0-9-]*$/.test(p.name)) throw new TypeError(`rate policy name "${p.name}" must be a lowercase token`);
  for (const k of ['rate', 'windowMs', 'burst'] as const) {
    if (!Number.isFinite(p[k]) || p[k] <= 0) throw new TypeError(`rate policy ${p.name}: ${k} must be a positive number`);
  }
  if (p.burst < 1) throw new TypeError(`rate policy ${p.name}: burst must be at least 1`);
  return p;
}

/**
 * Decides one request of `cost` against the stored `tat` (null: never seen) at time `now`.
 * Returns the decision and the TAT to store (unchanged when refused).
 */
export function gcra(policy: RatePolicy, tat: number | null, now: number, cost = 1): RateDecision & { tat: number } {
  const interval = emissionInterval(policy);
  const tolerance = interval * policy.burst;
  const base = Math.max(tat ?? now, now);
  const newTat = base + interval * cost;
  const allowAt = newTat - tolerance;
  if (now < allowAt) {
    const current = tat ?? now;
    return {
      allowed: false,
      remaining: Math.max(0, Math.floor((now - (current - tolerance)) / interval)),
      resetMs: Math.max(0, current - now),
      retryAfterMs: allowAt - now,
      tat: current,
    };
  }
  return {
    allowed: true,
    remaining: Math.max(0, Math.floor((now - allowAt) / interval)),
    resetMs: newTat - now,
    retryAfterMs: 0,
    tat: newTat,
  };
}
