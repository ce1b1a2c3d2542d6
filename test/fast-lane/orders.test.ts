/**
 * `POST /v1/orders` through whole gateways, once with the order lane in front of Hono and once
 * without it: the same cases, the same expectations (status, headers incl. Location, RateLimit,
 * Idempotent-Replayed and the request id, body; every refusal: body limit, JSON, Odoo-owned
 * fields, the contract, the caller-input rules, the line ceiling, the stock promise, the
 * Idempotency-Key, the rate limit; the request metrics and the order funnel). Each case also says
 * whether the lane takes it, and with the lane off nothing may reach it. At the end, the answers of
 * both runs are compared field by field, and so are the orders each gateway queued.
 */
import '@hono/zod-openapi';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../contracts/src/errors.js';
import { IntakeReceipt } from '../../contracts/src/intake.js';
import { orderLaneAnswered } from '../../gateway/src/fast-lane/order-lane.js';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

// The premium tier refills one request per 100 s: within a test only its burst of 3 exists.
const tiers = JSON.stringify({ premium: { rate: 0.01, burst: 3 } });
const BODY_LIMIT = 4096;

const golden = JSON.parse(readFileSync(new URL('../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const order = (externalId: string, changes: Record<string, unknown> = {}) => JSON.stringify({ ...golden, external_id: externalId, ...changes });

interface Seen {
  status: number;
  headers: Record<string, string>;
  body: string;
}
const ANSWER_HEADERS = ['x-request-id', 'ratelimit-policy', 'ratelimit', 'retry-after', 'location', 'idempotent-replayed', 'content-type', 'content-length', 'www-authenticate'];
const seen: Record<'lane' | 'hono', Map<string, Seen>> = { lane: new Map(), hono: new Map() };
const queued: Record<'lane' | 'hono', string[]> = { lane: [], hono: [] };

let sim: OdooFake;
beforeAll(async () => {
  sim = await startOdooFake();
  sim.state.addPartner({ code: 'narrow', scopes: ['orders:read'] });
  sim.state.addPartner({ code: 'small', scopes: ['orders:write'], tier: 'premium' });
  sim.state.addPartner({ code: 'strict', scopes: ['orders:write'], oversellPolicy: 'reject', maxLineQuantity: 500 });
});
afterAll(async () => {
  await sim?.close();
});

describe.each([
  { mode: 'lane' as const, env: { GATEWAY_FAST_LANE: 'true' } },
  { mode: 'hono' as const, env: { GATEWAY_FAST_LANE: 'false' } },
])('orders ($mode)', ({ mode, env }) => {
  let t: TestGateway;
  const tokens: Record<string, string> = {};
  const lane = mode === 'lane';

  beforeAll(async () => {
    // No drain: both gateways see the same stock, and what each queued is compared at the end.
    t = await startTestGateway({ sim, env: { ...env, GATEWAY_RATE_LIMIT_TIERS: tiers, GATEWAY_INTAKE_DRAIN: 'false', GATEWAY_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
    for (const code of ['demo', 'narrow', 'strict']) tokens[code] = await t.token(code);
    // Put the tokens in the verified-token cache (the lane serves cached tokens only): a read each
    // (demo may read orders: 404; strict may not: 403 — after its token was verified).
    expect((await t.fetch('/v1/orders/ord_none', { token: tokens.demo })).status).toBe(404);
    expect((await t.fetch('/v1/orders/ord_none', { token: tokens.strict })).status).toBe(403);
  });
  afterAll(async () => {
    const rows = await t.gateway.services.store.query<{ external_id: string; payload: string; status: string; partner: string }>(
      'SELECT partner, external_id, status, payload FROM intake_items ORDER BY seq',
    );
    queued[mode] = rows.map((r) => `${r.partner} ${r.external_id} ${r.status} ${r.payload}`);
    await t?.close();
  });

  /** One POST: records the answer under `name` and checks whether the lane answered it (`taken`) when it is on. */
  async function post(name: string, body: string, init: { token?: string; headers?: Record<string, string>; path?: string }, taken: boolean): Promise<{ res: Response; body: string }> {
    const before = orderLaneAnswered(t.gateway.services);
    const res = await t.fetch(init.path ?? '/v1/orders', { method: 'POST', token: init.token, headers: { 'content-type': 'application/json', ...init.headers }, body });
    const text = await res.text();
    expect(orderLaneAnswered(t.gateway.services) - before, `${name}: answered by the lane`).toBe(lane && taken ? 1 : 0);
    const headers: Record<string, string> = {};
    for (const h of ANSWER_HEADERS) {
      const v = res.headers.get(h);
      if (v !== null) headers[h] = v;
    }
    seen[mode].set(name, { status: res.status, headers, body: text });
    return { res, body: text };
  }
  const errorOf = (body: string) => ErrorBody.parse(JSON.parse(body)).error;

  it('accepts an order with 202, Location and the rate-limit fields; replays it for the same key and body; refuses the key with another body', async () => {
    const first = await post('accepted', order('LANE-1'), { token: tokens.demo, headers: { 'idempotency-key': 'k-1', 'x-request-id': 'o-1' } }, true);
    expect(first.res.status).toBe(202);
    const receipt = IntakeReceipt.parse(JSON.parse(first.body));
    expect(receipt).toMatchObject({ external_id: 'LANE-1', status: 'accepted', duplicate: false, location: `/v1/orders/${receipt.id}` });
    expect(first.res.headers.get('location')).toBe(receipt.location);
    expect(first.res.headers.get('x-request-id')).toBe('o-1');
    expect(first.res.headers.get('content-type')).toBe('application/json');
    expect(first.res.headers.get('ratelimit-policy')).toMatch(/^"standard-write";q=\d+;w=\d+$/);
    expect(Number(first.res.headers.get('content-length'))).toBe(Buffer.byteLength(first.body));
    expect(first.res.headers.get('idempotent-replayed')).toBeNull();

    const again = await post('replayed', order('LANE-1'), { token: tokens.demo, headers: { 'idempotency-key': 'k-1', 'x-request-id': 'o-2' } }, true);
    expect(again.res.status).toBe(202);
    expect(again.body).toBe(first.body);
    expect(again.res.headers.get('idempotent-replayed')).toBe('true');

    const reused = await post('key-reused', order('LANE-1', { note: 'changed' }), { token: tokens.demo, headers: { 'idempotency-key': 'k-1', 'x-request-id': 'o-3' } }, true);
    expect(reused.res.status).toBe(422);
    expect(errorOf(reused.body)).toMatchObject({ code: 'idempotency_key_reused', request_id: 'o-3' });

    const duplicate = await post('duplicate', order('LANE-1'), { token: tokens.demo, headers: { 'idempotency-key': 'k-2', 'x-request-id': 'o-4' } }, true);
    expect(duplicate.res.status).toBe(202);
    expect(JSON.parse(duplicate.body)).toMatchObject({ id: receipt.id, duplicate: true });

    const charset = await post('charset', order('LANE-2'), { token: tokens.demo, headers: { 'idempotency-key': 'k-3', 'content-type': 'application/json; charset=UTF-8', 'x-request-id': 'o-5' } }, true);
    expect(charset.res.status).toBe(202);
  });

  it('refuses bad JSON, Odoo-owned fields, a broken contract, a NUL and a line over the ceiling, charged and with the request id', async () => {
    const cases: [string, string, number, string][] = [
      ['malformed', '{"external_id": "LANE-X",', 400, 'malformed_json'],
      ['odoo-owned', order('LANE-X', { state: 'sale', amount_total: '1.00' }), 422, 'field_not_writable'],
      ['contract', order('LANE-X', { lines: [] }), 422, 'validation_failed'],
      ['contract-type', order('LANE-X', { currency: 12 }), 422, 'validation_failed'],
      ['nul', order('LANE-X', { note: 'a\u0000b' }), 422, 'validation_failed'],
      ['prototype-key', order('LANE-X').replace('"note"', '"__proto__":{"x":1},"note"'), 422, 'validation_failed'],
      ['quantity', order('LANE-X', { lines: [{ sku: 'FURN_8888', quantity: 10_001, unit_price: '40.00' }] }), 422, 'quantity_limit'],
    ];
    for (const [name, body, status, code] of cases) {
      const r = await post(name, body, { token: tokens.demo, headers: { 'idempotency-key': `bad-${name}`, 'x-request-id': `bad-${name}` } }, true);
      expect(r.res.status, name).toBe(status);
      expect(errorOf(r.body), name).toMatchObject({ code, request_id: `bad-${name}` });
      expect(r.res.headers.get('ratelimit'), name).toMatch(/^"standard-write";r=\d+;t=\d+$/);
    }
    // Nothing of them was queued, nor is any of their keys kept.
    const fixed = await post('after-refusals', order('LANE-X'), { token: tokens.demo, headers: { 'idempotency-key': 'bad-contract', 'x-request-id': 'bad-fixed' } }, true);
    expect(fixed.res.status).toBe(202);
  });

  it('refuses a body over the limit with 413 before the partner is known (no charge)', async () => {
    const big = order('LANE-BIG', { note: 'x'.repeat(BODY_LIMIT) });
    const r = await post('too-large', big, { token: tokens.demo, headers: { 'idempotency-key': 'big-1', 'x-request-id': 'big-1' } }, true);
    expect(r.res.status).toBe(413);
    expect(errorOf(r.body)).toMatchObject({ code: 'payload_too_large', request_id: 'big-1' });
    expect(r.res.headers.get('ratelimit')).toBeNull();
    // Sent in chunks, without a Content-Length: the count is checked as the bytes arrive.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const before = orderLaneAnswered(t.gateway.services);
      const req = request(`${t.url}/v1/orders`, { method: 'POST', headers: { authorization: `Bearer ${tokens.demo}`, 'content-type': 'application/json', 'idempotency-key': 'big-2', 'x-request-id': 'big-2' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          expect(orderLaneAnswered(t.gateway.services) - before).toBe(lane ? 1 : 0);
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('error', reject);
      req.write(big.slice(0, 2000));
      req.end(big.slice(2000));
    });
    expect(chunked.status).toBe(413);
    expect(errorOf(chunked.body)).toMatchObject({ code: 'payload_too_large', request_id: 'big-2' });
  });

  it('refuses an order the stock cannot promise (oversell policy reject) with 409, queueing nothing and keeping no key', async () => {
    const short = order('STRICT-1', { lines: [{ sku: 'FURN_8888', quantity: 499, unit_price: '40.00' }] });
    const r = await post('insufficient-stock', short, { token: tokens.strict, headers: { 'idempotency-key': 's-1', 'x-request-id': 's-1' } }, true);
    expect(r.res.status).toBe(409);
    expect(errorOf(r.body)).toMatchObject({ code: 'insufficient_stock', request_id: 's-1', details: { lines: [{ sku: 'FURN_8888', requested: 499 }] } });
    const over = await post('strict-ceiling', order('STRICT-2', { lines: [{ sku: 'FURN_8888', quantity: 501, unit_price: '40.00' }] }), { token: tokens.strict, headers: { 'idempotency-key': 's-2', 'x-request-id': 's-2' } }, true);
    expect(errorOf(over.body)).toMatchObject({ code: 'quantity_limit', message: expect.stringContaining('more than 500 units') });
    const fits = await post('strict-fits', order('STRICT-1', { lines: [{ sku: 'FURN_8888', quantity: 1, unit_price: '40.00' }] }), { token: tokens.strict, headers: { 'idempotency-key': 's-1', 'x-request-id': 's-3' } }, true);
    expect(fits.res.status).toBe(202);
  });

  it('leaves to Hono what it does not take: no key, a bad key, Prefer, another body type, a query, an uncached or narrower token, no token', async () => {
    const cases: [string, { token?: string; headers?: Record<string, string>; path?: string }, number, string | null][] = [
      ['no-key', { token: tokens.demo }, 400, 'idempotency_key_missing'],
      ['bad-key', { token: tokens.demo, headers: { 'idempotency-key': 'with space' } }, 400, 'invalid_request'],
      ['text-plain', { token: tokens.demo, headers: { 'idempotency-key': 'h-3', 'content-type': 'text/plain' } }, 415, 'unsupported_media_type'],
      ['upper-case-type', { token: tokens.demo, headers: { 'idempotency-key': 'h-7', 'content-type': 'Application/JSON' } }, 0, null],
      ['query', { token: tokens.demo, headers: { 'idempotency-key': 'h-4' }, path: '/v1/orders?source=x' }, 202, null],
      ['no-scope', { token: tokens.narrow, headers: { 'idempotency-key': 'h-5' } }, 403, 'insufficient_scope'],
      ['no-token', { headers: { 'idempotency-key': 'h-6' } }, 401, 'unauthorized'],
    ];
    for (const [name, init, status, code] of cases) {
      const r = await post(`hono-${name}`, order(`HONO-${name}`), { ...init, headers: { 'x-request-id': `h-${name}`, ...init.headers } }, false);
      // 0: whatever Hono answers (both runs are compared at the end).
      if (status) expect(r.res.status, name).toBe(status);
      if (code) expect(errorOf(r.body), name).toMatchObject({ code, request_id: `h-${name}` });
    }
    // A token seen for the first time is verified by Hono (which caches it); the next one takes the lane.
    const fresh = await t.token('demo');
    const first = await post('fresh-token-1', order('FRESH-1'), { token: fresh, headers: { 'idempotency-key': 'f-1', 'x-request-id': 'f-1' } }, false);
    expect(first.res.status).toBe(202);
    const second = await post('fresh-token-2', order('FRESH-2'), { token: fresh, headers: { 'idempotency-key': 'f-2', 'x-request-id': 'f-2' } }, true);
    expect(second.res.status).toBe(202);
    // Prefer: wait is Hono's (the lane answers at once only); wait=0 answers the receipt with Preference-Applied.
    const before = orderLaneAnswered(t.gateway.services);
    const waited = await t.fetch('/v1/orders', { method: 'POST', token: tokens.demo, headers: { 'content-type': 'application/json', 'idempotency-key': 'w-1', prefer: 'wait=0' }, body: order('WAIT-1') });
    expect(waited.status).toBe(202);
    expect(waited.headers.get('preference-applied')).toBe('wait=0');
    await waited.arrayBuffer();
    expect(orderLaneAnswered(t.gateway.services)).toBe(before);
  });

  it('refuses with 429 once the partner’s write budget is spent, with Retry-After and RateLimit r=0', async () => {
    const small = await t.token('small');
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      // The first request verifies the token (Hono); the rest find it cached.
      const r = await post(`limited-${i}`, order(`SMALL-${i}`), { token: small, headers: { 'idempotency-key': `rl-${i}`, 'x-request-id': `rl-${i}` } }, i > 1);
      statuses.push(r.res.status);
      if (r.res.status === 429) {
        expect(errorOf(r.body)).toMatchObject({ code: 'rate_limited', request_id: `rl-${i}`, details: { policy: 'premium-write' } });
        expect(r.res.headers.get('ratelimit')).toBe(`"premium-write";r=0;t=${r.res.headers.get('retry-after')}`);
      }
    }
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
  });

  it('counts every answer in the request metrics and the order funnel', async () => {
    const text = await t.metrics();
    const count = (partner: string, status: number) =>
      Number(new RegExp(`^gateway_http_requests_total\\{method="POST",route="/v1/orders",partner="${partner}",status="${status}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    // demo: 202 ×4 in the first test + 1 after the refusals + query + upper-case type + 2 fresh-token + wait; 422 ×7 (key reuse, 5 contract, ceiling); 400 ×3 (malformed, no key, bad key).
    expect(count('demo', 202)).toBe(10);
    expect(count('demo', 422)).toBe(7);
    expect(count('demo', 400)).toBe(3);
    expect(count('demo', 415)).toBe(1);
    expect(count('strict', 409)).toBe(1);
    expect(count('strict', 422)).toBe(1);
    expect(count('strict', 202)).toBe(1);
    expect(count('small', 202)).toBe(3);
    expect(count('small', 429)).toBe(2);
    // The 401 comes before a partner is known; the 413s before the request metrics (the body limit runs first).
    expect(count('-', 401)).toBe(1);
    expect(count('-', 413)).toBe(0);
    const metric = (name: string, labels: string) => Number(new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    expect(metric('gateway_orders_received_total', 'partner="demo"')).toBe(10 + 7 + 3 + 1);
    expect(metric('gateway_orders_rejected_total', 'partner="demo",reason="validation_failed"')).toBe(7);
    expect(metric('gateway_orders_rejected_total', 'partner="demo",reason="invalid_request"')).toBe(3);
  });
});

/** What legitimately differs between two gateways: the intake ids, and the standard tier's remaining count, which refills with time. */
function comparable(a: Seen): Seen {
  const ids = (s: string) => s.replace(/ord_[0-9a-z]+/g, 'ord_…');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(a.headers)) headers[k] = ids(v);
  if (headers.ratelimit?.startsWith('"standard-write"')) headers.ratelimit = headers.ratelimit.replace(/;r=\d+;t=\d+$/, ';r=…;t=…');
  return { status: a.status, headers, body: ids(a.body) };
}

describe('the order lane and Hono', () => {
  it('gave the same answers, field by field, and queued the same orders', () => {
    expect([...seen.lane.keys()].sort()).toEqual([...seen.hono.keys()].sort());
    expect(seen.lane.size).toBeGreaterThan(25);
    for (const [name, hono] of seen.hono) {
      const viaLane = seen.lane.get(name)!;
      expect(comparable(viaLane), name).toEqual(comparable(hono));
    }
    expect(queued.lane.length).toBeGreaterThan(10);
    expect(queued.lane).toEqual(queued.hono);
  });
});
