/**
 * The cache tailer and availability reconciliation against the fake Odoo, with the real
 * availability cache of the catalog module.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CacheTailer } from '../../gateway/src/cache-tailer/tailer.js';
import { AvailabilityCache } from '../../gateway/src/catalog/availability.js';
import { createOdooClient } from '../../gateway/src/odoo/client.js';
import { startOdooFake } from '../odoo-fake/index.js';
import { reconcileAvailability } from '../../gateway/src/reconcile/availability.js';
import { silent } from './support/fixtures.js';
import { simSkus } from './support/rig.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup() {
  const sim = await startOdooFake();
  const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger: silent });
  cleanups.push(() => sim.close(), () => odoo.close());
  // A long freshness target: the cache serves what it was told, so only events keep it current.
  const cache = new AvailabilityCache({ odoo, freshnessMs: 3_600_000 });
  return { sim, odoo, cache };
}

describe('cache tailer', () => {
  it('applies inventory changes to the availability cache without claiming them', async () => {
    const { sim, odoo, cache } = await setup();
    const sku = simSkus(sim)[0]!;
    sim.state.setStock(sku, 'WH', 5); // before the tailer starts: not replayed
    const tailer = new CacheTailer({ odoo, logger: silent, sinks: () => [cache] });
    await tailer.tailOnce(); // finds the end of the outbox
    const start = tailer.position;
    expect(start).toBeGreaterThan(0);
    const [before] = await cache.lookup([sku], 'WH');
    expect(before!.on_hand).toBe(5);
    sim.state.setStock(sku, 'WH', 9);
    expect(await tailer.tailOnce()).toBe(1);
    const [after] = await cache.lookup([sku], 'WH');
    expect(after!.on_hand).toBe(9);
    // Non-claiming: the event is still there for the relay.
    expect(sim.state.outbox({ type: 'inventory.changed' }).at(-1)!.state).toBe('pending');
  });

  it('every replica sees every event', async () => {
    const { sim, odoo, cache } = await setup();
    const other = new AvailabilityCache({ odoo, freshnessMs: 3_600_000 });
    const t1 = new CacheTailer({ odoo, logger: silent, sinks: () => [cache], startCursor: 0 });
    const t2 = new CacheTailer({ odoo, logger: silent, sinks: () => [other], startCursor: 0 });
    const sku = simSkus(sim)[1]!;
    sim.state.setStock(sku, 'EU', 3);
    await t1.tailOnce();
    await t2.tailOnce();
    expect((await cache.lookup([sku], 'EU'))[0]!.on_hand).toBe(3);
    expect((await other.lookup([sku], 'EU'))[0]!.on_hand).toBe(3);
    expect(t1.applied).toBe(t2.applied);
  });
});

describe('availability reconciliation', () => {
  it('finds what the cache missed, repairs it, and reports it', async () => {
    const { sim, odoo, cache } = await setup();
    const [a, b] = simSkus(sim);
    await cache.lookup([a!, b!], undefined); // served from the cache from now on
    sim.state.setStock(a!, 'WH', 77); // an event this replica missed (no tailer)
    const dry = await reconcileAvailability({ odoo, served: cache, dryRun: true });
    expect(dry.drifted).toBe(1);
    expect(dry.repaired).toBe(0);
    expect(dry.drift[0]).toMatchObject({ sku: a, warehouse: 'WH', odoo: { on_hand: 77 } });
    expect((await cache.lookup([a!], 'WH'))[0]!.on_hand).not.toBe(77);
    const report = await reconcileAvailability({ odoo, served: cache });
    expect(report).toMatchObject({ drifted: 1, repaired: 1 });
    expect(report.checked).toBeGreaterThanOrEqual(report.cached);
    expect((await cache.lookup([a!], 'WH'))[0]!.on_hand).toBe(77);
    expect((await reconcileAvailability({ odoo, served: cache })).drifted).toBe(0);
  });
});
