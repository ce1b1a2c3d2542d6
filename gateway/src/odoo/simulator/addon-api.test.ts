import { describe, expect, it } from 'vitest';
import { EventEnvelope } from '../../../../contracts/src/events.js';
import type { RpcArgs } from '../../../../contracts/src/odoo-rpc.js';
import { createOdooClient } from '../client.js';
import { OdooAccessError, OdooValidationError } from '../errors.js';
import { useSimulatorClient } from '../../../../test/support/simulator-client.js';

type OrderItem = RpcArgs<'submit_orders'>['orders'][number]['item'];

const address = { name: 'Jane Doe', street: '1 Main St', city: 'Austin', zip: '78701', country_code: 'US' };
const order = (externalId: string, extra: Partial<OrderItem> = {}): OrderItem => ({
  external_id: externalId,
  channel: 'web',
  placed_at: '2026-01-05T10:00:00Z',
  currency: 'USD',
  taxes_included: false,
  customer: {
    external_id: 'cust-1',
    email: 'Jane@Example.com',
    name: 'Jane Doe',
    consents: [{ channel: 'email', status: 'opted_in', at: '2026-01-05T10:00:00Z', source: 'checkout' }],
  },
  billing_address: address,
  shipping_address: address,
  lines: [{ sku: 'FURN_7800', quantity: 2, unit_price: '440.00' }],
  shipping: { method: 'standard', price: '5.00' },
  payment: { method: 'card', status: 'paid' },
  ...extra,
});

const ctx = useSimulatorClient();

const submit = (...items: OrderItem[]) => ctx.odoo.rpc('submit_orders', { partner: 'demo', orders: items.map((item, i) => ({ intake_id: `in-${item.external_id}-${i}`, item })) });
const availability = async (sku: string, warehouse = 'WH') => (await ctx.odoo.rpc('availability', { skus: [sku], warehouses: [warehouse] })).items[0]!;

