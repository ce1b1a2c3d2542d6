/**
 * The cached reads (`GET /v1/inventory`, `GET /v1/products/{sku}`) through whole gateways, once
 * with the fast lane in front of Hono and once without it: the same cases, the same expectations
 * (status, headers incl. ETag, RateLimit and the request id, body, the errors for missing and bad
 * tokens, scopes, warehouses, queries and spent limits, the request metrics). Each case also says
 * whether the lane takes it, and with the lane off nothing may reach it. At the end, the answers
 * of both runs are compared field by field.
 */
import '@hono/zod-openapi';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Availability } from '../../contracts/src/availability.js';
import { ErrorBody } from '../../contracts/src/errors.js';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { laneAnswered } from '../../gateway/src/fast-lane/lane.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

// The premium tier refills one request per 100 s: within a test only its burst of 3 exists.
const tiers = JSON.stringify({ premium: { rate: 0.01, burst: 3 } });

/** An answer as both runs must agree on it: status, the headers the gateway sets, the body. */
interface Seen {
  status: number;
  headers: Record<string, string>;
  body: string;
}
const ANSWER_HEADERS = ['x-request-id', 'ratelimit-policy', 'ratelimit', 'retry-after', 'etag', 'cache-control', 'content-type', 'content-length', 'www-authenticate'];
const seen: Record<'lane' | 'hono', Map<string, Seen>> = { lane: new Map(), hono: new Map() };

let sim: OdooFake;
beforeAll(async () => {
  sim = await startOdooFake();
  sim.state.addPartner({ code: 'shop', scopes: ['inventory:read', 'products:read'], warehouses: ['WH'] });
  sim.state.addPartner({ code: 'narrow', scopes: ['orders:read'] });
  sim.state.addPartner({ code: 'small', scopes: ['inventory:read', 'products:read'], tier: 'premium' });
});
afterAll(async () => {
  await sim?.close();
});

