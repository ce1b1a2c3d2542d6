import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ItemResult, RpcArgs } from '../../../contracts/src/odoo-rpc.js';
import { createOdooClient, type OdooClient } from '../odoo/client.js';
import { OdooNetworkError, OdooServerError } from '../odoo/errors.js';
import { startOdooFake } from '../../../test/odoo-fake/index.js';
import { SqliteStore } from '../store/sqlite.js';
import { AdaptiveLimit } from './adaptive-limit.js';
import { IntakeDrainer } from './drainer.js';
import { intakeMigrations } from './migrations.js';
import { IntakeQueue } from './queue.js';

type FakeOdoo = Awaited<ReturnType<typeof startOdooFake>>;

const order = JSON.parse(readFileSync(new URL('../../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;

let sim: FakeOdoo;
let odoo: OdooClient;
let store: SqliteStore;
let dir: string;
let queue: IntakeQueue;

const fastBackoff = { baseMs: 1, maxMs: 5 };
const accept = (ids: string[]) =>
  queue.acceptMany(ids.map((id) => ({ partner: 'demo', kind: 'order' as const, externalId: id, payload: { ...order, external_id: id }, requestId: `r-${id}`, source: 'api' as const })));
const saleOrders = (prefix: string) => sim.state.saleOrders({ externalId: `${prefix}*` }).map((o) => o.externalId);

beforeEach(async () => {
  sim = await startOdooFake();
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

  describe('contention: batches that change the stock of a same SKU', () => {
    const acceptWith = (ids: string[], sku: string) =>
      queue.acceptMany(ids.map((id) => ({ partner: 'demo', kind: 'order' as const, externalId: id, payload: { ...order, external_id: id, lines: [{ sku, quantity: 1, unit_price: '10.00' }] }, requestId: `r-${id}`, source: 'api' as const })));

    it('are never in Odoo at once (the second would fail on the same stock rows)', async () => {
      sim.cost.perBatchMs = 20;
      await acceptWith(Array.from({ length: 12 }, (_, i) => `S-${i}`), 'E-COM07');
      const drainer = new IntakeDrainer({ queue, odoo, batchSize: 4, maxInFlight: 3, backoff: fastBackoff });
      await odoo.version();
      sim.stats.resetPeaks();
      await drainer.drainUntilIdle();
      expect(saleOrders('S-')).toHaveLength(12);
      expect(drainer.stats.maxInFlightSeen).toBeGreaterThan(1); // claimed side by side…
      expect(sim.stats.peakInFlight).toBe(1); // …sent one after the other
    });

    it('while batches on other SKUs still go side by side', async () => {
      sim.cost.perBatchMs = 300;
      await acceptWith(['D-0', 'D-1'], 'FURN_7777');
      await acceptWith(['D-2', 'D-3'], 'E-COM07');
      await acceptWith(['D-4', 'D-5'], 'E-COM08');
      const drainer = new IntakeDrainer({ queue, odoo, batchSize: 2, maxInFlight: 3, backoff: fastBackoff });
      await odoo.version();
      sim.stats.resetPeaks();
      await drainer.drainUntilIdle();
      expect(saleOrders('D-')).toHaveLength(6);
      expect(sim.stats.peakInFlight).toBeGreaterThan(1);
    });
  });

  it('takes its calls in flight and batch size from an adaptive limit, and feeds it every call', async () => {
    sim.cost.perBatchMs = 5;
    await accept(Array.from({ length: 60 }, (_, i) => `A-${i}`));
    const limit = new AdaptiveLimit({ concurrency: { min: 1, max: 3 }, batch: { min: 2, max: 8, initial: 4 }, targetCallMs: 60_000 });
    const sizes: number[] = [];
    const drainer = new IntakeDrainer({ queue, odoo, limit, backoff: fastBackoff, onCall: (c) => sizes.push(c.size) });
    expect(drainer.limit).toBe(limit);
    sim.faults.failNext(1, 'network', { method: 'submit_orders' });
    await odoo.version();
    sim.stats.resetPeaks();
    await drainer.drainUntilIdle();
    expect(saleOrders('A-')).toHaveLength(60);
    // The failed first call halved the batch (4 → 2); the first call that succeeded went alone
    // and, far under the target duration, grew the batch to its maximum.
    expect(sizes.slice(0, 2)).toEqual([4, 2]);
    expect(Math.max(...sizes)).toBe(8);
    expect(sizes.every((n) => n <= 8)).toBe(true);
    expect(limit.snapshot().samples).toBe(drainer.stats.calls - 1); // every call but the failed one
    expect(drainer.stats.maxInFlightSeen).toBeLessThanOrEqual(3);
    expect(sim.stats.peakInFlight).toBeLessThanOrEqual(3);
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

  describe("the addon's `retry` answer (rolled back for a reason that is not the partner's)", () => {
    /**
     * A stand-in for the client's `rpc`: `answer(externalId, call)` decides each item's status
     * (or throws for the whole call); `created` answers carry a record like the addon's.
     */
    function addon(answer: (externalId: string, call: number) => ItemResult['status'] | Error) {
      const calls: string[][] = [];
      const rpc = async (_method: string, args: RpcArgs<'submit_orders'>) => {
        const ids = args.orders.map((o) => o.item.external_id);
        calls.push(ids);
        const results = args.orders.map(({ intake_id, item }, n) => {
          const status = answer(item.external_id, calls.length);
          if (status instanceof Error) throw status;
          return { intake_id, external_id: item.external_id, status, record: status === 'created' ? { id: 100 + n, name: `S${100 + n}` } : null, reasons: [] };
        });
        return { results };
      };
      return { odoo: { rpc: rpc as unknown as OdooClient['rpc'] }, calls };
    }

    it('retries the rolled-back item with backoff while the others settle, shows it failing, then completes it', async () => {
      const clock = { now: Date.now() };
      const now = () => clock.now;
      queue = new IntakeQueue({ store, now });
      await accept(['R-1', 'R-2', 'R-3']);
      let retries = 0;
      const fake = addon((id) => (id === 'R-2' && retries++ < 2 ? 'retry' : 'created'));
      const seen: { cause: string; kind: string }[] = [];
      queue.signals.on('retry', (s: { cause: string; kind: string }) => seen.push(s));
      // maxAttempts 1: a rejection-like count would fail R-2 at its first `retry`.
      const backoff = { baseMs: 60_000, maxMs: 60_000 };
      const drainer = new IntakeDrainer({ queue, odoo: fake.odoo, batchSize: 10, maxAttempts: 1, backoff, now });
      await drainer.drainUntilIdle(0);
      const [r1] = await queue.findByExternalId('demo', 'order', 'R-1');
      const [r2] = await queue.findByExternalId('demo', 'order', 'R-2');
      expect(r1?.status).toBe('completed');
      // Waiting again, visibly failing: not settled, not failed, its error kept.
      expect(r2?.status).toBe('accepted');
      expect(r2?.outcome).toBeNull();
      expect(r2?.lastError).toMatch(/^retry: submit_orders rolled the item back/);
      expect(r2?.transientAttempts).toBe(1);
      expect(r2!.nextAttemptAt).toBeGreaterThanOrEqual(clock.now + 30_000); // backed off
      expect(await queue.countRetrying()).toBe(1);
      expect((await queue.listRetrying(10)).map((i) => i.externalId)).toEqual(['R-2']);
      expect(await queue.countFailed()).toBe(0);
      expect(seen).toEqual([{ partner: 'demo', kind: 'order', cause: 'odoo_retry' }]);

      // Not due yet: nothing is sent.
      await drainer.drainUntilIdle(0);
      expect(fake.calls).toHaveLength(1);
      // Due: sent alone (the others are settled), answered `retry` once more, then created.
      for (let i = 0; i < 2; i++) {
        clock.now += 61_000;
        await drainer.drainUntilIdle(0);
      }
      const [done] = await queue.findByExternalId('demo', 'order', 'R-2');
      expect(done?.status).toBe('completed');
      expect(done?.outcome).toBe('created');
      expect(done?.lastError).toBeNull();
      expect(done?.transientAttempts).toBe(2);
      expect(fake.calls.slice(1)).toEqual([['R-2'], ['R-2']]);
      expect(await queue.countRetrying()).toBe(0);
      expect(seen.map((s) => s.cause)).toEqual(['odoo_retry', 'odoo_retry']);
    });

    it('does not count `retry` answers or transient failures toward the permanent-failure limit', async () => {
      await accept(['L-1']);
      // Five rollbacks and a network error, then permanent server errors.
      const fake = addon((_id, call) =>
        call <= 5 ? 'retry' : call === 6 ? new OdooNetworkError({ message: 'connection reset' }) : new OdooServerError({ message: 'boom' }),
      );
      const drainer = new IntakeDrainer({ queue, odoo: fake.odoo, batchSize: 10, maxAttempts: 3, backoff: fastBackoff });
      await drainer.drainUntilIdle();
      const [item] = await queue.findByExternalId('demo', 'order', 'L-1');
      expect(item?.status).toBe('failed');
      expect(item?.lastError).toMatch(/boom/);
      // 6 transient attempts, then exactly maxAttempts permanent ones.
      expect(fake.calls).toHaveLength(9);
      expect(item?.attempts).toBe(9);
      expect(item?.transientAttempts).toBe(6);
    });
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
