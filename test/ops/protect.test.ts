/**
 * The Odoo guard against the fake's fault injection: the circuit breaker's transitions
 * (closed → open → half-open → open → half-open → closed), business errors not counting, the
 * bulkhead never exceeding its limit under a burst (the fake Odoo counts the peak of concurrent
 * calls), and nothing hanging when Odoo stalls.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOdooClient, type OdooClient } from '../../gateway/src/odoo/client.js';
import { OdooAccessError, OdooNetworkError, OdooTimeoutError } from '../../gateway/src/odoo/errors.js';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { OdooBulkheadFullError, OdooCircuitOpenError } from '../../gateway/src/protect/errors.js';
import { protectOdooClient } from '../../gateway/src/protect/protect-client.js';

let sim: OdooFake;
let raw: OdooClient;

beforeEach(async () => {
  sim = await startOdooFake();
  raw = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, retry: { attempts: 1 }, timeouts: { callMs: 5_000 } });
  await raw.version();
});
afterEach(async () => {
  await raw.close();
  await sim.close();
});

const read = (odoo: OdooClient, opts: { timeoutMs?: number } = {}) =>
  odoo.rpc('catalog_page', { limit: 1 }, opts).then((page) => page.items);

describe('circuit breaker against a failing Odoo', () => {
  it('opens on consecutive failures and timeouts, refuses without calling, probes half-open, closes on success', async () => {
    let clock = 0;
    const transitions: string[] = [];
    const odoo = protectOdooClient(raw, {
      maxInFlight: 4, maxQueue: 10, queueTimeoutMs: 5_000, failureThreshold: 3, openMs: 1_000,
      now: () => clock,
      onStateChange: (from, to) => transitions.push(`${from}->${to}`),
    });
    expect(await read(odoo)).toHaveLength(1);

    sim.faults.failNext(2, 'network');
    await expect(read(odoo)).rejects.toBeInstanceOf(OdooNetworkError);
    await expect(read(odoo)).rejects.toBeInstanceOf(OdooNetworkError);
    sim.faults.failNext(1, 'timeout');
    await expect(read(odoo, { timeoutMs: 300 })).rejects.toBeInstanceOf(OdooTimeoutError);
    expect(odoo.guard.circuit().state).toBe('open');

    const requestsBefore = sim.stats.requests;
    const refused = await read(odoo).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OdooCircuitOpenError);
    expect((refused as OdooCircuitOpenError).maybeCommitted).toBe(false);
    expect(sim.stats.requests).toBe(requestsBefore); // refused without touching Odoo

    // Half-open: one probe; Odoo is still down, so the circuit opens again.
    clock += 1_000;
    expect(odoo.guard.circuit().state).toBe('half_open');
    sim.faults.down();
    await expect(read(odoo)).rejects.toBeInstanceOf(OdooNetworkError);
    expect(odoo.guard.circuit().state).toBe('open');

    // Odoo is back: the next probe succeeds and closes the circuit.
    sim.faults.up();
    clock += 1_000;
    expect(await read(odoo)).toHaveLength(1);
    expect(odoo.guard.circuit().state).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->open', 'open->half_open', 'half_open->closed']);
  });

  it('does not open on business refusals: they prove Odoo is answering', async () => {
    const odoo = protectOdooClient(raw, { maxInFlight: 4, maxQueue: 10, queueTimeoutMs: 5_000, failureThreshold: 2, openMs: 60_000 });
    sim.faults.failNext(5, 'access');
    for (let i = 0; i < 5; i++) await expect(read(odoo)).rejects.toBeInstanceOf(OdooAccessError);
    expect(odoo.guard.circuit().state).toBe('closed');
  });
});

describe('bulkhead against the fake Odoo', () => {
  it('never has more calls in flight than its limit under a burst, and completes them all', async () => {
    sim.faults.slow(15);
    sim.stats.resetPeaks();
    const odoo = protectOdooClient(raw, { maxInFlight: 4, maxQueue: 1_000, queueTimeoutMs: 30_000, failureThreshold: 5, openMs: 1_000 });
    const results = await Promise.all(Array.from({ length: 120 }, () => read(odoo)));
    expect(results.every((r) => Array.isArray(r) && r.length === 1)).toBe(true);
    expect(sim.stats.peakActive).toBeLessThanOrEqual(4);
    expect(sim.stats.peakActive).toBeGreaterThanOrEqual(2); // the burst did run concurrently
    expect(odoo.guard.bulkhead().peakInFlight).toBe(4);
  });

  it('refuses beyond its queue and lets nothing hang when Odoo stalls', async () => {
    sim.faults.stall();
    const odoo = protectOdooClient(raw, { maxInFlight: 2, maxQueue: 3, queueTimeoutMs: 200, failureThreshold: 100, openMs: 1_000 });
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => read(odoo, { timeoutMs: 400 })));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    const reasons = outcomes.map((o) => (o as PromiseRejectedResult).reason as Error);
    expect(reasons.filter((r) => r instanceof OdooTimeoutError)).toHaveLength(2);
    expect(reasons.filter((r) => r instanceof OdooBulkheadFullError && r.reason === 'queue_timeout')).toHaveLength(3);
    expect(reasons.filter((r) => r instanceof OdooBulkheadFullError && r.reason === 'queue_full')).toHaveLength(5);
    sim.faults.up();
  });
});
