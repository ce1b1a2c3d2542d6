/**
 * Flash sale without overselling: K units of one SKU, N concurrent one-unit orders from two
 * partners (oversell policy `reject`) over two gateway processes sharing PostgreSQL (the store)
 * and Redis (the ATP ledger), both draining into one fake Odoo while the sale runs.
 *
 * - `flash_sale_accepted`: orders answered 202 (must be exactly K);
 * - `flash_sale_oversold_units`: sale orders Odoo holds for the SKU beyond K once drained (must be 0);
 * - `flash_sale_orders_per_s`: order answers (202 or 409) per second over the burst;
 * - `flash_sale_p99_ms`: p99 latency of those answers;
 * - `flash_sale_zero_lag_ms`: from the last 202 to `GET /v1/inventory` reading 0 on both gateways
 *   (and staying 0), polled throughout (bar: ≤ 1 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { startOdooFake } from '../test/odoo-fake/index.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { UNLIMITED_TIERS } from './_gateway.js';
import { scriptArgs } from './_script.js';
import type { BenchFigure } from './types.js';

const K = Number(process.env.BENCH_FLASH_UNITS ?? 1000);
const N = Number(process.env.BENCH_FLASH_ORDERS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_FLASH_CONCURRENCY ?? 200);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SKU = 'FLASH-SALE-1';
const ORDER = JSON.parse(readFileSync(new URL('../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function startChild(sim: { url: string; db: string; login: string; apiKey: string }, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...scriptArgs('_flash-child', import.meta.url), JSON.stringify(sim), JSON.stringify(env)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, child });
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`gateway process exited with ${code}`)));
  });
}

async function token(url: string, client: string): Promise<string> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client}:${client}-secret`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  if (!res.ok) throw new Error(`token: ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function run(): Promise<BenchFigure[]> {
  const sim = await startOdooFake({});
  sim.state.addPartner({ code: 'flash-a', oversellPolicy: 'reject', scopes: ['orders:write', 'inventory:read'] });
  sim.state.addPartner({ code: 'flash-b', oversellPolicy: 'reject', scopes: ['orders:write', 'inventory:read'] });
  sim.state.addProduct({ sku: SKU, name: 'Flash sale item', listPrice: 10, stock: { WH: K } });
  const db = await createTestDatabase('rg_bench_flash');
  const env = {
    GATEWAY_STORE_URL: db.url,
    GATEWAY_STORE_POOL_MAX: '4',
    REDIS_URL,
    GATEWAY_RATE_LIMIT_PREFIX: `bench-${randomBytes(4).toString('hex')}:`,
    GATEWAY_RATE_LIMIT_TIERS: UNLIMITED_TIERS,
    GATEWAY_INTAKE_BATCH_SIZE: '50',
    // Replicas share one master key (the store's sealed secrets).
    GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'),
  };
  const children: ChildProcess[] = [];
  try {
    const a = await startChild(sim, env);
    children.push(a.child);
    const b = await startChild(sim, env);
    children.push(b.child);
    const gateways = [a.url, b.url];
    const tokens = [await token(a.url, 'flash-a'), await token(b.url, 'flash-b')];
    // Warm both caches (the figure every accept checks against).
    for (const [i, url] of gateways.entries()) await fetch(`${url}/v1/inventory?sku=${SKU}&warehouse=WH`, { headers: { authorization: `Bearer ${tokens[i]}` } });

    // Readers on both gateways throughout: when each last read a figure above 0.
    let reading = true;
    const lastAboveZero = [0, 0];
    const readers = gateways.map(async (url, i) => {
      while (reading) {
        const res = await fetch(`${url}/v1/inventory?sku=${SKU}&warehouse=WH`, { headers: { authorization: `Bearer ${tokens[i]}` } });
        const body = (await res.json()) as { data: { available: number }[] };
        const at = performance.now();
        if ((body.data[0]?.available ?? 0) > 0) lastAboveZero[i] = at;
        await new Promise((r) => setTimeout(r, 5));
      }
    });

    const run = `F${Date.now().toString(36)}`;
    const latencies: number[] = [];
    let accepted = 0;
    let refused = 0;
    let other = 0;
    const otherStatuses = new Map<number, number>();
    let lastAccept = 0;
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      for (let i = next++; i < N; i = next++) {
        const g = i % 2;
        const externalId = `${run}-${i}`;
        const body = { ...ORDER, external_id: externalId, currency: 'USD', warehouse: 'WH', lines: [{ sku: SKU, quantity: 1, unit_price: '10.00' }], payment: { method: 'card', status: 'paid' } };
        const t0 = performance.now();
        const res = await fetch(`${gateways[g]}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens[g]}`, 'content-type': 'application/json', 'idempotency-key': externalId },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        const t1 = performance.now();
        latencies.push(t1 - t0);
        if (res.status === 202) {
          accepted++;
          lastAccept = Math.max(lastAccept, t1);
        } else if (res.status === 409) refused++;
        else {
          other++;
          otherStatuses.set(res.status, (otherStatuses.get(res.status) ?? 0) + 1);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = (performance.now() - started) / 1000;
    // Keep reading a moment after the burst, then stop the readers.
    await new Promise((r) => setTimeout(r, 1500));
    reading = false;
    await Promise.all(readers);
    const zeroLag = Math.max(0, ...lastAboveZero.map((t) => t - lastAccept));

    // Drain everything, then count what Odoo holds.
    const until = Date.now() + 600_000;
    let created = 0;
    while (Date.now() < until) {
      created = sim.state.saleOrders({ externalId: `${run}-*` }).length;
      if (created >= accepted) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const free = sim.state.stock(SKU, 'WH').available;
    latencies.sort((x, y) => x - y);
    const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]!;
    const notes = `K=${K}, ${N} orders from 2 partners over 2 gateway processes (PostgreSQL store, Redis ledger), ${CONCURRENCY} in flight; ${accepted} × 202, ${refused} × 409, ${other} other${other ? ` (${[...otherStatuses].map(([s, n]) => `${n} × ${s}`).join(', ')})` : ''}; Odoo: ${created} sale orders, free ${free}`;
    return [
      { key: 'flash_sale_accepted', value: accepted, unit: 'orders', notes: `must be exactly K=${K}; ${notes}` },
      { key: 'flash_sale_oversold_units', value: Math.max(0, created - K), unit: 'units', notes: 'sale orders in Odoo beyond K once drained (must be 0)' },
      { key: 'flash_sale_orders_per_s', value: N / elapsed, unit: 'orders/s', notes: 'answers (202 or 409) per second over the burst' },
      { key: 'flash_sale_p99_ms', value: p99, unit: 'ms', notes: 'p99 latency of POST /v1/orders during the burst' },
      { key: 'flash_sale_zero_lag_ms', value: zeroLag, unit: 'ms', notes: 'last 202 → GET /v1/inventory reads 0 on both gateways (bar ≤ 1000 ms)' },
    ];
  } finally {
    for (const c of children) {
      const exited = new Promise((r) => c.once('exit', r));
      c.stdin?.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      c.kill();
    }
    await sim.close();
    await db.drop();
  }
}