describe('submit_orders', () => {
  it('creates and confirms an order, reserving stock and writing its events', async () => {
    const before = await availability('FURN_7800');
    const { results } = await submit(order('A-1'));
    expect(results).toEqual([
      { intake_id: 'in-A-1-0', external_id: 'A-1', status: 'created', record: { id: expect.any(Number), name: expect.stringMatching(/^S\d{5}$/) }, related: { picking: { id: expect.any(Number), name: expect.stringMatching(/^WH\/OUT\//) } }, reasons: [] },
    ]);
    const [so] = ctx.sim.state.searchRead('sale.order', [['id', '=', results[0]!.record!.id]], ['state', 'amount_total', 'rg_external_id', 'rg_partner_id', 'partner_shipping_id']);
    expect(so).toMatchObject({ state: 'sale', amount_total: 885, rg_external_id: 'A-1', rg_partner_id: [expect.any(Number), 'Demo Partner'] });
    const after = await availability('FURN_7800');
    expect(after.reserved - before.reserved).toBe(2);
    expect(after.available).toBe(before.available - 2);
    const created = ctx.sim.state.outbox({ type: 'order.created' }).at(-1)!.envelope;
    expect(EventEnvelope.safeParse(created).success).toBe(true);
    expect(created.subject).toBe(`sale.order/${results[0]!.record!.id}`);
    expect(created.data).toMatchObject({ partner: 'demo', external_id: 'A-1', channel: 'web', currency: 'USD', amount_untaxed: '885.00', amount_total: '885.00' });
  });

  it('answers duplicate with the first record on the same partner and external id', async () => {
    const first = (await submit(order('A-2'))).results[0]!;
    const again = (await submit(order('A-2', { lines: [{ sku: 'E-COM07', quantity: 1, unit_price: '1' }] }))).results[0]!;
    expect(again).toMatchObject({ status: 'duplicate', record: first.record, reasons: [] });
    expect(ctx.sim.state.searchRead('sale.order', [['rg_external_id', '=', 'A-2']])).toHaveLength(1);
  });

  it('rejects an item with every reason, and never fails the batch for it', async () => {
    const { results } = await submit(
      order('B-1', {
        currency: 'JPY',
        warehouse: 'NOPE',
        lines: [
          { sku: 'UNKNOWN-SKU', quantity: 1, unit_price: '1' },
          { sku: 'FURN_8900', quantity: 1, unit_price: '1' },
        ],
        shipping: { method: 'teleport', price: '0' },
        shipping_address: { ...address, country_code: 'XX' },
      }),
      order('B-2'),
    );
    expect(results[0]).toMatchObject({ status: 'rejected', record: null });
    expect(results[0]!.reasons.map((r) => [r.code, r.field])).toEqual([
      ['unknown_currency', 'currency'],
      ['unknown_warehouse', 'warehouse'],
      ['unknown_sku', 'lines/0/sku'],
      ['inactive_product', 'lines/1/sku'],
      ['unknown_carrier', 'shipping/method'],
      ['invalid_address', 'shipping_address/country_code'],
    ]);
    expect(results[1]!.status).toBe('created');
    // A rejected external id is not reserved: the corrected order goes through.
    expect((await submit(order('B-1'))).results[0]!.status).toBe('created');
  });

  it('matches the customer by external id or e-mail and keeps its consents', async () => {
    const ids = new Set<number>();
    for (const ext of ['C-1', 'C-2']) {
      const { results } = await submit(order(ext, { customer: { email: 'jane@example.com', name: 'J. Doe', consents: [] } }));
      ids.add((ctx.sim.state.searchRead('sale.order', [['id', '=', results[0]!.record!.id]], ['partner_id'])[0]!.partner_id as [number, string])[0]);
    }
    expect(ids.size).toBe(1);
    const customerId = [...ids][0]!;
    const consents = ctx.sim.state.searchRead('retail_gateway.consent', [['customer_id', '=', customerId]], ['channel', 'status', 'source']);
    expect(consents).toEqual([{ id: expect.any(Number), channel: 'email', status: 'opted_in', source: 'checkout' }]);
    const links = ctx.sim.state.searchRead('retail_gateway.customer.link', [['customer_id', '=', customerId]], ['external_id']);
    expect(links).toEqual([{ id: expect.any(Number), external_id: 'cust-1' }]);
  });

  it('answers every item as not allowed for a partner in shadow mode', async () => {
    ctx.sim.state.addPartner({ code: 'shadowy', mode: 'shadow' });
    const { results } = await ctx.odoo.rpc('submit_orders', { partner: 'shadowy', orders: [{ intake_id: 'x', item: order('S-1') }] });
    expect(results[0]).toMatchObject({ status: 'rejected', reasons: [{ code: 'not_allowed' }] });
  });

  it('refuses an unknown partner and arguments that break the contract', async () => {
    await expect(ctx.odoo.call('retail_gateway.api', 'submit_orders', { kwargs: { partner: 'nobody', orders: [{ intake_id: 'x', item: order('Z') }] } })).rejects.toThrow(/Unknown or inactive partner nobody/);
    await expect(ctx.odoo.call('retail_gateway.api', 'submit_orders', { kwargs: { partner: 'demo', orders: [] } })).rejects.toBeInstanceOf(OdooValidationError);
  });

  it('is reserved to the service user and Integration Managers', async () => {
    ctx.sim.state.transaction((env) => env.write('res.users', [ctx.sim.state.users.demo.uid], { api_keys: ['demo-user-key'] }));
    const demoUser = createOdooClient({ url: ctx.sim.url, db: ctx.sim.db, user: 'demo', apiKey: 'demo-user-key' });
    await expect(demoUser.rpc('availability', {})).rejects.toBeInstanceOf(OdooAccessError);
    await demoUser.close();
  });
});

describe('fulfilment', () => {
  it('confirms a partial shipment, leaving a backorder, and is idempotent on the shipment id', async () => {
    const created = (await submit(order('F-1', { lines: [{ sku: 'E-COM07', quantity: 5, unit_price: '300.00' }] }))).results[0]!;
    const item = { external_id: 'SHIP-1', order_external_id: 'F-1', carrier: 'DHL', tracking_number: 'JD0001', lines: [{ sku: 'E-COM07', quantity: 3 }], shipped_at: '2026-01-06T08:00:00Z' };
    const { results } = await ctx.odoo.rpc('confirm_shipments', { partner: 'demo', items: [{ intake_id: 's1', item }] });
    expect(results[0]).toMatchObject({ status: 'confirmed', record: created.related!.picking, related: { backorder: { id: expect.any(Number) } } });
    const shipped = ctx.sim.state.outbox({ type: 'shipment.shipped' }).at(-1)!.envelope;
    expect(shipped.subject).toBe(`sale.order/${created.record!.id}`);
    // The order's carrier wins over the name the 3PL reported, as in the addon.
    expect(shipped.data).toMatchObject({ order_external_id: 'F-1', carrier: 'Standard delivery', tracking_number: 'JD0001', lines: [{ sku: 'E-COM07', quantity: 3 }], shipped_at: '2026-01-06T08:00:00.000Z' });
    const again = await ctx.odoo.rpc('confirm_shipments', { partner: 'demo', items: [{ intake_id: 's1b', item }] });
    expect(again.results[0]).toMatchObject({ status: 'duplicate', record: results[0]!.record, related: results[0]!.related });
    const tooMuch = await ctx.odoo.rpc('confirm_shipments', { partner: 'demo', items: [{ intake_id: 's2', item: { ...item, external_id: 'SHIP-2', lines: [{ sku: 'E-COM07', quantity: 3 }] } }] });
    expect(tooMuch.results[0]).toMatchObject({ status: 'rejected', reasons: [{ code: 'invalid_quantity', field: 'lines/0/quantity' }] });
    const rest = await ctx.odoo.rpc('confirm_shipments', { partner: 'demo', items: [{ intake_id: 's3', item: { ...item, external_id: 'SHIP-3', lines: [{ sku: 'E-COM07', quantity: 2 }] } }] });
    expect(rest.results[0]).toMatchObject({ status: 'confirmed', record: results[0]!.related!.backorder, related: { backorder: null } });
  });

  it('accepts a return of what was delivered and refuses more', async () => {
    const submitted = (await submit(order('R-1', { lines: [{ sku: 'E-COM08', quantity: 2, unit_price: '15.80' }] }))).results[0]!;
    const notShipped = await ctx.odoo.rpc('submit_returns', { partner: 'demo', returns: [{ intake_id: 'r0', item: { external_id: 'RET-0', order_external_id: 'R-1', lines: [{ sku: 'E-COM08', quantity: 1 }], requested_at: '2026-01-07T00:00:00Z' } }] });
    expect(notShipped.results[0]).toMatchObject({ status: 'rejected', reasons: [{ code: 'unknown_sku' }] });
    await ctx.odoo.rpc('confirm_shipments', { partner: 'demo', items: [{ intake_id: 'rs', item: { external_id: 'RS-1', order_external_id: 'R-1', carrier: 'UPS', tracking_number: '1Z', lines: [{ sku: 'E-COM08', quantity: 2 }], shipped_at: '2026-01-06T00:00:00Z' } }] });
    const ret = { external_id: 'RET-1', order_external_id: 'R-1', lines: [{ sku: 'E-COM08', quantity: 1 }], requested_at: '2026-01-07T00:00:00Z' };
    const ok = await ctx.odoo.rpc('submit_returns', { partner: 'demo', returns: [{ intake_id: 'r1', item: ret }] });
    expect(ok.results[0]).toMatchObject({ status: 'created', record: { name: expect.stringMatching(/^WH\/IN\//) } });
    const more = await ctx.odoo.rpc('submit_returns', { partner: 'demo', returns: [{ intake_id: 'r2', item: { ...ret, external_id: 'RET-2', lines: [{ sku: 'E-COM08', quantity: 2 }] } }] });
    expect(more.results[0]).toMatchObject({ status: 'rejected', reasons: [{ code: 'invalid_quantity' }] });
    ctx.sim.state.validatePicking(ok.results[0]!.record!.id);
    const received = ctx.sim.state.outbox({ type: 'return.received' }).at(-1)!.envelope;
    expect(received.data).toMatchObject({ return_external_id: 'RET-1', order_external_id: 'R-1', lines: [{ sku: 'E-COM08', quantity: 1 }] });
    // As in the addon, a return of an order is an event of the order (and takes its next sequence).
    expect(received.subject).toBe(`sale.order/${submitted.record!.id}`);
    const orderTypes = ctx.sim.state.outbox().map((e) => e.envelope).filter((e) => e.subject === received.subject).map((e) => [e.type, e.sequence]);
    expect(orderTypes).toEqual([['order.created', 1], ['shipment.shipped', 2], ['return.received', 3]]);
  });

  it('cancels an order not yet shipped, and refuses one that shipped', async () => {
    const before = await availability('FURN_0269');
    await submit(order('X-1', { lines: [{ sku: 'FURN_0269', quantity: 1, unit_price: '120.50' }] }));
    const { results } = await ctx.odoo.rpc('cancel_orders', { partner: 'demo', refs: [{ intake_id: 'c1', item: { external_id: 'X-1' } }, { intake_id: 'c2', item: { external_id: 'F-1' } }, { intake_id: 'c3', item: { external_id: 'NOPE' } }] });
    expect(results.map((r) => [r.status, r.reasons[0]?.code])).toEqual([
      ['cancelled', undefined],
      ['rejected', 'order_not_cancellable'],
      ['rejected', 'order_not_found'],
    ]);
    expect((await availability('FURN_0269')).reserved).toBe(before.reserved);
    expect(ctx.sim.state.outbox({ type: 'order.cancelled' }).at(-1)!.envelope.data).toMatchObject({ external_id: 'X-1' });
    const again = await ctx.odoo.rpc('cancel_orders', { partner: 'demo', refs: [{ intake_id: 'c4', item: { external_id: 'X-1' } }] });
    expect(again.results[0]!.status).toBe('duplicate');
  });

  it('turns a stock count into the on-hand quantity', async () => {
    const item = { external_id: 'COUNT-1', warehouse: 'EU', counted_at: '2026-01-08T00:00:00Z', lines: [{ sku: 'FURN_8855', quantity: 7 }] };
    const { results } = await ctx.odoo.rpc('apply_stock_counts', { partner: 'demo', items: [{ intake_id: 'k1', item }, { intake_id: 'k2', item: { ...item, external_id: 'COUNT-2', warehouse: 'MARS' } }] });
    expect(results.map((r) => r.status)).toEqual(['applied', 'rejected']);
    expect(results[0]!.record).toEqual({ id: expect.any(Number), name: `retail_gateway.intake,${results[0]!.record!.id}` });
    expect(results[1]!.reasons[0]!.code).toBe('unknown_warehouse');
    expect((await availability('FURN_8855', 'EU')).on_hand).toBe(7);
    const dup = await ctx.odoo.rpc('apply_stock_counts', { partner: 'demo', items: [{ intake_id: 'k3', item }] });
    expect(dup.results[0]).toMatchObject({ status: 'duplicate', record: results[0]!.record });
  });

  it('registers payments once per transaction and tracks the payment status', async () => {
    await submit(order('P-1'));
    const paid = { external_id: 'P-1', kind: 'paid' as const, amount: '885.00', currency: 'USD', provider: 'stripe', transaction_id: 'pi_1', at: '2026-01-05T10:01:00Z' };
    const r1 = await ctx.odoo.rpc('register_payments', { partner: 'demo', items: [{ intake_id: 'p1', item: paid }] });
    expect(r1.results[0]).toMatchObject({ status: 'registered', record: { name: expect.stringMatching(/^S/) } });
    expect((await ctx.odoo.rpc('register_payments', { partner: 'demo', items: [{ intake_id: 'p2', item: paid }] })).results[0]!.status).toBe('duplicate');
    await ctx.odoo.rpc('register_payments', { partner: 'demo', items: [{ intake_id: 'p3', item: { ...paid, kind: 'refunded', amount: '100.00', transaction_id: 're_1' } }] });
    expect(ctx.sim.state.searchRead('sale.order', [['rg_external_id', '=', 'P-1']], ['rg_payment_status'])[0]!.rg_payment_status).toBe('partially_refunded');
    const wrongCurrency = await ctx.odoo.rpc('register_payments', { partner: 'demo', items: [{ intake_id: 'p4', item: { ...paid, currency: 'EUR', transaction_id: 'pi_2' } }] });
    expect(wrongCurrency.results[0]!.reasons[0]!.code).toBe('unknown_currency');
  });

  it('updates the delivery address of an open order', async () => {
    await submit(order('U-1'));
    const { results } = await ctx.odoo.rpc('update_orders', { partner: 'demo', items: [{ intake_id: 'u1', item: { external_id: 'U-1', shipping_address: { ...address, street: '9 Other St' }, payment_status: 'authorized' } }] });
    expect(results[0]!.status).toBe('updated');
    const [so] = ctx.sim.state.searchRead('sale.order', [['rg_external_id', '=', 'U-1']], ['partner_shipping_id', 'rg_payment_status']);
    expect(so!.rg_payment_status).toBe('authorized');
    const shipping = ctx.sim.state.searchRead('res.partner', [['id', '=', (so!.partner_shipping_id as [number, string])[0]]], ['street', 'type']);
    expect(shipping[0]).toMatchObject({ street: '9 Other St', type: 'delivery' });
  });
});

describe('availability', () => {
  it('follows the contract definition and pages', async () => {
    ctx.sim.state.setStock('FURN_7800', 'EU', 3);
    const eu = await availability('FURN_7800', 'EU');
    expect(eu).toMatchObject({ on_hand: 3, reserved: 0, safety_stock: 5, available: 0 });
    const page1 = await ctx.odoo.rpc('availability', { limit: 3 });
    const page2 = await ctx.odoo.rpc('availability', { limit: 3, offset: 3 });
    expect(page1.has_more).toBe(true);
    expect(page1.items.map((i) => `${i.sku}@${i.warehouse}`)).toEqual(['E-COM07@EU', 'E-COM07@WH', 'E-COM08@EU']);
    expect(page2.items[0]!.sku).toBe('E-COM08');
  });
});

describe('partner registry', () => {
  it('authenticates clients and keeps the previous secret during the grace period', async () => {
    expect(await ctx.odoo.rpc('authenticate_client', { client_id: 'demo', client_secret: 'demo-secret' })).toMatchObject({ ok: true, partner: 'demo', valid_until: null });
    ctx.sim.state.addPartner({ code: 'rotator', scopes: ['orders:read'] });
    const rotated = await ctx.odoo.rpc('rotate_client_secret', { partner: 'rotator', grace_seconds: 60 });
    expect(rotated.previous_valid_until).not.toBeNull();
    expect(await ctx.odoo.rpc('authenticate_client', { client_id: 'rotator', client_secret: rotated.client_secret })).toMatchObject({ ok: true, scopes: ['orders:read'], valid_until: null });
    expect(await ctx.odoo.rpc('authenticate_client', { client_id: 'rotator', client_secret: 'rotator-secret' })).toMatchObject({ ok: true, valid_until: rotated.previous_valid_until });
    ctx.sim.state.advanceClock(61_000);
    expect(await ctx.odoo.rpc('authenticate_client', { client_id: 'rotator', client_secret: 'rotator-secret' })).toEqual({ ok: false });
    expect(await ctx.odoo.rpc('authenticate_client', { client_id: 'rotator', client_secret: rotated.client_secret })).toMatchObject({ ok: true });
    ctx.sim.state.setPartnerActive('rotator', false);
    expect(await ctx.odoo.rpc('authenticate_client', { client_id: 'rotator', client_secret: rotated.client_secret })).toEqual({ ok: false });
  });

  it('manages subscriptions with their own rotating signing secrets, visible only to their partner', async () => {
    ctx.sim.state.addPartner({ code: 'subber', inboundSecrets: { shopify: 'shpss_one' } });
    const { subscription, secret } = await ctx.odoo.rpc('create_subscription', { partner: 'subber', url: 'https://hooks.example.com/rg', event_types: ['order.created'] });
    expect(secret).toMatch(/^whsec_/);
    expect(await ctx.odoo.rpc('update_subscription', { partner: 'demo', id: subscription.id, active: false })).toEqual({ subscription: null });
    const rot = await ctx.odoo.rpc('rotate_subscription_secret', { partner: 'subber', id: subscription.id, grace_seconds: 300 });
    await ctx.odoo.rpc('rotate_inbound_secret', { partner: 'subber', provider: 'shopify', secret: 'shpss_two', grace_seconds: 300 });
    const [record] = (await ctx.odoo.rpc('partners', { codes: ['subber'] })).partners;
    expect(record!.subscriptions[0]!.secrets.map((s) => s.secret)).toEqual([rot.secret, secret]);
    expect(record!.inbound_secrets.shopify.map((s) => s.secret)).toEqual(['shpss_two', 'shpss_one']);
    const disabled = await ctx.odoo.rpc('update_subscription', { partner: 'subber', id: subscription.id, disabled: true, consecutive_failures: 12 });
    expect(disabled.subscription).toMatchObject({ consecutive_failures: 12, disabled_at: expect.any(String) });
    expect((await ctx.odoo.rpc('delete_subscription', { partner: 'subber', id: subscription.id })).deleted).toBe(true);
    expect((await ctx.odoo.rpc('delete_subscription', { partner: 'subber', id: subscription.id })).deleted).toBe(false);
  });
});
