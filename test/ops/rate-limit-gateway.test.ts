/**
 * Rate limits through whole gateways: two replicas sharing the real Redis hold a partner to one
 * budget; the draft's header syntax on real routes; the token endpoint's per-address limit
 * (client_secret_basic and client_secret_post); and a gateway whose Redis is down keeps serving.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { deleteRedisKeys, REDIS_URL } from '../support/redis.js';

const prefix = `rg-test-gw:${randomBytes(6).toString('hex')}:`;
// Refills one request per 100 s: within the test only the burst of 10 exists, so counts are exact.
const TINY = { rate: 0.01, burst: 10 };
const tiers = JSON.stringify({ standard: TINY, premium: TINY, internal: TINY });
// A slow Redis reply on a busy machine must not become a local (unshared) decision.
const REDIS_TIMEOUT_MS = '10000';

let sim: OdooFake;
const started: TestGateway[] = [];

beforeAll(async () => {
  sim = await startOdooFake();
});
afterAll(async () => {
  for (const g of started) await g.close();
  await sim?.close();
  await deleteRedisKeys(prefix);
});

async function gateway(env: Record<string, string>): Promise<TestGateway> {
  const g = await startTestGateway({ sim, env });
  started.push(g);
  return g;
}

describe('rate limits across gateway replicas', () => {
  it('two replicas sharing Redis admit exactly one burst between them, with draft headers', async () => {
    const shared = { REDIS_URL, GATEWAY_RATE_LIMIT_PREFIX: prefix, GATEWAY_RATE_LIMIT_TIERS: tiers, GATEWAY_RATE_LIMIT_REDIS_TIMEOUT_MS: REDIS_TIMEOUT_MS };
    const a = await gateway(shared);
    const b = await gateway(shared);
    expect(a.gateway.services.rateLimit!.limiter.backend()).toBe('redis');
    const tokens = [await a.token('demo'), await b.token('demo')];
    const replicas = [a, b];
    const answers: { status: number; policy: string | null; limit: string | null; retryAfter: string | null; code?: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await replicas[i % 2]!.fetch('/v1/products?limit=1', { token: tokens[i % 2] });
      answers.push({
        status: res.status,
        policy: res.headers.get('ratelimit-policy'),
        limit: res.headers.get('ratelimit'),
        retryAfter: res.headers.get('retry-after'),
        code: res.status === 429 ? ((await res.json()) as { error: { code: string } }).error.code : (await res.arrayBuffer(), undefined),
      });
    }
    expect(answers.filter((x) => x.status === 200)).toHaveLength(10);
    expect(answers.slice(10).every((x) => x.status === 429 && x.code === 'rate_limited')).toBe(true);
    const tier = a.gateway.services.auth!.partners.get('demo')!.tier;
    for (const x of answers) expect(x.policy).toBe(`"${tier}-read";q=10;w=1000`);
    // Remaining counts down across both replicas: one shared budget.
    expect(answers.slice(0, 10).map((x) => Number(/;r=(\d+);/.exec(x.limit!)![1]))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    for (const x of answers.slice(10)) {
      expect(Number(x.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(x.limit).toBe(`"${tier}-read";r=0;t=${x.retryAfter}`);
    }
  });

  it('limits token attempts per address, whichever way the client authenticates', async () => {
    const g = await gateway({ GATEWAY_TOKEN_RATE_PER_MIN: '3' });
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${g.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ grant_type: 'client_credentials', ...body }) });
    const basic = { authorization: `Basic ${Buffer.from('demo:demo-secret').toString('base64')}` };
    const first = await post({ client_id: 'demo', client_secret: 'demo-secret' });
    expect(first.status).toBe(200);
    expect((await post({}, basic)).status).toBe(200);
    expect((await post({}, basic)).status).toBe(200);
    const refused = await post({ client_id: 'demo', client_secret: 'demo-secret' });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(refused.headers.get('retry-after')).toBe('20');
    expect(refused.headers.get('ratelimit-policy')).toBe('"token-ip";q=3;w=60');
  });

  it('keeps serving with local limits when Redis is unreachable, and counts the fallback', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const g = await gateway({ REDIS_URL: `redis://127.0.0.1:${port}`, GATEWAY_RATE_LIMIT_PREFIX: prefix });
    const token = await g.token('demo');
    for (let i = 0; i < 3; i++) {
      const res = await g.fetch('/v1/products?limit=1', { token });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toMatch(/^"[a-z]+-read";r=\d+;t=\d+$/);
    }
    expect(g.gateway.services.rateLimit!.limiter.backend()).toBe('fallback');
    const metrics = await g.metrics();
    expect(Number(/^gateway_rate_limit_fallback_total (\d+)$/m.exec(metrics)![1])).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/^gateway_rate_limit_backend\{backend="fallback"\} 1$/m);
  });
});
