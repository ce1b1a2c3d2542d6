/**
 * Signed inbound webhook bodies used as something else or at another time. Shopify's and
 * WooCommerce's signatures cover the body only (topic and delivery id headers are not signed, and
 * WooCommerce signs no timestamp), so a captured body can be re-sent under another topic and a
 * fresh delivery id. The gateway applies a body only as what it proves it is (else 422
 * `topic_mismatch`) and an order's state only when newer than the last applied one (else 200
 * `stale`, nothing queued), on SQLite and on PostgreSQL, with concurrent deliveries and replicas.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lastOrderVersion } from '../../gateway/src/webhooks/inbound/versions.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase } from '../support/postgres.js';
import { fixture, inboundHarness, opensslHmacBase64, partnerRecord, type Harness } from '../webhooks/support.js';

const SHOPIFY = 'shpss_replay_acme_secret';
const WOO = 'wc_replay_acme_secret';
const STRIPE = 'whsec_replay_acme_stripe';
const stripeSdk = new Stripe('sk_test_not_used_for_network');
const records = [
  partnerRecord('acme', {
    shopify: [{ secret: SHOPIFY, valid_until: null }],
    woocommerce: [{ secret: WOO, valid_until: null }],
    stripe: [{ secret: STRIPE, valid_until: null }],
  }),
];

interface Ack {
  outcome: string;
  intake_ids: string[];
}
interface ErrorAnswer {
  error: { code: string; details?: { reason?: string } };
}

const freshId = () => randomBytes(8).toString('hex');
/** WooCommerce's naive UTC form (`*_gmt`). */
const wooTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);

const shopifyHeaders = (body: string, topic: string, now: number) => ({
  'content-type': 'application/json',
  'x-shopify-hmac-sha256': opensslHmacBase64(SHOPIFY, body),
  'x-shopify-topic': topic,
  'x-shopify-webhook-id': freshId(),
  'x-shopify-triggered-at': new Date(now - 1_000).toISOString(),
});
const wooHeaders = (body: string, topic: string) => ({
  'content-type': 'application/json',
  'x-wc-webhook-signature': opensslHmacBase64(WOO, body),
  'x-wc-webhook-topic': topic,
  'x-wc-webhook-delivery-id': freshId(),
});
const stripeHeaders = (body: string, at: number) => ({
  'content-type': 'application/json',
  'stripe-signature': stripeSdk.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE, timestamp: Math.floor(at / 1000) }),
});

/** The documented Shopify order under another id, updated at `updatedAt`, shipped to `street`. */
function shopifyOrder(id: string, updatedAt: number, street = '123 Shipping Street'): string {
  return fixture('shopify/orders-create.json')
    .replace('"id": 820982911946154508', `"id": ${id}`)
    .replace('"updated_at": "2021-12-31T19:00:00-05:00"', `"updated_at": "${new Date(updatedAt).toISOString()}"`)
    .replaceAll('"address1": "123 Shipping Street"', `"address1": "${street}"`);
}

/** The documented WooCommerce order under another id, created at `created` and modified at `modified`, shipped to `street`. */
function wooOrder(id: number, created: number, modified: number, street: string): string {
  return fixture('woocommerce/order.json')
    .replace('"id": 727', `"id": ${id}`)
    .replace('"date_created_gmt": "2017-03-22T19:28:02"', `"date_created_gmt": "${wooTime(created)}"`)
    .replace('"date_modified_gmt": "2017-03-22T19:28:08"', `"date_modified_gmt": "${wooTime(modified)}"`)
    .replace(/("shipping": \{[^}]*"address_1": )"969 Market"/, `$1"${street}"`);
}

async function post(h: Harness, path: string, body: string, headers: Record<string, string>) {
  const res = await h.post(path, body, headers);
  return { status: res.status, body: (await res.json()) as Ack & ErrorAnswer };
}

async function updatesOf(h: Harness, externalId: string) {
  const items = await h.intake.findByExternalId('acme', 'order_update', externalId);
  return items.map((i) => i.payload as { shipping_address?: { street: string } });
}

