/**
 * Business sanity on a real Odoo with the retail_gateway addon, through a gateway process and
 * checked by an independent XML-RPC reader (odoo-await):
 * - a Stripe payment of 1.00 on a larger order leaves it `partially_paid`, never `paid`
 *   (Odoo compares the payment with the order total it computed; the gateway only reports it);
 * - a line of 999,999 units is refused at the edge (422 `quantity_limit`) and, sent straight to
 *   the addon over RPC, rejected by Odoo with the same code: no sale order either way.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OdooClient } from '../../gateway/src/odoo/client.js';
import type { ChildGateway } from '../intake/child.js';
import { independentReader, live } from './live-env.js';
import { liveOrder } from './order.js';
import { livePartnerGateway, type LivePartnerGateway } from './partner-gateway.js';

const STRIPE_SECRET = `whsec_live_${randomBytes(8).toString('hex')}`;
const stripe = new Stripe('sk_test_not_used_for_network');

describe.skipIf(!live)('business sanity on a real Odoo', () => {
  const code = `rgsan${randomBytes(3).toString('hex')}`;
  const run = Date.now();
  let gateway: ChildGateway;
  let odoo: OdooClient;
  let setup: LivePartnerGateway | undefined;
  let token = '';
  const externalIds: string[] = [];

  const orderOf = (externalId: string, quantity = 1) =>
    liveOrder({
      externalId,
      buyer: 'Sanity Live',
      email: 'sanity-live@example.com',
      lines: [{ sku: 'FURN_8888', quantity, unit_price: '40.00' }],
      payment: { method: 'card', status: 'pending' },
    });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${gateway.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) } });

  /** Polls the order until `done` holds (expect.poll: a bounded wait on a condition). */
  async function orderWhen(id: string, done: (o: Record<string, unknown>) => boolean) {
    let last: Record<string, unknown> = {};
    await expect
      .poll(async () => {
        last = (await (await api(`/v1/orders/${id}`)).json()) as Record<string, unknown>;
        return done(last);
      }, { timeout: 90_000, interval: 200 })
      .toBe(true);
    return last;
  }

  beforeAll(async () => {
    setup = await livePartnerGateway({
      code,
      name: `Sanity ${code}`,
      scopes: 'orders:read orders:write',
      beforeStart: (client) => client.rpc('rotate_inbound_secret', { partner: code, provider: 'stripe', secret: STRIPE_SECRET, grace_seconds: 0 }),
    });
    ({ gateway, odoo, token } = setup);
  }, 180_000);

  afterAll(async () => {
    if (externalIds.length) {
      await odoo?.rpc('cancel_orders', { partner: code, refs: externalIds.map((id, i) => ({ intake_id: `cleanup-${i}`, item: { external_id: id } })) }).catch(() => undefined);
    }
    await setup?.close();
  });

  it('a payment of 1.00 on a larger order is partially_paid, through the API and in Odoo', async () => {
    const externalId = `LIVE-SAN-PAY-${run}`;
    externalIds.push(externalId);
    const res = await api('/v1/orders', { method: 'POST', headers: { 'idempotency-key': externalId }, body: JSON.stringify(orderOf(externalId)) });
    expect(res.status, await res.clone().text()).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const created = await orderWhen(id, (o) => o.state !== 'accepted');
    expect(created).toMatchObject({ state: 'created', payment: 'pending' });
    expect(Number(created.amount_total)).toBeGreaterThan(1);

    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      id: `evt_${externalId}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: now,
      data: { object: { id: `pi_${externalId}`, object: 'payment_intent', status: 'succeeded', amount: 100, amount_received: 100, currency: 'usd', metadata: { order_id: externalId } } },
    });
    const hook = await fetch(`${gateway.url}/webhooks/stripe/${code}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: now }) },
      body,
    });
    expect(hook.status, await hook.clone().text()).toBe(200);

    const after = await orderWhen(id, (o) => o.payment !== 'pending');
    expect(after.payment).toBe('partially_paid');
    const reader = await independentReader();
    const rows = (await reader.searchRead('sale.order', [['rg_external_id', '=', externalId]], ['rg_payment_status', 'amount_total'])) as { rg_payment_status: string; amount_total: number }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.rg_payment_status).toBe('partially_paid');
    expect(rows[0]!.amount_total).toBeGreaterThan(1);
  }, 180_000);

  it('refuses a line of 999,999 units at the edge, and Odoo rejects it from a direct RPC caller', async () => {
    const externalId = `LIVE-SAN-QTY-${run}`;
    const res = await api('/v1/orders', { method: 'POST', headers: { 'idempotency-key': externalId }, body: JSON.stringify(orderOf(externalId, 999_999)) });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('quantity_limit');

    const order = { ...orderOf(externalId, 999_999), lines: [{ sku: 'FURN_8888', quantity: 999_999, unit_price: '40.00', discount_percent: '0' }], payment: { method: 'card', status: 'pending' as const } };
    const { results } = await odoo.rpc('submit_orders', { partner: code, orders: [{ intake_id: 'direct-qty', item: order }] });
    expect(results[0]).toMatchObject({ status: 'rejected', reasons: [expect.objectContaining({ code: 'quantity_limit', field: 'lines/0/quantity' })] });
    const reader = await independentReader();
    expect(await reader.searchRead('sale.order', [['rg_external_id', '=', externalId]], ['id'])).toEqual([]);
  }, 120_000);
});
