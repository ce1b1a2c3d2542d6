/**
 * The attack suite: a table of requests that must each be refused with the right status and code,
 * against a whole gateway on the fake Odoo. Forged tokens are built with the gateway's own
 * signing key where the attack needs a valid signature (expired, wrong issuer…), so the one thing
 * wrong with each is the thing under test.
 */
// First: zod 4 attaches `.openapi` per schema, so the extension must load before any contract does.
import '@hono/zod-openapi';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base64url, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { seedChannelPartners } from './support.js';

const ROUTE = '/v1/products';
const ROUTE_SCOPE = 'products:read';

const STRIPE_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
const STANDARD_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

let t: TestGateway;
let issuer: string;
let kid: string;
let privateKey: CryptoKey;

/** A token like the gateway's own, signed with its active key unless told otherwise. */
async function forge(
  opts: { header?: Record<string, unknown>; claims?: JWTPayload; key?: CryptoKey; iat?: number; exp?: number; nbf?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ client_id: 'demo', scope: ROUTE_SCOPE, ...opts.claims })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt', ...opts.header } as { alg: string })
    .setIssuer(issuer)
    .setAudience(issuer)
    .setSubject('demo')
    .setJti(randomUUID())
    .setIssuedAt(opts.iat ?? now)
    .setExpirationTime(opts.exp ?? now + 300);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  if (opts.claims?.iss) jwt.setIssuer(opts.claims.iss);
  if (opts.claims?.aud) jwt.setAudience(opts.claims.aud);
  return jwt.sign(opts.key ?? privateKey);
}

const b64 = (o: unknown) => base64url.encode(JSON.stringify(o));

async function tokenRequest(body: Record<string, string>, basic?: [string, string]): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  return fetch(`${t.url}/oauth/token`, { method: 'POST', headers, body: new URLSearchParams(body) });
}

beforeAll(async () => {
  t = await startTestGateway({
    env: {
      GATEWAY_PUBLIC_URL: 'http://gateway.test',
      GATEWAY_PARTNER_REFRESH_SECONDS: '1',
      GATEWAY_TOKEN_RATE_PER_MIN: '10000',
      WEBHOOK_ALLOWED_TARGETS: '127.0.0.1',
    },
  });
  seedChannelPartners(t.sim);
  t.sim.state.addPartner({ code: 'hooked', scopes: ['orders:write'], inboundSecrets: { stripe: STRIPE_SECRET, standard: STANDARD_SECRET } });
  await t.gateway.services.auth!.partners.refresh();
  const auth = t.gateway.services.auth!;
  issuer = auth.issuerUrl;
  ({ kid, privateKey } = auth.keys.activeKey());
});

afterAll(async () => {
  await t?.close();
});

interface Case {
  name: string;
  /** The bearer token to send, or null for none. */
  token: () => Promise<string | null>;
  status: number;
  code: string;
  path?: string;
}

