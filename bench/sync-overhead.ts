/**
 * Bar 4: the synchronous path's overhead. The same Odoo call made two ways, one request at a time,
 * against the fake Odoo with its calibrated read cost (≈ 20 ms a call, as real Odoo 18):
 *
 * - direct: the gateway's own Odoo client (`createOdooClient`) calling the addon's `availability`
 *   for one SKU;
 * - gateway: `GET /v1/inventory?sku=<that SKU>` with a bearer token (token check, partner rate
 *   limiter set never to refuse, query validation, the availability cache, an ETag). Each round
 *   asks a SKU the gateway has never seen, so every request is a cache miss that reaches Odoo with
 *   exactly that call (the fake's call counter is checked).
 *
 * Interleaved A/B rounds (the order alternates), sequential, on keep-alive connections, loopback.
 * `sync_overhead_p50_ms` = gateway p50 − direct p50; bar ≤ 5 ms.
 */
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { createLogger } from '../gateway/src/logger.js';
import { createOdooClient } from '../gateway/src/odoo/client.js';
import { calibratedCost, startOdooFake, type FakeState } from '../test/odoo-fake/index.js';
import { startBenchGateway, type BenchGateway } from './_gateway.js';
import type { BenchFigure } from './types.js';

const ROUNDS = Number(process.env.BENCH_SYNC_ROUNDS ?? 300);
const WARMUP = 20;

/** Storable products `BENCH-SYNC-00000`… with stock in both seeded warehouses (before the gateway starts: no events reach its caches). */
function addProducts(state: FakeState, n: number): string[] {
  const skus = Array.from({ length: n }, (_, i) => `BENCH-SYNC-${String(i).padStart(5, '0')}`);
  for (const [i, sku] of skus.entries()) state.addProduct({ sku, name: `Bench item ${i}`, listPrice: 10 + (i % 90), stock: { WH: 5 + (i % 40), EU: 5 + ((i + 1) % 40) } });
  return skus;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export async function run(): Promise<BenchFigure[]> {
  const sim = await startOdooFake({ cost: calibratedCost });
  const skus = addProducts(sim.state, WARMUP + ROUNDS);
  const direct = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger: createLogger('silent') });
  let bench: BenchGateway | undefined;
  let pool: Pool | undefined;
  try {
    bench = await startBenchGateway(sim);
    const gateway = bench.gateway;
    const { accessToken } = await gateway.services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['inventory:read'] });
    const headers = { authorization: `Bearer ${accessToken}` };
    const client = (pool = new Pool(gateway.url, { connections: 1 }));

    const availabilityCalls = () => [...sim.stats.byMethod].filter(([k]) => k.endsWith('.availability')).reduce((n, [, v]) => n + v, 0);
    const viaDirect = async (sku: string) => {
      const t = process.hrtime.bigint();
      const r = await direct.rpc('availability', { skus: [sku], offset: 0, limit: 5000 });
      const elapsed = ms(t);
      if (r.items.length !== 2) throw new Error(`direct availability of ${sku}: ${r.items.length} rows, expected 2`);
      return elapsed;
    };
    const viaGateway = async (sku: string) => {
      const calls = availabilityCalls();
      const t = process.hrtime.bigint();
      const res = await client.request({ method: 'GET', path: `/v1/inventory?sku=${encodeURIComponent(sku)}`, headers });
      const body = await res.body.text();
      const elapsed = ms(t);
      if (res.statusCode !== 200) throw new Error(`gateway answered ${res.statusCode}: ${body}`);
      const data = (JSON.parse(body) as { data: unknown[] }).data;
      if (data.length !== 2) throw new Error(`gateway availability of ${sku}: ${data.length} rows, expected 2`);
      if (availabilityCalls() !== calls + 1) throw new Error(`gateway request for ${sku} made ${availabilityCalls() - calls} availability calls, expected exactly 1`);
      return elapsed;
    };

    const directMs: number[] = [];
    const gatewayMs: number[] = [];
    for (const [i, sku] of skus.entries()) {
      let d: number;
      let g: number;
      if (i % 2 === 0) {
        d = await viaDirect(sku);
        g = await viaGateway(sku);
      } else {
        g = await viaGateway(sku);
        d = await viaDirect(sku);
      }
      if (i < WARMUP) continue;
      directMs.push(d);
      gatewayMs.push(g);
    }
    directMs.sort((x, y) => x - y);
    gatewayMs.sort((x, y) => x - y);
    const d50 = quantile(directMs, 0.5);
    const d95 = quantile(directMs, 0.95);
    const g50 = quantile(gatewayMs, 0.5);
    const g95 = quantile(gatewayMs, 0.95);
    return [
      {
        key: 'sync_overhead_p50_ms',
        value: g50 - d50,
        unit: 'ms',
        baseline: { name: 'direct Odoo client, same availability call, p50', value: d50, unit: 'ms' },
        notes: `gateway p50 ${g50.toFixed(2)} ms, p95 ${g95.toFixed(2)} ms; direct p50 ${d50.toFixed(2)} ms, p95 ${d95.toFixed(2)} ms; ${ROUNDS} interleaved rounds, each a cache miss, fake Odoo at ${calibratedCost.perCallMs} ms a call; bar ≤ 5 ms`,
      },
    ];
  } finally {
    await pool?.close();
    await bench?.close();
    await direct.close();
    await sim.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const f of await run()) console.log(JSON.stringify(f));
}