describe.each(['sqlite', 'postgres'] as const)('inbound webhook replays and re-aimed topics (%s)', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await inboundHarness({ records, dialect });
  });
  afterAll(async () => h?.close());

  describe('a body is applied only as the topic it proves', () => {
    it('refuses a Shopify orders/create body re-sent as orders/cancelled, and queues no cancellation', async () => {
      const body = shopifyOrder('5000000000000000001', h.clock.now - 60_000);
      const created = await post(h, '/webhooks/shopify/acme', body, shopifyHeaders(body, 'orders/create', h.clock.now));
      expect(created.body.outcome).toBe('accepted');
      const before = await h.intakeCount('acme');

      const reaimed = await post(h, '/webhooks/shopify/acme', body, shopifyHeaders(body, 'orders/cancelled', h.clock.now));
      expect(reaimed.status).toBe(422);
      expect(reaimed.body.error.code).toBe('topic_mismatch');
      expect(reaimed.body.error.details?.reason).toMatch(/cancelled_at/);
      expect(await h.intakeCount('acme')).toBe(before);
      expect(await h.intake.findByExternalId('acme', 'cancel', '5000000000000000001')).toEqual([]);
      expect(await h.service.count('shopify', 'topic_mismatch')).toBeGreaterThanOrEqual(1);
    });

    it('still cancels from a genuine orders/cancelled body (cancelled_at set)', async () => {
      const body = fixture('shopify/orders-cancelled.json').replace('"id": 820982911946154508', '"id": 5000000000000000002');
      const res = await post(h, '/webhooks/shopify/acme', body, shopifyHeaders(body, 'orders/cancelled', h.clock.now));
      expect(res.status).toBe(200);
      expect(res.body.outcome).toBe('accepted');
      expect(await h.intake.findByExternalId('acme', 'cancel', '5000000000000000002')).toHaveLength(1);
    });

    it('refuses a Shopify refund body re-sent as orders/create', async () => {
      const body = fixture('shopify/refunds-create.json');
      const res = await post(h, '/webhooks/shopify/acme', body, shopifyHeaders(body, 'orders/create', h.clock.now));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('topic_mismatch');
    });

    it('does not apply a WooCommerce order.created body re-sent as order.updated', async () => {
      const t = h.clock.now - 3_600_000;
      const body = wooOrder(9101, t, t + 5_000, '1 Created Street');
      expect((await post(h, '/webhooks/woocommerce/acme', body, wooHeaders(body, 'order.created'))).body.outcome).toBe('accepted');
      const before = await h.intakeCount('acme');

      const reaimed = await post(h, '/webhooks/woocommerce/acme', body, wooHeaders(body, 'order.updated'));
      expect(reaimed.status).toBe(200);
      expect(reaimed.body).toMatchObject({ outcome: 'stale', intake_ids: [] });
      expect(await h.intakeCount('acme')).toBe(before);
      expect(await updatesOf(h, '9101')).toEqual([]);
    });

    it('refuses a WooCommerce body whose order was modified before it was created', async () => {
      const t = h.clock.now - 3_600_000;
      const body = wooOrder(9102, t, t - 60_000, '1 Odd Street');
      const res = await post(h, '/webhooks/woocommerce/acme', body, wooHeaders(body, 'order.updated'));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('topic_mismatch');
    });

    it('refuses a Stripe event whose object is not what its signed type says', async () => {
      const body = fixture('stripe/payment_intent.succeeded.json')
        .replace('"id": "evt_3MtwBwLkdIwHu7ix0bS6hK8a"', `"id": "evt_${freshId()}"`)
        .replace('"status": "succeeded"', '"status": "requires_payment_method"');
      const res = await post(h, '/webhooks/stripe/acme', body, stripeHeaders(body, h.clock.now));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('topic_mismatch');
    });
  });

  describe('an order is updated only by a newer state than the last applied', () => {
    it('keeps the newest WooCommerce address when an older signed order.updated is re-sent with a new delivery id', async () => {
      const t = h.clock.now - 3_600_000;
      const older = wooOrder(9201, t, t + 60_000, '1 Old Street');
      const newer = wooOrder(9201, t, t + 120_000, '2 New Street');
      expect((await post(h, '/webhooks/woocommerce/acme', older, wooHeaders(older, 'order.updated'))).body.outcome).toBe('accepted');
      expect((await post(h, '/webhooks/woocommerce/acme', newer, wooHeaders(newer, 'order.updated'))).body.outcome).toBe('accepted');
      const staleBefore = await h.service.count('woocommerce', 'stale');

      const replay = await post(h, '/webhooks/woocommerce/acme', older, wooHeaders(older, 'order.updated'));
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ outcome: 'stale', intake_ids: [] });
      expect((await updatesOf(h, '9201')).map((u) => u.shipping_address?.street)).toEqual(['1 Old Street', '2 New Street']);
      expect(await h.service.count('woocommerce', 'stale')).toBe(staleBefore + 1);
    });

    it('answers a stale delivery repeated under its own delivery id as a duplicate with nothing queued', async () => {
      const t = h.clock.now - 3_600_000;
      const older = wooOrder(9202, t, t + 60_000, '1 Old Street');
      const newer = wooOrder(9202, t, t + 120_000, '2 New Street');
      await post(h, '/webhooks/woocommerce/acme', newer, wooHeaders(newer, 'order.updated'));
      const headers = wooHeaders(older, 'order.updated');
      expect((await post(h, '/webhooks/woocommerce/acme', older, headers)).body.outcome).toBe('stale');
      expect((await post(h, '/webhooks/woocommerce/acme', older, headers)).body).toMatchObject({ outcome: 'duplicate', intake_ids: [] });
      expect(await updatesOf(h, '9202')).toHaveLength(1);
    });

    it('treats a WooCommerce update older than the retention period as stale (its successors may be forgotten)', async () => {
      const t = h.clock.now - 31 * 86_400_000;
      const ancient = wooOrder(9203, t, t + 60_000, '1 Ancient Street');
      expect((await post(h, '/webhooks/woocommerce/acme', ancient, wooHeaders(ancient, 'order.updated'))).body.outcome).toBe('stale');
      expect(await updatesOf(h, '9203')).toEqual([]);
    });

    it('forgets order versions once they are older than the retention period (the table stays bounded)', async () => {
      const t = h.clock.now - 3_600_000;
      const body = wooOrder(9204, t, t + 60_000, '1 Kept Street');
      expect((await post(h, '/webhooks/woocommerce/acme', body, wooHeaders(body, 'order.updated'))).body.outcome).toBe('accepted');
      const key = { provider: 'woocommerce', partner: 'acme' };
      expect(await lastOrderVersion(h.store, key, '9204')).not.toBeNull();
      // 31 days on, the next delivery prunes: the version has left the window, and so would any replay of it.
      h.clock.now += 31 * 86_400_000;
      const later = wooOrder(9205, h.clock.now - 60_000, h.clock.now - 30_000, '1 Later Street');
      expect((await post(h, '/webhooks/woocommerce/acme', later, wooHeaders(later, 'order.updated'))).body.outcome).toBe('accepted');
      await vi.waitFor(async () => expect(await lastOrderVersion(h.store, key, '9204')).toBeNull(), { timeout: 10_000, interval: 20 });
      expect(await lastOrderVersion(h.store, key, '9205')).not.toBeNull();
      expect((await post(h, '/webhooks/woocommerce/acme', body, wooHeaders(body, 'order.updated'))).body.outcome).toBe('stale');
    });

    it('does not apply a Shopify orders/updated older than the last applied one', async () => {
      const id = '5000000000000000003';
      const older = shopifyOrder(id, h.clock.now - 120_000, '1 Old Street');
      const newer = shopifyOrder(id, h.clock.now - 60_000, '2 New Street');
      expect((await post(h, '/webhooks/shopify/acme', newer, shopifyHeaders(newer, 'orders/updated', h.clock.now))).body.outcome).toBe('accepted');
      const replay = await post(h, '/webhooks/shopify/acme', older, shopifyHeaders(older, 'orders/updated', h.clock.now));
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ outcome: 'stale', intake_ids: [] });
      expect((await updatesOf(h, id)).map((u) => u.shipping_address?.street)).toEqual(['2 New Street']);
    });

    it('does not let an older Stripe payment event undo a newer payment state', async () => {
      const order = `ord-${freshId()}`;
      const t = Math.floor(h.clock.now / 1000);
      const refund = fixture('stripe/charge.refunded.json')
        .replace('"id": "evt_3MmlLrLkdIwHu7ix1a2Qfd7q"', `"id": "evt_${freshId()}"`)
        .replace('"created": 1679090600', `"created": ${t - 60}`)
        .replace('"metadata": { "order_id": "727" }', `"metadata": { "order_id": "${order}" }`);
      const paid = fixture('stripe/payment_intent.succeeded.json')
        .replace('"id": "evt_3MtwBwLkdIwHu7ix0bS6hK8a"', `"id": "evt_${freshId()}"`)
        .replace('"created": 1680800510', `"created": ${t - 120}`)
        .replace('"metadata": { "order_id": "727" }', `"metadata": { "order_id": "${order}" }`);
      expect((await post(h, '/webhooks/stripe/acme', refund, stripeHeaders(refund, h.clock.now))).body.outcome).toBe('accepted');
      const late = await post(h, '/webhooks/stripe/acme', paid, stripeHeaders(paid, h.clock.now));
      expect(late.status).toBe(200);
      expect(late.body).toMatchObject({ outcome: 'stale', intake_ids: [] });
      const payments = await h.intake.findByExternalId('acme', 'payment', order);
      expect(payments.map((p) => (p.payload as { kind: string }).kind)).toEqual(['refunded']);
    });

    it('applies the newest of concurrent WooCommerce updates last, whatever order they arrive in', async () => {
      const t = h.clock.now - 3_600_000;
      const versions = Array.from({ length: 12 }, (_, i) => wooOrder(9301, t, t + (i + 1) * 1_000, `${i + 1} Concurrent Street`));
      // Newest first, all at once: every older one races the newer ones already in flight.
      const answers = await Promise.all([...versions].reverse().map((b) => post(h, '/webhooks/woocommerce/acme', b, wooHeaders(b, 'order.updated'))));
      expect(answers.every((a) => a.status === 200 && ['accepted', 'stale'].includes(a.body.outcome))).toBe(true);
      const streets = (await updatesOf(h, '9301')).map((u) => Number.parseInt(u.shipping_address!.street, 10));
      // Queued in version order (the queue applies them in that order), the newest last.
      expect(streets.at(-1)).toBe(12);
      expect([...streets].sort((a, b) => a - b)).toEqual(streets);
      expect(new Set(streets).size).toBe(streets.length);
      expect(answers.filter((a) => a.body.outcome === 'accepted')).toHaveLength(streets.length);
    });
  });
});

