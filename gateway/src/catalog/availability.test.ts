import { describe, expect, it } from 'vitest';
import { testEnvelope, useFakeClient } from '../../../test/support/fake-client.js';
import { AvailabilityCache, AvailabilityUnavailableError } from './availability.js';

const ctx = useFakeClient({ retry: { attempts: 1 } });

describe('AvailabilityCache', () => {
  it('fills on a miss, then serves from memory', async () => {
    let now = 1_000_000;
    const cache = new AvailabilityCache({ odoo: ctx.odoo, freshnessMs: 60_000, now: () => now });
    const before = ctx.calls('availability');
    const all = await cache.lookup(['FURN_8888'], undefined);
    expect(all.map((a) => a.warehouse).sort()).toEqual(['EU', 'WH']);
    expect(all.every((a) => a.available === Math.max(0, a.on_hand - a.reserved - a.safety_stock) && !a.stale)).toBe(true);
    const wh = await cache.lookup(['FURN_8888'], 'WH');
    expect(wh).toHaveLength(1);
    expect(ctx.calls('availability')).toBe(before + 1);
    now += 120_000; // past the freshness target: refreshed from Odoo
    await cache.lookup(['FURN_8888'], 'WH');
    expect(ctx.calls('availability')).toBe(before + 2);
  });

  it('applies inventory.changed events, newest as_of wins', async () => {
    const cache = new AvailabilityCache({ odoo: ctx.odoo, freshnessMs: 60_000 });
    await cache.lookup(['FURN_0001'], 'WH');
    const data = { product_id: 1, sku: 'FURN_0001', warehouse: 'WH', on_hand: 5, reserved: 1, safety_stock: 0, available: 4, as_of: '2030-01-01T00:00:00Z' };
    cache.applyEvent(testEnvelope('inventory.changed', data, data.as_of));
    expect((await cache.lookup(['FURN_0001'], 'WH'))[0]).toMatchObject({ on_hand: 5, available: 4 });
    cache.applyEvent(testEnvelope('inventory.changed', { ...data, on_hand: 99, available: 98, as_of: '2029-01-01T00:00:00Z' }, '2029-01-01T00:00:00Z'));
    expect((await cache.lookup(['FURN_0001'], 'WH'))[0]?.on_hand).toBe(5);
  });

  it("answers exactly the contract's fields, one entry per SKU and warehouse however often they change", async () => {
    const cache = new AvailabilityCache({ odoo: ctx.odoo, freshnessMs: 60_000 });
    await cache.lookup(['FURN_8888'], undefined);
    const size = cache.size;
    const data = { product_id: 2, sku: 'FURN_8888', warehouse: 'WH', on_hand: 7, reserved: 2, safety_stock: 1, available: 4, as_of: '2030-01-01T00:00:00Z' };
    cache.applyEvent(testEnvelope('inventory.changed', data, data.as_of));
    cache.applyEvent(testEnvelope('inventory.changed', { ...data, on_hand: 8, available: 5, as_of: '2030-01-02T00:00:00Z' }, '2030-01-02T00:00:00Z'));
    expect(cache.size).toBe(size);
    // A warehouse the SKU did not have yet is one more entry.
    cache.applyEvent(testEnvelope('inventory.changed', { ...data, warehouse: 'XX', as_of: '2030-01-02T00:00:00Z' }, '2030-01-02T00:00:00Z'));
    expect(cache.size).toBe(size + 1);
    const all = await cache.lookup(['FURN_8888'], undefined);
    expect(all.map((a) => a.warehouse)).toEqual(['EU', 'WH', 'XX']);
    const wh = all.find((a) => a.warehouse === 'WH');
    // In the contract's order, nothing the cache keeps for itself (when it knew them, their basis).
    expect(Object.keys(wh!)).toEqual(['sku', 'warehouse', 'on_hand', 'reserved', 'safety_stock', 'available', 'as_of', 'stale']);
    expect(wh).toEqual({ sku: 'FURN_8888', warehouse: 'WH', on_hand: 8, reserved: 2, safety_stock: 1, available: 5, as_of: '2030-01-02T00:00:00Z', stale: false });
    expect(cache.peek('FURN_8888', 'WH')).toEqual({ sku: 'FURN_8888', warehouse: 'WH', on_hand: 8, reserved: 2, safety_stock: 1, available: 5, as_of: '2030-01-02T00:00:00Z' });
    expect(cache.peek('FURN_8888', 'NOPE')).toBeUndefined();
  });

  it('serves the last figures marked stale while Odoo is down, and refuses when it knows nothing', async () => {
    let now = 5_000_000;
    const cache = new AvailabilityCache({ odoo: ctx.odoo, freshnessMs: 1_000, now: () => now });
    await cache.lookup(['FURN_7800'], 'WH');
    now += 10_000;
    ctx.fake.faults.down();
    try {
      const [a] = await cache.lookup(['FURN_7800'], 'WH');
      expect(a?.stale).toBe(true);
      await expect(cache.lookup(['FURN_7777'], 'EU')).rejects.toBeInstanceOf(AvailabilityUnavailableError);
    } finally {
      ctx.fake.faults.up();
    }
  });

  it('remembers a rendered answer until the cache changes or a figure falls due', async () => {
    let now = 9_000_000;
    const cache = new AvailabilityCache({ odoo: ctx.odoo, freshnessMs: 60_000, now: () => now });
    let renders = 0;
    const render = (items: { on_hand: number; stale: boolean }[]) => {
      renders++;
      return JSON.stringify(items.map((a) => [a.on_hand, a.stale]));
    };
    const read = () => cache.lookupRendered('k', ['FURN_8888'], 'WH', undefined, render);
    const before = ctx.calls('availability');
    const first = await read();
    expect(await read()).toBe(first);
    expect(renders).toBe(1);
    expect(ctx.calls('availability')).toBe(before + 1);

    // A change to the cache (here an event) is never hidden by the remembered answer.
    const [a] = await cache.lookup(['FURN_8888'], 'WH');
    const changed = { product_id: 2, sku: 'FURN_8888', warehouse: 'WH', on_hand: a!.on_hand + 7, reserved: 0, safety_stock: 0, available: a!.on_hand + 7, as_of: '2031-01-01T00:00:00Z' };
    cache.applyEvent(testEnvelope('inventory.changed', changed, changed.as_of));
    expect(await read()).toBe(JSON.stringify([[a!.on_hand + 7, false]]));
    expect(renders).toBe(2);

    // Past the freshness target the figures are asked of Odoo again, then remembered again.
    now += 60_001;
    await read();
    expect(ctx.calls('availability')).toBe(before + 2);
    expect(renders).toBe(3);
    await read();
    expect(renders).toBe(3);
  });

  it('never remembers figures served stale because Odoo could not be asked', async () => {
    let now = 12_000_000;
    const cache = new AvailabilityCache({ odoo: ctx.odoo, freshnessMs: 1_000, now: () => now });
    const render = (items: { stale: boolean }[]) => items.map((a) => a.stale);
    expect(await cache.lookupRendered('k', ['FURN_7800'], 'WH', undefined, render)).toEqual([false]);
    now += 10_000;
    ctx.fake.faults.down();
    try {
      expect(await cache.lookupRendered('k', ['FURN_7800'], 'WH', undefined, render)).toEqual([true]);
    } finally {
      ctx.fake.faults.up();
    }
    // Odoo is back: the next read refreshes instead of repeating the stale answer.
    expect(await cache.lookupRendered('k', ['FURN_7800'], 'WH', undefined, render)).toEqual([false]);
  });

  it('scans every SKU and warehouse', async () => {
    const cache = new AvailabilityCache({ odoo: ctx.odoo, freshnessMs: 60_000 });
    const rows = [];
    for await (const page of cache.scan(undefined, 5)) rows.push(...page);
    expect(rows.length).toBeGreaterThan(10);
    expect(cache.size).toBe(rows.length);
  });
});

describe('AvailabilityCache bounds', () => {
  it('remembers the completeness of at most maxCompleteSkus SKUs, however many unknown SKUs partners ask for', async () => {
    const cache = new AvailabilityCache({ odoo: ctx.odoo, freshnessMs: 60_000, maxCompleteSkus: 50 });
    for (let i = 0; i < 5; i++) await cache.lookup(Array.from({ length: 40 }, (_, k) => `NOPE_${i}_${k}`), undefined);
    expect(cache.completeSkus).toBeGreaterThan(0);
    expect(cache.completeSkus).toBeLessThanOrEqual(50);
    // Known SKUs are still served (and remembered) after the map was emptied.
    expect((await cache.lookup(['FURN_8888'], undefined)).length).toBeGreaterThan(0);
  });
});
