/**
 * Strangers cannot lock a client out: the token endpoint and the dashboard sign-in charge every
 * attempt to the caller's address and only failures to a client id (per address, and client-wide
 * for addresses that failed and are not known). Password guessing from other addresses never gets
 * the right secret refused from the client's own address. Run with the in-memory limiter and with
 * the real Redis (the budgets shared by replicas).
 *
 * Addresses come from `X-Forwarded-For`, believed because the test connects from a trusted proxy
 * (127.0.0.1).
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { seedChannelPartners } from './support.js';
import { deleteRedisKeys, REDIS_URL } from '../support/redis.js';

const prefix = `rg-test-lockout:${randomBytes(6).toString('hex')}:`;

let sim: OdooFake;
const started: TestGateway[] = [];

beforeAll(async () => {
  sim = await startOdooFake();
  seedChannelPartners(sim);
});
afterAll(async () => {
  for (const g of started) await g.close();
  await sim?.close();
  await deleteRedisKeys(prefix);
});

/** Budgets small enough to spend within a test: 10 attempts per address, 3 failures per (client, address), 20 per client. */
const LIMITS = { GATEWAY_TOKEN_RATE_PER_MIN: '10', GATEWAY_TOKEN_FAILURES_PER_MIN: '3', GATEWAY_TOKEN_CLIENT_FAILURES_PER_MIN: '20' };

async function gateway(backend: 'memory' | 'redis', limits: Record<string, string> = {}): Promise<TestGateway> {
  const env: Record<string, string> = {
    ...LIMITS,
    ...limits,
    GATEWAY_TRUSTED_PROXIES: '127.0.0.1,::1',
    ODOO_URL: sim.url,
    ODOO_DB: sim.db,
    ODOO_USER: sim.login,
    ODOO_API_KEY: sim.apiKey,
  };
  if (backend === 'redis') Object.assign(env, { REDIS_URL, GATEWAY_RATE_LIMIT_PREFIX: `${prefix}${started.length}:`, GATEWAY_RATE_LIMIT_REDIS_TIMEOUT_MS: '10000' });
  const g = await startTestGateway({ sim, env });
  started.push(g);
  expect(g.gateway.services.rateLimit.limiter.backend()).toBe(backend);
  return g;
}

