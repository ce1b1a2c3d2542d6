import { describe, expect, it } from 'vitest';
import { AdaptiveLimit, type AdaptiveLimitOptions } from './adaptive-limit.js';

/**
 * A simulated Odoo driven by a fake clock (discrete events, no wall time): a call costs
 * `fixedMs + perItemMs × size` alone; above `knee` calls in flight the server is shared, so each
 * call takes `inFlight ÷ knee` times longer (throughput stops growing at the knee). A call slower
 * than `timeoutMs` fails as a timeout after `timeoutMs`. The backlog never runs out.
 */
interface Server {
  knee: number;
  fixedMs: number;
  perItemMs: number;
  timeoutMs?: number;
  /** Fails calls started in [from, to) of simulated time. */
  outage?: { from: number; to: number };
}

interface Run {
  limits: number[];
  batches: number[];
  items: number;
  elapsedMs: number;
  maxInFlight: number;
  callMs: number[];
  failures: number;
  /** Limit and batch size right after the outage ended, if any. */
  afterOutage?: { limit: number; batch: number };
}

function simulate(server: Server, limiter: AdaptiveLimit, calls: number): Run {
  let now = 0;
  let inFlight = 0;
  const pending: { end: number; size: number; inFlight: number; ms: number; failed: boolean }[] = [];
  const run: Run = { limits: [], batches: [], items: 0, elapsedMs: 0, maxInFlight: 0, callMs: [], failures: 0 };
  let started = 0;
  let outageSeen = false;
  while (started < calls || pending.length > 0) {
    while (started < calls && inFlight < limiter.limit) {
      inFlight++;
      started++;
      run.maxInFlight = Math.max(run.maxInFlight, inFlight);
      const size = limiter.batchSize;
      const alone = server.fixedMs + server.perItemMs * size;
      let ms = alone * Math.max(1, inFlight / server.knee);
      let failed = false;
      if (server.outage && now >= server.outage.from && now < server.outage.to) {
        failed = true;
        ms = 50;
        outageSeen = true;
      } else if (server.timeoutMs !== undefined && ms > server.timeoutMs) {
        failed = true;
        ms = server.timeoutMs;
      }
      pending.push({ end: now + ms, size, inFlight, ms, failed });
    }
    pending.sort((a, b) => a.end - b.end);
    const next = pending.shift()!;
    now = next.end;
    inFlight--;
    if (next.failed) {
      run.failures++;
      limiter.observe({ size: next.size, inFlight: next.inFlight, ms: next.ms, failure: 'transient' });
    } else {
      run.items += next.size;
      run.callMs.push(next.ms);
      limiter.observe({ size: next.size, inFlight: next.inFlight, ms: next.ms });
    }
    if (outageSeen && !run.afterOutage && server.outage && now >= server.outage.to) {
      run.afterOutage = { limit: limiter.limit, batch: limiter.batchSize };
    }
    if (!limiter.snapshot().probing) {
      run.limits.push(limiter.limit);
      run.batches.push(limiter.batchSize);
    }
  }
  run.elapsedMs = now;
  return run;
}

const tail = (values: number[], n: number) => values.slice(-n);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const options = (over: Partial<AdaptiveLimitOptions> = {}): AdaptiveLimitOptions => ({
  concurrency: { min: 1, max: 32 },
  batch: { min: 1, max: 100, initial: 10 },
  targetCallMs: 2_000,
  ...over,
});

