import { describe, expect, it } from 'vitest';
import { fixture, opensslHmacBase64 } from '../../../../test/webhooks/support.js';
import { shopify, shopifyBodyProvesTopic } from './shopify.js';
import type { MapContext } from './types.js';

const SECRET = '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';
const NOW = Date.parse('2026-11-27T12:00:00Z');

const headers = (body: string, extra: Record<string, string> = {}) =>
  new Headers({
    'x-shopify-hmac-sha256': opensslHmacBase64(SECRET, body),
    'x-shopify-topic': 'orders/create',
    'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    'x-shopify-triggered-at': new Date(NOW - 5_000).toISOString(),
    ...extra,
  });

const ctx = (topic: string, body: string): MapContext => ({
  topic,
  rawBody: Buffer.from(body),
  headers: new Headers(),
  orderForPaymentRef: async () => null,
});

const verify = (body: string, h: Headers, secrets = [SECRET], now = NOW) =>
  shopify.verify({ headers: h, rawBody: Buffer.from(body) }, { secrets, now, toleranceSeconds: 48 * 3600 });

describe('shopify verification', () => {
  const body = fixture('shopify/orders-create.json');

  it('accepts the signature openssl computes over the raw body', () => {
    expect(verify(body, headers(body))).toEqual({ ok: true, deliveryId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043', topic: 'orders/create' });
  });

  it('accepts with either secret of a rotation', () => {
    expect(verify(body, headers(body), ['shpss_new_secret_value', SECRET]).ok).toBe(true);
  });

  it('refuses a body changed by one byte, a wrong secret and a malformed header', () => {
    expect(verify(body.replace('89.99', '89.98'), headers(body))).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verify(body, headers(body), ['shpss_other'])).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verify(body, headers(body, { 'x-shopify-hmac-sha256': 'not base64!' }))).toEqual({ ok: false, reason: 'malformed_signature' });
    const h = headers(body);
    h.delete('x-shopify-hmac-sha256');
    expect(verify(body, h)).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('refuses a delivery triggered outside the replay window', () => {
    const old = headers(body, { 'x-shopify-triggered-at': new Date(NOW - 49 * 3600_000).toISOString() });
    expect(verify(body, old)).toEqual({ ok: false, reason: 'timestamp_outside_window' });
  });

  it('signs the bytes, not the JSON: re-serialised JSON does not verify', () => {
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(verify(reserialised, headers(body)).ok).toBe(false);
  });
});

describe('shopify mapping of the documented payloads', () => {
  it('maps orders/create to the canonical Order, keeping the 18-digit id exactly', async () => {
    const result = await shopify.map(ctx('orders/create', fixture('shopify/orders-create.json')));
    expect(result.outcome).toBe('mapped');
    if (result.outcome !== 'mapped') return;
    expect(result.items).toHaveLength(1);
    const [item] = result.items;
    expect(item!.kind).toBe('order');
    expect(item!.externalId).toBe('820982911946154508');
    expect(item!.payload).toMatchObject({
      external_id: '820982911946154508',
      channel: 'shopify',
      placed_at: '2021-12-31T19:00:00-05:00',
      currency: 'USD',
      taxes_included: false,
      customer: { external_id: '115310627314723954', email: 'jon@example.com', name: 'John Smith' },
      billing_address: { name: 'Steve Shipper', company: 'Shipping Company', street: '123 Shipping Street', city: 'Shippington', zip: '40003', state_code: 'KY', country_code: 'US', phone: '555-555-SHIP' },
      lines: [
        { sku: 'SKU2006-001', quantity: 1, unit_price: '89.99', discount_percent: '0', name: 'Aviator sunglasses' },
        { sku: 'SKU2006-020', quantity: 1, unit_price: '159.99', discount_percent: '0', name: 'Mid-century lounger' },
      ],
      shipping: { method: 'Generic Shipping', price: '10.00' },
      payment: { method: 'visa', status: 'paid', provider: 'shopify', amount: '404.95' },
    });
  });

  it('maps a line discount to a percentage', async () => {
    const body = fixture('shopify/orders-create.json')
      .replace('"price": "89.99",', '"price": "90.00",')
      .replace('"discount_allocations": []', '"discount_allocations": [{ "amount": "9.00", "discount_application_index": 0 }]');
    const result = await shopify.map(ctx('orders/create', body));
    expect(result.outcome === 'mapped' && (result.items[0]!.payload as { lines: Array<{ discount_percent: string }> }).lines[0]!.discount_percent).toBe('10');
  });

  it('maps orders/cancelled to a cancellation with the reason', async () => {
    const result = await shopify.map(ctx('orders/cancelled', fixture('shopify/orders-cancelled.json')));
    expect(result).toEqual({
      outcome: 'mapped',
      items: [{ kind: 'cancel', externalId: '820982911946154508', payload: { external_id: '820982911946154508', reason: 'customer' } }],
      version: { externalId: '820982911946154508', at: Date.parse('2021-12-31T19:00:00-05:00'), rule: 'record' },
    });
  });

  it('maps refunds/create to a refund payment and a return for the restocked line only', async () => {
    const result = await shopify.map(ctx('refunds/create', fixture('shopify/refunds-create.json')));
    expect(result.outcome).toBe('mapped');
    if (result.outcome !== 'mapped') return;
    expect(result.items.map((i) => i.kind)).toEqual(['payment', 'return']);
    expect(result.items[0]!.payload).toEqual({
      external_id: '820982911946154508',
      kind: 'refunded',
      amount: '75.00',
      currency: 'USD',
      provider: 'shopify',
      transaction_id: '890088186047892319',
      at: '2021-12-31T19:00:00-05:00',
    });
    expect(result.items[1]!.payload).toEqual({
      external_id: '890088186047892319',
      order_external_id: '820982911946154508',
      lines: [{ sku: 'SKU2006-001', quantity: 1, reason: 'Things were damaged' }],
      requested_at: '2021-12-31T19:00:00-05:00',
      note: 'Things were damaged',
    });
  });

  it('maps a refund with nothing restocked to the payment alone', async () => {
    const body = fixture('shopify/refunds-create.json').replace('"restock_type": "return"', '"restock_type": "no_restock"');
    const result = await shopify.map(ctx('refunds/create', body));
    expect(result.outcome === 'mapped' && result.items.map((i) => i.kind)).toEqual(['payment']);
  });

  it('ignores topics it does not act on', async () => {
    expect(await shopify.map(ctx('products/update', '{}'))).toMatchObject({ outcome: 'ignored' });
  });

  it('answers unprocessable, naming the field, for an order line without SKU', async () => {
    const body = fixture('shopify/orders-create.json').replace('"sku": "SKU2006-020"', '"sku": null');
    expect(await shopify.map(ctx('orders/create', body))).toEqual({ outcome: 'unprocessable', details: [{ path: 'line_items/1/sku', message: 'is required' }] });
  });

  it('answers unprocessable for a body that is not JSON', async () => {
    expect(await shopify.map(ctx('orders/create', 'not json'))).toMatchObject({ outcome: 'unprocessable' });
  });
});

describe('what a Shopify body proves', () => {
  const order = JSON.parse(fixture('shopify/orders-create.json')) as Record<string, unknown>;
  const cancelled = JSON.parse(fixture('shopify/orders-cancelled.json')) as Record<string, unknown>;
  const refund = JSON.parse(fixture('shopify/refunds-create.json')) as Record<string, unknown>;

  it('needs cancelled_at for orders/cancelled: an order that is not cancelled proves no cancellation', () => {
    expect(shopifyBodyProvesTopic('orders/cancelled', cancelled)).toBeNull();
    expect(shopifyBodyProvesTopic('orders/cancelled', order)).toMatch(/cancelled_at/);
    expect(shopifyBodyProvesTopic('orders/cancelled', { ...cancelled, cancelled_at: 'not a date' })).toMatch(/cancelled_at/);
  });

  it('needs an order for the order topics, an updated_at for orders/updated, and a refund for refunds/create', () => {
    expect(shopifyBodyProvesTopic('orders/create', order)).toBeNull();
    expect(shopifyBodyProvesTopic('orders/updated', order)).toBeNull();
    expect(shopifyBodyProvesTopic('orders/updated', { ...order, updated_at: null })).toMatch(/updated_at/);
    expect(shopifyBodyProvesTopic('orders/create', refund)).toMatch(/order/);
    expect(shopifyBodyProvesTopic('refunds/create', refund)).toBeNull();
    expect(shopifyBodyProvesTopic('refunds/create', order)).toMatch(/refund/);
  });

  it('answers topic_mismatch from the mapper, naming why', async () => {
    expect(await shopify.map(ctx('orders/cancelled', fixture('shopify/orders-create.json')))).toEqual({
      outcome: 'topic_mismatch',
      reason: 'an orders/cancelled body is a cancelled order: cancelled_at must be set',
    });
  });

  it('maps orders/updated to an update ordered by updated_at', async () => {
    const result = await shopify.map(ctx('orders/updated', fixture('shopify/orders-create.json').replace('"note": null', '"note": "Leave at the door"')));
    expect(result.outcome).toBe('mapped');
    if (result.outcome !== 'mapped') return;
    expect(result.version).toEqual({ externalId: '820982911946154508', at: Date.parse('2021-12-31T19:00:00-05:00'), rule: 'newer' });
    expect(result.items).toHaveLength(1);
    expect(result.items[0]).toMatchObject({ kind: 'order_update', externalId: '820982911946154508' });
    expect(result.items[0]!.payload).toMatchObject({
      external_id: '820982911946154508',
      shipping_address: { street: '123 Shipping Street', country_code: 'US' },
      payment_status: 'paid',
    });
  });
});
