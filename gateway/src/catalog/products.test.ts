import { describe, expect, it } from 'vitest';
import { testEnvelope, useFakeClient } from '../../../test/support/fake-client.js';
import { ProductCatalog } from './products.js';

const ctx = useFakeClient({ retry: { attempts: 1 } });

describe('ProductCatalog', () => {
  it("loads once, pages in the addon's order, and answers SKUs from memory", async () => {
    const catalog = new ProductCatalog({ odoo: ctx.odoo, ttlMs: 60_000 });
    const first = await catalog.page({ after: 0, limit: 3 });
    expect(first.items).toHaveLength(3);
    const second = await catalog.page({ after: Number(first.nextCursor), limit: 1000 });
    const cursors = [...first.items, ...second.items].map((v) => v.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    const before = ctx.calls('catalog_page');
    expect((await catalog.get('FURN_8888'))?.list_price).toBe('40.00');
    expect(ctx.calls('catalog_page')).toBe(before);
    const desk = await catalog.get('FURN_0096');
    expect(desk?.attributes).toMatchObject({ Legs: expect.stringContaining('Steel') });
    // Kept as the addon sent them, in the contract's order (the cache rebuilds each variant).
    const lamp = await catalog.get('FURN_8888');
    expect(Object.keys(lamp!)).toEqual(['sku', 'barcode', 'name', 'attributes', 'list_price', 'currency', 'active', 'updated_at']);
    expect(lamp!.attributes).toEqual({});
    // Only what the addon offers: every variant has its own SKU, none is made up by the gateway.
    expect([...first.items, ...second.items].every((v) => !v.variant.sku.startsWith('odoo-'))).toBe(true);
  });

  it('looks an unknown SKU up once, then remembers it is unknown for a while', async () => {
    const catalog = new ProductCatalog({ odoo: ctx.odoo, ttlMs: 60_000 });
    await catalog.ensureLoaded();
    const before = ctx.calls('catalog_page');
    expect(await catalog.get('NO-SUCH')).toBeNull();
    expect(await catalog.get('NO-SUCH')).toBeNull();
    expect(ctx.calls('catalog_page')).toBe(before + 1);
  });

  it('applies product.updated events, newest wins', async () => {
    const catalog = new ProductCatalog({ odoo: ctx.odoo, ttlMs: 60_000 });
    await catalog.ensureLoaded();
    const data = { product_id: 2, template_id: 1, sku: 'FURN_8888', barcode: null, name: 'Office Lamp XL', list_price: '44.00', currency: 'USD', active: true, safety_stock: 0, changed_fields: ['name', 'list_price'] };
    const version = catalog.version;
    await catalog.applyEvent(testEnvelope('product.updated', data, '2030-01-01T00:00:00Z'));
    expect(catalog.version).toBeGreaterThan(version);
    expect(catalog.peek('FURN_8888')).toMatchObject({ name: 'Office Lamp XL', list_price: '44.00' });
    await catalog.applyEvent(testEnvelope('product.updated', { ...data, name: 'stale' }, '2029-01-01T00:00:00Z'));
    expect(catalog.peek('FURN_8888')?.name).toBe('Office Lamp XL');
  });

  it('places a variant whose SKU changed in Odoo where the addon says, dropping the old SKU', async () => {
    const catalog = new ProductCatalog({ odoo: ctx.odoo, ttlMs: 60_000 });
    const before = (await catalog.page({ after: 0, limit: 1000 })).items.find((v) => v.variant.sku === 'E-COM10')!;
    ctx.fake.state.updateProduct('E-COM10', { sku: 'E-COM10-B' });
    const event = ctx.fake.state.outbox({ type: 'product.updated' }).at(-1)!;
    await catalog.applyEvent(event.envelope);
    expect(catalog.peek('E-COM10')).toBeUndefined();
    const after = (await catalog.page({ after: 0, limit: 1000 })).items.find((v) => v.variant.sku === 'E-COM10-B');
    expect(after?.cursor).toBe(before.cursor);
    expect(after?.variant.name).toBe(before.variant.name);
  });
});
