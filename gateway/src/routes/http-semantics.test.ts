/**
 * HTTP semantics a caller relies on, for every route of `/openapi.json` (docs/api-versioning.md):
 * 405 with `Allow` for a known path called with another method, 415 naming application/json,
 * validation messages in the caller's terms with the field's path and a stable code, and the
 * 404-or-empty-list policy.
 */
import '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/support/gateway.js';

interface Operation {
  method: string;
  path: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

let gw: TestGateway;
let token: string;
let doc: { paths: Record<string, Record<string, unknown>> };
let operations: Operation[];

beforeAll(async () => {
  gw = await startTestGateway();
  token = await gw.token();
  doc = (await (await gw.fetch('/openapi.json')).json()) as typeof doc;
  operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })));
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

/** A concrete path for a documented one: each parameter a value no resource has. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, (p) => (p === '{id}' ? '999999' : 'zz-unknown'));

type ErrorJson = { error: { code: string; message: string; details?: unknown } };

describe('a known path called with a method it does not take', () => {
  it('answers 405 with an Allow header naming its methods, for every path of the document', async () => {
    const wrong: string[] = [];
    for (const path of Object.keys(doc.paths)) {
      const documented = operations.filter((o) => o.path === path).map((o) => o.method);
      for (const method of METHODS.filter((m) => !documented.includes(m))) {
        const res = await gw.fetch(concrete(path), { method, token });
        const body = (await res.json()) as ErrorJson;
        const allow = (res.headers.get('allow') ?? '').split(/,\s*/);
        if (res.status !== 405 || body.error.code !== 'method_not_allowed' || !documented.every((m) => allow.includes(m))) {
          wrong.push(`${method} ${path}: ${res.status} ${body.error.code} Allow: ${res.headers.get('allow')}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('GET /oauth/token names POST', async () => {
    const res = await gw.fetch('/oauth/token');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(((await res.json()) as ErrorJson).error.message).toContain('use POST');
  });

  it('an unknown path is still 404', async () => {
    const res = await gw.fetch('/v1/nothing-here', { method: 'DELETE', token });
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
  });
});

describe('a body that is not JSON', () => {
  it('answers 415 naming application/json, in the error shape', async () => {
    // What `curl --data @order.json` sends.
    const res = await gw.fetch('/v1/orders', {
      method: 'POST',
      token,
      body: '{"external_id":"A-1"}',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'media-type-1' },
    });
    expect(res.status).toBe(415);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe('unsupported_media_type');
    expect(body.error.message).toContain('Content-Type: application/json');
    expect(body.error.details).toEqual({ expected: 'application/json', received: 'application/x-www-form-urlencoded' });
  });
});

describe('validation messages', () => {
  async function details(path: string, init: RequestInit = {}) {
    const res = await gw.fetch(path, { ...init, token });
    expect(res.status, path).toBe(422);
    const body = (await res.json()) as ErrorJson & { error: { details: { path: string; message: string; code: string }[] } };
    expect(body.error.code).toBe('validation_failed');
    return body.error;
  }

  it('say what an integer query parameter takes, for text and out of range alike', async () => {
    for (const limit of ['abc', '0', '9999', '1.5']) {
      const error = await details(`/v1/products?limit=${limit}`);
      expect(error.details).toEqual([{ path: 'limit', code: expect.any(String), message: 'limit must be an integer between 1 and 500' }]);
      expect(error.message).toContain('limit must be an integer between 1 and 500');
    }
  });

  it('list the values of an enum', async () => {
    const error = await details('/v1/webhooks/999999/deliveries?status=bogus');
    expect(error.details).toEqual([{ path: 'status', code: 'invalid_value', message: 'status must be one of "pending", "delivered", "dead"' }]);
  });

  it('name required fields and string formats in a body, with their path', async () => {
    const post = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'idempotency-key': `v-${Math.random()}` } });
    const missing = await details('/v1/orders', post({}));
    expect(missing.details).toContainEqual({ path: 'external_id', code: 'invalid_type', message: 'external_id is required' });
    const wrong = await details('/v1/webhooks', post({ url: 'not a url', event_types: [] }));
    for (const d of wrong.details) {
      expect(d.message.startsWith(d.path.replaceAll('/', '.'))).toBe(true);
      expect(d.message).not.toMatch(/expected|received|Invalid input/);
    }
  });
});

describe('absent resources: 404 for an identifier in the path, 200 for a filtered collection', () => {
  /** GET routes without a path parameter, by what their query does (a new one must be classified here). */
  const collections = ['/v1/products', '/v1/inventory', '/v1/inventory/snapshot', '/v1/webhooks'];
  const queryAddressed: Record<string, string> = { '/v1/shipments': '?order_id=999999', '/v1/shadow/report': '?partner=zz-nobody' };
  const partnerGets = () => operations.filter((o) => o.method === 'GET' && o.path.startsWith('/v1/'));

  it('answers 404 not_found for every GET addressing an absent resource in its path', async () => {
    const wrong: string[] = [];
    for (const op of partnerGets().filter((o) => o.path.includes('{'))) {
      const res = await gw.fetch(concrete(op.path), { token });
      const code = res.status === 404 ? ((await res.json()) as ErrorJson).error.code : await res.text();
      if (res.status !== 404 || code !== 'not_found') wrong.push(`GET ${op.path}: ${res.status} ${code}`);
    }
    expect(wrong).toEqual([]);
  });

  it('classifies every GET without a path parameter', () => {
    const unclassified = partnerGets()
      .filter((o) => !o.path.includes('{'))
      .map((o) => o.path)
      .filter((p) => !collections.includes(p) && !(p in queryAddressed));
    expect(unclassified).toEqual([]);
  });

  it('answers 404 when the query names the one resource the answer is about', async () => {
    // An operator (admin) may name any partner in `?partner=`; a partner naming another gets 403 first.
    gw.sim.state.addPartner({ code: 'ops', scopes: ['admin', 'orders:read', 'shipments:read'] });
    const admin = await gw.token('ops', 'ops-secret');
    for (const [path, query] of Object.entries(queryAddressed)) {
      const res = await gw.fetch(`${path}${query}`, { token: path === '/v1/shadow/report' ? admin : token });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as ErrorJson).error.code).toBe('not_found');
    }
  });

  it('answers 200 with a list for a filter matching nothing, naming the SKUs it found nothing for', async () => {
    const none = await gw.fetch('/v1/inventory?sku=NOPE', { token });
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual({ data: [], not_found: ['NOPE'] });

    const known = [...gw.sim.state.products.values()].find((p) => p.active && p.storable && p.sku)!.sku!;
    const mixed = await gw.fetch(`/v1/inventory?sku=${known},NOPE`, { token });
    const body = (await mixed.json()) as { data: { sku: string }[]; not_found?: string[] };
    expect(mixed.status).toBe(200);
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.every((a) => a.sku === known)).toBe(true);
    expect(body.not_found).toEqual(['NOPE']);

    const all = await gw.fetch(`/v1/inventory?sku=${known}`, { token });
    expect(((await all.json()) as { not_found?: string[] }).not_found).toBeUndefined();

    const page = await gw.fetch(`/v1/products?updated_since=${encodeURIComponent('2999-01-01T00:00:00Z')}`, { token });
    expect(page.status).toBe(200);
    expect(((await page.json()) as { data: unknown[] }).data).toEqual([]);
  });
});
