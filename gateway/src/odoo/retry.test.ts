import { describe, expect, it } from 'vitest';
import { backoffDelay, checkRetryPolicy, isReadCall } from './retry.js';

describe('retry policy', () => {
  it('treats the ORM and addon read methods as reads, everything else as writes', () => {
    for (const m of ['search', 'read', 'search_read', 'search_count', 'read_group', 'fields_get', 'name_search', 'web_search_read', 'availability', 'changes_since', 'partners']) {
      expect(isReadCall(m), m).toBe(true);
    }
    for (const m of ['create', 'write', 'unlink', 'action_confirm', 'submit_orders', 'claim', 'ack']) expect(isReadCall(m), m).toBe(false);
    expect(isReadCall('create', 'read')).toBe(true);
    expect(isReadCall('search_read', 'write')).toBe(false);
  });

  it('draws a full-jitter delay under an exponential ceiling capped at maxDelayMs', () => {
    const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it('rejects a policy that cannot work', () => {
    expect(() => checkRetryPolicy({ attempts: 0, baseDelayMs: 1, maxDelayMs: 1 })).toThrow(/attempts/);
    expect(() => checkRetryPolicy({ attempts: 2, baseDelayMs: 10, maxDelayMs: 1 })).toThrow(/delays/);
  });
});
