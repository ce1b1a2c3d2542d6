/**
 * The intake's and the promise ledger's reads find their rows through an index, not a scan of the
 * table, with the indexes an order leaves out (migrations.ts 0104 and 0105, sql-ledger.ts atp-003):
 * every statement the queue and the ledger run here is recorded and asked for SQLite's query plan.
 * A partial index is used only when a query's WHERE says its condition, which a rewrite can lose
 * without any answer changing; this is what notices.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemKey } from '../atp/ledger.js';
import { atpMigrations, SqlAtpLedger } from '../atp/sql-ledger.js';
import { SqliteStore } from '../store/sqlite.js';
import type { Param, SqlExecutor, SqlStore } from '../store/store.js';
import { intakeMigrations } from './migrations.js';
import { IntakeQueue } from './queue.js';
import { orderInput } from '../../../test/support/orders.js';
import { markGatewayEventsPublished, readGatewayEvents } from './events.js';

/** Every statement run through `store` (its transactions' too), with its parameters. */
function recording(store: SqlStore): { store: SqlStore; seen: { sql: string; params: readonly Param[] }[] } {
  const seen: { sql: string; params: readonly Param[] }[] = [];
  const wrap = <T extends SqlExecutor>(x: T): T =>
    new Proxy(x, {
      get(target, prop, receiver) {
        if (prop === 'query' || prop === 'run') {
          return (sql: string, params: readonly Param[] = []) => {
            seen.push({ sql, params });
            return (target[prop] as (s: string, p: readonly Param[]) => unknown).call(target, sql, params);
          };
        }
        if (prop === 'transaction') return <R>(fn: (tx: SqlExecutor) => Promise<R>) => store.transaction((tx) => fn(wrap(tx)));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return { store: wrap(store), seen };
}

/** The plan's lines that read a whole table of these, by name or alias (a `SCAN` of it without an index). */
async function fullScans(store: SqlStore, sql: string, params: readonly Param[], tables: readonly string[]): Promise<string[]> {
  const plan = await store.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params);
  return plan.map((p) => p.detail).filter((d) => tables.some((t) => new RegExp(`^SCAN ${t}\\b(?! USING)`).test(d)));
}

describe('the intake and ATP lookups on SQLite', () => {
  let dir: string;
  let raw: SqliteStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rg-indexes-'));
    raw = new SqliteStore(join(dir, 'gateway.sqlite'));
    await raw.migrate([...intakeMigrations, ...atpMigrations]);
  });
  afterAll(async () => {
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('find orders, the items of an order, the next work and promises through indexes', async () => {
    const { store, seen } = recording(raw);
    const queue = new IntakeQueue({ store });
    await queue.acceptMany([orderInput('IX-1'), orderInput('IX-2')]);
    await queue.accept({ partner: 'acme', kind: 'cancel', externalId: 'IX-1', payload: { external_id: 'IX-1' }, requestId: 'req-c', source: 'api' });
    seen.length = 0;

    expect((await queue.findByExternalId('acme', 'order', 'IX-1')).map((i) => i.kind)).toEqual(['order']);
    expect((await queue.findByExternalId('acme', 'cancel', 'IX-1')).map((i) => i.kind)).toEqual(['cancel']);
    expect((await queue.findByOrderRef('acme', 'IX-1')).map((i) => i.kind)).toEqual(['order', 'cancel']);
    // The cancel waits behind its order: the order's lookup by its ref is part of the claim.
    expect((await queue.claim('w', 10, 30_000)).map((i) => i.externalId)).toEqual(['IX-1', 'IX-2']);
    const events = await readGatewayEvents(store, { unpublishedOnly: true });
    expect(events).toHaveLength(2);
    expect(await markGatewayEventsPublished(store, events.map((e) => e.seq), 5)).toBe(2);
    expect(await readGatewayEvents(store, { unpublishedOnly: true })).toEqual([]);

    const ledger = new SqlAtpLedger(store);
    const A = itemKey('IX-SKU', 'WH');
    expect(await ledger.take('o-1', [{ itemKey: A, qty: 2, limit: 5, basisAt: 0 }], { force: false, now: 1_000, ttlMs: 60_000 })).toEqual({ state: 'taken', oversold: [] });
    await ledger.settle(['o-1'], 2_000);
    expect(await ledger.take('o-2', [{ itemKey: A, qty: 4, limit: 5, basisAt: 1_500 }], { force: false, now: 3_000, ttlMs: 60_000 })).toMatchObject({ state: 'short' });
    expect(await ledger.totals()).toEqual([{ itemKey: A, open: 0, settled: [{ at: 2_000, qty: 2 }] }]);

    const reads = seen.filter((s) => /^\s*(SELECT|UPDATE|DELETE|WITH)/i.test(s.sql));
    expect(reads.length).toBeGreaterThan(8);
    const scans: string[] = [];
    for (const s of reads) {
      for (const line of await fullScans(raw, s.sql, s.params, ['intake_items', 'atp_promises', 'gateway_events', 'i', 'o', 'u'])) scans.push(`${line} in: ${s.sql.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
    expect(scans).toEqual([]);
  });

  it('the migrations keep what is stored: items, events (and their seq going on after the highest ever used), promises', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'rg-indexes-'));
    const old = new SqliteStore(join(dir2, 'gateway.sqlite'));
    try {
      const before = (m: { id: string }) => !['0104_intake_lookups_without_orders', '0105_gateway_events_without_id_index', 'atp-003-settled-index'].includes(m.id);
      await old.migrate([...intakeMigrations.filter(before), ...atpMigrations.filter(before)]);
      await new IntakeQueue({ store: old }).acceptMany([orderInput('OLD-1'), orderInput('OLD-2'), orderInput('OLD-3')]);
      // The newest event is gone (retention): the next one must still not take its seq.
      const [{ top }] = (await old.query<{ top: number }>('SELECT MAX(seq) AS top FROM gateway_events')) as [{ top: number }];
      await old.run('DELETE FROM gateway_events WHERE seq = ?', [top]);
      const ledger = new SqlAtpLedger(old);
      const A = itemKey('OLD-SKU', 'WH');
      await ledger.take('old-1', [{ itemKey: A, qty: 3, limit: 10, basisAt: 0 }], { force: false, now: 1_000, ttlMs: 60_000 });
      await ledger.take('old-2', [{ itemKey: A, qty: 1, limit: 10, basisAt: 0 }], { force: false, now: 1_000, ttlMs: 60_000 });
      await ledger.settle(['old-1'], 2_000);
      const eventsBefore = await old.query('SELECT seq, id, type, partner, subject, sequence, envelope, created_at, published_at FROM gateway_events ORDER BY seq');
      const promisesBefore = await old.query('SELECT order_key, item_key, qty, expires_at, settled_at FROM atp_promises ORDER BY order_key, item_key');

      await old.migrate([...intakeMigrations, ...atpMigrations]);
      expect(await old.query('SELECT seq, id, type, partner, subject, sequence, envelope, created_at, published_at FROM gateway_events ORDER BY seq')).toEqual(eventsBefore);
      expect(await old.query('SELECT order_key, item_key, qty, expires_at, settled_at FROM atp_promises ORDER BY order_key, item_key')).toEqual(promisesBefore);
      const queue = new IntakeQueue({ store: old });
      await queue.accept(orderInput('NEW-1'));
      const [next] = await old.query<{ seq: number }>("SELECT seq FROM gateway_events WHERE envelope LIKE '%NEW-1%'");
      expect(next!.seq).toBe(top + 1);
      expect((await queue.findByOrderRef('acme', 'OLD-2')).map((i) => i.externalId)).toEqual(['OLD-2']);
      expect(await new SqlAtpLedger(old).totals()).toEqual([{ itemKey: A, open: 1, settled: [{ at: 2_000, qty: 3 }] }]);
      const tables = await old.query<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE name IN ('atp_promises', 'gateway_events')");
      expect(tables.find((t) => t.name === 'atp_promises')!.sql).toContain('WITHOUT ROWID');
      expect(tables.find((t) => t.name === 'gateway_events')!.sql).not.toContain('UNIQUE');
    } finally {
      await old.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('an order is keyed by its own external id: a dedupe key of its own is refused before anything is written', async () => {
    const queue = new IntakeQueue({ store: raw });
    await expect(queue.accept({ ...orderInput('IX-3'), dedupeKey: 'other' })).rejects.toThrow('keyed by its own external id');
    expect(await queue.findByExternalId('acme', 'order', 'IX-3')).toEqual([]);
  });
});
