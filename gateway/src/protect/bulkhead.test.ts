import { describe, expect, it } from 'vitest';
import { Bulkhead, BulkheadRejectedError } from './bulkhead.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('bulkhead', () => {
  it('never runs more than its limit, and runs everything queued', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 4, maxQueue: 100, queueTimeoutMs: 10_000 });
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        bulkhead.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running--;
          return i;
        }),
      ),
    );
    expect(results).toHaveLength(60);
    expect(peak).toBe(4);
    expect(bulkhead.stats()).toMatchObject({ inFlight: 0, queued: 0, peakInFlight: 4 });
  });

  it('refuses at once when the queue is full', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeoutMs: 10_000 });
    const gate = deferred();
    const first = bulkhead.run(() => gate.promise);
    const second = bulkhead.run(async () => 'second');
    await expect(bulkhead.run(async () => 'third')).rejects.toMatchObject({ reason: 'queue_full' });
    gate.resolve();
    await first;
    expect(await second).toBe('second');
    expect(bulkhead.stats().rejectedFull).toBe(1);
  });

  it('gives up on a call that waits past its deadline, so nothing hangs', async () => {
    const bulkhead = new Bulkhead({ maxConcurrent: 1, maxQueue: 5, queueTimeoutMs: 20 });
    const gate = deferred();
    const first = bulkhead.run(() => gate.promise);
    const waiting = bulkhead.run(async () => 'never');
    await expect(waiting).rejects.toBeInstanceOf(BulkheadRejectedError);
    await expect(waiting).rejects.toMatchObject({ reason: 'queue_timeout' });
    expect(bulkhead.stats().queued).toBe(0);
    gate.resolve();
    await first;
    expect(bulkhead.stats().inFlight).toBe(0);
  });

  it('checks its options', () => {
    expect(() => new Bulkhead({ maxConcurrent: 0, maxQueue: 1, queueTimeoutMs: 1 })).toThrow(/maxConcurrent/);
  });
});
