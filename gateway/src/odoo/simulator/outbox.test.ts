import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventEnvelope } from '../../../../contracts/src/events.js';
import { createOdooClient, type OdooClient } from '../client.js';
import { startOdooSimulator, type OdooSimulator } from './index.js';

let sim: OdooSimulator;
let odoo: OdooClient;

beforeEach(async () => {
  sim = await startOdooSimulator();
  odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey });
});
afterEach(async () => {
  await odoo.close();
  await sim.close();
});

const address = { name: 'Jo Buyer', street: '2 High St', city: 'Leeds', country_code: 'GB' };
const submitOrder = (externalId: string, sku = 'E-COM07') =>
  odoo.rpc('submit_orders', {
    partner: 'demo',
    orders: [
      {
        intake_id: externalId,
        item: {
          external_id: externalId,
          channel: 'web',
          placed_at: '2026-02-01T09:00:00Z',
          currency: 'GBP',
          taxes_included: true,
          customer: { email: 'jo@example.com', name: 'Jo Buyer', consents: [] },
          billing_address: address,
          shipping_address: address,
          lines: [{ sku, quantity: 1, unit_price: '250.00', discount_percent: '10' }],
          payment: { method: 'card', status: 'paid' },
        },
      },
    ],
  });

describe('events', () => {
  it('starts empty: seeded data predates the addon', () => {
    expect(sim.state.outbox()).toEqual([]);
  });

  it('writes valid envelopes with per-aggregate sequences through an order, its shipment and its invoice', async () => {
    const created = (await submitOrder('E-1')).results[0]!;
    const orderId = created.record!.id;
    sim.state.validatePicking(created.related!.picking!.id);
    sim.state.invoiceOrders([orderId]);
    const events = sim.state.outbox();
    for (const e of events) expect(EventEnvelope.safeParse(e.envelope).success, JSON.stringify(e.envelope)).toBe(true);
    const orderEvents = events.filter((e) => e.envelope.subject === `sale.order/${orderId}`).map((e) => [e.envelope.type, e.envelope.sequence]);
    expect(orderEvents).toEqual([
      ['order.created', 1],
      ['shipment.shipped', 2],
      ['invoice.posted', 3],
    ]);
    const invoice = events.find((e) => e.envelope.type === 'invoice.posted')!.envelope;
    expect(invoice.data).toMatchObject({ partner: 'demo', order_external_ids: ['E-1'], currency: 'GBP', amount_total: '225.00', payment_state: 'not_paid' });
    const order = events.find((e) => e.envelope.type === 'order.created')!.envelope;
    expect(order.data).toMatchObject({ lines: [{ sku: 'E-COM07', quantity: 1, unit_price: '250.00', discount_percent: '10.00' }] });
    expect(events.filter((e) => e.envelope.type === 'inventory.changed').every((e) => e.envelope.subject.startsWith('product.product/'))).toBe(true);
  });

  it('makes an invoice of several orders an event of its own (account.move), as the addon does', async () => {
    const a = (await submitOrder('E-2')).results[0]!.record!.id;
    const b = (await submitOrder('E-3')).results[0]!.record!.id;
    const moveId = sim.state.invoiceOrders([a, b]);
    const invoice = sim.state.outbox({ type: 'invoice.posted' }).at(-1)!.envelope;
    expect(invoice).toMatchObject({ subject: `account.move/${moveId}`, sequence: 1, data: { orders: [{ id: a }, { id: b }], order_external_ids: ['E-2', 'E-3'] } });
  });

  it('writes what the addon writes for an order of a product out of stock (as seen in a real Odoo 18)', async () => {
    // In Odoo with the addon: customer.updated (the new link, address taken from the first contact),
    // then order.created; nothing reserved, so no inventory.changed.
    await submitOrder('E-0', 'FURN_7777');
    const events = sim.state.outbox().map((e) => e.envelope);
    expect(events.map((e) => e.type)).toEqual(['customer.updated', 'order.created']);
    expect(events[0]!.data).toMatchObject({ email: 'jo@example.com', city: 'Leeds', country_code: 'GB', external_ids: {}, changed_fields: ['external_ids'] });
  });

  it('coalesces the changes of one record in one transaction into one event', () => {
    sim.state.transaction((env) => {
      const [p] = env.searchRows('product.product', [['default_code', '=', 'FURN_8888']]);
      env.write('product.product', [p!.id], { barcode: '111' });
      env.write('product.product', [p!.id], { barcode: '222' });
      env.write('product.template', [p!.product_tmpl_id as number], { list_price: 42 });
    });
    const events = sim.state.outbox({ type: 'product.updated' });
    expect(events).toHaveLength(1);
    expect(events[0]!.envelope.data).toMatchObject({ sku: 'FURN_8888', barcode: '222', list_price: '42.00', changed_fields: ['barcode', 'list_price'] });
  });

  it('writes no event for a change that rolls back', () => {
    expect(() =>
      sim.state.transaction((env) => {
        const [p] = env.searchRows('product.product', [['default_code', '=', 'FURN_8888']]);
        env.write('product.product', [p!.id], { barcode: 'rolled-back' });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(sim.state.outbox()).toEqual([]);
    expect(sim.state.searchRead('product.product', [['barcode', '=', 'rolled-back']])).toEqual([]);
  });

  it('publishes inventory.changed with the contract figures when the safety stock changes', () => {
    sim.state.updateProduct('E-COM11', { rg_safety_stock: 3 });
    const wh = sim.state.outbox({ type: 'inventory.changed' }).map((e) => e.envelope.data).find((d) => (d as { warehouse: string }).warehouse === 'WH');
    expect(wh).toMatchObject({ sku: 'E-COM11', on_hand: 33, reserved: 0, safety_stock: 3, available: 30 });
  });

  it('publishes customer.updated only for customers a partner knows', async () => {
    await submitOrder('E-2');
    const customer = sim.state.searchRead('res.partner', [['email', '=', 'jo@example.com']], ['id'])[0]!.id as number;
    const stranger = sim.state.searchRead('res.partner', [['name', '=', 'Ready Mat']], ['id'])[0]!.id as number;
    const before = sim.state.outbox({ type: 'customer.updated' }).length;
    sim.state.transaction((env) => env.write('res.partner', [customer, stranger], { city: 'York' }));
    const after = sim.state.outbox({ type: 'customer.updated' });
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)!.envelope.data).toMatchObject({ customer_id: customer, city: 'York', country_code: 'GB', external_ids: {}, changed_fields: ['city'] });
  });
});

describe('relay API', () => {
  it('claims oldest first, never hands out an aggregate whose earlier event is leased elsewhere, and expires leases', async () => {
    await submitOrder('Q-1');
    const first = await odoo.rpc('claim', { limit: 1, lease_seconds: 30, consumer: 'relay-a' });
    expect(first.events).toHaveLength(1);
    const head = first.events[0]!;
    // Make the same aggregate produce another event while its first one is leased by relay-a.
    await odoo.rpc('cancel_orders', { partner: 'demo', refs: [{ intake_id: 'c', item: { external_id: 'Q-1' } }] });
    const other = await odoo.rpc('claim', { limit: 100, lease_seconds: 30, consumer: 'relay-b' });
    const otherIds = other.events.map((e) => e.event_id);
    expect(otherIds).not.toContain(head.event_id);
    expect(other.events.filter((e) => e.envelope.subject === head.envelope.subject)).toEqual([]);
    expect(other.events.map((e) => e.cursor)).toEqual([...other.events.map((e) => e.cursor)].sort((a, b) => a - b));
    // relay-a crashes: after its lease, the aggregate's events go out together, in order.
    sim.state.advanceClock(31_000);
    const retry = await odoo.rpc('claim', { limit: 100, lease_seconds: 30, consumer: 'relay-b' });
    const sameAggregate = retry.events.filter((e) => e.envelope.subject === head.envelope.subject);
    expect(sameAggregate[0]!.event_id).toBe(head.event_id);
    expect(sameAggregate.map((e) => e.envelope.sequence)).toEqual(sameAggregate.map((_, i) => i + 1));
  });

  it('acknowledges only what the consumer leased, idempotently', async () => {
    await submitOrder('Q-2');
    const { events } = await odoo.rpc('claim', { limit: 100, lease_seconds: 30, consumer: 'relay-a' });
    const ids = events.map((e) => e.event_id);
    expect(await odoo.rpc('ack', { event_ids: ids, consumer: 'relay-b' })).toEqual({ acked: [], not_leased: ids });
    expect(await odoo.rpc('ack', { event_ids: [...ids, 'unknown'], consumer: 'relay-a' })).toEqual({ acked: ids, not_leased: ['unknown'] });
    expect(await odoo.rpc('ack', { event_ids: ids, consumer: 'relay-a' })).toEqual({ acked: ids, not_leased: [] });
    expect((await odoo.rpc('claim', { limit: 100, lease_seconds: 30, consumer: 'relay-a' })).events).toEqual([]);
  });

  it('never gives one event to two relays', async () => {
    for (const id of ['M-1', 'M-2', 'M-3']) await submitOrder(id);
    const [a, b] = await Promise.all([
      odoo.rpc('claim', { limit: 1000, lease_seconds: 30, consumer: 'a' }),
      odoo.rpc('claim', { limit: 1000, lease_seconds: 30, consumer: 'b' }),
    ]);
    const all = [...a.events, ...b.events].map((e) => e.event_id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(sim.state.outbox().length);
  });

  it('lets every replica tail changes after a cursor without claiming', async () => {
    await submitOrder('T-1');
    await submitOrder('T-2');
    const total = sim.state.outbox().length;
    const page = await odoo.rpc('changes_since', { cursor: 0, limit: 2 });
    expect(page.events).toHaveLength(2);
    expect(page.has_more).toBe(true);
    const rest = await odoo.rpc('changes_since', { cursor: page.cursor, limit: 1000 });
    expect(page.events.length + rest.events.length).toBe(total);
    expect(rest.has_more).toBe(false);
    const orders = await odoo.rpc('changes_since', { cursor: 0, limit: 1000, types: ['order.created'] });
    expect(orders.events.map((e) => (e.envelope.data as { external_id: string }).external_id)).toEqual(['T-1', 'T-2']);
    expect(orders.cursor).toBe(rest.cursor);
    expect((await odoo.rpc('claim', { limit: 1000, lease_seconds: 30, consumer: 'x' })).events).toHaveLength(total);
  });

  it('records delivery reports and names unknown events', async () => {
    await submitOrder('D-1');
    const [event] = sim.state.outbox({ type: 'order.created' });
    const res = await odoo.rpc('report_deliveries', {
      results: [
        { event_id: event!.envelope.id, partner: 'demo', subscription_id: null, status: 'delivered', attempts: 1, last_error: null, at: '2026-02-01T09:00:01Z' },
        { event_id: 'nope', partner: 'demo', subscription_id: null, status: 'failed', attempts: 3, last_error: 'HTTP 500', at: '2026-02-01T09:00:01Z' },
      ],
    });
    expect(res).toEqual({ recorded: 1, unknown_events: ['nope'] });
    expect(sim.state.searchRead('retail_gateway.delivery', [], ['status', 'attempts'])).toEqual([{ id: expect.any(Number), status: 'delivered', attempts: 1 }]);
  });
});