describe('two replicas sharing PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    db = await createTestDatabase('rg_inbound_replay');
    a = await inboundHarness({ records, postgresUrl: db.url });
    b = await inboundHarness({ records, postgresUrl: db.url, now: a.clock.now });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('lets only the newer of two concurrent versions win, on either replica, every round', async () => {
    const t = a.clock.now - 3_600_000;
    for (let round = 0; round < 10; round++) {
      const id = 9400 + round;
      const older = wooOrder(id, t, t + 1_000, '1 Older Street');
      const newer = wooOrder(id, t, t + 2_000, '2 Newer Street');
      const [first, second] = round % 2 ? [a, b] : [b, a];
      const answers = await Promise.all([
        post(first, '/webhooks/woocommerce/acme', older, wooHeaders(older, 'order.updated')),
        post(second, '/webhooks/woocommerce/acme', newer, wooHeaders(newer, 'order.updated')),
      ]);
      expect(answers[1].body.outcome).toBe('accepted');
      const streets = (await updatesOf(a, String(id))).map((u) => u.shipping_address?.street);
      expect(streets.at(-1)).toBe('2 Newer Street');
      expect(streets).toEqual(answers[0].body.outcome === 'accepted' ? ['1 Older Street', '2 Newer Street'] : ['2 Newer Street']);
      expect(await lastOrderVersion(a.store, { provider: 'woocommerce', partner: 'acme' }, String(id))).toBe(Date.parse(`${wooTime(t + 2_000)}Z`));
    }
  });
});

