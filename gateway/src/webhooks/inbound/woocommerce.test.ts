import { describe, expect, it } from 'vitest';
import { fixture, opensslHmacBase64 } from '../../../../test/webhooks/support.js';
import type { MapContext } from './types.js';
import { woocommerce, wooCommerceBodyProvesTopic } from './woocommerce.js';

const SECRET = 'wc-webhook-secret-4f9a';
const ctx = (topic: string, body: string): MapContext => ({ topic, rawBody: Buffer.from(body), headers: new Headers(), orderForPaymentRef: async () => null });
const verify = (body: string, headers: Record<string, string>, secrets = [SECRET]) =>
  woocommerce.verify({ headers: new Headers(headers), rawBody: Buffer.from(body) }, { secrets, now: Date.now(), toleranceSeconds: 0 });

describe('woocommerce verification', () => {
  const body = fixture('woocommerce/order.json');
  const signed = {
    'x-wc-webhook-signature': opensslHmacBase64(SECRET, body),
    'x-wc-webhook-topic': 'order.created',
    'x-wc-webhook-delivery-id': '36e520ebabc2fa725092ff4a47acedf2',
  };

  it('accepts the signature openssl computes, with the delivery id and topic', () => {
    expect(verify(body, signed)).toEqual({ ok: true, deliveryId: '36e520ebabc2fa725092ff4a47acedf2', topic: 'order.created' });
  });

  it('refuses another secret and a changed body', () => {
    expect(verify(body, signed, ['another-secret'])).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verify(body.replace('"29.35"', '"0.01"'), signed)).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it('recognises the ping WooCommerce sends when a webhook is saved, and only that', () => {
    expect(woocommerce.isPing!({ headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded' }), rawBody: Buffer.from('webhook_id=3') })).toBe(true);
    expect(woocommerce.isPing!({ headers: new Headers(signed), rawBody: Buffer.from('webhook_id=3') })).toBe(false);
    expect(woocommerce.isPing!({ headers: new Headers(), rawBody: Buffer.from(body) })).toBe(false);
  });
});

describe('woocommerce mapping of the documented order', () => {
  it('maps order.created to the canonical Order', async () => {
    const result = await woocommerce.map(ctx('order.created', fixture('woocommerce/order.json')));
    expect(result).toEqual({
      outcome: 'mapped',
      items: [
        {
          kind: 'order',
          externalId: '727',
          payload: {
            external_id: '727',
            channel: 'woocommerce',
            placed_at: '2017-03-22T19:28:02Z',
            currency: 'USD',
            taxes_included: false,
            customer: { email: 'john.doe@example.com', name: 'John Doe', phone: '(555) 555-5555', consents: [] },
            billing_address: { name: 'John Doe', street: '969 Market', city: 'San Francisco', zip: '94103', state_code: 'CA', country_code: 'US', phone: '(555) 555-5555', email: 'john.doe@example.com' },
            shipping_address: { name: 'John Doe', street: '969 Market', city: 'San Francisco', zip: '94103', state_code: 'CA', country_code: 'US' },
            lines: [
              { sku: 'woo-single-1', quantity: 2, unit_price: '3.00', discount_percent: '0', name: 'Woo Single #1' },
              { sku: 'Bar3', quantity: 1, unit_price: '12.00', discount_percent: '0', name: 'Ship Your Idea &ndash; Color: Black, Size: M Test' },
            ],
            shipping: { method: 'flat_rate', price: '10.00' },
            payment: { method: 'bacs', status: 'paid', provider: 'woocommerce', amount: '29.35' },
          },
        },
      ],
      version: { externalId: '727', at: Date.parse('2017-03-22T19:28:08Z'), rule: 'record' },
    });
  });

  it('maps a coupon-reduced line total to a discount percentage', async () => {
    const body = fixture('woocommerce/order.json').replace('"total": "12.00"', '"total": "9.00"');
    const result = await woocommerce.map(ctx('order.created', body));
    expect(result.outcome === 'mapped' && (result.items[0]!.payload as { lines: Array<{ discount_percent: string }> }).lines[1]!.discount_percent).toBe('25');
  });

  it('maps order.updated to an update, and a cancelled status to a cancellation as well', async () => {
    const updated = await woocommerce.map(ctx('order.updated', fixture('woocommerce/order.json').replace('"customer_note": ""', '"customer_note": "Leave at the door"')));
    expect(updated.outcome === 'mapped' && updated.items.map((i) => [i.kind, i.payload])).toEqual([
      [
        'order_update',
        {
          external_id: '727',
          shipping_address: { name: 'John Doe', street: '969 Market', city: 'San Francisco', zip: '94103', state_code: 'CA', country_code: 'US' },
          billing_address: { name: 'John Doe', street: '969 Market', city: 'San Francisco', zip: '94103', state_code: 'CA', country_code: 'US', phone: '(555) 555-5555', email: 'john.doe@example.com' },
          note: 'Leave at the door',
          payment_status: 'paid',
        },
      ],
    ]);
    const cancelled = await woocommerce.map(ctx('order.updated', fixture('woocommerce/order.json').replace('"status": "processing"', '"status": "cancelled"')));
    expect(cancelled.outcome === 'mapped' && cancelled.items.map((i) => i.kind)).toEqual(['order_update', 'cancel']);
  });

  it('answers unprocessable for the documented line whose SKU is empty', async () => {
    const body = fixture('woocommerce/order.json').replace('"sku": "woo-single-1"', '"sku": ""');
    expect(await woocommerce.map(ctx('order.created', body))).toEqual({ outcome: 'unprocessable', details: [{ path: 'line_items/0/sku', message: 'is required' }] });
  });

  it('ignores other topics', async () => {
    expect(await woocommerce.map(ctx('product.updated', '{}'))).toMatchObject({ outcome: 'ignored' });
  });
});

describe('what a WooCommerce body proves', () => {
  const order = JSON.parse(fixture('woocommerce/order.json')) as Record<string, unknown>;

  it('needs an order with its creation date, and for order.updated its modification date, not before the creation', () => {
    expect(wooCommerceBodyProvesTopic('order.created', order)).toBeNull();
    expect(wooCommerceBodyProvesTopic('order.updated', order)).toBeNull();
    expect(wooCommerceBodyProvesTopic('order.updated', { ...order, date_modified_gmt: null })).toMatch(/date_modified_gmt/);
    expect(wooCommerceBodyProvesTopic('order.created', { ...order, date_created_gmt: null })).toMatch(/date_created_gmt/);
    expect(wooCommerceBodyProvesTopic('order.updated', { ...order, date_modified_gmt: '2017-03-22T19:00:00' })).toMatch(/before it was created/);
    expect(wooCommerceBodyProvesTopic('order.updated', { id: 727 })).toMatch(/order/);
  });

  it('orders an update by date_modified_gmt (strictly newer) and records a creation', async () => {
    const updated = await woocommerce.map(ctx('order.updated', fixture('woocommerce/order.json')));
    expect(updated.outcome === 'mapped' && updated.version).toEqual({ externalId: '727', at: Date.parse('2017-03-22T19:28:08Z'), rule: 'newer' });
    const created = await woocommerce.map(ctx('order.created', fixture('woocommerce/order.json')));
    expect(created.outcome === 'mapped' && created.version).toEqual({ externalId: '727', at: Date.parse('2017-03-22T19:28:08Z'), rule: 'record' });
  });
});
