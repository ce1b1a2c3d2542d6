/**
 * The rotation routes and the `rotate` command: admin only, each audited without the secret, and
 * the partner secrets (subscription signing, inbound) rotated in Odoo with an overlap the gateway
 * sees at once.
 */
// First: zod 4 attaches `.openapi` per schema, so the extension must load before any contract does.
import '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listAudit } from '../../gateway/src/audit/log.js';
import { rotateCommand } from '../../gateway/src/cli/rotate.js';
import { loadConfig } from '../../gateway/src/config.js';
import { MasterKeyring } from '../../gateway/src/auth/sealed.js';
import { SigningKeyStore } from '../../gateway/src/auth/signing-keys.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { seedChannelPartners } from './support.js';

let t: TestGateway;
let admin: string;

const post = (path: string, token: string, body?: unknown) =>
  t.fetch(path, { token, method: 'POST', ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });

beforeAll(async () => {
  t = await startTestGateway({ env: { GATEWAY_TOKEN_RATE_PER_MIN: '1000', GATEWAY_RELAY: 'false' } });
  seedChannelPartners(t.sim);
  await t.gateway.services.auth!.partners.refresh();
  admin = await t.token('ops', 'ops-secret', 'admin');
});

afterAll(async () => {
  await t?.close();
});

