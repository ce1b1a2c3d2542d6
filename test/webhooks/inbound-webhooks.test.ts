/**
 * The inbound webhook route end to end over a real store and intake queue: every provider signed by
 * a tool the gateway did not write (OpenSSL, Stripe's SDK, the standardwebhooks package), and the
 * security and exactly-once properties: bad signatures, rotation overlap, replay, duplicates,
 * unknown topics, tenant isolation.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, inboundHarness, opensslHmacBase64, partnerRecord, type Harness } from './support.js';

const SHOPIFY_ACME = 'shpss_acme_0123456789abcdef';
const SHOPIFY_GLOBEX = 'shpss_globex_fedcba9876543210';
const WOO_ACME = 'wc_acme_secret_1';
const STRIPE_ACME = 'whsec_acme_stripe_secret';
const STANDARD_ACME = `whsec_${randomBytes(24).toString('base64')}`;
const stripeSdk = new Stripe('sk_test_not_used_for_network');

const shopifyHeaders = (body: string, secret: string, h: Harness, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-shopify-hmac-sha256': opensslHmacBase64(secret, body),
  'x-shopify-topic': 'orders/create',
  'x-shopify-webhook-id': `wh-${randomBytes(6).toString('hex')}`,
  'x-shopify-triggered-at': new Date(h.clock.now - 1_000).toISOString(),
  ...extra,
});

describe('POST /webhooks/{provider}/{partner}', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await inboundHarness({
      records: [
        partnerRecord('acme', {
          shopify: [{ secret: SHOPIFY_ACME, valid_until: null }],
          woocommerce: [{ secret: WOO_ACME, valid_until: null }],
          stripe: [{ secret: STRIPE_ACME, valid_until: null }],
          standard: [{ secret: STANDARD_ACME, valid_until: null }],
        }),
        partnerRecord('globex', { shopify: [{ secret: SHOPIFY_GLOBEX, valid_until: null }] }),
        partnerRecord('dormant', { shopify: [{ secret: 'shpss_dormant', valid_until: null }] }, false),
      ],
      bodyLimitBytes: 64 * 1024,
    });
  });
  afterAll(async () => h?.close());

  describe('shopify', () => {
    it('accepts orders/create and queues the canonical order with its exact 18-digit id', async () => {
      const body = fixture('shopify/orders-create.json');
      const res = await h.post('/webhooks/shopify/acme', body, shopifyHeaders(body, SHOPIFY_ACME, h));
      expect(res.status).toBe(200);
      const ack = (await res.json()) as { outcome: string; intake_ids: string[] };
      expect(ack.outcome).toBe('accepted');
      expect(ack.intake_ids).toHaveLength(1);
      const item = await h.intake.get('acme', ack.intake_ids[0]!);
      expect(item).toMatchObject({ kind: 'order', externalId: '820982911946154508', source: 'shopify', status: 'accepted' });
      expect(item!.payload).toMatchObject({ external_id: '820982911946154508', channel: 'shopify', lines: [{ sku: 'SKU2006-001' }, { sku: 'SKU2006-020' }] });
    });

    it('answers the same 200 to a repeated delivery id and queues nothing more', async () => {
      const body = fixture('shopify/orders-cancelled.json');
      const headers = shopifyHeaders(body, SHOPIFY_ACME, h, { 'x-shopify-topic': 'orders/cancelled' });
      const before = await h.intakeCount('acme');
      const first = await h.post('/webhooks/shopify/acme', body, headers);
      const second = await h.post('/webhooks/shopify/acme', body, headers);
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      const a = (await first.json()) as { outcome: string; intake_ids: string[] };
      const b = (await second.json()) as { outcome: string; intake_ids: string[] };
      expect(a.outcome).toBe('accepted');
      expect(b.outcome).toBe('duplicate');
      expect(b.intake_ids).toEqual(a.intake_ids);
      expect(await h.intakeCount('acme')).toBe(before + 1);
      expect(await h.service.count('shopify', 'duplicate')).toBeGreaterThanOrEqual(1);
    });

    it('queues a refund payment and a return for refunds/create', async () => {
      const body = fixture('shopify/refunds-create.json');
      const res = await h.post('/webhooks/shopify/acme', body, shopifyHeaders(body, SHOPIFY_ACME, h, { 'x-shopify-topic': 'refunds/create' }));
      const ack = (await res.json()) as { intake_ids: string[] };
      const kinds = await Promise.all(ack.intake_ids.map(async (id) => (await h.intake.get('acme', id))?.kind));
      expect(kinds).toEqual(['payment', 'return']);
    });

    it('refuses a bad signature with 401 invalid_signature and queues nothing', async () => {
      const body = fixture('shopify/orders-create.json');
      const before = await h.intakeCount();
      const res = await h.post('/webhooks/shopify/acme', body, shopifyHeaders(body, 'shpss_wrong', h));
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
      expect(await h.intakeCount()).toBe(before);
      expect(await h.service.count('shopify', 'invalid_signature')).toBeGreaterThanOrEqual(1);
    });

    it("refuses partner A's signature on partner B's URL (tenant isolation)", async () => {
      const body = fixture('shopify/orders-create.json');
      const res = await h.post('/webhooks/shopify/globex', body, shopifyHeaders(body, SHOPIFY_ACME, h));
      expect(res.status).toBe(401);
      expect(await h.intakeCount('globex')).toBe(0);
    });

    it('refuses a replay triggered outside the window', async () => {
      const body = fixture('shopify/orders-create.json');
      const res = await h.post('/webhooks/shopify/acme', body, shopifyHeaders(body, SHOPIFY_ACME, h, { 'x-shopify-triggered-at': new Date(h.clock.now - 72 * 3600_000).toISOString() }));
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe('timestamp_outside_window');
    });

    it('acknowledges an unknown topic with 200 and counts it', async () => {
      const before = await h.service.count('shopify', 'ignored');
      const body = '{"id":632910392,"title":"IPod Nano - 8GB"}';
      const res = await h.post('/webhooks/shopify/acme', body, shopifyHeaders(body, SHOPIFY_ACME, h, { 'x-shopify-topic': 'products/update' }));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { outcome: string }).outcome).toBe('ignored');
      expect(await h.service.count('shopify', 'ignored')).toBe(before + 1);
    });

    it('answers 422 with details for an authentic payload it cannot map, and counts it', async () => {
      const body = fixture('shopify/orders-create.json').replace('"sku": "SKU2006-020"', '"sku": ""');
      const res = await h.post('/webhooks/shopify/acme', body, shopifyHeaders(body, SHOPIFY_ACME, h));
      expect(res.status).toBe(422);
      const err = (await res.json()) as { error: { code: string; details: Array<{ path: string }> } };
      expect(err.error.code).toBe('validation_failed');
      expect(err.error.details).toEqual([{ path: 'line_items/1/sku', message: 'is required' }]);
      expect(await h.service.count('shopify', 'unprocessable')).toBeGreaterThanOrEqual(1);
    });

    it('answers 400 when the delivery id is missing', async () => {
      const body = fixture('shopify/orders-create.json');
      const headers = shopifyHeaders(body, SHOPIFY_ACME, h) as Record<string, string>;
      delete headers['x-shopify-webhook-id'];
      const res = await h.post('/webhooks/shopify/acme', body, headers);
      expect(res.status).toBe(400);
    });
  });

  describe('unknown endpoints', () => {
    it('answers one identical 404 for an unknown partner, an inactive one, one without a secret and an unknown provider', async () => {
      const body = fixture('shopify/orders-create.json');
      const bodies = [];
      for (const path of ['/webhooks/shopify/nobody', '/webhooks/shopify/dormant', '/webhooks/stripe/globex', '/webhooks/magento/acme', '/webhooks/shopify/NOT_A_CODE']) {
        const res = await h.post(path, body, shopifyHeaders(body, SHOPIFY_ACME, h));
        expect(res.status, path).toBe(404);
        const err = (await res.json()) as { error: { code: string; message: string } };
        bodies.push(`${err.error.code} ${err.error.message}`);
      }
      expect(new Set(bodies).size).toBe(1);
    });

    it('answers 413 for a body over the limit', async () => {
      const body = `{"pad":"${'x'.repeat(70 * 1024)}"}`;
      const res = await h.post('/webhooks/shopify/acme', body, shopifyHeaders(body, SHOPIFY_ACME, h));
      expect(res.status).toBe(413);
    });
  });

  describe('woocommerce', () => {
    const wooHeaders = (body: string, topic: string, secret = WOO_ACME) => ({
      'content-type': 'application/json',
      'x-wc-webhook-signature': opensslHmacBase64(secret, body),
      'x-wc-webhook-topic': topic,
      'x-wc-webhook-delivery-id': randomBytes(16).toString('hex'),
    });

    it('answers the ping WooCommerce sends when the webhook is saved', async () => {
      const res = await h.post('/webhooks/woocommerce/acme', 'webhook_id=3', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { outcome: string }).outcome).toBe('ping');
    });

    it('queues order.created as an order and a later order.updated as an update', async () => {
      const body = fixture('woocommerce/order.json');
      const created = (await (await h.post('/webhooks/woocommerce/acme', body, wooHeaders(body, 'order.created'))).json()) as { intake_ids: string[] };
      expect(await h.intake.get('acme', created.intake_ids[0]!)).toMatchObject({ kind: 'order', externalId: '727', source: 'woocommerce' });
      // An update is the order modified after its creation (and within the retention period).
      const modified = new Date(h.clock.now - 60_000).toISOString().slice(0, 19);
      const later = body.replace('"date_modified_gmt": "2017-03-22T19:28:08"', `"date_modified_gmt": "${modified}"`);
      const updated = (await (await h.post('/webhooks/woocommerce/acme', later, wooHeaders(later, 'order.updated'))).json()) as { intake_ids: string[] };
      expect(await h.intake.get('acme', updated.intake_ids[0]!)).toMatchObject({ kind: 'order_update', externalId: '727' });
    });

    it('refuses a bad signature', async () => {
      const body = fixture('woocommerce/order.json');
      expect((await h.post('/webhooks/woocommerce/acme', body, wooHeaders(body, 'order.created', 'nope'))).status).toBe(401);
    });
  });

  describe('stripe', () => {
    const stripeHeaders = (body: string, at: number, secret = STRIPE_ACME) => ({
      'content-type': 'application/json',
      'stripe-signature': stripeSdk.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: Math.floor(at / 1000) }),
    });

    it('registers a payment, then matches the refund to the order by its PaymentIntent', async () => {
      const paid = fixture('stripe/payment_intent.succeeded.json');
      const r1 = await h.post('/webhooks/stripe/acme', paid, stripeHeaders(paid, h.clock.now));
      expect(r1.status).toBe(200);
      const refund = fixture('stripe/charge.refunded.json').replace('"metadata": { "order_id": "727" }', '"metadata": {}');
      const r2 = await h.post('/webhooks/stripe/acme', refund, stripeHeaders(refund, h.clock.now));
      expect(r2.status).toBe(200);
      const ack = (await r2.json()) as { intake_ids: string[] };
      expect(await h.intake.get('acme', ack.intake_ids[0]!)).toMatchObject({ kind: 'payment', externalId: '727', payload: { kind: 'refunded', amount: '10.99' } });
    });

    it('de-duplicates by event id', async () => {
      const paid = fixture('stripe/payment_intent.succeeded.json').replace('evt_3MtwBwLkdIwHu7ix0bS6hK8a', 'evt_dup_1');
      const headers = stripeHeaders(paid, h.clock.now);
      const a = (await (await h.post('/webhooks/stripe/acme', paid, headers)).json()) as { outcome: string };
      const b = (await (await h.post('/webhooks/stripe/acme', paid, headers)).json()) as { outcome: string };
      expect([a.outcome, b.outcome]).toEqual(['accepted', 'duplicate']);
    });

    it('refuses an event signed more than 300 s ago', async () => {
      const paid = fixture('stripe/payment_intent.succeeded.json');
      expect((await h.post('/webhooks/stripe/acme', paid, stripeHeaders(paid, h.clock.now - 301_000))).status).toBe(401);
    });
  });

  describe('standard webhooks', () => {
    const standardHeaders = (body: string, at: Date, id = `msg_${randomBytes(8).toString('hex')}`, secret = STANDARD_ACME) => ({
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    });

    it('queues the canonical order of the envelope', async () => {
      const body = fixture('standard/order.created.json');
      const res = await h.post('/webhooks/standard/acme', body, standardHeaders(body, new Date(h.clock.now)));
      expect(res.status).toBe(200);
      const ack = (await res.json()) as { intake_ids: string[] };
      expect(await h.intake.get('acme', ack.intake_ids[0]!)).toMatchObject({ kind: 'order', externalId: 'STD-1001', source: 'standard' });
    });

    it('refuses an old timestamp and acknowledges an unknown type', async () => {
      const body = fixture('standard/order.created.json');
      expect((await h.post('/webhooks/standard/acme', body, standardHeaders(body, new Date(h.clock.now - 400_000)))).status).toBe(401);
      const other = JSON.stringify({ type: 'customer.updated', data: {} });
      const res = await h.post('/webhooks/standard/acme', other, standardHeaders(other, new Date(h.clock.now)));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { outcome: string }).outcome).toBe('ignored');
    });
  });
});

describe('secret rotation', () => {
  const ROTATION_END = Date.parse('2026-11-28T00:00:00Z');
  let h: Harness;
  beforeAll(async () => {
    h = await inboundHarness({
      now: ROTATION_END - 3600_000,
      records: [
        partnerRecord('acme', {
          shopify: [
            { secret: 'shpss_new', valid_until: null },
            { secret: 'shpss_old', valid_until: new Date(ROTATION_END).toISOString() },
          ],
        }),
      ],
    });
  });
  afterAll(async () => h?.close());

  it('accepts both secrets during the overlap and only the new one after it', async () => {
    const body = fixture('shopify/orders-cancelled.json');
    const send = (secret: string) => h.post('/webhooks/shopify/acme', body, shopifyHeaders(body, secret, h, { 'x-shopify-topic': 'orders/cancelled' }));
    expect((await send('shpss_old')).status).toBe(200);
    expect((await send('shpss_new')).status).toBe(200);
    h.clock.now = ROTATION_END + 1;
    expect((await send('shpss_old')).status).toBe(401);
    expect((await send('shpss_new')).status).toBe(200);
  });
});
