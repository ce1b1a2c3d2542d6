import { describe, expect, it } from 'vitest';
import { testEnvelope, useSimulatorClient } from '../../../test/support/simulator-client.js';
import { ProductCatalog } from './products.js';

const ctx = useSimulatorClient({ retry: { attempts: 1 } });

describe('ProductCatalog', () => {
  it('loads once, pages in id order, and answers SKUs from memory', async () => {
    const catalog = new ProductCatalog({ odoo: ctx.odoo, ttlMs: 60_000 });
    const first = await catalog.page({ afterId: 0, limit: 3 });
    expect(first.items).toHaveLength(3);
    const second = await catalog.page({ afterId: Number(first.nextCursor), limit: 1000 });
    const ids = [...first.items, ...second.items].map((v) => v.odooId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const before = ctx.calls('search_read');
    expect((await catalog.get('FURN_8888'))?.list_price).toBe('40.00');
    expect(ctx.calls('search_read')).toBe(before);
    const desk = await catalog.get('FURN_0096');
    expect(desk?.attributes).toMatchObject({ Legs: expect.stringContaining('Steel') });
  });

  it('looks an unknown SKU up once, then remembers it is unknown for a while', async () => {
    const catalog = new ProductCatalog({ odoo: ctx.odoo, ttlMs: 60_000 });
    await catalog.ensureLoaded();
    const before = ctx.calls('search_read');
    expect(await catalog.get('NO-SUCH')).toBeNull();
    expect(await catalog.get('NO-SUCH')).toBeNull();
    expect(ctx.calls('search_read')).toBe(before + 1);
  });

  it('applies product.updated events, newest wins', async () => {
    const catalog = new ProductCatalog({ odoo: ctx.odoo, ttlMs: 60_000 });
    const lamp = (await catalog.page({ afterId: 0, limit: 1000 })).items.find((v) => v.variant.sku === 'FURN_8888')!;
    const data = { product_id: lamp.odooId, template_id: 1, sku: 'FURN_8888', barcode: null, name: 'Office Lamp XL', list_price: '44.00', currency: 'USD', active: true, safety_stock: 0, changed_fields: ['name', 'list_price'] };
    const version = catalog.version;
    catalog.applyEvent(testEnvelope('product.updated', data, '2030-01-01T00:00:00Z'));
    expect(catalog.version).toBeGreaterThan(version);
    expect(catalog.peek('FURN_8888')).toMatchObject({ name: 'Office Lamp XL', list_price: '44.00' });
    catalog.applyEvent(testEnvelope('product.updated', { ...data, name: 'stale' }, '2029-01-01T00:00:00Z'));
    expect(catalog.peek('FURN_8888')?.name).toBe('Office Lamp XL');
    catalog.applyEvent(testEnvelope('product.updated', { ...data, sku: 'FURN_8888-B' }, '2030-01-02T00:00:00Z'));
    expect(catalog.peek('FURN_8888')).toBeUndefined();
    expect(catalog.peek('FURN_8888-B')?.name).toBe('Office Lamp XL');
  });
});
