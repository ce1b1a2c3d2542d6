import { describe, expect, it } from 'vitest';
import { checkPolicy, gcra, type RatePolicy } from './gcra.js';
import { MemoryRateLimiter } from './memory.js';

const policy: RatePolicy = { name: 'standard-read', rate: 50, windowMs: 1000, burst: 100 };

describe('GCRA', () => {
  it('admits the burst at once, then refuses with the time to the next slot', () => {
    let tat: number | null = null;
    const now = 1_000_000;
    for (let i = 0; i < 100; i++) {
      const d = gcra(policy, tat, now);
      expect(d.allowed).toBe(true);
      expect(d.remaining).toBe(99 - i);
      tat = d.tat;
    }
    const refused = gcra(policy, tat, now);
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
    expect(refused.retryAfterMs).toBeCloseTo(20, 5); // one emission interval at 50/s
    expect(refused.tat).toBe(tat); // a refusal spends nothing
  });

  it('refills at the sustained rate', () => {
    const limiter = new MemoryRateLimiter({ now: () => clock });
    let clock = 0;
    let allowed = 0;
    // 10 simulated seconds, a request every millisecond.
    for (clock = 0; clock < 10_000; clock++) if (limiter.decide('p', policy).allowed) allowed++;
    expect(allowed).toBe(100 + 50 * 10 - 1);
    void limiter.close();
  });

  it('keeps keys and policies apart', () => {
    const limiter = new MemoryRateLimiter({ now: () => 0 });
    const write = { ...policy, name: 'standard-write' };
    for (let i = 0; i < 100; i++) limiter.decide('acme', policy);
    expect(limiter.decide('acme', policy).allowed).toBe(false);
    expect(limiter.decide('globex', policy).allowed).toBe(true);
    expect(limiter.decide('acme', write).allowed).toBe(true);
    void limiter.close();
  });

  it('refuses a bad policy at construction', () => {
    expect(() => checkPolicy({ ...policy, rate: 0 })).toThrow(/rate/);
    expect(() => checkPolicy({ ...policy, name: 'Bad Name' })).toThrow(/name/);
  });
});
