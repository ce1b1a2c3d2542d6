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
