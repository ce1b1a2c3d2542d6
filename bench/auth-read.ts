/**
 * The authenticated read path against bare Hono, in one run (autocannon, 50 connections, loopback):
 *
 * - baseline: Hono on @hono/node-server answering a small JSON body;
 * - `auth_read_vs_hono`: the gateway's whole middleware stack (request id, logging, client address,
 *   body limit) plus `requireScope` with its verified-token cache, answering the same body;
 *   `requireScope` also charges the partner's rate limit (in memory here; the bench partner's tier
 *   is set so the limit is never hit: it measures the limiter's cost, not its refusals);
 * - `auth_middleware_vs_hono`: `requireScope` alone on bare Hono, its own cost;
 * - `gateway_stack_plain_vs_hono`: the gateway's stack without auth, to show where the rest goes;
 * - `jwt_verify_every_request_vs_hono`: what the cache saves: `jose.jwtVerify` on every request.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createApp } from '../gateway/src/app.js';
import type { AppEnv } from '../gateway/src/context.js';
import { requireScope } from '../gateway/src/auth/middleware.js';
import { createGatewayMetrics } from '../gateway/src/metrics/ops-setup.js';
import { startOdooFake } from '../test/odoo-fake/index.js';
import { getLoad } from './_spawn-load.js';
import { startBenchGateway } from './_gateway.js';
import type { BenchFigure } from './types.js';

const BODY = { sku: 'SKU-1', warehouse: 'WH', available: '12', reserved: '0', updated_at: '2026-01-01T00:00:00Z' };
const CONNECTIONS = 50;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);

async function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{ url: string; server: ServerType }> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Load from a separate process: a generator sharing the server's event loop would flatter every ratio. */
function load(url: string, headers: Record<string, string> = {}) {
  return getLoad(url, DURATION_S, CONNECTIONS, headers);
}

export async function run(): Promise<BenchFigure[]> {
  const sim = await startOdooFake({});
  const bench = await startBenchGateway(sim);
  const gateway = bench.gateway;
  const servers: ServerType[] = [];
  try {
    const auth = gateway.services.auth!;
    const { accessToken } = await auth.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['products:read'] });
    const bearer = { authorization: `Bearer ${accessToken}` };

    const bare = new Hono();
    bare.get('/read', (c) => c.json(BODY));

    // The auth middleware alone on bare Hono: its own cost (cached verification, partner check,
    // scopes, and the partner rate limit it charges).
    const authOnly = new Hono<AppEnv>();
    authOnly.use('*', async (c, next) => {
      c.set('services', gateway.services);
      await next();
    });
    authOnly.get('/read', requireScope('products:read'), (c) => c.json(BODY));

    // The gateway's own middleware stack and services, with a metrics registry of its own (one
    // registry cannot hold the same metrics twice).
    const full = createApp({ ...gateway.services, metrics: createGatewayMetrics(gateway.services.config, gateway.services.logger) });
    full.get('/bench/read', requireScope('products:read'), (c) => c.json(BODY));
    full.get('/bench/plain', (c) => c.json(BODY));

    const jwks = createLocalJWKSet(auth.keys.jwks());
    const verifying = new Hono();
    verifying.get('/read', async (c) => {
      await jwtVerify((c.req.header('authorization') ?? '').slice(7), jwks, { issuer: gateway.services.config.publicUrl, audience: gateway.services.config.publicUrl, typ: 'at+jwt' });
      return c.json(BODY);
    });

    const bareSrv = await listen(bare.fetch);
    const authOnlySrv = await listen(authOnly.fetch);
    const fullSrv = await listen(full.fetch);
    const verifySrv = await listen(verifying.fetch);
    servers.push(bareSrv.server, authOnlySrv.server, fullSrv.server, verifySrv.server);

    // Two interleaved rounds, averaged: a shared machine drifts, and the ratios should not.
    const targets = {
      hono: [`${bareSrv.url}/read`, {}],
      middleware: [`${authOnlySrv.url}/read`, bearer],
      cached: [`${fullSrv.url}/bench/read`, bearer],
      stack: [`${fullSrv.url}/bench/plain`, {}],
      verifyEach: [`${verifySrv.url}/read`, bearer],
    } as const;
    const rounds: Record<keyof typeof targets, Awaited<ReturnType<typeof load>>[]> = { hono: [], middleware: [], cached: [], stack: [], verifyEach: [] };
    for (let round = 0; round < 2; round++) {
      for (const [name, [url, headers]] of Object.entries(targets) as [keyof typeof targets, readonly [string, Record<string, string>]][]) {
        rounds[name].push(await load(url, headers));
      }
    }
    const mean = (rs: Awaited<ReturnType<typeof load>>[]) => ({
      rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length,
      p99: Math.max(...rs.map((r) => r.p99)),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
    });
    const hono = mean(rounds.hono);
    const middleware = mean(rounds.middleware);
    const cached = mean(rounds.cached);
    const stack = mean(rounds.stack);
    const verifyEach = mean(rounds.verifyEach);
    for (const [name, r] of Object.entries({ hono, middleware, cached, stack, verifyEach })) {
      if (r.errors || r.non2xx) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
    }
    const baseline = { name: 'bare Hono, same JSON body', value: hono.rps, unit: 'req/s' };
    const note = (r: { rps: number; p99: number }, what: string) => `${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms (bare p99 ${hono.p99} ms); ${what}`;
    return [
      { key: 'auth_read_vs_hono', value: cached.rps / hono.rps, unit: 'ratio', baseline, notes: note(cached, 'whole gateway stack + requireScope (cached token, in-memory limiter)') },
      { key: 'auth_middleware_vs_hono', value: middleware.rps / hono.rps, unit: 'ratio', baseline, notes: note(middleware, 'requireScope alone on bare Hono') },
      { key: 'gateway_stack_plain_vs_hono', value: stack.rps / hono.rps, unit: 'ratio', baseline, notes: note(stack, 'whole gateway stack, no auth: the rest of the path') },
      { key: 'jwt_verify_every_request_vs_hono', value: verifyEach.rps / hono.rps, unit: 'ratio', baseline, notes: note(verifyEach, 'jose.jwtVerify on every request: what the cache saves') },
    ];
  } finally {
    for (const s of servers) await new Promise((r) => s.close(r));
    await bench.close();
    await sim.close();
  }
}
