/**
 * The catalog's one SKU rule against a real Odoo with the retail_gateway addon: every active
 * variant `GET /v1/products` lists can be ordered through `POST /v1/orders` and reaches Odoo as a
 * confirmed order line of that very product, and every listed price is written in its currency's
 * precision and equals Odoo's own figure. Checked by an independent XML-RPC reader (odoo-await).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductVariant } from '../../contracts/src/product.js';
import type { OdooClient } from '../../gateway/src/odoo/client.js';
import type { ChildGateway } from '../intake/child.js';
import { livePartnerGateway, type LivePartnerGateway } from './partner-gateway.js';
import { independentReader, live } from './live-env.js';
import { liveOrder } from './order.js';

describe.skipIf(!live)('every listed SKU can be ordered (real Odoo)', () => {
  const code = `rgcat${randomBytes(3).toString('hex')}`;
  let gateway: ChildGateway;
  let odoo: OdooClient;
  let setup: LivePartnerGateway | undefined;
  let token = '';
  const variants: ProductVariant[] = [];
  const externalIds: string[] = [];

  beforeAll(async () => {
    setup = await livePartnerGateway({ code, name: `Catalog walk ${code}`, scopes: 'products:read orders:read orders:write' });
    ({ gateway, token, odoo } = setup);
    for (let cursor: string | null = ''; cursor !== null; ) {
      const res = await fetch(`${gateway.url}/v1/products?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { data: ProductVariant[]; next_cursor: string | null };
      variants.push(...page.data);
      cursor = page.next_cursor;
    }
  }, 180_000);

  afterAll(async () => {
    if (externalIds.length) {
      await odoo
        ?.rpc('cancel_orders', { partner: code, refs: externalIds.slice(0, 200).map((id, i) => ({ intake_id: `cleanup-${i}`, item: { external_id: id } })) })
        .catch(() => undefined);
    }
    await setup?.close();
  });

  it('lists no invented SKU, and prices in the currency of each product with its precision', async () => {
    expect(variants.length).toBeGreaterThan(0);
    const reader = await independentReader();
    const rows = (await reader.searchRead('product.product', [['default_code', 'in', variants.map((v) => v.sku)], ['active', 'in', [true, false]]], ['default_code', 'lst_price', 'currency_id'])) as {
      default_code: string;
      lst_price: number;
      currency_id: [number, string];
    }[];
    const bySku = new Map(rows.map((r) => [r.default_code, r]));
    const currencies = (await reader.searchRead('res.currency', [['name', 'in', [...new Set(variants.map((v) => v.currency))]], ['active', 'in', [true, false]]], ['name', 'decimal_places'])) as {
      name: string;
      decimal_places: number;
    }[];
    const places = new Map(currencies.map((c) => [c.name, c.decimal_places]));
    for (const v of variants) {
      const row = bySku.get(v.sku);
      expect(row, `${v.sku} is the internal reference of a variant in Odoo`).toBeDefined();
      expect(v.currency).toBe(row!.currency_id[1]);
      const decimals = places.get(v.currency)!;
      expect(v.list_price, v.sku).toMatch(decimals > 0 ? new RegExp(`^\\d+\\.\\d{${decimals}}$`) : /^\d+$/);
      expect(Number(v.list_price), v.sku).toBeCloseTo(row!.lst_price, decimals);
    }
  }, 120_000);

  it('orders one unit of every active listed SKU: each becomes a confirmed line of that product', async () => {
    const active = variants.filter((v) => v.active);
    expect(active.length).toBeGreaterThan(0);
    const run = Date.now();
    const accepted = await Promise.all(
      active.map(async (v, i) => {
        const externalId = `LIVE-CAT-${run}-${i}`;
        externalIds.push(externalId);
        const res = await fetch(`${gateway.url}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': externalId },
          body: JSON.stringify(
            liveOrder({
              externalId,
              buyer: 'Catalog Walk',
              email: 'catalog-walk@example.com',
              currency: v.currency,
              lines: [{ sku: v.sku, quantity: 1, unit_price: v.list_price }],
              payment: { method: 'card', status: 'pending' },
            }),
          ),
        });
        expect(res.status, await res.clone().text()).toBe(202);
        return { sku: v.sku, externalId, id: ((await res.json()) as { id: string }).id };
      }),
    );
    // Wait on the condition: every order has left the queue (created or rejected).
    const states = new Map<string, { state: string; reasons: unknown[] }>();
    await expect
      .poll(
        async () => {
          for (const a of accepted) {
            if (states.get(a.id)?.state === 'created' || states.get(a.id)?.state === 'rejected') continue;
            const res = await fetch(`${gateway.url}/v1/orders/${a.id}`, { headers: { authorization: `Bearer ${token}` } });
            if (res.ok) states.set(a.id, (await res.json()) as { state: string; reasons: unknown[] });
          }
          return accepted.filter((a) => !['created', 'rejected'].includes(states.get(a.id)?.state ?? '')).length;
        },
        { timeout: 240_000, interval: 500 },
      )
      .toBe(0);
    const rejected = accepted.filter((a) => states.get(a.id)!.state !== 'created').map((a) => ({ sku: a.sku, reasons: states.get(a.id)!.reasons }));
    expect(rejected).toEqual([]);

    const reader = await independentReader();
    const orders = (await reader.searchRead('sale.order', [['rg_external_id', 'in', accepted.map((a) => a.externalId)]], ['rg_external_id', 'state', 'order_line'])) as {
      id: number;
      rg_external_id: string;
      state: string;
      order_line: number[];
    }[];
    expect(orders).toHaveLength(accepted.length);
    const lines = (await reader.searchRead('sale.order.line', [['order_id', 'in', orders.map((o) => o.id)], ['display_type', '=', false]], ['order_id', 'product_id'])) as {
      id: number;
      order_id: [number, string];
      product_id: [number, string];
    }[];
    const products = (await reader.searchRead('product.product', [['id', 'in', [...new Set(lines.map((l) => l.product_id[0]))]], ['active', 'in', [true, false]]], ['default_code'])) as {
      id: number;
      default_code: string;
    }[];
    const skuOf = new Map(products.map((p) => [p.id, p.default_code]));
    for (const a of accepted) {
      const order = orders.find((o) => o.rg_external_id === a.externalId)!;
      expect(order.state, a.sku).toBe('sale');
      const own = lines.filter((l) => order.order_line.includes(l.id));
      expect(own.map((l) => skuOf.get(l.product_id[0])), a.sku).toContain(a.sku);
    }
  }, 360_000);
});
