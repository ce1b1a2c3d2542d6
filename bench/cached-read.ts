/**
 * Bar 1: the authenticated, rate-limited availability read served from the gateway's cache,
 * against bare Hono answering the same JSON body, in one run (autocannon, 50 connections,
 * loopback), once with the in-memory limiter and once with the Redis limiter (REDIS_URL, default
 * redis://127.0.0.1:6379, under a key prefix of its own).
 *
 * The partner's tier is set so the limit is never hit: the figures are the limiter's cost, not its
 * refusals. Any non-2xx answer fails the benchmark.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { startOdooFake } from '../test/odoo-fake/index.js';
import { type RunningGateway } from '../gateway/src/server.js';
import { getLoad } from './_spawn-load.js';
import { startBenchGateway, type BenchGateway } from './_gateway.js';
import type { BenchFigure } from './types.js';

const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Load from a separate process: a generator sharing the server's event loop would flatter every ratio. */
function load(url: string, headers: Record<string, string> = {}) {
  return getLoad(url, DURATION_S, CONNECTIONS, headers);
}

export async function run(): Promise<BenchFigure[]> {
  const sim = await startOdooFake({});
  const prefix = `rg-bench:${randomBytes(6).toString('hex')}:`;
  const started: BenchGateway[] = [];
  let bareServer: ServerType | undefined;
  try {
    const memory = await startBenchGateway(sim);
    started.push(memory);
    const redis = await startBenchGateway(sim, { REDIS_URL, GATEWAY_RATE_LIMIT_PREFIX: prefix });
    started.push(redis);
    if (redis.gateway.services.rateLimit?.limiter.backend() !== 'redis') throw new Error(`Redis at ${REDIS_URL} is not reachable: the Redis figure would measure the fallback`);

    const headersFor = async (g: RunningGateway) => {
      const { accessToken } = await g.services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['inventory:read'] });
      return { authorization: `Bearer ${accessToken}` };
    };
    const memHeaders = await headersFor(memory.gateway);
    const redisHeaders = await headersFor(redis.gateway);

    // The SKU read: the first request fills the cache from Odoo; the load is then served from it.
    const sku = 'FURN_8888'; // a seeded SKU with stock in two warehouses
    const path = `/v1/inventory?sku=${encodeURIComponent(sku)}`;
    const first = await fetch(`${memory.gateway.url}${path}`, { headers: memHeaders });
    if (!first.ok) throw new Error(`cached read answered ${first.status}: ${await first.text()}`);
    const body = await first.text();
    const warm = await fetch(`${redis.gateway.url}${path}`, { headers: redisHeaders });
    if (!warm.ok) throw new Error(`cached read (Redis) answered ${warm.status}`);
    if (!(warm.headers.get('ratelimit') ?? '').startsWith('"')) throw new Error('the cached read carries no RateLimit header: the limiter is not on the path');

    const bare = new Hono();
    bare.get('/read', (c) => c.body(body, 200, { 'content-type': 'application/json' }));
    bareServer = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: bare.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/read`;

    const hono = await load(bareUrl);
    const cachedMemory = await load(`${memory.gateway.url}${path}`, memHeaders);
    const cachedRedis = await load(`${redis.gateway.url}${path}`, redisHeaders);
    for (const [name, r] of Object.entries({ hono, cachedMemory, cachedRedis })) {
      if (r.errors || r.non2xx) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
    }
    const baseline = { name: 'bare Hono, same JSON body', value: hono.rps, unit: 'req/s' };
    return [
      {
        key: 'cached_read_vs_hono',
        value: cachedMemory.rps / hono.rps,
        unit: 'ratio',
        baseline,
        notes: `${cachedMemory.rps.toFixed(0)} req/s, p99 ${cachedMemory.p99} ms (bare p99 ${hono.p99} ms), in-memory limiter; bar ≥ 0.8`,
      },
      {
        key: 'cached_read_redis_vs_hono',
        value: cachedRedis.rps / hono.rps,
        unit: 'ratio',
        baseline,
        notes: `${cachedRedis.rps.toFixed(0)} req/s, p99 ${cachedRedis.p99} ms, Redis limiter (one Lua script per request, auto-pipelined); bar ≥ 0.4`,
      },
    ];
  } finally {
    if (bareServer) await new Promise((r) => bareServer!.close(r));
    for (const s of started) await s.close();
    await sim.close();
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    } catch {
      // Redis was not reachable: nothing to clean.
    } finally {
      redis.disconnect();
    }
  }
}
