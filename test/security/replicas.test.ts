/**
 * Two gateway replicas sharing one PostgreSQL store sign and verify alike: a token from one is
 * accepted by the other, and after a signing-key rotation on one, the other accepts the new key's
 * tokens at once (unknown kid → re-read the store) and starts signing with it within its reload
 * interval.
 */
// First: zod 4 attaches `.openapi` per schema, so the extension must load before any contract does.
import '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase } from '../support/postgres.js';
import { seedChannelPartners } from './support.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let a: TestGateway;
let b: TestGateway;

beforeAll(async () => {
  db = await createTestDatabase('rg_replicas');
  const env = {
    GATEWAY_STORE_URL: db.url,
    GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'),
    GATEWAY_PUBLIC_URL: 'http://gateway.test',
    GATEWAY_TOKEN_RATE_PER_MIN: '1000',
    GATEWAY_RELAY: 'false',
  };
  a = await startTestGateway({ env });
  seedChannelPartners(a.sim);
  b = await startTestGateway({ env, sim: a.sim });
  await a.gateway.services.auth!.partners.refresh();
  await b.gateway.services.auth!.partners.refresh();
}, 180_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
  await db?.drop();
});

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

describe('replicas on one PostgreSQL store', () => {
  it('share one signing key: a token from one replica works on the other', async () => {
    expect(a.gateway.services.store.dialect).toBe('postgres');
    expect(a.gateway.services.auth!.keys.activeKey().kid).toBe(b.gateway.services.auth!.keys.activeKey().kid);
    const token = await a.token('acme', 'acme-secret', 'products:read');
    const res = await b.fetch('/.well-known/jwks.json');
    expect(((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toContain(kidOf(token));
    expect((await b.fetch('/v1/webhooks', { token: await a.token('acme', 'acme-secret', 'webhooks:manage') })).status).toBe(200);
  });

  it("after a rotation on one replica, the other accepts the new key's tokens at once and soon signs with it", async () => {
    const before = await b.token('acme', 'acme-secret', 'webhooks:manage');
    const admin = await a.token('ops', 'ops-secret', 'admin');
    const rotated = await a.fetch('/admin/rotate/signing-key', { token: admin, method: 'POST' });
    expect(rotated.status).toBe(200);
    const { kid, previous_kid } = (await rotated.json()) as { kid: string; previous_kid: string };
    expect(previous_kid).toBe(kidOf(before));

    const fresh = await a.token('acme', 'acme-secret', 'webhooks:manage');
    expect(kidOf(fresh)).toBe(kid);
    expect((await b.fetch('/v1/webhooks', { token: fresh })).status).toBe(200);
    // The old key's tokens still work on both.
    expect((await a.fetch('/v1/webhooks', { token: before })).status).toBe(200);
    expect((await b.fetch('/v1/webhooks', { token: before })).status).toBe(200);

    const deadline = Date.now() + 60_000;
    let signedByB = kidOf(await b.token('acme', 'acme-secret', 'webhooks:manage'));
    while (signedByB !== kid && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      signedByB = kidOf(await b.token('acme', 'acme-secret', 'webhooks:manage'));
    }
    expect(signedByB).toBe(kid);
  });
});
