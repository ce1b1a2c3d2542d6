/**
 * The attack suite: a table of requests that must each be refused with the right status and code,
 * against a whole gateway on the fake Odoo. Forged tokens are built with the gateway's own
 * signing key where the attack needs a valid signature (expired, wrong issuer…), so the one thing
 * wrong with each is the thing under test.
 */
// First: zod 4 attaches `.openapi` per schema, so the extension must load before any contract does.
import '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import { base64url, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { seedChannelPartners } from './support.js';

const ROUTE = '/v1/products';
const ROUTE_SCOPE = 'products:read';

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
      const { createHmac } = await import('node:crypto');
      const now = Math.floor(Date.now() / 1000);
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64({ iss: issuer, aud: issuer, sub: 'demo', client_id: 'demo', scope: ROUTE_SCOPE, jti: randomUUID(), iat: now, exp: now + 300 })}`;
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
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
