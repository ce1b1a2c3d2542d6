/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies are checked field by field here */
/**
 * Business sanity at the edge, against the fake Odoo (which applies the addon's rules): a line
 * above the partner's max_line_quantity is refused with 422 `quantity_limit` on the API and
 * rejected (`quantity_limit`) by Odoo when it arrives another way (an inbound webhook, a direct
 * RPC call); a payment short of the order total leaves the order `partially_paid`, never `paid`,
 * and the gateway only reports Odoo's payment status.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../contracts/src/errors.js';
import { DEFAULT_MAX_LINE_QUANTITY } from '../../contracts/src/partner.js';
import { startOdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type FakeOdoo, type TestGateway } from '../support/gateway.js';
import { fixture, opensslHmacBase64 } from '../webhooks/support.js';

/** How long a background step may take before a wait gives up (a stuck run, not a slow one). */
const WAIT_MS = 60_000;
const STRIPE_SECRET = 'whsec_sanity_stripe_secret';
const SHOPIFY_SECRET = 'shpss_sanity_shopify_secret';
const stripe = new Stripe('sk_test_not_used_for_network');

const example = JSON.parse(readFileSync(new URL('../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, any>;
let seq = 0;
const newOrder = (over: Record<string, unknown> = {}) => ({ ...example, external_id: `S-${Date.now()}-${++seq}`, ...over });

let sim: FakeOdoo;
let t: TestGateway;
let acme: string;
let bulk: string;

async function postOrder(order: Record<string, unknown>, token: string) {
  return t.fetch('/v1/orders', { method: 'POST', token, headers: { 'content-type': 'application/json', 'idempotency-key': `k-${String(order.external_id)}` }, body: JSON.stringify(order) });
}

/** Polls the order until it leaves the queue (a bounded loop, no timing assertion). */
async function settled(location: string, token: string, until: (body: any) => boolean = (b) => b.state !== 'accepted'): Promise<any> {
  for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
    const body = (await (await t.fetch(location, { token })).json()) as any;
    if (until(body)) return body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${location} never settled`);
}

async function createdOrder(token: string, over: Record<string, unknown> = {}) {
  const order = newOrder(over);
  const res = await postOrder(order, token);
  expect(res.status).toBe(202);
  const location = res.headers.get('location')!;
  const status = await settled(location, token);
  expect(status.state).toBe('created');
  return { order, location, status };
}

/** A signed Stripe payment_intent.succeeded for `orderId` of `minor` units of `currency`. */
async function stripePayment(orderId: string, minor: number, currency = 'eur') {
  const id = `${orderId}-${minor}-${++seq}`;
  const body = JSON.stringify({
    id: `evt_${id}`,
    object: 'event',
    type: 'payment_intent.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: `pi_${id}`, object: 'payment_intent', status: 'succeeded', amount: minor, amount_received: minor, currency, metadata: { order_id: orderId } } },
  });
  const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: Math.floor(Date.now() / 1000) });
  const res = await fetch(`${t.url}/webhooks/stripe/acme`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body });
  if (res.status !== 200) throw new Error(`stripe webhook: ${res.status} ${await res.text()}`);
  const { intake_ids } = (await res.json()) as { intake_ids: string[] };
  return t.gateway.services.intake!.waitFor('acme', intake_ids[0]!, WAIT_MS);
}

beforeAll(async () => {
  sim = await startOdooFake();
  const scopes = ['products:read', 'orders:read', 'orders:write'] as const;
  sim.state.addPartner({ code: 'acme', scopes: [...scopes], inboundSecrets: { stripe: STRIPE_SECRET, shopify: SHOPIFY_SECRET } });
  sim.state.addPartner({ code: 'bulk', scopes: [...scopes], maxLineQuantity: 50 });
  t = await startTestGateway({ sim });
  acme = await t.token('acme');
  bulk = await t.token('bulk');
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('per-line quantity ceiling', () => {
  it('refuses 999,999 units of a line with 422 quantity_limit, naming the line, and queues nothing', async () => {
    const order = newOrder({ lines: [{ sku: 'FURN_0001', quantity: 1, unit_price: '5.10' }, { sku: 'FURN_8888', quantity: 999_999, unit_price: '40.00' }] });
    const res = await postOrder(order, acme);
    expect(res.status).toBe(422);
    const { error } = ErrorBody.parse(await res.json());
    expect(error.code).toBe('quantity_limit');
    expect(error.details).toEqual([expect.objectContaining({ path: 'lines/1/quantity', code: 'quantity_limit' })]);
    expect(sim.state.saleOrders({ externalId: order.external_id })).toHaveLength(0);
    // With Prefer: wait the answer is the same refusal.
    const waited = await t.fetch('/v1/orders', { method: 'POST', token: acme, headers: { 'content-type': 'application/json', 'idempotency-key': `w-${order.external_id}`, prefer: 'wait=5' }, body: JSON.stringify(order) });
    expect(waited.status).toBe(422);
  });

  it(`accepts a line of exactly the default ceiling (${DEFAULT_MAX_LINE_QUANTITY})`, async () => {
    const { status } = await createdOrder(acme, { lines: [{ sku: 'FURN_8888', quantity: DEFAULT_MAX_LINE_QUANTITY, unit_price: '40.00' }], payment: { method: 'card', status: 'pending' } });
    expect(status.reasons).toEqual([]);
  });

  it("applies the partner registry's own ceiling", async () => {
    const over = await postOrder(newOrder({ lines: [{ sku: 'FURN_8888', quantity: 51, unit_price: '40.00' }] }), bulk);
    expect(over.status).toBe(422);
    expect(ErrorBody.parse(await over.json()).error.message).toContain('more than 50 units');
    await createdOrder(bulk, { lines: [{ sku: 'FURN_8888', quantity: 50, unit_price: '40.00' }], payment: { method: 'card', status: 'pending' } });
  });

  it('a storefront order above the ceiling is accepted into intake, then rejected by Odoo with quantity_limit', async () => {
    const shopify = JSON.parse(fixture('shopify/orders-create.json')) as any;
    shopify.id = 820982911946150;
    shopify.line_items[0].sku = 'FURN_7777';
    shopify.line_items[0].quantity = 999_999;
    shopify.line_items[1].sku = 'FURN_8888';
    shopify.shipping_lines = [];
    const body = JSON.stringify(shopify);
    const res = await fetch(`${t.url}/webhooks/shopify/acme`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-hmac-sha256': opensslHmacBase64(SHOPIFY_SECRET, body), 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': 'sanity-qty-1', 'x-shopify-triggered-at': new Date().toISOString() },
      body,
    });
    expect(res.status).toBe(200);
    const { intake_ids } = (await res.json()) as { intake_ids: string[] };
    const item = await t.gateway.services.intake!.waitFor('acme', intake_ids[0]!, WAIT_MS);
    expect(item?.status).toBe('rejected');
    expect(item?.reasons).toEqual([expect.objectContaining({ code: 'quantity_limit', field: 'lines/0/quantity' })]);
    expect(sim.state.saleOrders({ externalId: String(shopify.id) })).toHaveLength(0);
  });

  it('a direct RPC caller cannot go past the ceiling either', async () => {
    const order = newOrder({ lines: [{ sku: 'FURN_8888', quantity: 999_999, unit_price: '40.00', discount_percent: '0' }] });
    const { results } = await t.gateway.services.odoo.rpc('submit_orders', { partner: 'acme', orders: [{ intake_id: 'ord_direct_1', item: order as any }] });
    expect(results[0]).toMatchObject({ status: 'rejected', reasons: [expect.objectContaining({ code: 'quantity_limit' })] });
  });
});

describe("payments against Odoo's order total", () => {
  it('a payment of 1.00 on an order of 89.54 leaves it partially_paid; the rest makes it paid', async () => {
    const { order, location, status } = await createdOrder(acme, { payment: { method: 'card', status: 'pending' } });
    expect(status).toMatchObject({ amount_total: '89.54', payment: 'pending' });
    const first = await stripePayment(order.external_id, 100);
    expect(first?.status).toBe('completed');
    expect((await settled(location, acme)).payment).toBe('partially_paid');
    const rest = await stripePayment(order.external_id, 8854);
    expect(rest?.status).toBe('completed');
    expect((await settled(location, acme)).payment).toBe('paid');
  });

  it("a channel's later \"paid\" does not overrule a payment short of the total", async () => {
    const { order, location } = await createdOrder(acme, { payment: { method: 'card', status: 'pending' } });
    expect((await stripePayment(order.external_id, 100))?.status).toBe('completed');
    const { results } = await t.gateway.services.odoo.rpc('update_orders', { partner: 'acme', items: [{ intake_id: 'upd_paid_1', item: { external_id: order.external_id, payment_status: 'paid' } }] });
    expect(results[0]?.status).toBe('updated');
    expect((await settled(location, acme)).payment).toBe('partially_paid');
  });

  it('an order submitted as paid with an amount short of the total is partially_paid', async () => {
    const { status } = await createdOrder(acme, { payment: { method: 'card', status: 'paid', amount: '1.00' } });
    expect(status.payment).toBe('partially_paid');
    const exact = await createdOrder(acme);
    expect(exact.status.payment).toBe('paid');
  });

  it('a payment in another currency is rejected with a reason', async () => {
    const { order, location } = await createdOrder(acme, { payment: { method: 'card', status: 'pending' } });
    const item = await stripePayment(order.external_id, 8954, 'usd');
    expect(item).toMatchObject({ status: 'rejected', reasons: [expect.objectContaining({ code: 'unknown_currency' })] });
    expect((await settled(location, acme)).payment).toBe('pending');
  });
});
