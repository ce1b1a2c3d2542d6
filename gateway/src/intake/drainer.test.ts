import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOdooClient, type OdooClient } from '../odoo/client.js';
import { startOdooSimulator } from '../odoo/simulator/index.js';
import { SqliteStore } from '../store/sqlite.js';
import { IntakeDrainer } from './drainer.js';
import { intakeMigrations } from './migrations.js';
import { IntakeQueue } from './queue.js';

type Simulator = Awaited<ReturnType<typeof startOdooSimulator>>;

const order = JSON.parse(readFileSync(new URL('../../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;

let sim: Simulator;
let odoo: OdooClient;
let store: SqliteStore;
let dir: string;
let queue: IntakeQueue;

const fastBackoff = { baseMs: 1, maxMs: 5 };
const accept = (ids: string[]) =>
  queue.acceptMany(ids.map((id) => ({ partner: 'demo', kind: 'order' as const, externalId: id, payload: { ...order, external_id: id }, requestId: `r-${id}`, source: 'api' as const })));
const saleOrders = (prefix: string) => sim.state.searchRead('sale.order', [['rg_external_id', '=like', `${prefix}%`]], ['rg_external_id']).map((r) => String(r.rg_external_id));

beforeEach(async () => {
  sim = await startOdooSimulator();
  odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey });
  dir = mkdtempSync(join(tmpdir(), 'rg-drainer-'));
  store = new SqliteStore(join(dir, 'gateway.sqlite'));
  await store.migrate(intakeMigrations);
  queue = new IntakeQueue({ store });
});

afterEach(async () => {
  await store.close();
  await odoo.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IntakeDrainer', () => {
  it('sends batches and records each outcome', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `B-${i}`);
    await accept(ids);
    const drainer = new IntakeDrainer({ queue, odoo, batchSize: 10, maxInFlight: 2, backoff: fastBackoff });
    expect(await drainer.drainUntilIdle()).toBe(25);
    expect(drainer.stats.calls).toBe(3);
    expect(saleOrders('B-').sort()).toEqual([...ids].sort());
    expect((await queue.depth()).completed).toBe(25);
  });

  it('retries transient failures with backoff and creates each order once', async () => {
    await accept(['T-1', 'T-2', 'T-3']);
    sim.faults.failNext(2, 'network', { method: 'submit_orders' });
    const drainer = new IntakeDrainer({ queue, odoo, batchSize: 10, backoff: fastBackoff });
    await drainer.drainUntilIdle();
    expect(drainer.stats.retries).toBe(6);
    expect(saleOrders('T-').sort()).toEqual(['T-1', 'T-2', 'T-3']);
  });

  it('resends a batch whose answer was lost after Odoo committed it, without creating twice', async () => {
    await accept(['C-1', 'C-2']);
    sim.faults.failNext(1, 'network', { method: 'submit_orders', afterCommit: true });
    const drainer = new IntakeDrainer({ queue, odoo, batchSize: 10, backoff: fastBackoff });
    await drainer.drainUntilIdle();
    expect(saleOrders('C-').sort()).toEqual(['C-1', 'C-2']);
    const [item] = await queue.findByExternalId('demo', 'order', 'C-1');
    expect(item?.status).toBe('completed');
    expect(item?.outcome).toBe('duplicate');
    expect(item?.odoo?.name).toMatch(/^S/);
  });

  it('never has more calls in flight than allowed', async () => {
    sim.cost.perBatchMs = 15;
    await accept(Array.from({ length: 40 }, (_, i) => `F-${i}`));
    const drainer = new IntakeDrainer({ queue, odoo, batchSize: 4, maxInFlight: 3, backoff: fastBackoff });
    await odoo.version();
    sim.stats.resetPeaks();
    await drainer.drainUntilIdle();
    expect(drainer.stats.maxInFlightSeen).toBe(3);
    expect(sim.stats.peakInFlight).toBeLessThanOrEqual(3);
    expect(saleOrders('F-')).toHaveLength(40);
  });

  it('splits a batch that failed as a whole, so the items are settled one by one', async () => {
    await accept(['S-1', 'S-2', 'S-3']);
    sim.faults.failNext(1, 'server', { method: 'submit_orders' });
    const drainer = new IntakeDrainer({ queue, odoo, batchSize: 10, backoff: fastBackoff });
    await drainer.drainUntilIdle();
    expect(drainer.stats.calls).toBe(4);
    expect(saleOrders('S-').sort()).toEqual(['S-1', 'S-2', 'S-3']);
  });

  it('marks an item failed after its attempts are spent on a permanent error, and keeps it', async () => {
    await accept(['P-1']);
    sim.faults.failNext(3, 'server', { method: 'submit_orders' });
    const drainer = new IntakeDrainer({ queue, odoo, batchSize: 10, maxAttempts: 3, backoff: fastBackoff });
    await drainer.drainUntilIdle();
    const [item] = await queue.findByExternalId('demo', 'order', 'P-1');
    expect(item?.status).toBe('failed');
    expect(item?.lastError).toMatch(/server/);
    expect(saleOrders('P-')).toEqual([]);
    expect(await queue.requeueFailed('demo')).toBe(1);
    await drainer.drainUntilIdle();
    expect(saleOrders('P-')).toEqual(['P-1']);
  });

  it('wakes up when work is accepted', async () => {
    const drainer = new IntakeDrainer({ queue, odoo, pollMs: 60_000, backoff: fastBackoff });
    drainer.start();
    try {
      const [accepted] = await accept(['W-1']);
      const item = await queue.waitFor('demo', accepted!.id, 60_000);
      expect(item?.status).toBe('completed');
    } finally {
      await drainer.stop();
    }
  });
});