describe.each([
  { mode: 'lane' as const, env: { GATEWAY_FAST_LANE: 'true' } },
  { mode: 'hono' as const, env: { GATEWAY_FAST_LANE: 'false' } },
])('cached reads ($mode)', ({ mode, env }) => {
  let t: TestGateway;
  const tokens: Record<string, string> = {};
  const lane = mode === 'lane';

  beforeAll(async () => {
    t = await startTestGateway({ sim, env: { ...env, GATEWAY_RATE_LIMIT_TIERS: tiers } });
    for (const code of ['shop', 'narrow', 'demo']) tokens[code] = await t.token(code);
    // Put the shop's and demo's tokens in the verified-token cache (the lane serves cached tokens only).
    for (const code of ['shop', 'demo']) expect((await t.fetch('/v1/products?limit=1', { token: tokens[code] })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  /**
   * One request: records the answer under `name` for the comparison and checks whether the lane
   * answered it (`taken`) when it is on; with it off, nothing may reach it.
   */
  async function get(name: string, path: string, init: { token?: string; headers?: Record<string, string> }, taken: boolean): Promise<{ res: Response; body: string }> {
    const before = laneAnswered(t.gateway.services);
    const res = await t.fetch(path, { token: init.token, headers: init.headers });
    const body = await res.text();
    expect(laneAnswered(t.gateway.services) - before, `${name}: answered by the lane`).toBe(lane && taken ? 1 : 0);
    const headers: Record<string, string> = {};
    for (const h of ANSWER_HEADERS) {
      const v = res.headers.get(h);
      if (v !== null) headers[h] = v;
    }
    seen[mode].set(name, { status: res.status, headers, body });
    return { res, body };
  }

  const errorOf = (body: string) => ErrorBody.parse(JSON.parse(body)).error;

  it('answers availability with its ETag, cache and rate-limit fields and the caller’s request id; 304 on If-None-Match', async () => {
    const path = '/v1/inventory?sku=FURN_8888,FURN_0001';
    const first = await get('inventory', path, { token: tokens.demo, headers: { 'x-request-id': 'inv-1' } }, true);
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get('x-request-id')).toBe('inv-1');
    expect(first.res.headers.get('content-type')).toBe('application/json');
    expect(first.res.headers.get('cache-control')).toBe('private, no-cache');
    expect(first.res.headers.get('ratelimit-policy')).toMatch(/^"standard-read";q=\d+;w=\d+$/);
    expect(first.res.headers.get('ratelimit')).toMatch(/^"standard-read";r=\d+;t=\d+$/);
    expect(Number(first.res.headers.get('content-length'))).toBe(Buffer.byteLength(first.body));
    const items = (JSON.parse(first.body) as { data: unknown[] }).data.map((d) => Availability.parse(d));
    expect(items.map((i) => `${i.sku}/${i.warehouse}`)).toEqual(['FURN_0001/EU', 'FURN_0001/WH', 'FURN_8888/EU', 'FURN_8888/WH']);
    const etag = first.res.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);

    const again = await get('inventory-304', path, { token: tokens.demo, headers: { 'x-request-id': 'inv-2', 'if-none-match': `W/"other", ${etag}` } }, true);
    expect(again.res.status).toBe(304);
    expect(again.body).toBe('');
    expect(again.res.headers.get('etag')).toBe(etag);
    expect(again.res.headers.get('ratelimit')).toMatch(/^"standard-read";r=\d+;t=\d+$/);

    const stale = await get('inventory-other-etag', path, { token: tokens.demo, headers: { 'x-request-id': 'inv-3', 'if-none-match': '"nope"' } }, true);
    expect(stale.res.status).toBe(200);
    expect(stale.body).toBe(first.body);
  });

  it('takes the request id from a traceparent, or makes one', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traced = await get('inventory-traceparent', '/v1/inventory?sku=FURN_8888', { token: tokens.demo, headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }, true);
    expect(traced.res.headers.get('x-request-id')).toBe(traceId);
    const before = laneAnswered(t.gateway.services);
    const made = await t.fetch('/v1/inventory?sku=FURN_8888', { token: tokens.demo, headers: { 'x-request-id': 'bad id with spaces' } });
    await made.arrayBuffer();
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(laneAnswered(t.gateway.services) - before).toBe(lane ? 1 : 0);
  });

  it('shows a partner limited to its warehouses only those, and refuses another warehouse', async () => {
    const own = await get('inventory-warehouse', '/v1/inventory?warehouse=WH&sku=FURN_8888', { token: tokens.shop, headers: { 'x-request-id': 'wh-1' } }, true);
    expect(own.res.status).toBe(200);
    expect((JSON.parse(own.body) as { data: { warehouse: string }[] }).data.map((d) => d.warehouse)).toEqual(['WH']);
    const all = await get('inventory-partner-warehouses', '/v1/inventory?sku=FURN_8888', { token: tokens.shop, headers: { 'x-request-id': 'wh-2' } }, true);
    expect((JSON.parse(all.body) as { data: { warehouse: string }[] }).data.map((d) => d.warehouse)).toEqual(['WH']);
    const other = await get('inventory-foreign-warehouse', '/v1/inventory?sku=FURN_8888&warehouse=EU', { token: tokens.shop, headers: { 'x-request-id': 'wh-3' } }, false);
    expect(other.res.status).toBe(403);
    expect(errorOf(other.body)).toMatchObject({ code: 'forbidden', request_id: 'wh-3' });
    expect(other.res.headers.get('ratelimit')).toMatch(/^"standard-read";r=\d+;t=\d+$/);
  });

  it('refuses bad queries with 422, and leaves unusual but valid ones to Hono', async () => {
    for (const [name, query] of [['empty', 'sku='], ['blank-list', `sku=${encodeURIComponent(' ,')}`], ['missing', 'warehouse=WH'], ['long-warehouse', 'sku=FURN_8888&warehouse=ABCDEFGHIJKLMNOPQ']]) {
      const bad = await get(`inventory-bad-${name}`, `/v1/inventory?${query}`, { token: tokens.demo, headers: { 'x-request-id': `bad-${name}` } }, false);
      expect(bad.res.status, query).toBe(422);
      expect(errorOf(bad.body)).toMatchObject({ code: 'validation_failed', request_id: `bad-${name}` });
    }
    const extra = await get('inventory-extra-field', '/v1/inventory?sku=FURN_8888&page=2', { token: tokens.demo, headers: { 'x-request-id': 'odd-1' } }, false);
    expect(extra.res.status).toBe(200);
    const encoded = await get('inventory-encoded', `/v1/inventory?sku=${encodeURIComponent('FURN_8888,FURN_0001')}`, { token: tokens.demo, headers: { 'x-request-id': 'odd-2' } }, false);
    expect(encoded.res.status).toBe(200);
    expect(encoded.body).toBe(seen[mode].get('inventory')!.body);
  });

  it('answers 401 without a token or with a bad one, and 403 without the scope', async () => {
    const none = await get('no-token', '/v1/inventory?sku=FURN_8888', { headers: { 'x-request-id': 'auth-1' } }, false);
    expect(none.res.status).toBe(401);
    expect(errorOf(none.body)).toMatchObject({ code: 'unauthorized', request_id: 'auth-1' });
    expect(none.res.headers.get('www-authenticate')).toBe('Bearer realm="retail-gateway"');
    const bad = await get('bad-token', '/v1/products/FURN_8888', { token: `${tokens.demo}x`, headers: { 'x-request-id': 'auth-2' } }, false);
    expect(bad.res.status).toBe(401);
    expect(errorOf(bad.body)).toMatchObject({ code: 'invalid_token', request_id: 'auth-2' });
    expect(bad.res.headers.get('www-authenticate')).toMatch(/^Bearer realm="retail-gateway", error="invalid_token"/);
    // Two Authorization fields: node keeps the first, the WHATWG Headers Hono reads joins them.
    const twice = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${t.url}/v1/inventory?sku=FURN_8888`, { headers: ['host', new URL(t.url).host, 'authorization', `Bearer ${tokens.demo}`, 'authorization', `Bearer ${tokens.demo}`, 'x-request-id', 'auth-twice'] as unknown as Record<string, string> }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(twice.status).toBe(401);
    expect(errorOf(twice.body)).toMatchObject({ code: 'invalid_token', request_id: 'auth-twice' });
    // Twice: the first verifies the token (and caches it), the second finds it in the cache.
    for (const n of [1, 2]) {
      const scope = await get(`insufficient-scope-${n}`, '/v1/inventory?sku=FURN_8888', { token: tokens.narrow, headers: { 'x-request-id': `auth-scope-${n}` } }, false);
      expect(scope.res.status).toBe(403);
      expect(errorOf(scope.body)).toMatchObject({ code: 'insufficient_scope', request_id: `auth-scope-${n}` });
      expect(scope.res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    }
  });

  it('serves one product with its ETag and 304, and 404 for an unknown SKU', async () => {
    const one = await get('product', '/v1/products/FURN_8888', { token: tokens.demo, headers: { 'x-request-id': 'prod-1' } }, true);
    expect(one.res.status).toBe(200);
    expect(JSON.parse(one.body)).toMatchObject({ sku: 'FURN_8888', list_price: '40.00' });
    expect(one.res.headers.get('ratelimit-policy')).toMatch(/^"standard-read";/);
    const again = await get('product-304', '/v1/products/FURN_8888', { token: tokens.demo, headers: { 'x-request-id': 'prod-2', 'if-none-match': one.res.headers.get('etag')! } }, true);
    expect(again.res.status).toBe(304);
    const missing = await get('product-404', '/v1/products/NOPE-1', { token: tokens.demo, headers: { 'x-request-id': 'prod-3' } }, true);
    expect(missing.res.status).toBe(404);
    expect(errorOf(missing.body)).toEqual({ code: 'not_found', message: 'No product with SKU "NOPE-1".', request_id: 'prod-3' });
    expect(missing.res.headers.get('ratelimit')).toMatch(/^"standard-read";r=\d+;t=\d+$/);
    const scoped = await get('product-no-scope', '/v1/products/FURN_8888', { token: tokens.narrow, headers: { 'x-request-id': 'prod-4' } }, false);
    expect(scoped.res.status).toBe(403);
  });

  it('refuses with 429 once the partner’s budget is spent, with Retry-After and RateLimit r=0', async () => {
    const small = await t.token('small');
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      // The first request verifies the token (Hono); the rest find it cached.
      const r = await get(`limited-${i}`, `/v1/inventory?sku=FURN_8888`, { token: small, headers: { 'x-request-id': `rl-${i}` } }, i > 1);
      statuses.push(r.res.status);
      if (r.res.status === 429) {
        expect(errorOf(r.body)).toMatchObject({ code: 'rate_limited', request_id: `rl-${i}`, details: { policy: 'premium-read' } });
        expect(Number(r.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(r.res.headers.get('ratelimit')).toBe(`"premium-read";r=0;t=${r.res.headers.get('retry-after')}`);
        expect(r.res.headers.get('ratelimit-policy')).toBe('"premium-read";q=3;w=300');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(seen[mode].get('limited-3')!.headers.ratelimit).toBe('"premium-read";r=0;t=300');
  });

  it('counts every answer in the request metrics under the route pattern, partner and status', async () => {
    const text = await t.metrics();
    const count = (route: string, partner: string, status: number) =>
      Number(new RegExp(`^gateway_http_requests_total\\{method="GET",route="${route.replace(/[/{}]/g, '\\$&')}",partner="${partner}",status="${status}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    // demo: inventory 200 ×4 (two with 200 after 304) + traceparent + generated id + 2 odd, 304 ×1.
    expect(count('/v1/inventory', 'demo', 200)).toBe(6);
    expect(count('/v1/inventory', 'demo', 304)).toBe(1);
    expect(count('/v1/inventory', 'demo', 422)).toBe(4);
    expect(count('/v1/inventory', 'shop', 200)).toBe(2);
    expect(count('/v1/inventory', 'shop', 403)).toBe(1);
    expect(count('/v1/inventory', 'small', 200)).toBe(3);
    expect(count('/v1/inventory', 'small', 429)).toBe(2);
    expect(count('/v1/products/:sku', 'demo', 200)).toBe(1);
    expect(count('/v1/products/:sku', 'demo', 304)).toBe(1);
    expect(count('/v1/products/:sku', 'demo', 404)).toBe(1);
    const durations = (cls: string) =>
      Number(new RegExp(`^gateway_http_request_duration_seconds_count\\{method="GET",route="/v1/inventory",status_class="${cls}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    expect(durations('2xx')).toBe(11);
    expect(durations('3xx')).toBe(1);
    // 422 ×4, 403 ×1 (warehouse), 429 ×2; the two 401s and the scope's two 403s come before a partner is known (partner "-").
    expect(durations('4xx')).toBe(4 + 1 + 2 + 2 + 2);
    const buckets = new RegExp('^gateway_http_request_duration_seconds_bucket\\{le="\\+Inf",method="GET",route="/v1/inventory",status_class="2xx"\\} (\\d+)$', 'm').exec(text);
    expect(Number(buckets?.[1])).toBe(11);
    // A second scrape shows the same totals (nothing folded twice).
    const again = await t.metrics();
    expect(/^gateway_http_request_duration_seconds_count\{method="GET",route="\/v1\/inventory",status_class="2xx"\} (\d+)$/m.exec(again)?.[1]).toBe('11');
  });
});

/**
 * What legitimately differs between two gateways: `as_of` (when each read Odoo), so the ETag over
 * the body, and the standard tier's remaining count, which refills with time (the premium tier's
 * does not within a test, so its fields are compared as they are).
 */
function comparable(a: Seen): Seen {
  const headers = { ...a.headers };
  if (headers.etag) headers.etag = 'a tag';
  if (headers.ratelimit?.startsWith('"standard-read"')) headers.ratelimit = headers.ratelimit.replace(/;r=\d+;t=\d+$/, ';r=…;t=…');
  return { status: a.status, headers, body: a.body.replace(/"as_of":"[^"]+"/g, '"as_of":"…"') };
}

describe('the fast lane and Hono', () => {
  it('gave the same answers, field by field', () => {
    expect([...seen.lane.keys()].sort()).toEqual([...seen.hono.keys()].sort());
    expect(seen.lane.size).toBeGreaterThan(20);
    for (const [name, hono] of seen.hono) {
      const viaLane = seen.lane.get(name)!;
      expect(comparable(viaLane), name).toEqual(comparable(hono));
    }
  });
});
