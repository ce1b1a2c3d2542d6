import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { itemKey, orderKey } from '../atp/ledger.js';
import { atpMigrations } from '../atp/sql-ledger.js';
import { SqliteStore } from '../store/sqlite.js';
import { intakeMigrations } from './migrations.js';
import type { OrderAcceptResult } from './order-program.js';
import { IntakeQueue, type AcceptInput, type OrderAcceptSpec } from './queue.js';
import { orderInput } from '../../../test/support/orders.js';

const input = (externalId: string): AcceptInput => orderInput(externalId, 'acme', { prevalidated: true });

/** Waits on a condition (never on the machine's speed). */
async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const opened: { store: SqliteStore; queue: IntakeQueue; dir: string }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.queue.idle();
    await o.queue.close();
    await o.store.close();
    rmSync(o.dir, { recursive: true, force: true });
  }
});

async function open(thread: boolean): Promise<{ store: SqliteStore; queue: IntakeQueue }> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-writer-'));
  const store = new SqliteStore(join(dir, 'gateway.sqlite'));
  await store.migrate([...intakeMigrations, ...atpMigrations]);
  let now = Date.parse('2026-12-01T10:00:00Z');
  const queue = new IntakeQueue({ store, now: () => now++, ...(thread ? { writerThread: { minGroup: 1 } } : {}) });
  opened.push({ store, queue, dir });
  // With the thread, this first group starts it (and runs here); both stores then hold the same.
  await queue.acceptOrder(input('warm-up'), spec('warm-up'));
  if (thread) await until('the writer thread', () => queue.writer!.serving);
  return { store, queue };
}

const SKU = itemKey('SKU-1', 'WH');
const spec = (key: string, over: Partial<OrderAcceptSpec> = {}): OrderAcceptSpec => ({ key, fingerprint: `fp-${key}`, lockMs: 30_000, promise: null, locationPrefix: '/v1/orders/', ...over });
const promise = (externalId: string, qty: number, limit: number, policy: 'reject' | 'backorder' | 'accept') => ({
  key: orderKey('acme', externalId),
  lines: [{ itemKey: SKU, qty, limit, basisAt: 0 }],
  policy,
  expiresAt: Date.parse('2026-12-01T11:00:00Z'),
});

/** The outcome without what differs by run (ids and their locations). */
function shape(r: OrderAcceptResult): unknown {
  return JSON.parse(JSON.stringify(r).replace(/ord_[0-9a-z]{22}/g, 'ord_…'));
}

/** A sequence covering each outcome of an order's accept, and what it left in the store. */
async function scenario(queue: IntakeQueue, store: SqliteStore) {
  const promised: unknown[] = [];
  const seen = (r: unknown) => promised.push(r);
  const results = await Promise.all([
    queue.acceptOrder(input('o-1'), spec('k-1', { promise: promise('o-1', 2, 10, 'reject'), promised: seen })),
    queue.acceptOrder(input('o-2'), spec('k-2', { promise: promise('o-2', 9, 10, 'reject'), promised: seen })), // short: 2 + 9 > 10
    queue.acceptOrder(input('o-3'), spec('k-3', { promise: promise('o-3', 12, 10, 'backorder'), promised: seen })), // oversold
    queue.acceptOrder(input('o-4'), spec('k-4')),
    queue.acceptOrder(input('o-6'), spec('k-6', { holdKey: true, promise: promise('o-6', 1, 100, 'reject'), promised: seen })), // Prefer: wait: the key stays in progress
  ]);
  const again = await Promise.all([
    queue.acceptOrder(input('o-1'), spec('k-1')), // the same key and body: replay
    queue.acceptOrder(input('o-1'), spec('k-1', { fingerprint: 'other' })), // another body: mismatch
    queue.acceptOrder(input('o-4'), spec('k-5')), // another key, the same order: a duplicate
  ]);
  const rows = {
    items: await store.query('SELECT external_id, status, duplicates FROM intake_items ORDER BY external_id'),
    events: await store.query('SELECT type, subject FROM gateway_events ORDER BY seq'),
    promises: await store.query('SELECT order_key, item_key, qty FROM atp_promises ORDER BY order_key'),
    open: await store.query('SELECT item_key, qty FROM atp_open'),
    keys: await store.query('SELECT key, state, response_status FROM idempotency_keys ORDER BY key'),
  };
  return { results: [...results, ...again].map(shape), promised, rows };
}