describe('AdaptiveLimit', () => {
  it.each([1, 2, 4, 8])('converges near a knee of %i calls in flight, far below the maximum', (knee) => {
    const limiter = new AdaptiveLimit(options());
    const run = simulate({ knee, fixedMs: 128, perItemMs: 41 }, limiter, 600);
    const settled = tail(run.limits, 300);
    // At the knee or just above it (tolerance 1.25 and one step of probing), never below it.
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(knee);
    expect(Math.max(...settled)).toBeLessThanOrEqual(Math.ceil(knee * 1.25) + 1);
    expect(mean(settled)).toBeLessThan(knee * 1.25 + 1);
    expect(run.maxInFlight).toBeLessThanOrEqual(Math.ceil(knee * 1.25) + 1);
  });

  it('finds the throughput of the knee: as many items per second as at the best fixed limit', () => {
    const server = { knee: 3, fixedMs: 128, perItemMs: 41 };
    const limiter = new AdaptiveLimit(options());
    const run = simulate(server, limiter, 800);
    const batch = tail(run.batches, 1)[0]!;
    // The best a fixed limit can do with the same batch size: the knee's throughput.
    const best = (server.knee * batch) / (server.fixedMs + server.perItemMs * batch);
    expect(run.items / run.elapsedMs).toBeGreaterThan(best * 0.85);
  });

  it('sizes the batch so that a call alone takes the target duration', () => {
    const limiter = new AdaptiveLimit(options({ batch: { min: 1, max: 200, initial: 5 }, targetCallMs: 1_500 }));
    const run = simulate({ knee: 2, fixedMs: 128, perItemMs: 41 }, limiter, 600);
    const settled = tail(run.batches, 200);
    // Alone a call of b items takes 128 + 41 b ms: at most 33 fit in 1.5 s.
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(28);
    expect(Math.max(...settled)).toBeLessThanOrEqual(33);
    // Under load a call takes longer, by the queueing the tolerance allows (1.25) at most.
    expect(Math.max(...tail(run.callMs, 200))).toBeLessThanOrEqual(1_500 * 1.25 * 1.25);
  });

  it('backs off on failures: halves the limit and the batch, then recovers', () => {
    const limiter = new AdaptiveLimit(options());
    const before = simulate({ knee: 8, fixedMs: 128, perItemMs: 41 }, limiter, 300);
    const settledLimit = tail(before.limits, 1)[0]!;
    const settledBatch = tail(before.batches, 1)[0]!;
    expect(settledLimit).toBeGreaterThanOrEqual(8);
    limiter.observe({ size: settledBatch, inFlight: settledLimit, ms: 30_000, failure: 'transient' });
    expect(limiter.limit).toBeLessThanOrEqual(Math.ceil(settledLimit / 2));
    expect(limiter.batchSize).toBeLessThanOrEqual(Math.ceil(settledBatch / 2));
    // A run of failures (Odoo restarting) brings it down to the minimum, not below.
    for (let i = 0; i < 20; i++) limiter.observe({ size: 1, inFlight: 1, ms: 5, failure: 'transient' });
    expect(limiter.snapshot()).toMatchObject({ limit: 1, batchSize: 1 });
    const after = simulate({ knee: 8, fixedMs: 128, perItemMs: 41 }, limiter, 400);
    expect(Math.min(...tail(after.limits, 100))).toBeGreaterThanOrEqual(8);
  });

  it('stays below a server that times out under load', () => {
    // Alone a call of 10 takes 538 ms; past 4 in flight it takes over 600 ms more per call: with a
    // 1.2 s timeout, more than 8 in flight times out.
    const limiter = new AdaptiveLimit(options({ batch: { min: 10, max: 10 } }));
    const run = simulate({ knee: 4, fixedMs: 128, perItemMs: 41, timeoutMs: 1_200 }, limiter, 600);
    expect(run.failures).toBe(0);
    expect(Math.max(...tail(run.limits, 300))).toBeLessThanOrEqual(6);
  });

  it('drops to the minimum during an outage and climbs back afterwards', () => {
    const limiter = new AdaptiveLimit(options());
    const run = simulate({ knee: 6, fixedMs: 128, perItemMs: 41, outage: { from: 20_000, to: 25_000 } }, limiter, 1_000);
    expect(run.failures).toBeGreaterThan(0);
    expect(run.afterOutage?.limit).toBe(1);
    expect(Math.min(...tail(run.limits, 100))).toBeGreaterThanOrEqual(6);
  });

  it('sheds concurrency when the addon rolls items back for conflicts', () => {
    const feed = (limiter: AdaptiveLimit, rolledBack: number) => {
      limiter.observe({ size: 10, inFlight: 1, ms: 500 }); // the call alone
      for (let i = 0; i < 10; i++) limiter.observe({ size: 10, inFlight: 10, ms: 500, rolledBack: i === 0 ? rolledBack : 0 });
      return limiter.limit;
    };
    const start = { concurrency: { min: 1, max: 32, initial: 10 } };
    expect(feed(new AdaptiveLimit(options(start)), 0)).toBe(10);
    expect(feed(new AdaptiveLimit(options(start)), 3)).toBeLessThan(10);
  });

  it('does not try a limit that caused conflicts again until the next probe', () => {
    const limiter = new AdaptiveLimit(options({ probeEvery: 60 }));
    // A server without queueing, where two calls at once conflict.
    const limits: number[] = [];
    for (let i = 1; i <= 59; i++) {
      const inFlight = i === 1 ? 1 : limiter.limit;
      limiter.observe({ size: 10, inFlight, ms: 538, rolledBack: inFlight >= 2 ? 10 : 0 });
      limits.push(limiter.limit);
    }
    expect(Math.max(...limits.slice(10))).toBe(1);
    limiter.observe({ size: 10, inFlight: 1, ms: 538 }); // the 60th sample: the next call is a probe
    expect(limiter.snapshot().probing).toBe(true);
    limiter.observe({ size: 10, inFlight: 1, ms: 538 });
    for (let i = 0; i < 3; i++) limiter.observe({ size: 10, inFlight: limiter.limit, ms: 538 });
    expect(limiter.limit).toBeGreaterThanOrEqual(2);
  });

  it('does not grow while the drainer does not use its limit', () => {
    const limiter = new AdaptiveLimit(options({ concurrency: { min: 1, max: 32, initial: 8 } }));
    expect(limiter.limit).toBe(1); // the first call goes alone
    for (let i = 0; i < 40; i++) limiter.observe({ size: 10, inFlight: 1, ms: 538 });
    expect(limiter.limit).toBe(8);
  });

  it('refuses bounds that make no sense', () => {
    expect(() => new AdaptiveLimit(options({ concurrency: { min: 0, max: 4 } }))).toThrow(RangeError);
    expect(() => new AdaptiveLimit(options({ batch: { min: 10, max: 5 } }))).toThrow(RangeError);
  });
});

