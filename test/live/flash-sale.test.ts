/**
 * A flash sale on a real Odoo (18 or 19) with the retail_gateway addon: a new storable product with
 * K units in WH, a partner whose oversell policy is `reject`, 5×K concurrent one-unit orders
 * through a gateway process draining into Odoo. Exactly K are accepted (the rest refused with 409
 * insufficient_stock), Odoo confirms exactly K sale orders for the product, and Odoo's free
 * quantity for it ends at 0.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OdooClient } from '../../gateway/src/odoo/client.js';
import type { ChildGateway } from '../intake/child.js';
import { independentReader, live } from './live-env.js';
import { liveOrder } from './order.js';
import { livePartnerGateway, type LivePartnerGateway } from './partner-gateway.js';

const K = 5;

describe.skipIf(!live)('flash sale on a real Odoo: no overselling under `reject`', () => {
  const tag = randomBytes(3).toString('hex');
  const code = `rgfs${tag}`;
  const sku = `FLASH-${tag.toUpperCase()}`;
  let gateway: ChildGateway | undefined;
  let setup: LivePartnerGateway | undefined;
  let odoo: OdooClient;
  let backOffice: OdooClient;
  let productId = 0;
  let token = '';

  beforeAll(async () => {
    setup = await livePartnerGateway({ code, name: `Flash sale ${code}`, scopes: 'orders:read orders:write inventory:read', vals: { oversell_policy: 'reject' } });
    ({ gateway, odoo, backOffice, token } = setup);
    [productId] = (await backOffice.call<number[]>('product.product', 'create', {
      kwargs: { vals_list: [{ name: `Flash sale ${tag}`, default_code: sku, type: 'consu', is_storable: true, list_price: 10, sale_ok: true }] },
    })) as [number];
    const [wh] = await backOffice.call<{ id: number; lot_stock_id: [number, string] }[]>('stock.warehouse', 'search_read', {
      kwargs: { domain: [['code', '=', 'WH']], fields: ['lot_stock_id'], limit: 1 },
    });
    const quants = await backOffice.call<number[]>('stock.quant', 'create', {
      kwargs: { vals_list: [{ product_id: productId, location_id: wh!.lot_stock_id[0], inventory_quantity: K }], context: { inventory_mode: true } },
    });
    // It returns nothing (None), which JSON-RPC answers without a result: what it did is read back.
    await backOffice.call('stock.quant', 'action_apply_inventory', { ids: quants }).catch(() => undefined);
    const [applied] = await backOffice.call<{ quantity: number }[]>('stock.quant', 'search_read', { kwargs: { domain: [['id', 'in', quants]], fields: ['quantity'] } });
    expect(applied?.quantity).toBe(K);
  }, 180_000);

  afterAll(async () => {
    await setup?.close();
  });

  const orderOf = (externalId: string) =>
    liveOrder({
      externalId,
      buyer: 'Flash Buyer',
      email: `flash-${externalId.toLowerCase()}@example.com`,
      lines: [{ sku, quantity: 1, unit_price: '10.00' }],
      warehouse: 'WH',
    });

  it(`${5 * K} concurrent one-unit orders for ${K} units: ${K} confirmed, the rest refused, free quantity 0`, async () => {
    const inventory = async () => {
      const res = await fetch(`${gateway!.url}/v1/inventory?sku=${sku}&warehouse=WH`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as { data: { available: number }[] }).data[0]?.available;
    };
    expect(await inventory()).toBe(K);
    const ids = Array.from({ length: 5 * K }, (_, i) => `LIVE-FLASH-${tag}-${i}`);
    const answers = await Promise.all(
      ids.map((id) =>
        fetch(`${gateway!.url}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': id },
          body: JSON.stringify(orderOf(id)),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id?: string; error?: { code: string } } })),
      ),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted).toHaveLength(K);
    expect(refused).toHaveLength(4 * K);
    for (const r of refused) expect(r.body.error?.code).toBe('insufficient_stock');
    // Storefronts see zero as soon as the last unit is promised.
    expect(await inventory()).toBe(0);

    // Every accepted order reaches Odoo and is confirmed there.
    for (const a of accepted) {
      for (const until = Date.now() + 120_000; ; ) {
        const res = await fetch(`${gateway!.url}/v1/orders/${a.body.id}`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { state?: string };
        if (body.state && !['accepted', 'processing'].includes(body.state)) break;
        if (Date.now() > until) throw new Error(`order ${a.body.id} never left the queue`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const reader = await independentReader();
    const lines = (await reader.searchRead('sale.order.line', [['product_id', '=', productId]], ['product_uom_qty', 'state'])) as { product_uom_qty: number; state: string }[];
    expect(lines).toHaveLength(K);
    expect(lines.every((l) => l.state === 'sale')).toBe(true);
    const figures = await odoo.rpc('availability', { skus: [sku], warehouses: ['WH'] });
    expect(figures.items.map((f) => f.available)).toEqual([0]);
    const [product] = (await reader.searchRead('product.product', [['id', '=', productId]], ['free_qty'])) as { free_qty: number }[];
    expect(product!.free_qty).toBe(0);
    expect(await inventory()).toBe(0);
    process.stdout.write(`flash sale on ${live!.url}: ${accepted.length} accepted, ${refused.length} refused (409), ${lines.length} sale orders confirmed, free quantity ${product!.free_qty}\n`);
  }, 300_000);
});