describe('the writer thread', () => {
  it('answers every outcome of an order as the event loop does, and leaves the same rows', async () => {
    const here = await open(false);
    const thread = await open(true);
    const before = thread.queue.writer!.served;
    const a = await scenario(here.queue, here.store);
    const b = await scenario(thread.queue, thread.store);
    expect(thread.queue.writer!.served).toBeGreaterThan(before);
    expect(here.queue.writer).toBeNull();
    expect(b.results).toEqual(a.results);
    expect(b.promised).toEqual(a.promised);
    expect(b.rows).toEqual(a.rows);
    // And what they hold is right: o-2 refused and not kept, o-3 a backorder, o-4 counted once as a duplicate.
    expect(a.results.map((r) => (r as { state: string }).state)).toEqual(['accepted', 'short', 'accepted', 'accepted', 'accepted', 'replay', 'mismatch', 'accepted']);
    expect(a.rows.items.filter((r) => r.external_id !== 'warm-up')).toEqual([
      { external_id: 'o-1', status: 'accepted', duplicates: 0 },
      { external_id: 'o-3', status: 'accepted', duplicates: 0 },
      { external_id: 'o-4', status: 'accepted', duplicates: 1 },
      { external_id: 'o-6', status: 'accepted', duplicates: 0 },
    ]);
    expect((a.results[2] as { response: { body: { backorder?: unknown } } }).response.body.backorder).toEqual([{ sku: 'SKU-1', warehouse: 'WH', units: 4 }]);
    expect(a.rows.open).toEqual([{ item_key: SKU, qty: 15 }]);
    expect(a.rows.keys.map((k) => k.key)).toEqual(['k-1', 'k-3', 'k-4', 'k-5', 'k-6', 'warm-up']);
    expect(a.rows.keys.find((k) => k.key === 'k-6')).toEqual({ key: 'k-6', state: 'in_progress', response_status: null });
  });

  it('calls `promised` as the promise commits, before the accept is answered', async () => {
    const { queue, store } = await open(true);
    let inStore: unknown[] | null = null;
    const r = await queue.acceptOrder(
      input('o-9'),
      spec('k-9', {
        promise: promise('o-9', 1, 5, 'reject'),
        promised: () => {
          // Read synchronously through the event loop's connection: the thread's commit is there.
          inStore = (store as unknown as { db: { prepare(sql: string): { all(): unknown[] } } }).db.prepare("SELECT order_key FROM atp_promises").all();
        },
      }),
    );
    expect(r.state).toBe('accepted');
    expect(inStore).toEqual([{ order_key: orderKey('acme', 'o-9') }]);
  });

  it('fails only the call that fails, and commits the others of its group', async () => {
    const { queue, store } = await open(true);
    const served = queue.writer!.served;
    const bad = { ...input('o-bad'), externalId: 'o-bad' };
    const results = await Promise.allSettled([
      queue.acceptOrder(input('g-1'), spec('g-1')),
      // A promise line with no quantity breaks atp_promises' NOT NULL: this call throws in the thread.
      queue.acceptOrder(bad, spec('g-bad', { promise: { ...promise('o-bad', 1, 5, 'accept'), lines: [{ itemKey: SKU, qty: null as unknown as number, limit: 5, basisAt: 0 }] } })),
      queue.acceptOrder(input('g-2'), spec('g-2')),
    ]);
    expect(queue.writer!.served).toBeGreaterThan(served);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/NOT NULL/);
    const items = await store.query<{ external_id: string }>("SELECT external_id FROM intake_items WHERE external_id LIKE 'g-%' OR external_id = 'o-bad' ORDER BY external_id");
    expect(items.map((i) => i.external_id)).toEqual(['g-1', 'g-2']);
    // Nothing of the failed call stayed: its key can be used again.
    expect(await store.query("SELECT key FROM idempotency_keys WHERE key = 'g-bad'")).toEqual([]);
  });

  it('when the thread dies, the calls in flight fail and later ones run on the event loop', async () => {
    const { queue, store } = await open(true);
    const worker = (queue.writer as unknown as { worker: { terminate(): Promise<number> } }).worker;
    await worker.terminate();
    await until('the thread to be seen gone', () => !queue.writer!.serving);
    const r = await queue.acceptOrder(input('after'), spec('after'));
    expect(r.state).toBe('accepted');
    expect(await store.query("SELECT external_id FROM intake_items WHERE external_id = 'after'")).toEqual([{ external_id: 'after' }]);
  });

  it('is never started on :memory:, and not before a group of `minGroup` calls', async () => {
    const memory = new SqliteStore(':memory:');
    expect(new IntakeQueue({ store: memory, writerThread: true }).writer).toBeNull();
    await memory.close();
    const dir = mkdtempSync(join(tmpdir(), 'rg-writer-'));
    const store = new SqliteStore(join(dir, 'gateway.sqlite'));
    await store.migrate([...intakeMigrations, ...atpMigrations]);
    const queue = new IntakeQueue({ store, writerThread: { minGroup: 3 } });
    opened.push({ store, queue, dir });
    for (const id of ['s-1', 's-2', 's-3']) await queue.acceptOrder(input(id), spec(id));
    expect((queue.writer as unknown as { worker: unknown }).worker).toBeNull();
    await Promise.all(['c-1', 'c-2', 'c-3', 'c-4'].map((id) => queue.acceptOrder(input(id), spec(id))));
    await until('the writer thread', () => queue.writer!.serving);
  });
});
