/**
 * The fake keeps the addon's contract as the addon documents it: what tests elsewhere rely on
 * (idempotent batches, per-item refusals, outbox ordering and leases, recipients) is pinned here,
 * through the gateway's own client.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../contracts/src/order.js';
import { createOdooClient, type OdooClient } from '../../gateway/src/odoo/client.js';
import { OdooAccessError, OdooValidationError } from '../../gateway/src/odoo/errors.js';
import { startOdooFake, type OdooFake } from './index.js';

const example = JSON.parse(readFileSync(new URL('../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Order;
const order = (externalId: string, changes: Partial<Order> = {}): Order => ({ ...example, external_id: externalId, ...changes });

let fake: OdooFake;
let odoo: OdooClient;
let n = 0;
const submit = (partner: string, ...orders: Order[]) => odoo.rpc('submit_orders', { partner, orders: orders.map((item) => ({ intake_id: `i-${++n}`, item })) });

beforeAll(async () => {
  fake = await startOdooFake();
  odoo = createOdooClient({ url: fake.url, db: fake.db, user: fake.login, apiKey: fake.apiKey, retry: { attempts: 1 } });
  fake.state.addPartner({ code: 'acme', warehouses: ['WH'] });
  fake.state.addPartner({ code: 'globex' });
  fake.state.addPartner({ code: 'ops', scopes: ['admin'] });
  for (const partner of ['acme', 'globex', 'ops']) {
    await odoo.rpc('create_subscription', { partner, url: `https://${partner}.example/hook`, event_types: ['order.created', 'inventory.changed', 'shipment.shipped', 'product.updated'] });
  }
});
afterAll(async () => {
  await odoo.close();
  await fake.close();
});

describe('intake batches', () => {
  it('creates a confirmed order with its delivery, and answers a repeat with the same record', async () => {
    const [created] = (await submit('acme', order('F-1'))).results;
    expect(created).toMatchObject({ status: 'created', external_id: 'F-1', record: { name: expect.stringMatching(/^S\d+/) }, related: { picking: { name: expect.stringMatching(/^WH\/OUT\//) } } });
    const [again] = (await submit('acme', order('F-1'))).results;
    expect(again).toMatchObject({ status: 'duplicate', record: created!.record });
    expect(fake.state.saleOrders({ externalId: 'F-1' })).toHaveLength(1);
    // The same external id from another partner is another order.
    expect((await submit('globex', order('F-1'))).results[0]?.status).toBe('created');
  });

  it('refuses an item alone, with reasons and fields, and writes nothing for it', async () => {
    const bad = order('F-2', { lines: [{ sku: 'NO-SUCH', quantity: 1, unit_price: '1.00', discount_percent: '0' }], currency: 'CAD', warehouse: 'EU' });
    const { results } = await submit('acme', bad, order('F-3'));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'created']);
    expect(results[0]!.reasons.map((r) => [r.code, r.field])).toEqual([
      ['unknown_currency', 'currency'],
      ['not_allowed', 'warehouse'],
      ['unknown_sku', 'lines/0/sku'],
    ]);
    expect(fake.state.saleOrders({ externalId: 'F-2' })).toEqual([]);
  });

  it('answers retry for the items told to, rolled back alone, and the rest of the batch runs', async () => {
    fake.faults.retryItems(1, { method: 'submit_orders' });
    const { results } = await submit('acme', order('F-4'), order('F-5'));
    expect(results.map((r) => [r.external_id, r.status, r.reasons])).toEqual([
      ['F-4', 'retry', []],
      ['F-5', 'created', []],
    ]);
    expect(fake.state.saleOrders({ externalId: 'F-4' })).toEqual([]);
    expect((await submit('acme', order('F-4'))).results[0]?.status).toBe('created');
  });

  it('fails the whole call for an unknown partner, as a UserError', async () => {
    await expect(submit('nobody-here', order('F-6'))).rejects.toMatchObject({ constructor: OdooValidationError, odooName: 'odoo.exceptions.UserError' });
  });

  it('ships part of an order (a backorder), tells status and shipments, and refuses a cancellation after', async () => {
    const sku = example.lines[0]!.sku;
    const quantity = example.lines[0]!.quantity;
    await submit('acme', order('F-7'));
    const confirmation = { external_id: 'SHIP-7', order_external_id: 'F-7', carrier: 'express', tracking_number: 'TRK7', shipped_at: '2026-01-06T10:00:00Z', lines: [{ sku, quantity: 1 }] };
    const [shipped] = (await odoo.rpc('confirm_shipments', { partner: 'acme', items: [{ intake_id: 's-7', item: confirmation }] })).results;
    expect(shipped).toMatchObject({ status: 'confirmed', related: { backorder: quantity > 1 ? { name: expect.any(String) } : null } });
    const { orders } = await odoo.rpc('order_status', { partner: 'acme', external_ids: ['F-7', 'NOT-THERE'] });
    expect(orders).toEqual([expect.objectContaining({ external_id: 'F-7', state: 'confirmed', fulfilment: quantity > 1 ? 'partially_shipped' : 'shipped', invoicing: 'to_invoice' })]);
    const { found, shipments } = await odoo.rpc('order_shipments', { partner: 'acme', external_id: 'F-7' });
    expect(found).toBe(true);
    expect(shipments[0]).toMatchObject({ state: 'shipped', carrier: 'Express delivery', tracking_number: 'TRK7', lines: [{ sku, shipped: 1 }] });
    expect((await odoo.rpc('order_shipments', { partner: 'globex', external_id: 'F-7' })).found).toBe(false);
    const [cancel] = (await odoo.rpc('cancel_orders', { partner: 'acme', refs: [{ intake_id: 'c-7', item: { external_id: 'F-7' } }] })).results;
    expect(cancel?.reasons[0]?.code).toBe('order_not_cancellable');
  });

  it("keeps the 3PL's carrier and ship time over the carrier planned on the order, as the addon does", async () => {
    const sku = example.lines[0]!.sku;
    await submit('acme', order('F-8')); // the example plans the "standard" shipping method
    const planned = await odoo.rpc('order_shipments', { partner: 'acme', external_id: 'F-8' });
    expect(planned.shipments[0]).toMatchObject({ state: 'ready', carrier: 'Standard delivery', shipped_at: null });
    const confirmation = { external_id: 'SHIP-8', order_external_id: 'F-8', carrier: 'bpost', tracking_number: 'TRK8', shipped_at: '2026-11-28T16:40:00+01:00', lines: [{ sku, quantity: 1 }] };
    const [shipped] = (await odoo.rpc('confirm_shipments', { partner: 'acme', items: [{ intake_id: 's-8', item: confirmation }] })).results;
    expect(shipped?.status).toBe('confirmed');
    const { shipments } = await odoo.rpc('order_shipments', { partner: 'acme', external_id: 'F-8' });
    expect(shipments[0]).toMatchObject({ state: 'shipped', carrier: 'bpost', shipped_at: '2026-11-28T15:40:00.000Z' });
    // What is left to ship (the example orders more than one of it) keeps the planned carrier.
    expect(shipments[1]).toMatchObject({ state: 'ready', carrier: 'Standard delivery', tracking_number: null, shipped_at: null });
  });
});

describe('outbox', () => {
  it('names the recipients as the addon does: the owner of tenant data, every subscriber allowed on the warehouse for stock', async () => {
    await submit('globex', order('R-1'));
    const created = fake.state.outbox({ type: 'order.created' }).find((e) => (e.envelope.data as { external_id: string }).external_id === 'R-1')!;
    expect(created.recipients).toEqual(['globex']);
    fake.state.setStock('FURN_8888', 'EU', 5);
    expect(fake.state.outbox({ type: 'inventory.changed' }).at(-1)!.recipients).toEqual(['globex', 'ops']); // acme is on WH only
    fake.state.setStock('FURN_8888', 'WH', 5);
    expect(fake.state.outbox({ type: 'inventory.changed' }).at(-1)!.recipients).toEqual(['acme', 'globex', 'ops']);
    const orderOfOdoo = fake.state.saleOrders({ externalId: 'R-1' })[0]!;
    fake.state.shipOrder(orderOfOdoo.id);
    expect(fake.state.outbox({ type: 'shipment.shipped' }).at(-1)!.recipients).toEqual(['globex']);
  });

  it("leases oldest first, never an aggregate's next event while an earlier one is out, and takes back expired leases", async () => {
    await odoo.rpc('claim', { limit: 1000, lease_seconds: 60, consumer: 'drain' }).then(({ events }) => (events.length ? odoo.rpc('ack', { event_ids: events.map((e) => e.event_id), consumer: 'drain' }) : null));
    const sku = 'E-COM11';
    fake.state.updateProduct(sku, { listPrice: 141 });
    const first = await odoo.rpc('claim', { limit: 10, lease_seconds: 30, consumer: 'a' });
    expect(first.events.map((e) => e.envelope.type)).toEqual(['product.updated']);
    fake.state.updateProduct(sku, { listPrice: 142 });
    expect((await odoo.rpc('claim', { limit: 10, lease_seconds: 30, consumer: 'b' })).events).toEqual([]);
    fake.state.advanceClock(31_000);
    const again = await odoo.rpc('claim', { limit: 10, lease_seconds: 30, consumer: 'b' });
    expect(again.events.map((e) => e.envelope.sequence)).toEqual([first.events[0]!.envelope.sequence, first.events[0]!.envelope.sequence + 1]);
    expect(await odoo.rpc('ack', { event_ids: [first.events[0]!.event_id], consumer: 'a' })).toEqual({ acked: [], not_leased: [first.events[0]!.event_id] });
    expect((await odoo.rpc('ack', { event_ids: again.events.map((e) => e.event_id), consumer: 'b' })).acked).toHaveLength(2);
    const tail = await odoo.rpc('changes_since', { cursor: again.events[0]!.cursor - 1, limit: 1000, types: ['product.updated'] });
    expect(tail.events.map((e) => e.envelope.id)).toEqual(again.events.map((e) => e.envelope.id));
  });

  it('coalesces the changes of one record in one transaction into one event', async () => {
    const before = fake.state.outbox({ type: 'inventory.changed' }).length;
    const count = { external_id: 'CNT-9', warehouse: 'WH', counted_at: '2026-01-05T10:00:00Z', lines: [{ sku: 'FURN_0001', quantity: 3 }, { sku: 'FURN_0001', quantity: 4 }] };
    await odoo.rpc('apply_stock_counts', { partner: 'acme', items: [{ intake_id: 'k-9', item: count }] });
    const added = fake.state.outbox({ type: 'inventory.changed' }).slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]!.envelope.data).toMatchObject({ sku: 'FURN_0001', warehouse: 'WH', on_hand: 4 });
  });
});

describe('reads and callers', () => {
  it('takes a SKU as the internal reference only, never a barcode', async () => {
    const byBarcode = order('B-1', { lines: [{ sku: '2300001000008', quantity: 1, unit_price: '5.10', discount_percent: '0' }] });
    const [rejected] = (await submit('globex', byBarcode)).results;
    expect(rejected?.reasons).toEqual([{ code: 'unknown_sku', message: 'Unknown SKU 2300001000008.', field: 'lines/0/sku' }]);
    expect((await odoo.rpc('catalog_page', { skus: ['2300001000008'] })).items).toEqual([]);
  });

  it('offers only variants with a SKU, with prices formatted by the addon', async () => {
    const first = await odoo.rpc('catalog_page', { limit: 1000 });
    expect(first.next_cursor).toBeNull();
    expect(first.items.every((i) => /^\d+\.\d{2}$/.test(i.variant.list_price) && i.variant.sku.length > 0)).toBe(true);
    expect(first.items.some((i) => i.variant.name.startsWith('Virtual Interior Design'))).toBe(false);
    const page = await odoo.rpc('catalog_page', { limit: 2 });
    const next = await odoo.rpc('catalog_page', { after: page.next_cursor!, limit: 2 });
    expect(next.items[0]!.cursor).toBeGreaterThan(page.items[1]!.cursor);
  });

  it('tells who calls, and keeps the addon to its service user and managers', async () => {
    expect(await odoo.rpc('whoami', {})).toEqual({ name: 'Mitchell Admin', integration_manager: true });
    const demo = createOdooClient({ url: fake.url, db: fake.db, user: 'demo', password: 'demo', transport: 'jsonrpc', retry: { attempts: 1 } });
    try {
      expect(await demo.rpc('whoami', {})).toEqual({ name: 'Marc Demo', integration_manager: false });
      await expect(demo.rpc('partners', {})).rejects.toBeInstanceOf(OdooAccessError);
    } finally {
      await demo.close();
    }
  });

  it('creates a partner with the oversell policy asked for, accept when none is given', async () => {
    const strict = await odoo.rpc('create_partner', { code: 'os-strict', scopes: ['orders:write'], oversell_policy: 'backorder' });
    expect(strict.partner.oversell_policy).toBe('backorder');
    expect(fake.state.partners.get('os-strict')?.oversellPolicy).toBe('backorder');
    const plain = await odoo.rpc('create_partner', { code: 'os-plain', scopes: ['orders:write'] });
    expect(plain.partner.oversell_policy).toBe('accept');
  });

  it('lists the records holding a customer', async () => {
    await submit('acme', order('C-1', { customer: { ...example.customer, email: 'someone.new@example.com', external_id: 'cust-77' } }));
    const byEmail = await odoo.rpc('customer_records', { identifier: 'SOMEONE.new@example.com' });
    expect(byEmail.records.map((r) => r.kind)).toEqual(['customer', 'order']);
    expect((await odoo.rpc('customer_records', { identifier: 'cust-77' })).records).toEqual(byEmail.records);
  });
});