const refusedTokens: Case[] = [
  { name: 'no token', token: async () => null, status: 401, code: 'unauthorized' },
  { name: 'a malformed token', token: async () => 'not.a.jwt', status: 401, code: 'invalid_token' },
  {
    name: 'alg: none',
    token: async () => {
      const good = await forge();
      const [, payload] = good.split('.');
      return `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`;
    },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'HS256 signed with the public key',
    token: async () => {
      const jwk = t.gateway.services.auth!.keys.jwks().keys.find((k) => k.kid === kid)!;
      const { importJWK } = await import('jose');
      const pem = await exportSPKI((await importJWK(jwk, 'ES256', { extractable: true })) as CryptoKey);
      const now = Math.floor(Date.now() / 1000);
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64({ iss: issuer, aud: issuer, sub: 'demo', client_id: 'demo', scope: ROUTE_SCOPE, jti: randomUUID(), iat: now, exp: now + 300 })}`;
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'alg: NONE (another spelling), no kid, no signature',
    token: async () => `${b64({ alg: 'NONE', typ: 'at+jwt' })}.${(await forge()).split('.')[1]}.`,
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'alg: none carrying the genuine signature of the same payload',
    token: async () => {
      const [, payload, signature] = (await forge()).split('.');
      return `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.${signature}`;
    },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'HS256 keyed with the published JWK (JSON text)',
    token: async () => {
      const jwk = t.gateway.services.auth!.keys.jwks().keys.find((k) => k.kid === kid)!;
      const now = Math.floor(Date.now() / 1000);
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64({ iss: issuer, aud: issuer, sub: 'demo', client_id: 'demo', scope: ROUTE_SCOPE, jti: randomUUID(), iat: now, exp: now + 300 })}`;
      return `${input}.${createHmac('sha256', JSON.stringify(jwk)).update(input).digest('base64url')}`;
    },
    status: 401,
    code: 'invalid_token',
  },
  { name: 'expired', token: () => forge({ iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 120 }), status: 401, code: 'invalid_token' },
  { name: 'not yet valid', token: () => forge({ nbf: Math.floor(Date.now() / 1000) + 600, exp: Math.floor(Date.now() / 1000) + 800 }), status: 401, code: 'invalid_token' },
  { name: 'wrong issuer', token: () => forge({ claims: { iss: 'http://evil.test' } }), status: 401, code: 'invalid_token' },
  { name: 'wrong audience', token: () => forge({ claims: { aud: 'http://other-api.test' } }), status: 401, code: 'invalid_token' },
  { name: 'wrong typ', token: () => forge({ header: { typ: 'JWT' } }), status: 401, code: 'invalid_token' },
  {
    name: 'unknown kid',
    token: async () => {
      const { privateKey: foreign } = await generateKeyPair('ES256');
      return forge({ header: { kid: 'no-such-key' }, key: foreign });
    },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'a known kid with a foreign key',
    token: async () => {
      const { privateKey: foreign } = await generateKeyPair('ES256');
      return forge({ key: foreign });
    },
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'a tampered payload',
    token: async () => {
      const [h, p, s] = (await forge()).split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
      claims.scope = 'admin';
      return `${h}.${b64(claims)}.${s}`;
    },
    status: 401,
    code: 'invalid_token',
  },
  { name: 'a missing scope', token: () => forge({ claims: { scope: 'orders:read' } }), status: 403, code: 'insufficient_scope' },
];

describe('attack suite: refused bearer tokens', () => {
  it('the control request (a well-formed token) passes, so each refusal below is for its one defect', async () => {
    const res = await t.fetch(ROUTE, { token: await forge() });
    expect(res.status).toBe(200);
    const real = await t.fetch(ROUTE, { token: await t.token('demo', 'demo-secret') });
    expect(real.status).toBe(200);
  });

  it.each(refusedTokens)('$name → $status $code', async (c) => {
    const token = await c.token();
    const res = await t.fetch(c.path ?? ROUTE, token === null ? {} : { token });
    expect(res.status).toBe(c.status);
    const body = (await res.json()) as { error: { code: string; request_id: string } };
    expect(body.error.code).toBe(c.code);
    expect(body.error.request_id).toBeTruthy();
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer realm="retail-gateway"/);
    if (c.code !== 'unauthorized') expect(challenge).toContain(`error="${c.code}"`);
  });
});

