/**
 * The retry schedule of outbound webhooks, and what counts as a retryable answer.
 *
 * Attempt 1 goes out at once; after a failed attempt n the next waits `RETRY_DELAYS_MS[n]`, give or
 * take 20 % of jitter so a receiver coming back is not hit by every retry at the same second:
 * immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — about 28 h in all, nine attempts,
 * after which the delivery is dead-lettered. This is the Standard Webhooks / Svix schedule.
 */

/** Delay before attempt n+1 (index n-1 after the n-th attempt failed). The first attempt is immediate. */
export const RETRY_DELAYS_MS: readonly number[] = [
  0, // the first retry is immediate: a connection reset on a keep-alive socket is common and harmless
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

/** Total attempts: the first plus one per scheduled retry. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** Jitter: each delay is multiplied by a factor in [1 - JITTER, 1 + JITTER]. */
export const JITTER = 0.2;

/** A `Retry-After` longer than this is cut to it, so one receiver cannot park a delivery for days. */
export const RETRY_AFTER_CAP_MS = 6 * 3_600_000;

export type Random = () => number;

/**
 * Milliseconds to wait after the `attempts`-th failed attempt, or null when the schedule is spent.
 * A `Retry-After` (ms) pushes the retry later, never earlier than the schedule, up to the cap.
 */
export function retryDelay(attempts: number, retryAfterMs: number | null = null, random: Random = Math.random): number | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_MS[attempts - 1] ?? 0;
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  if (retryAfterMs === null || !(retryAfterMs > 0)) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, RETRY_AFTER_CAP_MS));
}

/** Retry on 408, 409, 429 and every 5xx; any other 4xx (and 3xx, never followed) is final. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. Null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined | null, nowMs: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  const trimmed = v.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}
