/**
 * Drain into Odoo, in one run: the same queue of orders drained by the intake drainer into the
 * fake Odoo with the cost model calibrated on real Odoo 18 (≈ 128 ms per batch round trip plus
 * ≈ 41 ms per order), in batches of 20 against one order per call, with the same limit of calls in
 * flight (2). `drain_batched_vs_single` is the ratio of orders per second; the highest number of
 * calls seen in flight (at the drainer and at the fake Odoo) is checked against the limit.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntakeDrainer } from '../gateway/src/intake/drainer.js';
import { intakeMigrations } from '../gateway/src/intake/migrations.js';
import { IntakeQueue } from '../gateway/src/intake/queue.js';
import { createOdooClient } from '../gateway/src/odoo/client.js';
import { calibratedCost, startOdooFake } from '../test/odoo-fake/index.js';
import { SqliteStore } from '../gateway/src/store/sqlite.js';
import type { BenchFigure } from './types.js';

const ORDER = JSON.parse(readFileSync(new URL('../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const MAX_IN_FLIGHT = 2;

async function drain(batchSize: number, orders: number): Promise<{ perSecond: number; peak: number; simPeak: number; created: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-bench-drain-'));
  const sim = await startOdooFake({ cost: calibratedCost });
  const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey });
  const store = new SqliteStore(join(dir, 'gateway.sqlite'));
  try {
    await store.migrate(intakeMigrations);
    const queue = new IntakeQueue({ store });
    const prefix = `D${batchSize}-${Date.now().toString(36)}`;
    await queue.acceptMany(
      Array.from({ length: orders }, (_, i) => ({ partner: 'demo', kind: 'order' as const, externalId: `${prefix}-${i}`, payload: { ...ORDER, external_id: `${prefix}-${i}` }, requestId: 'bench', source: 'api' as const })),
    );
    await odoo.version(); // the transport probe is not part of the drain
    sim.stats.resetPeaks();
    const drainer = new IntakeDrainer({ queue, odoo, batchSize, maxInFlight: MAX_IN_FLIGHT });
    const started = performance.now();
    const handled = await drainer.drainUntilIdle();
    const seconds = (performance.now() - started) / 1000;
    const created = sim.state.saleOrders({ externalId: `${prefix}-*` }).length;
    if (handled !== orders || created !== orders) throw new Error(`drained ${handled}, created ${created} of ${orders}`);
    return { perSecond: orders / seconds, peak: drainer.stats.maxInFlightSeen, simPeak: sim.stats.peakInFlight, created };
  } finally {
    await store.close();
    await odoo.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchFigure[]> {
  const single = await drain(1, Number(process.env.BENCH_DRAIN_SINGLE ?? 40));
  const batched = await drain(20, Number(process.env.BENCH_DRAIN_BATCHED ?? 160));
  for (const [name, r] of Object.entries({ single, batched })) {
    if (r.peak > MAX_IN_FLIGHT) throw new Error(`${name}: ${r.peak} calls in flight, above the limit of ${MAX_IN_FLIGHT}`);
  }
  return [
    {
      key: 'drain_batched_vs_single',
      value: batched.perSecond / single.perSecond,
      unit: 'ratio',
      baseline: { name: 'one order per call, same in-flight limit, calibrated fake Odoo', value: single.perSecond, unit: 'orders/s' },
      notes: `batched (20 per call): ${batched.perSecond.toFixed(1)} orders/s; in flight at most ${Math.max(batched.peak, single.peak)} (limit ${MAX_IN_FLIGHT}), fake Odoo peak ${Math.max(batched.simPeak, single.simPeak)}`,
    },
  ];
}
