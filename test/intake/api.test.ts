/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies are checked field by field here */
/**
 * API v1 through real HTTP against a gateway on the fake Odoo: each route's happy path, its errors,
 * scopes and tenant isolation, and the OpenAPI document.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { Validator } from '@seriousme/openapi-schema-validator';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Availability } from '../../contracts/src/availability.js';
import { ErrorBody } from '../../contracts/src/errors.js';
import { IntakeItemStatus, IntakeReceipt } from '../../contracts/src/intake.js';
import { OrderStatus } from '../../contracts/src/order.js';
import { readGatewayEvents } from '../../gateway/src/intake/events.js';
import { startOdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type FakeOdoo, type TestGateway } from '../support/gateway.js';

/** How long a background step may take before a wait gives up (a stuck run, not a slow one). */
const WAIT_MS = 60_000;

const example = (name: string) => JSON.parse(readFileSync(new URL(`../../contracts/examples/api/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;
const json = { 'content-type': 'application/json' };
let seq = 0;
const newOrder = (over: Record<string, unknown> = {}) => ({ ...example('order'), external_id: `T-${Date.now()}-${++seq}`, ...over });

let t: TestGateway;
let demo: string;
let acme: string;
let globex: string;

async function post(path: string, body: unknown, token: string, headers: Record<string, string> = {}) {
  return t.fetch(path, { method: 'POST', token, headers: { ...json, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Polls a status resource until its state/status leaves the queue (no timing assertion: a bounded loop). */
async function settled(path: string, token: string): Promise<any> {
  for (const until = Date.now() + WAIT_MS; Date.now() < until; ) {
    const body = (await (await t.fetch(path, { token })).json()) as { state?: string; status?: string };
    const s = body.state ?? body.status;
    if (s && !['accepted', 'processing'].includes(s)) return body;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${path} never settled`);
}

async function createdOrder(token = demo, over: Record<string, unknown> = {}) {
  const order = newOrder(over);
  const res = await post('/v1/orders', order, token, { 'idempotency-key': `k-${order.external_id}` });
  expect(res.status).toBe(202);
  const location = res.headers.get('location')!;
  const status = await settled(location, token);
  return { order, location, id: location.split('/').pop()!, status };
}

let sim: FakeOdoo;

beforeAll(async () => {
  // Partners exist before the gateway loads the registry.
  sim = await startOdooFake();
  for (const code of ['acme', 'globex']) {
    if (!sim.state.partners.has(code)) {
      sim.state.addPartner({ code, scopes: ['products:read', 'inventory:read', 'orders:read', 'orders:write', 'returns:read', 'returns:write', 'shipments:read', 'shipments:write', 'inventory:write'] });
    }
  }
  t = await startTestGateway({ sim });
  demo = await t.token('demo');
  acme = await t.token('acme');
  globex = await t.token('globex');
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('POST /v1/orders', () => {
  it('accepts durably: 202, Location, a receipt, and the order reaches Odoo', async () => {
    const order = newOrder();
    const res = await post('/v1/orders', order, acme, { 'idempotency-key': `a-${order.external_id}` });
    expect(res.status).toBe(202);
    const receipt = IntakeReceipt.parse(await res.json());
    expect(res.headers.get('location')).toBe(`/v1/orders/${receipt.id}`);
    expect(receipt).toMatchObject({ external_id: order.external_id, status: 'accepted', duplicate: false });
    const status = OrderStatus.parse(await settled(receipt.location, acme));
    expect(status.state).toBe('created');
    expect(status.odoo?.name).toMatch(/^S\d+/);
    expect(status.amount_total).toBe('89.54');
    expect(t.sim.state.saleOrders({ externalId: order.external_id })).toHaveLength(1);
    expect(t.sim.state.saleOrders({ externalId: order.external_id, partner: 'acme' })).toHaveLength(1);
    const events = (await readGatewayEvents(t.gateway.services.store, { partner: 'acme', limit: 1000 })).map((e) => e.envelope);
    expect(events.some((e) => e.type === 'order.accepted' && e.data.external_id === order.external_id)).toBe(true);
  });

  it('replays the same response for the same key and body', async () => {
    const order = newOrder();
    const headers = { 'idempotency-key': `r-${order.external_id}` };
    const first = await post('/v1/orders', order, acme, headers);
    const second = await post('/v1/orders', order, acme, headers);
    expect(second.status).toBe(first.status);
    expect(await second.json()).toEqual(await first.json());
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('refuses the same key with another body (422 idempotency_key_reused)', async () => {
    const order = newOrder();
    const headers = { 'idempotency-key': `m-${order.external_id}` };
    expect((await post('/v1/orders', order, acme, headers)).status).toBe(202);
    const res = await post('/v1/orders', { ...order, note: 'changed' }, acme, headers);
    expect(res.status).toBe(422);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('idempotency_key_reused');
  });

  it('answers 409 idempotency_key_in_use while the first request is still waiting, then 201', async () => {
    const order = newOrder();
    const headers = { 'idempotency-key': `w-${order.external_id}`, prefer: 'wait=10' };
    t.sim.cost.perBatchMs = 600;
    try {
      const first = post('/v1/orders', order, acme, headers);
      let conflict: Response | undefined;
      for (let i = 0; i < 100 && !conflict; i++) {
        const r = await post('/v1/orders', order, acme, headers);
        if (r.status === 409) conflict = r;
        else await new Promise((res) => setTimeout(res, 5));
      }
      expect(conflict?.status).toBe(409);
      expect(ErrorBody.parse(await conflict!.json()).error.code).toBe('idempotency_key_in_use');
      const done = await first;
      expect(done.status).toBe(201);
      expect(done.headers.get('preference-applied')).toBe('wait=10');
      const body = OrderStatus.parse(await done.json());
      expect(body.state).toBe('created');
      const replay = await post('/v1/orders', order, acme, headers);
      expect(replay.status).toBe(201);
      expect(await replay.json()).toEqual(body);
    } finally {
      t.sim.cost.perBatchMs = 0;
    }
  });

  it('same key of another partner is another key', async () => {
    const order = newOrder();
    const key = { 'idempotency-key': `shared-${order.external_id}` };
    expect((await post('/v1/orders', order, acme, key)).status).toBe(202);
    const other = await post('/v1/orders', { ...order, note: 'globex' }, globex, key);
    expect(other.status).toBe(202);
  });

  it('answers a repeated external id (new key) with the first order, marked duplicate', async () => {
    const order = newOrder();
    const a = IntakeReceipt.parse(await (await post('/v1/orders', order, acme, { 'idempotency-key': `d1-${order.external_id}` })).json());
    const b = IntakeReceipt.parse(await (await post('/v1/orders', order, acme, { 'idempotency-key': `d2-${order.external_id}` })).json());
    expect(b.id).toBe(a.id);
    expect(b.duplicate).toBe(true);
  });

  it.each([
    ['no Idempotency-Key', () => post('/v1/orders', newOrder(), acme), 400, 'idempotency_key_missing'],
    ['an Odoo-owned field', () => post('/v1/orders', newOrder({ state: 'sale' }), acme, { 'idempotency-key': `o-${Date.now()}` }), 422, 'field_not_writable'],
    ['an order without lines', () => post('/v1/orders', newOrder({ lines: [] }), acme, { 'idempotency-key': `v-${Date.now()}` }), 422, 'validation_failed'],
    ['malformed JSON', () => post('/v1/orders', '{"external_id": ', acme, { 'idempotency-key': `j-${Date.now()}` }), 400, 'malformed_json'],
    ['no token', () => t.fetch('/v1/orders', { method: 'POST', headers: { ...json, 'idempotency-key': 'x' }, body: JSON.stringify(newOrder()) }), 401, 'unauthorized'],
  ])('refuses %s', async (_name, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(ErrorBody.parse(await res.json()).error.code).toBe(code);
  });

  it('names the Odoo-owned field in the message', async () => {
    const res = await post('/v1/orders', newOrder({ amount_total: '1.00' }), acme, { 'idempotency-key': `f-${Date.now()}` });
    const body = ErrorBody.parse(await res.json());
    expect(body.error.message).toContain('"amount_total"');
    expect(body.error.details).toEqual({ fields: ['amount_total'] });
  });

  it('needs orders:write (403 insufficient_scope)', async () => {
    const readOnly = await t.token('acme', 'acme-secret', 'orders:read');
    const res = await post('/v1/orders', newOrder(), readOnly, { 'idempotency-key': `s-${Date.now()}` });
    expect(res.status).toBe(403);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('insufficient_scope');
  });

  it('records a rejection with its reasons and an order.rejected event', async () => {
    const order = newOrder({ lines: [{ sku: 'NO-SUCH-SKU', quantity: 1, unit_price: '1.00' }] });
    const res = await post('/v1/orders', order, acme, { 'idempotency-key': `rj-${order.external_id}`, prefer: 'wait=10' });
    expect(res.status).toBe(200);
    const status = OrderStatus.parse(await res.json());
    expect(status.state).toBe('rejected');
    expect(status.reasons[0]).toMatchObject({ code: 'unknown_sku', field: 'lines/0/sku' });
    const events = (await readGatewayEvents(t.gateway.services.store, { partner: 'acme', limit: 1000 })).map((e) => e.envelope);
    const rejected = events.find((e) => e.type === 'order.rejected' && e.data.external_id === order.external_id);
    expect(rejected?.sequence).toBe(2);
  });
});

describe('GET /v1/orders/{id} and cancel', () => {
  it('hides another partner\'s order (404), for reading and cancelling', async () => {
    const { location } = await createdOrder(acme);
    expect((await t.fetch(location, { token: globex })).status).toBe(404);
    expect((await post(`${location}/cancel`, {}, globex)).status).toBe(404);
    expect((await t.fetch('/v1/orders/ord_doesnotexist0000000000', { token: acme })).status).toBe(404);
  });

  it('cancels an order', async () => {
    const { location } = await createdOrder(acme);
    const res = await post(`${location}/cancel`, example('order-cancel-request'), acme);
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(location);
    let status: any;
    for (const until = Date.now() + WAIT_MS; Date.now() < until; ) {
      status = await (await t.fetch(location, { token: acme })).json();
      if (status.state === 'cancelled') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(status.state).toBe('cancelled');
  });
});

describe('shipments and returns', () => {
  it('confirms a partial shipment (backorder), lists shipments, then takes a return', async () => {
    const { order, id } = await createdOrder(acme);
    const shipment = { ...example('shipment-confirmation'), external_id: `SHP-${order.external_id}`, order_external_id: order.external_id, lines: [{ sku: 'FURN_8888', quantity: 1 }, { sku: 'FURN_0001', quantity: 1 }] };
    const res = await post('/v1/shipments', shipment, acme);
    expect(res.status).toBe(202);
    const confirmation = IntakeItemStatus.parse(await settled(res.headers.get('location')!, acme));
    expect(confirmation.status).toBe('completed');
    expect(confirmation.related.backorder).not.toBeNull();

    const list = await t.fetch(`/v1/shipments?order_id=${id}`, { token: acme });
    expect(list.status).toBe(200);
    const { data } = (await list.json()) as { data: any[] };
    const shipped = data.find((s) => s.state === 'shipped');
    expect(shipped?.tracking_number).toBe(example('shipment-confirmation').tracking_number);
    // The order planned "standard"; the 3PL's carrier and ship time are what it reported.
    expect(shipped?.carrier).toBe(example('shipment-confirmation').carrier);
    expect(Date.parse(shipped?.shipped_at)).toBe(Date.parse(example('shipment-confirmation').shipped_at));
    expect(shipped?.lines.find((l: any) => l.sku === 'FURN_8888')?.shipped).toBe(1);
    expect(data.some((s) => s.state !== 'shipped')).toBe(true); // the backorder
    expect((await t.fetch(`/v1/shipments?order_id=${id}`, { token: globex })).status).toBe(404);

    const ret = { ...example('return'), external_id: `RMA-${order.external_id}`, order_external_id: order.external_id };
    const r = await post('/v1/returns', ret, acme);
    expect(r.status).toBe(202);
    const location = r.headers.get('location')!;
    expect(location).toMatch(/^\/v1\/returns\/ret_/);
    const status = IntakeItemStatus.parse(await settled(location, acme));
    expect(status.status).toBe('completed');
    expect(status.odoo).not.toBeNull();
    expect((await t.fetch(location, { token: globex })).status).toBe(404);
  });

  it('refuses a shipment that sets an Odoo-owned field', async () => {
    const res = await post('/v1/shipments', { ...example('shipment-confirmation'), backorder: true }, acme);
    expect(res.status).toBe(422);
    expect(ErrorBody.parse(await res.json()).error.code).toBe('field_not_writable');
  });
});

describe('inventory', () => {
  it('answers availability with as_of and an ETag; If-None-Match gives 304', async () => {
    const res = await t.fetch('/v1/inventory?sku=FURN_8888,FURN_0001&warehouse=WH', { token: acme });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: unknown[] };
    const items = data.map((d) => Availability.parse(d));
    expect(items.map((i) => i.sku)).toEqual(['FURN_0001', 'FURN_8888']);
    expect(items.every((i) => i.warehouse === 'WH' && i.available === Math.max(0, i.on_hand - i.reserved - i.safety_stock))).toBe(true);
    let etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    // The orders above settle in the background (Odoo reserves their units, their promises end),
    // which may change these figures between two reads on a busy machine: a 200 must then carry
    // another ETag, and the conditional read is made again with it. The same ETag is a 304.
    for (let changes = 0; ; changes++) {
      const again = await t.fetch('/v1/inventory?sku=FURN_8888,FURN_0001&warehouse=WH', { token: acme, headers: { 'if-none-match': etag } });
      if (again.status === 304) break;
      expect(again.status).toBe(200);
      const next = again.headers.get('etag')!;
      expect(next).not.toBe(etag);
      expect(changes).toBeLessThan(20);
      etag = next;
    }
  });

  it('refuses a bad SKU list', async () => {
    const res = await t.fetch(`/v1/inventory?sku=${encodeURIComponent(' ,')}`, { token: acme });
    expect(res.status).toBe(422);
  });

  it('streams a snapshot of every SKU as NDJSON', async () => {
    const res = await t.fetch('/v1/inventory/snapshot', { token: acme });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((l) => Availability.parse(JSON.parse(l)));
    expect(lines.length).toBeGreaterThan(10);
    expect(new Set(lines.map((l) => `${l.sku}/${l.warehouse}`)).size).toBe(lines.length);
  });

  it('applies a stock count, and hides it from other partners', async () => {
    const count = { ...example('stock-count'), external_id: `CNT-${Date.now()}`, lines: [{ sku: 'FURN_8888', quantity: 77 }] };
    const res = await post('/v1/inventory/counts', count, acme);
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    const status = IntakeItemStatus.parse(await settled(location, acme));
    expect(status.status).toBe('completed');
    expect(status.outcome).toBe('applied');
    expect((await t.fetch(location, { token: globex })).status).toBe(404);
    expect(t.sim.state.stock('FURN_8888', 'WH').on_hand).toBe(77);
  });

  it('refuses a count that writes availability fields (Odoo-owned)', async () => {
    const res = await post('/v1/inventory/counts', { ...example('stock-count'), available: 3 }, acme);
    expect(res.status).toBe(422);
    expect(ErrorBody.parse(await res.json()).error.message).toContain('"available"');
  });
});

describe('products', () => {
  it('pages through the catalog in a stable order with a cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.fetch(`/v1/products?limit=5${cursor ? `&cursor=${cursor}` : ''}`, { token: acme });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { data: { sku: string }[]; next_cursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(5);
      seen.push(...page.data.map((v) => v.sku));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 50);
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain('FURN_8888');
  });

  it('serves one SKU with an ETag and 304, and 404 for an unknown one', async () => {
    const res = await t.fetch('/v1/products/FURN_8888', { token: acme });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sku: 'FURN_8888', list_price: '40.00' });
    const again = await t.fetch('/v1/products/FURN_8888', { token: acme, headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await t.fetch('/v1/products/NOPE-1', { token: acme })).status).toBe(404);
  });

  it('filters by updated_since', async () => {
    const res = await t.fetch(`/v1/products?updated_since=${encodeURIComponent('2999-01-01T00:00:00Z')}`, { token: acme });
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([]);
  });
});

describe('OpenAPI document and /docs', () => {
  let doc: any;
  beforeAll(async () => {
    doc = await (await t.fetch('/openapi.json')).json();
  });

  it('is OpenAPI 3.1 and describes every v1 route', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, method] of [
      ['/v1/products', 'get'], ['/v1/products/{sku}', 'get'], ['/v1/inventory', 'get'], ['/v1/inventory/snapshot', 'get'],
      ['/v1/orders', 'post'], ['/v1/orders/{id}', 'get'], ['/v1/orders/{id}/cancel', 'post'], ['/v1/returns', 'post'],
      ['/v1/returns/{id}', 'get'], ['/v1/shipments', 'get'], ['/v1/shipments', 'post'], ['/v1/inventory/counts', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });

  it('carries the golden example on every request body', () => {
    const expected: Record<string, string> = {
      '/v1/orders': 'order', '/v1/orders/{id}/cancel': 'order-cancel-request', '/v1/returns': 'return', '/v1/shipments': 'shipment-confirmation', '/v1/inventory/counts': 'stock-count',
    };
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const op of Object.values<any>(item)) {
        const body = op?.requestBody?.content?.['application/json'];
        if (!body || !path.startsWith('/v1/') || !expected[path]) continue;
        expect(body.example, path).toEqual(example(expected[path]));
      }
    }
  });

  it('passes an OpenAPI 3.1 validator', async () => {
    // The validator checks against the OpenAPI Initiative's published 3.1 JSON Schema.
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(validator.version).toBe('3.1');
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('serves a self-contained reference page', async () => {
    const res = await t.fetch('/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('/openapi.json');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href="https?:/i);
  });
});
