/**
 * Every credential rotation under load, with zero failed legitimate requests: 20 concurrent
 * clients for at least 30 s, with traffic on both sides of the switch, against an in-process
 * gateway on the fake Odoo. One file, so the runs do not compete for the cores.
 *
 * What is asserted is correctness (no failed request, every request answered), never a speed:
 * the switch waits until traffic has flowed, and a run ends only once enough traffic followed the
 * switch, however slow the machine. The request rate is printed, not asserted.
 *
 * A virtual client does what a real partner integration does: gets a token (client_secret_basic),
 * reads `/v1/products` (a scoped route that calls Odoo) with it, and renews its token every couple
 * of seconds, before it expires. Anything but a 200 is a failure, and the test prints them.
 *
 * The gateway runs with GATEWAY_MASTER_KEY = B and GATEWAY_MASTER_KEY_PREVIOUS = A over a store
 * first written under A: step 2 of the documented master-key procedure, so the master-key run can
 * re-seal the store while serving.
 *
 * ROTATION_LOAD_SECONDS shortens the runs for local iteration (the product's bar is 30).
 */
// First: zod 4 attaches `.openapi` per schema, so the extension must load before any contract does.
import '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../gateway/src/audit/log.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { addApiKey, revokeApiKey, seedChannelPartners } from './support.js';

const SECONDS = Number(process.env.ROTATION_LOAD_SECONDS ?? 30);
const CLIENTS = 20;
/** Requests a run makes at least before and after its switch (conditions, not deadlines). */
const MIN_EACH_SIDE = 200;
/** Direct Odoo calls a run with Odoo callers makes at least after its switch. */
const MIN_ODOO_AFTER = 100;
const RENEW_MS = 2_000;
const UNLIMITED = JSON.stringify({ standard: { rate: 1_000_000, burst: 1_000_000 }, premium: { rate: 1_000_000, burst: 1_000_000 }, internal: { rate: 1_000_000, burst: 1_000_000 } });

const masterA = randomBytes(32).toString('base64');
const masterB = randomBytes(32).toString('base64');
const dataDir = mkdtempSync(join(tmpdir(), 'rg-rotation-'));
const env = {
  GATEWAY_DATA_DIR: dataDir,
  GATEWAY_PUBLIC_URL: 'http://gateway.test',
  GATEWAY_RATE_LIMIT_TIERS: UNLIMITED,
  GATEWAY_TOKEN_RATE_PER_MIN: '100000',
  GATEWAY_PARTNER_REFRESH_SECONDS: '2',
  GATEWAY_RELAY: 'false',
  // Catalog reads go back to Odoo every second, so the Odoo-key run has HTTP traffic reaching Odoo too.
  GATEWAY_CATALOG_TTL_SECONDS: '1',
};

let t: TestGateway;
let adminToken: string;

interface Credentials {
  clientId: string;
  secret: string;
}

interface LoadResult {
  requests: number;
  failures: string[];
  tokens: number;
  kids: Set<string>;
  durationMs: number;
  /** Calls made straight through the gateway's Odoo client (what a cache miss does). */
  odooCalls: number;
  odooCallsAfterSwitch: number;
}

/**
 * Runs CLIENTS virtual clients for SECONDS, calling `switchOver` once at `atFraction` of the run
 * (and not before MIN_EACH_SIDE requests were made). The run goes on past SECONDS until
 * MIN_EACH_SIDE requests (and MIN_ODOO_AFTER direct Odoo calls) followed the switch and every
 * client renewed its token at least once.
 * `credentialsOf(i)` is read before every token request, so a scenario can move clients to a new
 * secret mid-run.
 */
