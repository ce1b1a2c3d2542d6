/**
 * The Redis limiter against the real Redis on 127.0.0.1:6379: two processes share one budget and
 * together stay within 5% of it; with Redis unreachable the limiter falls back, logs once and
 * counts every fallback decision.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisRateLimiter } from '../../gateway/src/rate-limit/redis.js';
import { GatewayMetrics } from '../../gateway/src/metrics/registry.js';

const run = promisify(execFile);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `rg-test:${randomBytes(6).toString('hex')}:`;

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('Redis rate limiter', () => {
  it('holds two processes to one shared budget within 5%', async () => {
    const rate = 200;
    const burst = 50;
    const durationMs = 3_000;
    const startAt = Date.now() + 6_000; // both processes are up well before then
    const env = { ...process.env, REDIS_URL, PREFIX: prefix, RATE: String(rate), BURST: String(burst), DURATION_MS: String(durationMs), START_AT: String(startAt) };
    const worker = () => run('npx', ['tsx', 'test/ops/fixtures/limiter-worker.ts'], { env, timeout: 30_000 }).then((r) => JSON.parse(r.stdout) as { allowed: number; refused: number; fallbacks: number });
    const [a, b] = await Promise.all([worker(), worker()]);
    // Both replicas did real work against Redis and were each refused: the budget was contended.
    expect(a.fallbacks + b.fallbacks).toBe(0);
    expect(a.allowed).toBeGreaterThan(0);
    expect(b.allowed).toBeGreaterThan(0);
    expect(a.refused + b.refused).toBeGreaterThan(0);
    const expected = burst + (rate * durationMs) / 1000;
    const total = a.allowed + b.allowed;
    expect(Math.abs(total - expected) / expected).toBeLessThanOrEqual(0.05);
  });

  it('falls back to local limits when Redis is unreachable, logs once and counts it', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
    const metrics = new GatewayMetrics({ processMetrics: false });
    const port = await closedPort();
    const limiter = new RedisRateLimiter({ url: `redis://127.0.0.1:${port}`, keyPrefix: prefix, logger, onFallback: () => metrics.rateLimitFallback.inc() });
    expect(await limiter.ready(300)).toBe(false);
    const policy = { name: 'standard-read', rate: 1, windowMs: 1000, burst: 3 };
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.consume('acme', policy));
    // Still limiting, locally: the burst of 3 passes, the rest is refused.
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(limiter.backend()).toBe('fallback');
    expect(lines.filter((l) => l.includes('Redis is unreachable'))).toHaveLength(1);
    expect(await metrics.expose().then((m) => m.body)).toMatch(/^gateway_rate_limit_fallback_total 5$/m);
    await limiter.close();
  });

  it('shares state through Redis and reports the backend', async () => {
    const logger = pino({ level: 'silent' });
    const one = new RedisRateLimiter({ url: REDIS_URL, keyPrefix: prefix, logger });
    const two = new RedisRateLimiter({ url: REDIS_URL, keyPrefix: prefix, logger });
    expect(await one.ready()).toBe(true);
    expect(await two.ready()).toBe(true);
    const policy = { name: 'standard-read', rate: 1, windowMs: 60_000, burst: 2 };
    expect((await one.consume('globex', policy)).allowed).toBe(true);
    expect((await two.consume('globex', policy)).allowed).toBe(true);
    const refused = await one.consume('globex', policy);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(one.backend()).toBe('redis');
    await one.close();
    await two.close();
  });
});
