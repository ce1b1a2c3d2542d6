/**
 * The golden request examples, posted as they are (no edits) to a gateway on the demo's fake Odoo,
 * in the order a partner would send them, all succeed: the order is created, shipped, returned,
 * the count applied; the cancel example cancels a second order.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** How long a background step may take before a wait gives up (a stuck run, not a slow one). */
const WAIT_MS = 60_000;

const raw = (name: string) => readFileSync(new URL(`../../contracts/examples/api/${name}.json`, import.meta.url), 'utf8');

let t: TestGateway;
let token: string;
beforeAll(async () => {
  t = await startTestGateway();
  token = await t.token('demo');
});
afterAll(async () => t?.close());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  t.fetch(path, { method: 'POST', token, headers: { 'content-type': 'application/json', ...headers }, body });

async function outcome(location: string): Promise<{ status?: string; state?: string; outcome?: string; reasons?: unknown[] }> {
  for (const until = Date.now() + WAIT_MS; Date.now() < until; ) {
    const body = (await (await t.fetch(location, { token })).json()) as { status?: string; state?: string };
    if (!['accepted', 'processing'].includes(body.status ?? body.state ?? 'accepted')) return body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${location} never settled`);
}

it('posts every golden example to the demo successfully', async () => {
  const order = await post('/v1/orders', raw('order'), { 'idempotency-key': 'golden-order', prefer: 'wait=10' });
  expect(order.status).toBe(201);
  expect(await order.json()).toMatchObject({ state: 'created', amount_total: '89.54' });

  const shipment = await post('/v1/shipments', raw('shipment-confirmation'));
  expect(shipment.status).toBe(202);
  expect(await outcome(shipment.headers.get('location')!)).toMatchObject({ status: 'completed', reasons: [] });

  const ret = await post('/v1/returns', raw('return'));
  expect(ret.status).toBe(202);
  expect(await outcome(ret.headers.get('location')!)).toMatchObject({ status: 'completed', reasons: [] });

  const count = await post('/v1/inventory/counts', raw('stock-count'));
  expect(count.status).toBe(202);
  expect(await outcome(count.headers.get('location')!)).toMatchObject({ status: 'completed', outcome: 'applied' });

  const second = JSON.stringify({ ...JSON.parse(raw('order')), external_id: 'WEB-100235' });
  const created = await post('/v1/orders', second, { 'idempotency-key': 'golden-order-2', prefer: 'wait=10' });
  expect(created.status).toBe(201);
  const cancel = await post(`${created.headers.get('location')}/cancel`, raw('order-cancel-request'));
  expect(cancel.status).toBe(202);
  for (const until = Date.now() + WAIT_MS; Date.now() < until; ) {
    const s = (await (await t.fetch(created.headers.get('location')!, { token })).json()) as { state: string };
    if (s.state === 'cancelled') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(((await (await t.fetch(created.headers.get('location')!, { token })).json()) as { state: string }).state).toBe('cancelled');
});