function tokenRequest(g: TestGateway, from: string, clientId: string, secret: string) {
  return fetch(`${g.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'x-forwarded-for': from, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
}

async function status(res: Promise<Response>): Promise<number> {
  const r = await res;
  await r.arrayBuffer();
  return r.status;
}

const PARTNER_ADDRESS = '198.51.100.10';
const attacker = (i: number) => `203.0.113.${i + 1}`;

describe.each(['memory', 'redis'] as const)('credential lockout (%s limiter)', (backend) => {
  it('wrong secrets from other addresses never get the partner\'s first request refused', async () => {
    const g = await gateway(backend);
    // Ten strangers, two wrong guesses each: more failures than the client-wide budget holds.
    const guesses: number[] = [];
    for (let i = 0; i < 10; i++) {
      for (let k = 0; k < 2; k++) guesses.push(await status(tokenRequest(g, attacker(i), 'demo', `guess-${i}-${k}`)));
    }
    expect(await status(tokenRequest(g, PARTNER_ADDRESS, 'demo', 'demo-secret'))).toBe(200);
    expect(guesses.every((s) => s === 401)).toBe(true);
  });

  it('a partner under a password-guessing attack keeps getting its tokens from its own address', async () => {
    // 100 attempts a minute per address: the partner's 51 requests fit its own address's budget.
    const g = await gateway(backend, { GATEWAY_TOKEN_RATE_PER_MIN: '100' });
    expect(await status(tokenRequest(g, PARTNER_ADDRESS, 'demo', 'demo-secret'))).toBe(200);
    const partner: number[] = [];
    const attacks: number[] = [];
    const began = Date.now();
    // Thirty attacker addresses, five wrong guesses each; the partner asks after every third guess.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 30; i++) {
        attacks.push(await status(tokenRequest(g, attacker(i), 'demo', `guess-${round}-${i}`)));
        if (i % 3 === 0) partner.push(await status(tokenRequest(g, PARTNER_ADDRESS, 'demo', 'demo-secret')));
      }
    }
    expect(partner).toEqual(new Array<number>(50).fill(200));
    // The attackers were held back: each address's first guess is checked, then the per-address
    // (3) and client-wide (20, one more every 3 s) failure budgets refuse them without a check.
    const refilled = Math.ceil((Date.now() - began) / 3_000);
    expect(attacks.filter((s) => s === 401).length).toBeLessThanOrEqual(30 + 20 + refilled);
    expect(attacks.filter((s) => s === 429).length).toBeGreaterThanOrEqual(150 - 30 - 20 - refilled);
  });

  it('a known address and a new address\'s first attempt pass while the client-wide failure budget is spent', async () => {
    const g = await gateway(backend);
    expect(await status(tokenRequest(g, PARTNER_ADDRESS, 'demo', 'demo-secret'))).toBe(200);
    // 30 addresses × 1 failure: the client-wide budget (20) is spent.
    for (let i = 0; i < 30; i++) await status(tokenRequest(g, attacker(100 + i), 'demo', 'wrong'));
    // An address that has failed already is held back by the client-wide budget…
    const held = await tokenRequest(g, attacker(100), 'demo', 'wrong');
    expect(held.status).toBe(429);
    expect(held.headers.get('ratelimit-policy')).toBe('"token-client-failures";q=20;w=60');
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await held.arrayBuffer();
    // …the partner's known address is not…
    expect(await status(tokenRequest(g, PARTNER_ADDRESS, 'demo', 'demo-secret'))).toBe(200);
    // …nor an address the partner has never used, on its first attempt (which makes it known).
    expect(await status(tokenRequest(g, '198.51.100.77', 'demo', 'demo-secret'))).toBe(200);
    expect(await status(tokenRequest(g, '198.51.100.77', 'demo', 'demo-secret'))).toBe(200);
    // Other clients are not affected at all.
    expect(await status(tokenRequest(g, attacker(101), 'acme', 'acme-secret'))).toBe(200);
  });

  it('locks one address out of one client after its failures, right secret included', async () => {
    const g = await gateway(backend);
    for (let k = 0; k < 3; k++) expect(await status(tokenRequest(g, attacker(200), 'demo', `guess-${k}`))).toBe(401);
    const locked = await tokenRequest(g, attacker(200), 'demo', 'demo-secret');
    expect(locked.status).toBe(429);
    expect(locked.headers.get('ratelimit-policy')).toBe('"token-failures";q=3;w=60');
    await locked.arrayBuffer();
    expect(await status(tokenRequest(g, attacker(200), 'acme', 'acme-secret'))).toBe(200);
    expect(await status(tokenRequest(g, PARTNER_ADDRESS, 'demo', 'demo-secret'))).toBe(200);
  });

  it('wrong passwords for a dashboard login from other addresses never keep its owner out', async () => {
    const g = await gateway(backend);
    const signIn = async (from: string, login: string, password: string) => {
      const form = await fetch(`${g.url}/dashboard/login`);
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const cookie = form.headers.getSetCookie().find((c) => c.startsWith('rg_dash_login='))!.split(';')[0]!;
      const res = await fetch(`${g.url}/dashboard/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, 'x-forwarded-for': from },
        body: new URLSearchParams({ login, password, csrf }),
      });
      await res.arrayBuffer();
      return res.status;
    };
    const refused: number[] = [];
    for (let i = 0; i < 30; i++) refused.push(await signIn(attacker(i), sim.login, `guess-${i}`));
    expect(refused.every((s) => s === 401)).toBe(true);
    expect(await signIn(PARTNER_ADDRESS, sim.login, sim.password)).toBe(303);
    // Its first guess is checked; then, the login's failure budget being spent, that address is
    // held back (the right password included) while the owner is not.
    expect(await signIn(attacker(50), sim.login, 'guess')).toBe(401);
    expect(await signIn(attacker(50), sim.login, sim.password)).toBe(429);
    expect(await signIn(PARTNER_ADDRESS, sim.login, sim.password)).toBe(303);
  });
});
