import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { AppEnv } from '../context.js';
import { ApiError, handleError } from '../errors.js';
import type { Services } from '../services.js';
import { MemoryRateLimiter } from '../rate-limit/memory.js';
import { RateLimitService } from '../rate-limit/service.js';
import { buildPolicies } from '../rate-limit/tiers.js';
import { migrations } from '../store/migrations.js';
import { SqliteStore } from '../store/sqlite.js';
import { ownsResource, principalOf, requireScope } from './middleware.js';
import { PartnerCache } from './partners.js';
import { MasterKeyring } from './sealed.js';
import { SigningKeyStore } from './signing-keys.js';
import { TokenIssuer } from './tokens.js';
import { TokenVerifier } from './verifier.js';
import type { AuthService } from './service.js';

const ISSUER = 'https://gw.example';
const FED_ISSUER = 'https://idp.partner.example';

function partner(code: string, extra: Partial<PartnerRecord> = {}): PartnerRecord {
  return {
    code,
    name: code,
    active: true,
    scopes: ['products:read', 'orders:read'],
    tier: 'standard',
    mode: 'live',
    warehouses: [],
    company_id: 1,
    issuer: null,
    jwks_url: null,
    subscriptions: [],
    inbound_secrets: { shopify: [], woocommerce: [], stripe: [], standard: [] },
    updated_at: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

describe('requireScope', () => {
  const store = new SqliteStore(':memory:');
  let registry: PartnerRecord[];
  let partnerCalls = 0;
  let jwksServer: Server;
  let jwksFetches = 0;
  let fedKeys: { kid: string; privateKey: CryptoKey; jwk: object }[] = [];
  let app: Hono<AppEnv>;
  let issuer: TokenIssuer;
  let verifier: TokenVerifier;
  let partners: PartnerCache;

  beforeAll(async () => {
    await store.migrate(migrations);
    jwksServer = createServer((_req, res) => {
      jwksFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: fedKeys.map((k) => ({ ...k.jwk, kid: k.kid, alg: 'ES256', use: 'sig' })) }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
    registry = [
      partner('acme'),
      partner('boss', { scopes: ['admin'] }),
      partner('fed', { issuer: FED_ISSUER, jwks_url: jwksUrl, scopes: ['products:read'] }),
    ];
    const odoo = {
      rpc: (async () => {
        partnerCalls++;
        return { partners: structuredClone(registry) };
      }) as never,
    };
    partners = new PartnerCache({ odoo, refreshMs: 30_000, missRefreshMs: 0 });
    await partners.refresh();
    const keys = new SigningKeyStore({ store, keyring: new MasterKeyring(Buffer.alloc(32, 7)), alg: 'ES256', tokenTtlSeconds: 600, clockSkewSeconds: 30 });
    await keys.init();
    issuer = new TokenIssuer({ keys, issuer: ISSUER, ttlSeconds: 600 });
    verifier = new TokenVerifier({ keys, partners, issuer: ISSUER, clockSkewSeconds: 30, jwksCooldownMs: 0 });
    const auth = { partners, verifier } as unknown as AuthService;
    const rateLimit = new RateLimitService({ limiter: new MemoryRateLimiter(), policies: buildPolicies() });
    const services = { auth, rateLimit } as unknown as Services;
    app = new Hono<AppEnv>();
    app.use('*', async (c, next) => {
      c.set('requestId', 'req-1');
      c.set('services', services);
      c.set('log', pino({ level: 'silent' }));
      await next();
    });
    app.get('/products', requireScope('products:read'), (c) => c.json({ principal: principalOf(c) }));
    app.get('/orders/:owner', requireScope('orders:read'), (c) => {
      if (!ownsResource(principalOf(c), c.req.param('owner'))) throw new ApiError('not_found', 'No such order.');
      return c.json({ ok: true });
    });
    app.onError(handleError);
  });

  afterAll(async () => {
    await store.close();
    await new Promise((r) => jwksServer.close(r));
  });

  const get = (path: string, token?: string) => app.request(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('sets the principal from a valid token and verifies a token only once', async () => {
    const { accessToken } = await issuer.issue({ partner: 'acme', clientId: 'acme-client', scopes: ['products:read'] });
    const before = verifier.cacheSize;
    const res = await get('/products', accessToken);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { principal: { partner: string; clientId: string; scopes: string[] } };
    expect(body.principal).toMatchObject({ partner: 'acme', clientId: 'acme-client', scopes: ['products:read'] });
    expect(verifier.cacheSize).toBe(before + 1);
    expect((await get('/products', accessToken)).status).toBe(200);
    expect(verifier.cacheSize).toBe(before + 1);
  });

  it('takes from the cache only the very token verified: one that shares its signature but not its claims is refused', async () => {
    const { accessToken } = await issuer.issue({ partner: 'acme', clientId: 'acme-client', scopes: ['products:read'] });
    expect((await get('/products', accessToken)).status).toBe(200);
    expect(verifier.cached(accessToken)?.scopes).toEqual(['products:read']);
    // The same signature (so the same cache key) under claims widened to orders:read.
    const [header, payload, signature] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { scope: string };
    claims.scope = 'products:read orders:read';
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(forged.slice(-32)).toBe(accessToken.slice(-32));
    expect(verifier.cached(forged)).toBeUndefined();
    const refused = await get('/orders/acme', forged);
    expect(refused.status).toBe(401);
    expect(verifier.cached(forged)).toBeUndefined();
    // The genuine token is still served from the cache, with its own claims.
    expect(verifier.cached(accessToken)?.scopes).toEqual(['products:read']);
    expect((await get('/orders/acme', accessToken)).status).toBe(403);
  });

  it('answers 401 unauthorized with a bare Bearer challenge without credentials', async () => {
    const res = await get('/products');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="retail-gateway"');
    expect(((await res.json()) as { error: { code: string; request_id: string } }).error).toMatchObject({ code: 'unauthorized', request_id: 'req-1' });
    const basic = await app.request('/products', { headers: { authorization: 'Basic YTpi' } });
    expect(basic.status).toBe(401);
  });

  it('answers 403 insufficient_scope naming the scope', async () => {
    const { accessToken } = await issuer.issue({ partner: 'acme', clientId: 'acme', scopes: ['products:read'] });
    const res = await get('/orders/acme', accessToken);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(res.headers.get('www-authenticate')).toContain('scope="orders:read"');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');
  });

  it("tenant isolation: another partner's resource answers 404; admin sees every partner's", async () => {
    const { accessToken } = await issuer.issue({ partner: 'acme', clientId: 'acme', scopes: ['orders:read'] });
    expect((await get('/orders/acme', accessToken)).status).toBe(200);
    const other = await get('/orders/globex', accessToken);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const admin = await issuer.issue({ partner: 'boss', clientId: 'boss', scopes: ['admin'] });
    expect((await get('/orders/globex', admin.accessToken)).status).toBe(200);
  });

  it("a partner's narrowed grant applies to its live tokens after a refresh, and disabling it refuses them", async () => {
    const { accessToken } = await issuer.issue({ partner: 'acme', clientId: 'acme', scopes: ['products:read', 'orders:read'] });
    expect((await get('/orders/acme', accessToken)).status).toBe(200);
    registry[0] = { ...registry[0]!, scopes: ['products:read'], updated_at: '2026-01-02T00:00:00Z' };
    await partners.refresh();
    expect((await get('/orders/acme', accessToken)).status).toBe(403);
    registry[0] = { ...registry[0]!, active: false, updated_at: '2026-01-03T00:00:00Z' };
    await partners.refresh();
    const res = await get('/products', accessToken);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    registry[0] = { ...registry[0]!, active: true, scopes: ['products:read', 'orders:read'] };
    await partners.refresh();
  });

  it('an unknown partner in a valid token refreshes the registry once, then is refused', async () => {
    const { accessToken } = await issuer.issue({ partner: 'ghost', clientId: 'ghost', scopes: ['products:read'] });
    const calls = partnerCalls;
    const res = await get('/products', accessToken);
    expect(res.status).toBe(401);
    expect(partnerCalls).toBe(calls + 1);
  });

  it('answers 503 (not 401) while the partner registry has never been loaded', async () => {
    const empty = new PartnerCache({ odoo: { rpc: (async () => Promise.reject(new Error('odoo down'))) as never }, refreshMs: 30_000, missRefreshMs: 0 });
    const down = new Hono<AppEnv>();
    down.use('*', async (c, next) => {
      c.set('requestId', 'req-2');
      c.set('services', { auth: { partners: empty, verifier } } as unknown as Services);
      await next();
    });
    down.get('/products', requireScope('products:read'), (c) => c.text('ok'));
    down.onError(handleError);
    const { accessToken } = await issuer.issue({ partner: 'acme', clientId: 'acme', scopes: ['products:read'] });
    const res = await down.request('/products', { headers: { authorization: `Bearer ${accessToken}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  describe('federated partner', () => {
    const sign = (kid: string, key: CryptoKey, aud = ISSUER) =>
      new SignJWT({ scope: 'products:read orders:read', client_id: 'fed-app' })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setIssuer(FED_ISSUER)
        .setAudience(aud)
        .setSubject('fed-app')
        .setJti(crypto.randomUUID())
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);

    it("accepts its tokens through its JWKS, caps scopes at its grant, and refetches the JWKS on an unknown kid", async () => {
      const k1 = await generateKeyPair('ES256', { extractable: true });
      fedKeys = [{ kid: 'fed-1', privateKey: k1.privateKey, jwk: await exportJWK(k1.publicKey) }];
      const t1 = await sign('fed-1', k1.privateKey);
      const res = await get('/products', t1);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { principal: { partner: string; scopes: string[] } }).principal).toMatchObject({ partner: 'fed', clientId: 'fed-app', scopes: ['products:read'] });
      // orders:read is in the token but not in the partner's grant.
      expect((await get('/orders/fed', t1)).status).toBe(403);
      const fetches = jwksFetches;
      const k2 = await generateKeyPair('ES256', { extractable: true });
      fedKeys.push({ kid: 'fed-2', privateKey: k2.privateKey, jwk: await exportJWK(k2.publicKey) });
      expect((await get('/products', await sign('fed-2', k2.privateKey))).status).toBe(200);
      expect(jwksFetches).toBe(fetches + 1);
    });

    it('refuses its tokens with the wrong audience or signed by a key not in its JWKS', async () => {
      const k1 = fedKeys[0]!;
      expect((await get('/products', await sign('fed-1', k1.privateKey, 'https://elsewhere'))).status).toBe(401);
      const rogue = await generateKeyPair('ES256');
      expect((await get('/products', await sign('fed-1', rogue.privateKey))).status).toBe(401);
      expect((await get('/products', await sign('fed-9', rogue.privateKey))).status).toBe(401);
    });
  });
});
