import { describe, expect, it } from 'vitest';
import { checkPolicy } from './gcra.js';
import { MemoryRateLimiter } from './memory.js';

const policy = checkPolicy({ name: 'token-failures', rate: 5, windowMs: 60_000, burst: 5 });

describe('in-memory limiter bounds', () => {
  it('holds at most maxKeys buckets, whatever keys callers make up', () => {
    const limiter = new MemoryRateLimiter({ now: () => 0, maxKeys: 100 });
    for (let i = 0; i < 2_000; i++) limiter.decide(`junk-${i}`, policy);
    expect(limiter.size()).toBeLessThanOrEqual(100);
    // A recent key survives the eviction of the oldest ones and keeps its count.
    for (let i = 0; i < 5; i++) limiter.decide('recent', policy);
    expect(limiter.decide('recent', policy).allowed).toBe(false);
    void limiter.close();
  });

  it("counts every policy's buckets toward the one bound, and keeps policies' budgets apart", () => {
    const other = checkPolicy({ name: 'standard-read', rate: 5, windowMs: 60_000, burst: 5 });
    const limiter = new MemoryRateLimiter({ now: () => 0, maxKeys: 100 });
    for (let i = 0; i < 1_000; i++) limiter.decide(`junk-${i}`, i % 2 ? policy : other);
    expect(limiter.size()).toBeLessThanOrEqual(100);
    expect(limiter.size()).toBeGreaterThan(50);
    // The same key under two policies is two budgets.
    for (let i = 0; i < 5; i++) limiter.decide('acme', policy);
    expect(limiter.decide('acme', policy).allowed).toBe(false);
    expect(limiter.decide('acme', other).allowed).toBe(true);
    void limiter.close();
  });

  it('drops expired buckets before live ones when full', () => {
    let clock = 0;
    const limiter = new MemoryRateLimiter({ now: () => clock, maxKeys: 10 });
    for (let i = 0; i < 9; i++) limiter.decide(`old-${i}`, policy);
    for (let i = 0; i < 5; i++) limiter.decide('live', policy);
    clock = 13_000; // the old buckets (one request each, 12 s interval) are full again; `live` is not
    limiter.decide('new', policy);
    expect(limiter.size()).toBe(2);
    expect(limiter.inspect('live', policy).remaining).toBeLessThan(4);
    void limiter.close();
  });

  it('peeks without charging, and bounds its markers', () => {
    const limiter = new MemoryRateLimiter({ now: () => 0, maxMarkers: 50 });
    for (let i = 0; i < 10; i++) expect(limiter.inspect('p', policy).allowed).toBe(true);
    expect(limiter.size()).toBe(0);
    for (let i = 0; i < 500; i++) limiter.mark(`m-${i}`, 60_000);
    expect(limiter.markerCount()).toBeLessThanOrEqual(50);
    expect(limiter.marked('m-499')).toBe(true);
    expect(limiter.marked('m-0')).toBe(false);
    void limiter.close();
  });
});