async function underLoad(
  switchOver: () => Promise<void>,
  credentialsOf: (i: number) => Credentials,
  options: { atFraction?: number; odooCallers?: number } = {},
): Promise<LoadResult> {
  const atFraction = options.atFraction ?? 0.5;
  const odooCallers = options.odooCallers ?? 0;
  const result: LoadResult = { requests: 0, failures: [], tokens: 0, kids: new Set(), durationMs: 0, odooCalls: 0, odooCallsAfterSwitch: 0 };
  const started = Date.now();
  const end = started + SECONDS * 1000;
  let switched = false;
  let requestsAfterSwitch = 0;
  let requestsBeforeSwitch = 0;
  const tokensOf: number[] = Array.from({ length: CLIENTS }, () => 0);
  const running = () =>
    Date.now() < end ||
    !switched ||
    requestsAfterSwitch < MIN_EACH_SIDE ||
    (odooCallers > 0 && result.odooCallsAfterSwitch < MIN_ODOO_AFTER) ||
    tokensOf.some((n) => n < 2);

  async function getToken(i: number): Promise<string | null> {
    const { clientId, secret } = credentialsOf(i);
    const res = await fetch(`${t.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=products%3Aread',
    });
    result.requests++;
    result.tokens++;
    tokensOf[i]!++;
    if (res.status !== 200) {
      result.failures.push(`token ${clientId}: ${res.status} ${await res.text()}`);
      return null;
    }
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async function client(i: number): Promise<void> {
    let token = await getToken(i);
    let renewAt = Date.now() + RENEW_MS + i * 37;
    while (running()) {
      if (!token || Date.now() >= renewAt) {
        token = await getToken(i);
        renewAt = Date.now() + RENEW_MS;
        continue;
      }
      const res = await fetch(`${t.url}/v1/products?limit=5`, { headers: { authorization: `Bearer ${token}` } });
      result.requests++;
      if (switched) requestsAfterSwitch++;
      else requestsBeforeSwitch++;
      if (res.status === 200) {
        await res.arrayBuffer();
        result.kids.add(decodeProtectedHeader(token).kid!);
      } else {
        result.failures.push(`GET /v1/products: ${res.status} ${await res.text()}`);
      }
    }
  }

  // The gateway's own Odoo traffic, as a token request with an uncached secret makes it.
  async function odooCaller(): Promise<void> {
    const odoo = t.gateway.services.odoo;
    while (running()) {
      try {
        const r = await odoo.rpc('authenticate_client', { client_id: 'globex', client_secret: 'globex-secret' });
        if (!r.ok) result.failures.push('odoo authenticate_client: refused');
      } catch (err) {
        result.failures.push(`odoo call: ${(err as Error).message}`);
      }
      result.odooCalls++;
      if (switched) result.odooCallsAfterSwitch++;
    }
  }

  // The switch comes at its point in the run, once traffic has flowed.
  async function switcher(): Promise<void> {
    const switchAt = started + SECONDS * 1000 * atFraction;
    while (Date.now() < switchAt || requestsBeforeSwitch < MIN_EACH_SIDE) await new Promise((r) => setTimeout(r, 50));
    await switchOver();
    switched = true;
  }

  // A failed switch ends the run at once instead of leaving the clients waiting for it.
  const switching = switcher().catch((err: unknown) => {
    switched = true;
    throw err;
  });
  await Promise.all([...Array.from({ length: CLIENTS }, (_, i) => client(i)), ...Array.from({ length: odooCallers }, () => odooCaller()), switching]);
  result.durationMs = Date.now() - started;
  // The switch happened inside the run, with traffic on both sides of it.
  expect(switched).toBe(true);
  expect(requestsBeforeSwitch).toBeGreaterThanOrEqual(MIN_EACH_SIDE);
  expect(requestsAfterSwitch).toBeGreaterThanOrEqual(MIN_EACH_SIDE);
  return result;
}

function expectClean(r: LoadResult): void {
  const rate = r.requests / (r.durationMs / 1000);
  console.info(
    `${r.requests} requests (${r.tokens} token requests, ${r.odooCalls} direct Odoo calls) in ${(r.durationMs / 1000).toFixed(1)} s: ${rate.toFixed(0)} requests/s, ${r.failures.length} failed`,
  );
  if (r.failures.length) console.error(`${r.failures.length} failures, first:`, r.failures.slice(0, 5));
  expect(r.failures).toEqual([]);
  expect(r.durationMs).toBeGreaterThanOrEqual(SECONDS * 1000);
}

async function admin(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await t.fetch(path, {
    token: adminToken,
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const acme = (): Credentials => ({ clientId: 'acme', secret: 'acme-secret' });

beforeAll(async () => {
  // The store is first written under master key A (signing key and a rotated Odoo key sealed).
  const before = await startTestGateway({ env: { ...env, GATEWAY_MASTER_KEY: masterA } });
  const sim = before.sim;
  seedChannelPartners(sim);
  const firstKey = addApiKey(sim);
  const adminBefore = await before.token('ops', 'ops-secret', 'admin');
  const r = await before.fetch('/admin/rotate/odoo-key', { token: adminBefore, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: firstKey }) });
  expect(r.status).toBe(200);
  await before.gateway.close();
  // Then every replica restarts with B as the master key and A as the previous one.
  t = await startTestGateway({ sim, env: { ...env, GATEWAY_MASTER_KEY: masterB, GATEWAY_MASTER_KEY_PREVIOUS: masterA } });
  adminToken = await t.token('ops', 'ops-secret', 'admin');
}, 180_000);

afterAll(async () => {
  await t?.close();
  await t?.sim.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`rotations under load (${CLIENTS} clients, ≥ ${SECONDS} s each)`, () => {
  // A deadline for a stuck run only: a busy machine makes a run longer, never a failure.
  const timeout = (SECONDS * 4 + 120) * 1000;

  it('access tokens: every client renews its token mid-flight while the old one is in use', async () => {
    const r = await underLoad(async () => undefined, acme);
    expectClean(r);
    expect(r.tokens).toBeGreaterThanOrEqual(CLIENTS * 2);
  }, timeout);

  it('signing key: tokens of the old key keep working, new tokens carry the new key', async () => {
    const oldKid = t.gateway.services.auth!.keys.activeKey().kid;
    let newKid = '';
    const r = await underLoad(async () => {
      newKid = (await admin('/admin/rotate/signing-key')).kid as string;
    }, acme);
    expectClean(r);
    expect(newKid).not.toBe(oldKid);
    expect(r.kids.has(oldKid)).toBe(true);
    expect(r.kids.has(newKid)).toBe(true);
    const jwks = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
  }, timeout);

  it("client secret: half the clients move to the new secret at once, the others keep the old one within its grace", async () => {
    let fresh: string | null = null;
    const r = await underLoad(
      async () => {
        fresh = (await admin('/admin/rotate/client-secret/acme', { grace_seconds: 3600 })).client_secret as string;
      },
      (i) => ({ clientId: 'acme', secret: fresh && i % 2 === 0 ? fresh : 'acme-secret' }),
    );
    expectClean(r);
    expect(fresh).toBeTruthy();
  }, timeout);

  it('master key: the store is re-sealed under the new key while serving; a signing-key rotation after it uses the new key', async () => {
    const r = await underLoad(async () => {
      const res = await admin('/admin/rotate/master-key');
      expect(res.resealed).toBeGreaterThanOrEqual(2);
      await admin('/admin/rotate/signing-key');
      await t.gateway.services.auth!.keys.reload();
    }, acme);
    expectClean(r);
    const keyring = t.gateway.services.auth!.keyring;
    const rows = await t.gateway.services.store.query<{ private_key: string }>('SELECT private_key FROM auth_signing_keys');
    for (const row of rows) expect(row.private_key.startsWith(`v1.${keyring.currentId}.`)).toBe(true);
    const secrets = await t.gateway.services.store.query<{ value: string }>('SELECT value FROM auth_sealed_secrets');
    for (const row of secrets) expect(row.value.startsWith(`v1.${keyring.currentId}.`)).toBe(true);
  }, timeout);

  it('Odoo API key: a new key takes over and the old one is revoked in Odoo, with no dropped call', async () => {
    const sim = t.sim;
    const oldKey = (await t.gateway.services.auth!.secrets.get('odoo_api_key'))!.value;
    const r = await underLoad(async () => {
      const next = addApiKey(sim);
      await admin('/admin/rotate/odoo-key', { api_key: next });
      // The operator revokes the old key once every replica switched (one poll interval).
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      revokeApiKey(sim, oldKey);
    }, acme, { atFraction: 0.4, odooCallers: 4 });
    expectClean(r);
    expect(r.odooCallsAfterSwitch).toBeGreaterThanOrEqual(MIN_ODOO_AFTER);
    expect(await t.gateway.services.auth!.odooKey!.storedVersion).toBeGreaterThanOrEqual(2);
  }, timeout);

  it('every rotation is in the audit log, with who and what, and no secret', async () => {
    const entries = await listAudit(t.gateway.services.store, { limit: 50 });
    const actions = entries.map((e) => e.action);
    for (const a of ['rotate.signing_key', 'rotate.client_secret', 'rotate.master_key', 'rotate.odoo_key']) expect(actions).toContain(a);
    for (const e of entries) {
      expect(e.who).toBe('ops/ops');
      expect(e.from_ip).toBeTruthy();
      expect(JSON.stringify(e.details)).not.toMatch(/secret"\s*:\s*"(?!\[redacted\])/);
    }
  });
});
