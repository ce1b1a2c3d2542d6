/**
 * When a failed Odoo call may be repeated: reads only, on retryable errors, with exponential
 * backoff and full jitter. Writes are never repeated here; the addon's intake methods are
 * idempotent, so the intake queue decides for them with the result in hand.
 */

export interface RetryPolicy {
  /** Total attempts for a read, the first included. Default 3. */
  attempts: number;
  /** The first backoff ceiling. Default 100 ms. */
  baseDelayMs: number;
  /** The largest backoff ceiling. Default 2 s. */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 };

/** ORM and addon methods that never change data. */
export const READ_METHODS: ReadonlySet<string> = new Set([
  'search',
  'read',
  'search_read',
  'search_count',
  'read_group',
  'fields_get',
  'name_search',
  'web_search_read',
  'availability',
  'changes_since',
  'partners',
  'catalog_page',
  'order_status',
  'order_shipments',
  'customer_records',
  'whoami',
]);

export function isReadCall(method: string, kind?: 'read' | 'write'): boolean {
  return kind ? kind === 'read' : READ_METHODS.has(method);
}

/** Full jitter: a uniform delay under an exponentially growing ceiling (attempt counts from 1). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new TypeError('retry.attempts must be an integer ≥ 1');
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= policy.baseDelayMs)) {
    throw new TypeError('retry delays must satisfy 0 ≤ baseDelayMs ≤ maxDelayMs');
  }
  return policy;
}