describe('against the fake Odoo, through a whole gateway', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
    t.sim.state.addPartner({ code: 'acme', inboundSecrets: { shopify: SHOPIFY, woocommerce: WOO } });
    await t.gateway.services.auth!.partners.refresh();
  });
  afterAll(async () => t?.close());

  /** Posts a delivery and waits until whatever it queued has settled in Odoo. */
  async function deliver(provider: string, body: string, headers: Record<string, string>) {
    const res = await fetch(`${t.url}/webhooks/${provider}/acme`, { method: 'POST', headers, body });
    const answer = (await res.json()) as Ack & ErrorAnswer;
    const items = await Promise.all((answer.intake_ids ?? []).map((id) => t.gateway.services.intake!.waitFor('acme', id, 60_000)));
    return { status: res.status, answer, items };
  }
  const now = () => Date.now();

  it('never cancels an order from its orders/create body re-sent as orders/cancelled', async () => {
    const id = '5100000000000000001';
    const body = shopifyOrder(id, now() - 60_000)
      .replace('"sku": "SKU2006-001"', '"sku": "FURN_7777"')
      .replace('"sku": "SKU2006-020"', '"sku": "FURN_8888"')
      .replace('"title": "Generic Shipping"', '"title": "Standard delivery"');
    const created = await deliver('shopify', body, shopifyHeaders(body, 'orders/create', now()));
    expect(created.items[0]).toMatchObject({ status: 'completed', outcome: 'created' });

    const reaimed = await deliver('shopify', body, shopifyHeaders(body, 'orders/cancelled', now()));
    const [order] = t.sim.state.saleOrders({ externalId: id });
    expect(order!.state).toBe('sale');
    expect(reaimed.status).toBe(422);
    expect(reaimed.answer.error.code).toBe('topic_mismatch');
    expect(await t.gateway.services.intake!.findByExternalId('acme', 'cancel', id)).toEqual([]);
  });

  it('keeps the newest shipping address when an older WooCommerce update is re-sent after a newer one was applied', async () => {
    const created = now() - 3_600_000;
    const demo = (b: string) => b.replace('"sku": "woo-single-1"', '"sku": "FURN_7777"').replace('"sku": "Bar3"', '"sku": "FURN_8888"').replace('"method_id": "flat_rate"', '"method_id": "Standard delivery"');
    const order = demo(wooOrder(9501, created, created + 1_000, '969 Market'));
    const older = demo(wooOrder(9501, created, created + 60_000, '1 Old Street'));
    const newer = demo(wooOrder(9501, created, created + 120_000, '2 New Street'));
    expect((await deliver('woocommerce', order, wooHeaders(order, 'order.created'))).items[0]).toMatchObject({ status: 'completed', outcome: 'created' });
    expect((await deliver('woocommerce', older, wooHeaders(older, 'order.updated'))).items[0]).toMatchObject({ status: 'completed', outcome: 'updated' });
    expect((await deliver('woocommerce', newer, wooHeaders(newer, 'order.updated'))).items[0]).toMatchObject({ status: 'completed', outcome: 'updated' });
    expect(t.sim.state.saleOrders({ externalId: '9501' })[0]!.shippingAddress).toMatchObject({ street: '2 New Street' });

    const replay = await deliver('woocommerce', older, wooHeaders(older, 'order.updated'));
    expect(t.sim.state.saleOrders({ externalId: '9501' })[0]!.shippingAddress).toMatchObject({ street: '2 New Street' });
    expect(replay.status).toBe(200);
    expect(replay.answer).toMatchObject({ outcome: 'stale', intake_ids: [] });
  });

  it('ends with the newest address in Odoo when several versions of an update arrive at once', async () => {
    const created = now() - 3_600_000;
    const demo = (b: string) => b.replace('"sku": "woo-single-1"', '"sku": "FURN_7777"').replace('"sku": "Bar3"', '"sku": "FURN_8888"').replace('"method_id": "flat_rate"', '"method_id": "Standard delivery"');
    const order = demo(wooOrder(9502, created, created + 1_000, '969 Market'));
    expect((await deliver('woocommerce', order, wooHeaders(order, 'order.created'))).items[0]).toMatchObject({ status: 'completed', outcome: 'created' });
    const versions = Array.from({ length: 8 }, (_, i) => demo(wooOrder(9502, created, created + (i + 2) * 1_000, `${i + 1} Street`)));
    const results = await Promise.all([...versions].reverse().map((b) => deliver('woocommerce', b, wooHeaders(b, 'order.updated'))));
    expect(results.every((r) => r.status === 200 && r.items.every((i) => i?.status === 'completed'))).toBe(true);
    expect(t.sim.state.saleOrders({ externalId: '9502' })[0]!.shippingAddress).toMatchObject({ street: '8 Street' });
  });
});
