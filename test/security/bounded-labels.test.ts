/**
 * Unauthenticated traffic cannot grow the metrics or the gateway's memory: only verified partners
 * become label values or map keys. Junk token requests with made-up client ids (from one address,
 * so most are refused, and from many, so each is checked and fails) add at most a fixed number of
 * series to `/metrics`, and the structures keyed by what callers send stay within their bounds.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRateLimiter, DEFAULT_MAX_KEYS, DEFAULT_MAX_MARKERS } from '../../gateway/src/rate-limit/memory.js';
import { MAX_LIMITED_KEYS } from '../../gateway/src/rate-limit/service.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * Sample lines junk may add at most: the refusals' and failures' fixed labels (`unverified` × the
 * three credential policies), the token route's request counter by status (401, 429) and its
 * latency histogram (16 lines a status class), plus the variety Node's own process metrics show
 * over any run (GC kinds, handle types). Without the fix the run adds about one series a request.
 */
const SERIES_BOUND = 100;
const JUNK = 2_000;

let g: TestGateway;

beforeAll(async () => {
  g = await startTestGateway({ env: { GATEWAY_TOKEN_RATE_PER_MIN: '10', GATEWAY_TRUSTED_PROXIES: '127.0.0.1,::1' } });
});
afterAll(async () => {
  await g?.close();
});

async function metricLines(): Promise<string[]> {
  return (await g.metrics()).split('\n').filter((l) => l && !l.startsWith('#'));
}

function junk(i: number): Promise<number> {
  const id = `junk-${randomBytes(8).toString('hex')}`;
  // Even requests from one address (refused once its budget is spent), odd ones from a new address each.
  const from = i % 2 ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : '192.0.2.1';
  return fetch(`${g.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${id}:wrong`).toString('base64')}`, 'x-forwarded-for': from, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });
}

describe('metrics and memory under junk token requests', () => {
  it(`${JUNK} requests with random client ids add at most ${SERIES_BOUND} series and no caller-chosen key`, async () => {
    expect(await g.token('demo')).toBeTruthy();
    const before = await metricLines();

    const statuses: number[] = [];
    for (let i = 0; i < JUNK; i += 20) statuses.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => junk(i + k)))));
    // Both kinds of junk happened: refusals (429) and failed checks (401).
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(JUNK / 2 - 20);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(JUNK / 2);

    const after = await metricLines();
    expect(after.length - before.length).toBeLessThanOrEqual(SERIES_BOUND);
    expect(after.filter((l) => l.includes('junk-'))).toEqual([]);
    const refusals = after.filter((l) => l.startsWith('gateway_rate_limited_total{'));
    expect(refusals.length).toBeGreaterThan(0);
    for (const l of refusals) expect(l).toMatch(/partner="unverified"/);

    const { rateLimit } = g.gateway.services;
    const limited = rateLimit.snapshot().limited;
    expect(Object.keys(limited).every((k) => k.startsWith('unverified '))).toBe(true);
    expect(Object.keys(limited).length).toBeLessThanOrEqual(3);
    expect(Object.keys(limited).length).toBeLessThanOrEqual(MAX_LIMITED_KEYS);
    // The limiter's buckets and markers are within their documented bounds, and hold no client id.
    const limiter = rateLimit.limiter as MemoryRateLimiter;
    expect(limiter).toBeInstanceOf(MemoryRateLimiter);
    expect(limiter.size()).toBeLessThanOrEqual(DEFAULT_MAX_KEYS);
    expect(limiter.markerCount()).toBeLessThanOrEqual(DEFAULT_MAX_MARKERS);
    const keys = [...(limiter as unknown as { tats: Map<string, number> }).tats.keys()];
    expect(keys.filter((k) => k.includes('junk-'))).toEqual([]);

    // The partner, from its own address, still gets its token.
    expect(await g.token('demo')).toBeTruthy();
  });
});