describe('attack suite: tenants and partners', () => {
  it("another partner's resource → 404 not_found", async () => {
    const acme = await t.token('acme', 'acme-secret', 'webhooks:manage');
    const globex = await t.token('globex', 'globex-secret', 'webhooks:manage');
    const created = await t.fetch('/v1/webhooks', {
      token: acme,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/acme-hooks', event_types: ['order.created'] }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect((await t.fetch(`/v1/webhooks/${id}`, { token: acme })).status).toBe(200);
    const res = await t.fetch(`/v1/webhooks/${id}`, { token: globex });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('a disabled partner → 401 invalid_token, within one partner refresh', async () => {
    const token = await t.token('globex', 'globex-secret', ROUTE_SCOPE);
    expect((await t.fetch(ROUTE, { token })).status).toBe(200);
    t.sim.state.setPartnerActive('globex', false);
    let res: Response;
    // A deadline for a refresh that never comes, not for its speed (a busy machine is slow).
    const deadline = Date.now() + 60_000;
    do {
      res = await t.fetch(ROUTE, { token });
      if (res.status !== 200) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    // …and it gets no new token either.
    expect((await tokenRequest({ grant_type: 'client_credentials' }, ['globex', 'globex-secret'])).status).toBe(401);
    t.sim.state.setPartnerActive('globex', true);
  });
});

describe('federated partner (its own issuer and JWKS)', () => {
  it("accepts its tokens with the same checks, and refuses them from another issuer's key", async () => {
    const { createServer } = await import('node:http');
    const { exportJWK } = await import('jose');
    const own = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(own.publicKey)), kid: 'fed-1', alg: 'ES256', use: 'sig' };
    const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const fedIssuer = 'https://idp.fedco.example';
      t.sim.state.addPartner({ code: 'fedco', scopes: ['products:read'], issuer: fedIssuer, jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
      await t.gateway.services.auth!.partners.refresh();
      const sign = (key: CryptoKey, claims: { aud?: string; typ?: string } = {}) =>
        new SignJWT({ client_id: 'fedco-app', scope: 'products:read' })
          .setProtectedHeader({ alg: 'ES256', kid: 'fed-1', typ: claims.typ ?? 'at+jwt' })
          .setIssuer(fedIssuer)
          .setAudience(claims.aud ?? issuer)
          .setSubject('fedco-app')
          .setJti(randomUUID())
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(key);
      expect((await t.fetch(ROUTE, { token: await sign(own.privateKey) })).status).toBe(200);
      const rogue = await generateKeyPair('ES256');
      for (const token of [await sign(rogue.privateKey), await sign(own.privateKey, { aud: 'http://other.test' }), await sign(own.privateKey, { typ: 'JWT' })]) {
        const res = await t.fetch(ROUTE, { token });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('attack suite: the token endpoint', () => {
  it('a wrong client secret → 401 invalid_client with WWW-Authenticate', async () => {
    for (const res of [
      await tokenRequest({ grant_type: 'client_credentials' }, ['acme', 'wrong-secret']),
      await tokenRequest({ grant_type: 'client_credentials', client_id: 'acme', client_secret: 'wrong-secret' }),
      await tokenRequest({ grant_type: 'client_credentials' }, ['nobody', 'acme-secret']),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
    }
  });

  it('an old client secret after the grace deadline → 401 invalid_client; within it, both work', async () => {
    const admin = await t.token('ops', 'ops-secret', 'admin');
    const rotate = (grace: number) =>
      t.fetch('/admin/rotate/client-secret/acme', { token: admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grace_seconds: grace }) });
    const first = await rotate(3600);
    expect(first.status).toBe(200);
    const { client_secret: s1, previous_valid_until } = (await first.json()) as { client_secret: string; previous_valid_until: string };
    expect(Date.parse(previous_valid_until)).toBeGreaterThan(Date.now());
    expect((await tokenRequest({ grant_type: 'client_credentials' }, ['acme', 'acme-secret'])).status).toBe(200);
    expect((await tokenRequest({ grant_type: 'client_credentials' }, ['acme', s1])).status).toBe(200);

    const second = await rotate(0);
    const { client_secret: s2 } = (await second.json()) as { client_secret: string };
    const old = await tokenRequest({ grant_type: 'client_credentials' }, ['acme', s1]);
    expect(old.status).toBe(401);
    expect(((await old.json()) as { error: string }).error).toBe('invalid_client');
    expect((await tokenRequest({ grant_type: 'client_credentials' }, ['acme', s2])).status).toBe(200);
    seedChannelPartners(t.sim);
  });

  it.each([
    ['an unsupported grant', 400, 'unsupported_grant_type', { grant_type: 'password' }],
    ['no grant type', 400, 'invalid_request', {}],
    ['a scope beyond the grant', 400, 'invalid_scope', { grant_type: 'client_credentials', scope: 'admin' }],
    ['an unknown scope', 400, 'invalid_scope', { grant_type: 'client_credentials', scope: 'products:write' }],
  ] as const)('%s → %i %s', async (_name, status, error, body) => {
    const res = await tokenRequest(body as Record<string, string>, ['acme', 'acme-secret']);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toBe(error);
  });

  it('two client authentication methods at once → 400 invalid_request', async () => {
    const res = await tokenRequest({ grant_type: 'client_credentials', client_secret: 'acme-secret' }, ['acme', 'acme-secret']);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('scope narrows: the token carries only what was asked, and is refused elsewhere', async () => {
    const res = await tokenRequest({ grant_type: 'client_credentials', scope: ROUTE_SCOPE }, ['demo', 'demo-secret']);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number; scope: string };
    expect(body).toMatchObject({ token_type: 'Bearer', scope: ROUTE_SCOPE });
    expect(body.expires_in).toBeLessThanOrEqual(900);
    const denied = await t.fetch('/admin/rotate/signing-key', { token: body.access_token, method: 'POST' });
    expect(denied.status).toBe(403);
  });
});

// ---- request bodies and parameters ---------------------------------------------------------------

const example = (name: string) => JSON.parse(readFileSync(new URL(`../../contracts/examples/api/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** A JSON write as a partner with every scope but admin, with a fresh Idempotency-Key. */
async function write(path: string, body: unknown, init: { raw?: string; method?: string } = {}): Promise<Response> {
  return t.fetch(path, {
    token: await t.token('demo'),
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: init.raw ?? JSON.stringify(body),
  });
}

async function expectRefused(res: Response, status: number, code: string): Promise<{ error: { code: string; details?: { path: string; code: string }[] } }> {
  const body = (await res.json()) as { error: { code: string; details?: { path: string; code: string }[] } };
  expect(res.status, JSON.stringify(body)).toBe(status);
  expect(body.error.code).toBe(code);
  return body;
}

const intakeRows = async () => (await t.gateway.services.store.query<{ n: number }>('SELECT COUNT(*) AS n FROM intake_items'))[0]!.n;

describe('attack suite: NUL characters (PostgreSQL text refuses them)', () => {
  const order = example('order');
  it.each([
    ['an order external id', '/v1/orders', { ...order, external_id: 'WEB-1\u0000' }, 'external_id'],
    ['an order note', '/v1/orders', { ...order, external_id: 'WEB-NUL-2', note: 'ring\u0000twice' }, 'note'],
    ['a nested customer name', '/v1/orders', { ...order, external_id: 'WEB-NUL-3', customer: { ...(order.customer as object), name: 'Ines\u0000' } }, 'customer/name'],
    ['a key the contract does not know', '/v1/orders', { ...order, external_id: 'WEB-NUL-4', 'x\u0000y': 1 }, 'x\\u0000y'],
    ['a return note', '/v1/returns', { ...example('return'), note: '\u0000' }, 'note'],
    ['a shipment tracking number', '/v1/shipments', { ...example('shipment-confirmation'), tracking_number: '3232\u00009' }, 'tracking_number'],
    ['a stock count external id', '/v1/inventory/counts', { ...example('stock-count'), external_id: 'CNT\u0000' }, 'external_id'],
    ['a webhook URL', '/v1/webhooks', { url: 'https://hooks.example.com/\u0000', event_types: ['order.created'] }, 'url'],
  ])('in %s → 422 validation_failed (nul_character)', async (_name, path, body, at) => {
    const before = await intakeRows();
    const refused = await expectRefused(await write(path, body), 422, 'validation_failed');
    // The contract's own check may speak first (a strict object's unknown key, a URL's format);
    // otherwise the caller-input rule does.
    expect(refused.error.details?.[0]?.code).toMatch(/^(nul_character|unrecognized_keys|invalid_format)$/);
    if (!['x\\u0000y', 'url'].includes(at)) expect(refused.error.details?.[0]?.code).toBe('nul_character');
    expect(JSON.stringify(refused.error.details)).toContain(at);
    expect(await intakeRows()).toBe(before);
  });

  it.each([
    ['a path parameter', '/v1/orders/ord%00x'],
    ['a query parameter', '/v1/inventory?sku=FURN_8888%00'],
    ['a query parameter no contract declares', '/v1/products?limit=1&x=%00'],
    ['a cursor', '/v1/products?cursor=%00'],
  ])('in %s → 422 validation_failed (nul_character)', async (_name, path) => {
    const refused = await expectRefused(await t.fetch(path, { token: await t.token('demo') }), 422, 'validation_failed');
    expect(refused.error.details?.[0]?.code).toBe('nul_character');
  });

  it('in token endpoint credentials → 400 invalid_request, never an Odoo error', async () => {
    const res = await tokenRequest({ grant_type: 'client_credentials', client_id: 'acme\u0000', client_secret: 'acme-secret' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });
});

describe('attack suite: prototype keys, oversized and deeply nested bodies', () => {
  const order = example('order');
  it.each([
    ['__proto__ at the top', `{"__proto__":{"admin":true},${JSON.stringify({ ...order, external_id: 'WEB-PROTO-1' }).slice(1)}`, '__proto__'],
    ['__proto__ in a line', JSON.stringify({ ...order, external_id: 'WEB-PROTO-2' }).replace('"sku"', '"__proto__":{"polluted":1},"sku"'), '__proto__'],
    ['constructor.prototype', `{"constructor":{"prototype":{"admin":true}},${JSON.stringify({ ...order, external_id: 'WEB-PROTO-3' }).slice(1)}`, 'constructor'],
  ])('%s → 422 validation_failed, nothing polluted or queued', async (_name, raw, at) => {
    const before = await intakeRows();
    const refused = await expectRefused(await write('/v1/orders', null, { raw }), 422, 'validation_failed');
    expect(JSON.stringify(refused.error.details)).toContain(at);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await intakeRows()).toBe(before);
  });

  it('prototype keys and NUL pass a lenient contract object, and are refused all the same', async () => {
    // The Odoo key rotation's body is a plain (key-stripping) object: the rule, not the contract, refuses.
    const admin = await t.token('ops', 'ops-secret', 'admin');
    const rotate = (raw: string) => t.fetch('/admin/rotate/odoo-key', { token: admin, method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    for (const [raw, code, at] of [
      ['{"__proto__":{"admin":true},"api_key":"0123456789abcdef"}', 'prototype_key', '__proto__'],
      ['{"api_key":"0123456789abcdef","constructor":{"prototype":{"admin":true}}}', 'prototype_key', 'constructor'],
      ['{"api_key":"0123456789abcdef","nested":[{"__proto__":null}]}', 'prototype_key', 'nested/0/__proto__'],
      ['{"api_key":"0123456789\\u0000abcdef"}', 'nul_character', 'api_key'],
    ] as const) {
      const refused = await expectRefused(await rotate(raw), 422, 'validation_failed');
      expect(refused.error.details).toEqual([expect.objectContaining({ code, path: at })]);
    }
  });

  it('__proto__ in a subscription update → 422, the subscription unchanged', async () => {
    const token = await t.token('acme', 'acme-secret', 'webhooks:manage');
    const created = await t.fetch('/v1/webhooks', { token, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1:9/proto', event_types: ['order.created'] }) });
    const { id } = (await created.json()) as { id: number };
    const res = await t.fetch(`/v1/webhooks/${id}`, { token, method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"active":false},"active":true}' });
    await expectRefused(res, 422, 'validation_failed');
    expect(((await (await t.fetch(`/v1/webhooks/${id}`, { token })).json()) as { active: boolean }).active).toBe(true);
  });

  it('a body over GATEWAY_BODY_LIMIT_BYTES → 413 payload_too_large, declared or chunked', async () => {
    const limit = t.config.bodyLimitBytes;
    const big = JSON.stringify({ ...order, external_id: 'WEB-BIG', note: 'x'.repeat(limit) });
    await expectRefused(await write('/v1/orders', null, { raw: big }), 413, 'payload_too_large');
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(Math.ceil(limit / 3))));
        controller.close();
      },
    });
    const res = await t.fetch('/v1/orders', {
      token: await t.token('demo'),
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: chunked,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    await expectRefused(res, 413, 'payload_too_large');
  });

  it.each([
    ['arrays', 100_000, '[', ']'],
    ['objects', 50_000, '{"a":', '}'],
  ])('deeply nested %s within the size limit → 4xx, the gateway still answering', async (_name, depth, open, close) => {
    const nested = open.repeat(depth) + '1' + close.repeat(depth);
    for (const raw of [`{"external_id":"WEB-DEEP","note":${nested}}`, `{"external_id":"WEB-DEEP","extra":${nested}}`, nested]) {
      const res = await write('/v1/orders', null, { raw });
      expect(res.status, raw.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(res.status, raw.slice(0, 40)).toBeLessThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/^(validation_failed|malformed_json)$/);
    }
    expect((await t.fetch('/healthz')).status).toBe(200);
  });
});

// ---- inbound commerce webhooks -------------------------------------------------------------------

const fixture = (path: string) => readFileSync(new URL(`../webhooks/fixtures/${path}`, import.meta.url), 'utf8');
const nowSeconds = () => Math.floor(Date.now() / 1000);
/** Far outside the replay window (300 s by default), either way. */
const OUTSIDE = 3600;

/** A Stripe event with its own id (Stripe's delivery id). */
const stripeEvent = (id: string) => fixture('stripe/payment_intent.succeeded.json').replace(/"id": "evt_[^"]+"/, `"id": "${id}"`);
const stripeSig = (body: string, ts: number, secret = STRIPE_SECRET) => createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
const standardBody = (externalId: string, note?: string) => {
  const env = JSON.parse(fixture('standard/order.created.json')) as { data: Record<string, unknown> };
  env.data.external_id = externalId;
  if (note !== undefined) env.data.note = note;
  return JSON.stringify(env);
};
const standardSig = (id: string, ts: number, body: string) =>
  createHmac('sha256', Buffer.from(STANDARD_SECRET.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${body}`).digest('base64');

const inbound = (provider: 'stripe' | 'standard', body: string, headers: Record<string, string>) =>
  fetch(`${t.url}/webhooks/${provider}/hooked`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('attack suite: inbound webhook signatures and timestamps', () => {
  it('the control deliveries (Stripe, Standard Webhooks) are accepted, whatever the header names\' case', async () => {
    const body = stripeEvent('evt_control_1');
    const ts = nowSeconds();
    const stripe = await inbound('stripe', body, { 'STRIPE-SIGNATURE': `t=${ts},v1=${stripeSig(body, ts)}` });
    expect(stripe.status).toBe(200);
    expect(((await stripe.json()) as { outcome: string }).outcome).toBe('accepted');
    const std = standardBody('STD-CONTROL-1');
    const standard = await inbound('standard', std, { 'Webhook-Id': 'msg_control_1', 'WEBHOOK-TIMESTAMP': String(ts), 'webhook-SIGNATURE': `v1,${standardSig('msg_control_1', ts, std)}` });
    expect(standard.status).toBe(200);
  });

  const stripeCases: [string, () => [string, Record<string, string>]][] = [
    ['Stripe: correctly signed, timestamp an hour old', () => {
      const body = stripeEvent('evt_old_1');
      const ts = nowSeconds() - OUTSIDE;
      return [body, { 'stripe-signature': `t=${ts},v1=${stripeSig(body, ts)}` }];
    }],
    ['Stripe: correctly signed, timestamp an hour ahead', () => {
      const body = stripeEvent('evt_future_1');
      const ts = nowSeconds() + OUTSIDE;
      return [body, { 'stripe-signature': `t=${ts},v1=${stripeSig(body, ts)}` }];
    }],
    ['Stripe: an old signed header with a fresh t= appended', () => {
      const body = stripeEvent('evt_old_2');
      const old = nowSeconds() - OUTSIDE;
      return [body, { 'stripe-signature': `t=${old},v1=${stripeSig(body, old)},t=${nowSeconds()}` }];
    }],
    ['Stripe: a fresh t= before an old signed header', () => {
      const body = stripeEvent('evt_old_3');
      const old = nowSeconds() - OUTSIDE;
      return [body, { 'stripe-signature': `t=${nowSeconds()},t=${old},v1=${stripeSig(body, old)}` }];
    }],
    ['Stripe: the signature of another body', () => {
      const ts = nowSeconds();
      return [stripeEvent('evt_swapped_1'), { 'stripe-signature': `t=${ts},v1=${stripeSig(stripeEvent('evt_other_1'), ts)}` }];
    }],
    ['Stripe: several v1 signatures, none valid', () => {
      const body = stripeEvent('evt_junk_1');
      const ts = nowSeconds();
      return [body, { 'stripe-signature': `t=${ts},v1=${'0'.repeat(64)},v1=${stripeSig(body, ts, 'whsec_wrong')},v1=zz` }];
    }],
    ['Stripe: a valid digest under another scheme (v0)', () => {
      const body = stripeEvent('evt_v0_1');
      const ts = nowSeconds();
      return [body, { 'stripe-signature': `t=${ts},v0=${stripeSig(body, ts)}` }];
    }],
    ['Stripe: two Stripe-Signature headers, the valid one stale', () => {
      const body = stripeEvent('evt_two_headers_1');
      const old = nowSeconds() - OUTSIDE;
      const headers = new Headers({ 'stripe-signature': `t=${old},v1=${stripeSig(body, old)}` });
      headers.append('stripe-signature', `t=${nowSeconds()},v1=${'0'.repeat(64)}`);
      return [body, Object.fromEntries([['stripe-signature', headers.get('stripe-signature')!]])];
    }],
  ];
  const standardCases: [string, () => [string, Record<string, string>]][] = [
    ['Standard Webhooks: correctly signed, timestamp an hour old', () => {
      const body = standardBody('STD-OLD-1');
      const ts = nowSeconds() - OUTSIDE;
      return [body, { 'webhook-id': 'msg_old_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${standardSig('msg_old_1', ts, body)}` }];
    }],
    ['Standard Webhooks: correctly signed, timestamp an hour ahead', () => {
      const body = standardBody('STD-FUTURE-1');
      const ts = nowSeconds() + OUTSIDE;
      return [body, { 'webhook-id': 'msg_future_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${standardSig('msg_future_1', ts, body)}` }];
    }],
    ['Standard Webhooks: an old signature under a fresh timestamp header', () => {
      const body = standardBody('STD-OLD-2');
      const old = nowSeconds() - OUTSIDE;
      return [body, { 'webhook-id': 'msg_old_2', 'webhook-timestamp': String(nowSeconds()), 'webhook-signature': `v1,${standardSig('msg_old_2', old, body)}` }];
    }],
    ['Standard Webhooks: the signature of another body', () => {
      const ts = nowSeconds();
      return [standardBody('STD-SWAP-1'), { 'webhook-id': 'msg_swap_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${standardSig('msg_swap_1', ts, standardBody('STD-OTHER-1'))}` }];
    }],
    ['Standard Webhooks: the signature of another message id', () => {
      const body = standardBody('STD-ID-1');
      const ts = nowSeconds();
      return [body, { 'webhook-id': 'msg_id_2', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${standardSig('msg_id_1', ts, body)}` }];
    }],
    ['Standard Webhooks: a valid digest under another scheme (v1a)', () => {
      const body = standardBody('STD-V1A-1');
      const ts = nowSeconds();
      return [body, { 'webhook-id': 'msg_v1a_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1a,${standardSig('msg_v1a_1', ts, body)}` }];
    }],
  ];

  it.each([...stripeCases, ...standardCases])('%s → 401 invalid_signature, nothing queued', async (name, make) => {
    const [body, headers] = make();
    const before = await intakeRows();
    await expectRefused(await inbound(name.startsWith('Stripe') ? 'stripe' : 'standard', body, headers), 401, 'invalid_signature');
    expect(await intakeRows()).toBe(before);
  });

  it('several signatures with one valid among them are accepted (secret rolling)', async () => {
    const body = stripeEvent('evt_multi_ok_1');
    const ts = nowSeconds();
    expect((await inbound('stripe', body, { 'stripe-signature': `t=${ts},v1=${'0'.repeat(64)},v1=${stripeSig(body, ts)}` })).status).toBe(200);
    const std = standardBody('STD-MULTI-OK-1');
    const sig = `v1,${Buffer.alloc(32).toString('base64')} v2,abc v1,${standardSig('msg_multi_ok_1', ts, std)}`;
    expect((await inbound('standard', std, { 'webhook-id': 'msg_multi_ok_1', 'webhook-timestamp': String(ts), 'webhook-signature': sig })).status).toBe(200);
  });

  it('a repeated delivery id is acknowledged as a duplicate and queues nothing, even with another signed body', async () => {
    const ts = nowSeconds();
    const first = stripeEvent('evt_dup_1');
    expect(((await (await inbound('stripe', first, { 'stripe-signature': `t=${ts},v1=${stripeSig(first, ts)}` })).json()) as { outcome: string }).outcome).toBe('accepted');
    const before = await intakeRows();
    const again = await inbound('stripe', first, { 'stripe-signature': `t=${ts},v1=${stripeSig(first, ts)}` });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { outcome: string }).outcome).toBe('duplicate');
    const altered = first.replace('"amount": 2000', '"amount": 1');
    expect(altered).not.toBe(first);
    const swapped = await inbound('stripe', altered, { 'stripe-signature': `t=${ts},v1=${stripeSig(altered, ts)}` });
    expect(((await swapped.json()) as { outcome: string }).outcome).toBe('duplicate');

    const std = standardBody('STD-DUP-1');
    const other = standardBody('STD-DUP-2');
    const sign = (b: string) => ({ 'webhook-id': 'msg_dup_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${standardSig('msg_dup_1', ts, b)}` });
    expect(((await (await inbound('standard', std, sign(std))).json()) as { outcome: string }).outcome).toBe('accepted');
    const stdBefore = await intakeRows();
    expect(((await (await inbound('standard', other, sign(other))).json()) as { outcome: string }).outcome).toBe('duplicate');
    expect(await intakeRows()).toBe(stdBefore);
    expect(stdBefore).toBe(before + 1);
  });

  it('an authentic delivery whose mapped order carries U+0000 → 422 validation_failed, nothing queued', async () => {
    const body = standardBody('STD-NUL-1', 'leave at\u0000door');
    const ts = nowSeconds();
    const before = await intakeRows();
    const res = await inbound('standard', body, { 'webhook-id': 'msg_nul_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${standardSig('msg_nul_1', ts, body)}` });
    const refused = await expectRefused(res, 422, 'validation_failed');
    expect(JSON.stringify(refused.error.details)).toContain('note');
    expect(await intakeRows()).toBe(before);
  });
});

// ---- outbound webhook targets (SSRF) -------------------------------------------------------------

describe('attack suite: partner webhook endpoints aimed at the inside', () => {
  let strict: TestGateway;
  beforeAll(async () => {
    // No WEBHOOK_ALLOWED_TARGETS: the default policy.
    strict = await startTestGateway({ sim: t.sim, env: { GATEWAY_TOKEN_RATE_PER_MIN: '10000' } });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it.each([
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://0177.0000.0000.0001/',
    'http://127.1/',
    'http://0/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://10.0.0.1/',
    'http://localhost/',
    'http://LOCALHOST./',
    'http://localhost:8069/web',
    'http://user:pw@localhost/',
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_INFO',
  ])('%s → 422 validation_failed (target_refused)', async (url) => {
    const token = await strict.token('acme', 'acme-secret', 'webhooks:manage');
    const created = await strict.fetch('/v1/webhooks', { token, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url, event_types: ['order.created'] }) });
    const refused = await expectRefused(created, 422, 'validation_failed');
    expect(refused.error.details?.[0]?.path).toBe('url');
    // Refused by the target policy itself, not by the URL's shape (other schemes may stop earlier).
    if (url.startsWith('http')) expect(refused.error.details?.[0]?.code).toBe('target_refused');
  });

  it('an existing subscription cannot be re-aimed at an internal address', async () => {
    // Created through the permissive gateway (127.0.0.1 allowlisted there), patched through the strict one.
    const permissive = await t.token('acme', 'acme-secret', 'webhooks:manage');
    const created = await t.fetch('/v1/webhooks', { token: permissive, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1:9/ok', event_types: ['order.created'] }) });
    const { id } = (await created.json()) as { id: number };
    const token = await strict.token('acme', 'acme-secret', 'webhooks:manage');
    for (const url of ['http://2130706433/', 'http://[::ffff:127.0.0.1]/', 'http://localhost/']) {
      const res = await strict.fetch(`/v1/webhooks/${id}`, { token, method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
      await expectRefused(res, 422, 'validation_failed');
    }
  });
});

describe('attack suite: a receiver that redirects to a private address', () => {
  const listen = (server: Server, host: string) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
    });
  let inside: Server;
  let redirector: Server;
  let insideHits = 0;
  let redirectorHits = 0;
  let insidePort: number;
  let redirectorPort: number;

  beforeAll(async () => {
    // The private target: another loopback address, which WEBHOOK_ALLOWED_TARGETS (127.0.0.1) does not allow.
    inside = createServer((_req, res) => {
      insideHits++;
      res.end('ok');
    });
    insidePort = await listen(inside, '127.0.0.2');
    redirector = createServer((_req, res) => {
      redirectorHits++;
      res.writeHead(307, { location: `http://127.0.0.2:${insidePort}/internal` }).end();
    });
    redirectorPort = await listen(redirector, '127.0.0.1');
  });
  afterAll(async () => {
    await new Promise((r) => inside?.close(r));
    await new Promise((r) => redirector?.close(r));
  });

  it('the delivery fails with the 307; the redirect is never followed', async () => {
    const token = await t.token('acme', 'acme-secret', 'webhooks:manage');
    const created = await t.fetch('/v1/webhooks', { token, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `http://127.0.0.1:${redirectorPort}/hook`, event_types: ['order.created'] }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect((await t.fetch(`/v1/webhooks/${id}/test`, { token, method: 'POST' })).status).toBe(202);
    type Log = { data: { attempts: number; last_status_code: number | null; status: string }[] };
    let log: Log = { data: [] };
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      log = (await (await t.fetch(`/v1/webhooks/${id}/deliveries`, { token })).json()) as Log;
      if (log.data.some((d) => d.attempts > 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(redirectorHits).toBeGreaterThan(0);
    expect(log.data[0]).toMatchObject({ last_status_code: 307 });
    expect(log.data[0]!.status).not.toBe('delivered');
    expect(insideHits).toBe(0);
  });
});
