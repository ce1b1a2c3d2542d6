/**
 * A 3PL's shipment confirmation against a real Odoo with the retail_gateway addon: the carrier it
 * names and the time it says the parcel left are its facts. The order plans Odoo's "Standard
 * delivery"; the 3PL ships with `bpost`, a carrier Odoo does not know, at 16:40 Brussels time. The
 * transfer keeps both (no Odoo carrier, the name as reported, the transfer's date at that instant),
 * read back by an independent XML-RPC reader (odoo-await) and through `GET /v1/shipments`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OdooClient } from '../../gateway/src/odoo/client.js';
import type { ChildGateway } from '../intake/child.js';
import { livePartnerGateway, type LivePartnerGateway } from './partner-gateway.js';
import { independentReader, live } from './live-env.js';

/** Odoo answers a Datetime as UTC without a zone: `2026-11-28 15:40:00`. */
const odooInstant = (value: string) => Date.parse(`${value.replace(' ', 'T')}Z`);

describe.skipIf(!live)('live Odoo: a shipment keeps the carrier and time the 3PL reports', () => {
  const code = `rgshp${randomBytes(3).toString('hex')}`;
  const externalId = `LIVE-SHP-${code}`;
  let gateway: ChildGateway;
  let backOffice: OdooClient;
  let setup: LivePartnerGateway | undefined;
  let token = '';

  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${gateway.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });

  /** Polls a status resource until it leaves the queue (a bounded wait on a condition). */
  async function settled(location: string): Promise<{ state?: string; status?: string; reasons?: unknown[] }> {
    let body: { state?: string; status?: string; reasons?: unknown[] } = {};
    await expect
      .poll(
        async () => {
          body = (await (await call(location)).json()) as typeof body;
          return ['accepted', 'processing'].includes(body.state ?? body.status ?? 'accepted');
        },
        { timeout: 120_000, interval: 250 },
      )
      .toBe(false);
    return body;
  }

  beforeAll(async () => {
    setup = await livePartnerGateway({ code, name: `Shipment facts ${code}`, scopes: 'products:read orders:read orders:write shipments:read shipments:write' });
    ({ gateway, token, backOffice } = setup);
  }, 180_000);

  afterAll(async () => {
    await setup?.close();
  });

  it('in the Odoo transfer and in GET /v1/shipments', async () => {
    const reader = await independentReader();
    const [product] = (await reader.searchRead('product.product', [['sale_ok', '=', true], ['is_storable', '=', true], ['default_code', '!=', false]], ['default_code', 'currency_id'], { limit: 1, order: 'id' })) as {
      default_code: string;
      currency_id: [number, string];
    }[];
    expect(product, 'a storable product with an internal reference in the demo data').toBeDefined();
    // Carriers are Sales and Inventory data: the technical user does not read them, a person does.
    const carriers = (name: string) =>
      backOffice.call<{ id: number; name: string }[]>('delivery.carrier', 'search_read', { kwargs: { domain: [['name', '=ilike', name]], fields: ['name'], limit: 1 } });
    const [planned] = await carriers('Standard delivery');
    expect(planned, "Odoo's demo carrier the order plans").toBeDefined();
    expect(await carriers('bpost'), 'bpost is not an Odoo carrier').toEqual([]);

    const address = { name: 'Shipment Facts', street: '1839 Arbor Way', city: 'Turlock', zip: '95380', country_code: 'US' };
    const placed = await call('/v1/orders', {
      method: 'POST',
      headers: { 'idempotency-key': externalId },
      body: JSON.stringify({
        external_id: externalId,
        channel: 'webshop',
        placed_at: new Date().toISOString(),
        currency: product!.currency_id[1],
        taxes_included: false,
        customer: { email: 'shipment-facts@example.com', name: 'Shipment Facts' },
        billing_address: address,
        shipping_address: address,
        lines: [{ sku: product!.default_code, quantity: 2, unit_price: '10.00' }],
        shipping: { method: planned!.name, price: '4.95' },
        payment: { method: 'card', status: 'pending' },
      }),
    });
    expect(placed.status, await placed.clone().text()).toBe(202);
    const orderId = ((await placed.json()) as { id: string }).id;
    expect(await settled(`/v1/orders/${orderId}`)).toMatchObject({ state: 'created' });
    const [order] = (await reader.searchRead('sale.order', [['rg_external_id', '=', externalId]], ['picking_ids', 'carrier_id'])) as { picking_ids: number[]; carrier_id: [number, string] | false }[];
    expect(order!.carrier_id && order!.carrier_id[0]).toBe(planned!.id);

    const shippedAt = '2026-11-28T16:40:00+01:00';
    const confirmed = await call('/v1/shipments', {
      method: 'POST',
      body: JSON.stringify({
        external_id: `SHP-${externalId}`,
        order_external_id: externalId,
        carrier: 'bpost',
        tracking_number: '323299901234567890',
        lines: [{ sku: product!.default_code, quantity: 2 }],
        shipped_at: shippedAt,
      }),
    });
    expect(confirmed.status, await confirmed.clone().text()).toBe(202);
    const outcome = await settled(confirmed.headers.get('location')!);
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ status: 'completed' });

    const pickings = (await reader.searchRead('stock.picking', [['id', 'in', order!.picking_ids], ['state', '=', 'done']], ['carrier_id', 'rg_carrier_name', 'carrier_tracking_ref', 'date_done'])) as {
      carrier_id: [number, string] | false;
      rg_carrier_name: string | false;
      carrier_tracking_ref: string | false;
      date_done: string;
    }[];
    expect(pickings).toHaveLength(1);
    const picking = pickings[0]!;
    expect(picking.carrier_id, 'the planned carrier did not take the parcel').toBe(false);
    expect(picking.rg_carrier_name).toBe('bpost');
    expect(picking.carrier_tracking_ref).toBe('323299901234567890');
    expect(odooInstant(picking.date_done)).toBe(Date.parse(shippedAt));

    const list = await call(`/v1/shipments?order_id=${orderId}`);
    expect(list.status).toBe(200);
    const { data } = (await list.json()) as { data: { state: string; carrier: string | null; tracking_number: string | null; shipped_at: string | null }[] };
    const shipped = data.filter((s) => s.state === 'shipped');
    expect(shipped).toHaveLength(1);
    expect(shipped[0]).toMatchObject({ carrier: 'bpost', tracking_number: '323299901234567890' });
    expect(Date.parse(shipped[0]!.shipped_at!)).toBe(Date.parse(shippedAt));
  }, 240_000);
});