describe('admin rotation routes', () => {
  it.each([
    '/admin/rotate/signing-key',
    '/admin/rotate/master-key',
    '/admin/rotate/client-secret/acme',
    '/admin/rotate/subscription-secret/acme/1',
    '/admin/rotate/inbound-secret/acme/standard',
  ])('%s needs the admin scope', async (path) => {
    const partnerToken = await t.token('acme', 'acme-secret');
    const res = await post(path, partnerToken);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');
    expect((await t.fetch(path, { method: 'POST' })).status).toBe(401);
  });

  it("subscription secret: a new whsec_ secret once, and the partner cache holds both until the deadline", async () => {
    const { subscription } = await t.gateway.services.odoo.rpc('create_subscription', { partner: 'acme', url: 'https://hooks.acme.example/rg', event_types: ['order.created'], active: true });
    await t.gateway.services.auth!.partners.refresh();
    const res = await post(`/admin/rotate/subscription-secret/acme/${subscription.id}`, admin, { grace_seconds: 600 });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { secret: string; previous_valid_until: string };
    expect(body.secret).toMatch(/^whsec_/);
    expect(Date.parse(body.previous_valid_until) - Date.now()).toBeGreaterThan(500_000);
    const cached = t.gateway.services.auth!.partners.get('acme')!.subscriptions.find((s) => s.id === subscription.id)!;
    expect(cached.secrets.map((s) => s.secret)).toContain(body.secret);
    expect(cached.secrets).toHaveLength(2);

    expect((await post(`/admin/rotate/subscription-secret/globex/${subscription.id}`, admin)).status).toBe(404);
  });

  it('inbound secret: given for a provider, generated for Standard Webhooks, and both versions accepted during the overlap', async () => {
    const missing = await post('/admin/rotate/inbound-secret/acme/shopify', admin, {});
    expect(missing.status).toBe(400);
    const given = await post('/admin/rotate/inbound-secret/acme/shopify', admin, { secret: 'shpss_new_secret_value', grace_seconds: 300 });
    expect(given.status).toBe(200);
    expect(((await given.json()) as { secret?: string }).secret).toBeUndefined();
    const generated = await post('/admin/rotate/inbound-secret/acme/standard', admin, {});
    const { secret } = (await generated.json()) as { secret: string };
    expect(secret).toMatch(/^whsec_/);
    const again = await post('/admin/rotate/inbound-secret/acme/standard', admin, { grace_seconds: 300 });
    const { secret: next } = (await again.json()) as { secret: string };
    const standard = t.gateway.services.auth!.partners.get('acme')!.inbound_secrets.standard!.map((s) => s.secret);
    expect(standard).toEqual(expect.arrayContaining([secret, next]));
    expect(t.gateway.services.auth!.partners.get('acme')!.inbound_secrets.shopify!.map((s) => s.secret)).toContain('shpss_new_secret_value');
  });

  it('unknown partner → 404; bad partner code → 422', async () => {
    expect((await post('/admin/rotate/client-secret/nobody', admin)).status).toBe(404);
    expect((await post('/admin/rotate/client-secret/Not%20A%20Code', admin)).status).toBe(422);
  });

  it('master key with nothing sealed under another key re-seals nothing', async () => {
    const res = await post('/admin/rotate/master-key', admin);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ resealed: 0, master_key_id: t.gateway.services.auth!.keyring.currentId });
  });

  it('a refused Odoo key changes nothing', async () => {
    const res = await post('/admin/rotate/odoo-key', admin, { api_key: 'not-a-valid-key-at-all' });
    expect(res.status).toBe(400);
    expect((await t.fetch('/v1/webhooks', { token: await t.token('acme', 'acme-secret', 'webhooks:manage') })).status).toBe(200);
    expect(await t.gateway.services.auth!.secrets.get('odoo_api_key')).toBeNull();
  });

  it('every rotation is audited with who, where and what, never the secret', async () => {
    const entries = await listAudit(t.gateway.services.store, { limit: 100 });
    const actions = new Set(entries.map((e) => e.action));
    for (const a of ['rotate.subscription_secret', 'rotate.inbound_secret', 'rotate.master_key']) expect(actions).toContain(a);
    const text = JSON.stringify(entries);
    expect(text).not.toContain('shpss_new_secret_value');
    expect(text).not.toMatch(/whsec_/);
    for (const e of entries) {
      expect(e.who).toBe('ops/ops');
      expect(e.from_ip).toBe('127.0.0.1');
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes the token endpoint, discovery and every rotation route', async () => {
    const doc = (await (await t.fetch('/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    for (const path of [
      '/oauth/token',
      '/.well-known/jwks.json',
      '/.well-known/oauth-authorization-server',
      '/admin/rotate/signing-key',
      '/admin/rotate/master-key',
      '/admin/rotate/odoo-key',
      '/admin/rotate/client-secret/{partner}',
      '/admin/rotate/subscription-secret/{partner}/{id}',
      '/admin/rotate/inbound-secret/{partner}/{provider}',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.paths['/.well-known/jwks.json']!.get!.security).toEqual([]);
    expect(doc.paths['/admin/rotate/signing-key']!.post!.security).toEqual([{ partnerOAuth: ['admin'] }]);
  });
});

describe('retail-gateway rotate', () => {
  it('rotates the signing key from the command line; the running gateway accepts the new key at once', async () => {
    // The running gateway re-reads its keys every 5 s, too; stopped here, so that the only way it
    // can learn the new key is the path under test (an unknown kid re-reads the store). Without
    // this, the rotation below took longer than a refresh once, beside another suite, and the
    // gateway held the new key before the test looked.
    t.gateway.services.auth!.keys.stop();
    const sim = t.sim;
    const config = loadConfig({
      ODOO_URL: sim.url,
      ODOO_DB: sim.db,
      ODOO_USER: sim.login,
      ODOO_API_KEY: sim.apiKey,
      GATEWAY_DATA_DIR: t.config.dataDir,
      GATEWAY_MASTER_KEY: t.config.masterKey!.toString('base64'),
      GATEWAY_PUBLIC_URL: t.config.publicUrl,
      LOG_LEVEL: 'silent',
    });
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    let code: number | undefined;
    try {
      code = await rotateCommand.run(['signing-key'], config);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    const { kid } = JSON.parse(out.join('')) as { kid: string };
    const entries = await listAudit(t.gateway.services.store, { action: 'rotate.signing_key' });
    expect(entries[0]).toMatchObject({ target: kid, from_ip: null });
    expect(entries[0]!.who).toMatch(/^cli:/);

    // Another replica (a second key store on the same store) signs with the new key; the running
    // gateway has not reloaded yet, and accepts the token at once (unknown kid → re-read the store).
    const auth = t.gateway.services.auth!;
    expect(auth.keys.activeKey().kid).not.toBe(kid);
    const replica = new SigningKeyStore({ store: t.gateway.services.store, keyring: new MasterKeyring(t.config.masterKey!), alg: 'ES256', tokenTtlSeconds: 600, clockSkewSeconds: 30 });
    await replica.init();
    expect(replica.activeKey().kid).toBe(kid);
    const token = await new SignJWT({ client_id: 'acme', scope: 'webhooks:manage' })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .setIssuer(auth.issuerUrl)
      .setAudience(auth.issuerUrl)
      .setSubject('acme')
      .setJti(randomBytes(8).toString('hex'))
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(replica.activeKey().privateKey);
    expect((await t.fetch('/v1/webhooks', { token })).status).toBe(200);
    expect(auth.keys.activeKey().kid).toBe(kid);
  });

  it('explains bad usage with exit code 64', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await rotateCommand.run(['everything'], config)).toBe(64);
    } finally {
      spy.mockRestore();
    }
  });
});
