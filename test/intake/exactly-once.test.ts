/**
 * Exactly-once under real interleaving: two gateway processes share one PostgreSQL store (drained
 * with FOR UPDATE SKIP LOCKED by both) and one fake Odoo. Fifty concurrent submissions of one
 * order, spread over both, make exactly one sale order.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooFake } from '../odoo-fake/index.js';
import { createTestDatabase } from '../support/postgres.js';
import { spawnSharedStoreGateways, tokenFrom, type ChildGateway, type SharedStoreGateways } from './child.js';

/** How long a background step may take before a wait gives up (a stuck run, not a slow one). */
const WAIT_MS = 60_000;

type FakeOdoo = Awaited<ReturnType<typeof startOdooFake>>;

const order = JSON.parse(readFileSync(new URL('../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;

let sim: FakeOdoo;
let db: { url: string; drop(): Promise<void> };
const gateways: ChildGateway[] = [];
let tokens: string[] = [];
let pool: pg.Pool;
let shared: SharedStoreGateways | undefined;

beforeAll(async () => {
  // A little Odoo latency so calls from both gateways overlap.
  sim = await startOdooFake({ cost: { perBatchMs: 30, perOrderMs: 5 } });
  db = await createTestDatabase('rg_exactly_once');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined);
  shared = await spawnSharedStoreGateways(sim, db.url, {
    GATEWAY_INTAKE_BATCH_SIZE: '10',
    GATEWAY_RATE_LIMIT_TIERS: JSON.stringify({ standard: { rate: 100_000, burst: 100_000 } }),
  });
  gateways.push(...shared.gateways);
  tokens = await Promise.all(gateways.map((g) => tokenFrom(g.url, 'demo', 'demo-secret')));
}, 300_000); // two gateway processes start one after the other

afterAll(async () => {
  await shared?.close();
  await sim?.close();
  await pool?.end();
  await db?.drop();
});

const submit = (i: number, body: unknown, key: string) =>
  fetch(`${gateways[i % 2]!.url}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens[i % 2]}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });

/** Waits until nothing matching `pattern` is queued or in flight in the shared store (bounded loop). */
async function drained(pattern: string): Promise<void> {
  for (const until = Date.now() + WAIT_MS; Date.now() < until; ) {
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM intake_items WHERE external_id LIKE $1 AND status IN ('accepted', 'processing')", [pattern]);
    if (rows[0].n === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${pattern} was not drained`);
}

const saleOrders = (externalId: string) => sim.state.saleOrders({ externalId }).length;

async function saleOrdersFor(externalId: string): Promise<number> {
  await drained(externalId);
  return saleOrders(externalId);
}

describe('two gateway processes sharing PostgreSQL', () => {
  it('turn 50 concurrent submissions with one Idempotency-Key into one sale order', async () => {
    const body = { ...order, external_id: `EO-KEY-${Date.now()}` };
    const key = `eo-${randomBytes(8).toString('hex')}`;
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => submit(i, body, key)));
    const statuses = responses.map((r) => r.status);
    // Every answer is the accepted order (new or replayed) or "in use" while the first one commits.
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    const ids = new Set<string>();
    for (const r of responses) if (r.status === 202) ids.add(((await r.json()) as { id: string }).id);
    expect(ids.size).toBe(1);
    expect(await saleOrdersFor(body.external_id)).toBe(1);
    // A replay after the fact answers the same order.
    const late = await submit(1, body, key);
    expect(late.status).toBe(202);
    expect(((await late.json()) as { id: string }).id).toBe([...ids][0]);
  });

  it('turn 50 concurrent submissions of one order under 50 different keys into one sale order', async () => {
    const body = { ...order, external_id: `EO-NOKEY-${Date.now()}` };
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => submit(i, body, `eo-${i}-${randomBytes(6).toString('hex')}`)));
    expect(responses.map((r) => r.status).every((s) => s === 202)).toBe(true);
    const receipts = (await Promise.all(responses.map((r) => r.json()))) as { id: string; duplicate: boolean }[];
    expect(new Set(receipts.map((r) => r.id)).size).toBe(1);
    expect(receipts.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await saleOrdersFor(body.external_id)).toBe(1);
  });

  it('share a burst of distinct orders between both drainers, each created once', async () => {
    const prefix = `EO-BURST-${Date.now()}`;
    const n = 120;
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) => submit(i, { ...order, external_id: `${prefix}-${i}` }, `${prefix}-${i}`)),
    );
    const refused = await Promise.all(responses.filter((r) => r.status !== 202).map(async (r) => `${r.status} ${await r.text()}`));
    expect(refused).toEqual([]);
    await drained(`${prefix}-%`);
    const counts = Array.from({ length: n }, (_, i) => saleOrders(`${prefix}-${i}`));
    expect(counts.every((c) => c === 1)).toBe(true);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM intake_items WHERE external_id LIKE $1 AND status = 'completed'", [`${prefix}-%`]);
    expect(rows[0].n).toBe(n);
  });
});
