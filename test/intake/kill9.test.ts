/**
 * Nothing accepted is lost, nothing is created twice: a gateway process (SQLite store, WAL,
 * the WAL fsynced before an answer) is killed with SIGKILL in the middle of a burst while its drainer has calls in
 * flight, then restarted on the same data directory. Every order that was answered 202 ends up as
 * exactly one sale order; the requests cut off by the kill, retried by the client with their
 * Idempotency-Key as a storefront would, end up exactly once too.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOdooFake } from '../odoo-fake/index.js';
import { spawnGateway, tokenFrom, type ChildGateway } from './child.js';

/** How long a background step may take before a wait gives up (a stuck run, not a slow one). */
const WAIT_MS = 60_000;

type FakeOdoo = Awaited<ReturnType<typeof startOdooFake>>;

const order = JSON.parse(readFileSync(new URL('../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const N = 400;
const CONCURRENCY = 25;

let sim: FakeOdoo;
let dataDir: string;
let env: Record<string, string>;
let gateway: ChildGateway | null = null;

beforeAll(async () => {
  // Odoo slow enough that batches are in flight when the kill comes.
  sim = await startOdooFake({ cost: { perBatchMs: 40, perOrderMs: 4 } });
  dataDir = mkdtempSync(join(tmpdir(), 'rg-kill9-'));
  env = {
    ODOO_URL: sim.url,
    ODOO_DB: sim.db,
    ODOO_USER: sim.login,
    ODOO_API_KEY: sim.apiKey,
    GATEWAY_DATA_DIR: dataDir,
    GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'),
    GATEWAY_RELAY: 'false',
    GATEWAY_INTAKE_BATCH_SIZE: '10',
    GATEWAY_INTAKE_POLL_MS: '20',
    // A killed drainer's leases lapse quickly, so the restarted one takes its batches over.
    GATEWAY_INTAKE_LEASE_SECONDS: '5',
    GATEWAY_RATE_LIMIT_TIERS: JSON.stringify({ standard: { rate: 100_000, burst: 100_000 } }),
  };
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await sim?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('loses no accepted order and duplicates none across a kill -9 during a burst', async () => {
  gateway = await spawnGateway(env);
  const token = await tokenFrom(gateway.url, 'demo', 'demo-secret');
  const prefix = `K9-${Date.now()}`;
  const acked = new Map<string, string>(); // external id → intake id
  const cutOff = new Set<string>();
  let next = 0;
  let killed = false;
  let ackedAtKill = 0;
  let createdAtKill = 0;

  const send = async (url: string, tok: string, externalId: string) =>
    fetch(`${url}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json', 'idempotency-key': externalId },
      body: JSON.stringify({ ...order, external_id: externalId }),
    });

  const worker = async () => {
    while (next < N) {
      const externalId = `${prefix}-${next++}`;
      try {
        const res = await send(gateway!.url, token, externalId);
        if (res.status === 202) acked.set(externalId, ((await res.json()) as { id: string }).id);
        else cutOff.add(externalId);
      } catch {
        cutOff.add(externalId); // connection reset by the kill: the client does not know
      }
      if (!killed && acked.size >= N / 3 && sim.stats.inFlight > 0) {
        killed = true;
        await gateway!.kill9();
        ackedAtKill = acked.size;
        createdAtKill = sim.state.saleOrders({ externalId: `${prefix}-*` }).length;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  expect(killed).toBe(true);
  expect(acked.size).toBeGreaterThan(0);
  expect(cutOff.size).toBeGreaterThan(0); // the kill did cut requests off
  expect(createdAtKill).toBeLessThan(ackedAtKill); // accepted orders were still waiting in the queue

  // Restart on the same data directory; the client retries what it did not get an answer for.
  gateway = await spawnGateway(env);
  const token2 = await tokenFrom(gateway.url, 'demo', 'demo-secret');
  for (const externalId of cutOff) {
    const res = await send(gateway.url, token2, externalId);
    expect([202, 201]).toContain(res.status);
  }

  // Every order acknowledged before the kill is still known by the same id after it.
  for (const [externalId, id] of acked) {
    const res = await fetch(`${gateway.url}/v1/orders/${id}`, { headers: { authorization: `Bearer ${token2}` } });
    expect(res.status, externalId).toBe(200);
  }

  // Wait for the drain (bounded loop), then count sale orders per external id in Odoo.
  const all = [...acked.keys(), ...cutOff];
  const countByExternal = () => {
    const rows = sim.state.saleOrders({ externalId: `${prefix}-*` });
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(String(r.externalId), (counts.get(String(r.externalId)) ?? 0) + 1);
    return counts;
  };
  let counts = countByExternal();
  for (const until = Date.now() + WAIT_MS; Date.now() < until && all.some((e) => !counts.has(e)); ) {
    await new Promise((r) => setTimeout(r, 50));
    counts = countByExternal();
  }
  const missing = [...acked.keys()].filter((e) => !counts.has(e));
  const doubled = [...counts].filter(([, n]) => n > 1).map(([e]) => e);
  expect(missing).toEqual([]);
  expect(doubled).toEqual([]);
  expect(all.filter((e) => counts.get(e) !== 1)).toEqual([]);
  // Nothing was created that nobody asked for.
  expect([...counts.keys()].every((e) => all.includes(e))).toBe(true);
}, 420_000); // two gateway start-ups and a drain, each with its own deadline
