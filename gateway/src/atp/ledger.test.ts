/**
 * The promise ledger against each real backend: SQLite, PostgreSQL (127.0.0.1:5432) and Redis
 * (127.0.0.1:6379). The same semantics in each: atomic all-or-nothing takes that never promise
 * more than the limit under concurrency, settle / release / expiry / purge.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { PostgresStore } from '../store/postgres.js';
import { SqliteStore } from '../store/sqlite.js';
import type { SqlStore } from '../store/store.js';
import { itemKey, orderKey, type AtpLedger } from './ledger.js';
import { RedisAtpLedger } from './redis-ledger.js';
import { GroupCommitter } from '../intake/group-commit.js';
import { atpMigrations, SqlAtpLedger } from './sql-ledger.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const A = itemKey('FLASH-1', 'WH');
const B = itemKey('FLASH-2', 'WH');
const line = (key: string, qty: number, limit: number, basisAt = 0) => ({ itemKey: key, qty, limit, basisAt });
const opts = { force: false, now: 1_000, ttlMs: 60_000 };

type Backend = { name: string; open(): Promise<AtpLedger>; close(): Promise<void> };

/** A SQLite ledger in a scratch file; `ledgerOf` chooses where its takes run. */
const sqliteBackend = (name: string, ledgerOf: (store: SqlStore) => AtpLedger): Backend => {
  let dir = '';
  let store: SqlStore | undefined;
  return {
    name,
    async open() {
      dir = mkdtempSync(join(tmpdir(), 'atp-'));
      store = new SqliteStore(join(dir, 'gateway.sqlite'));
      await store.migrate(atpMigrations);
      return ledgerOf(store);
    },
    async close() {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const backends: Backend[] = [
  sqliteBackend('sqlite', (store) => new SqlAtpLedger(store)),
  // As the gateway runs it on SQLite: takes share the intake queue's group commit.
  sqliteBackend('sqlite, group commit', (store) => {
    const committer = new GroupCommitter(store);
    return new SqlAtpLedger(store, (op) => committer.run(op));
  }),
  (() => {
    let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
    let store: SqlStore | undefined;
    return {
      name: 'postgres',
      async open() {
        db = await createTestDatabase('rg_atp');
        store = new PostgresStore(db.url, { max: 10 });
        await store.migrate(atpMigrations);
        return new SqlAtpLedger(store);
      },
      async close() {
        await store?.close();
        await db?.drop();
      },
    };
  })(),
  (() => {
    let ledger: RedisAtpLedger | undefined;
    return {
      name: 'redis',
      async open() {
        ledger = new RedisAtpLedger({ url: REDIS_URL, keyPrefix: `test-${randomBytes(4).toString('hex')}:` });
        return ledger;
      },
      async close() {
        await ledger?.close();
      },
    };
  })(),
];

describe.each(backends)('ATP ledger on $name', (backend) => {
  let ledger: AtpLedger;
  beforeAll(async () => {
    ledger = await backend.open();
  });
  afterAll(() => backend.close());

  const open = async (key: string) => (await ledger.totals()).find((t) => t.itemKey === key)?.open ?? 0;

  it('200 concurrent one-unit takes against 50 units promise exactly 50', async () => {
    const key = itemKey(`C-${backend.name}`, 'WH');
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.take(orderKey('p', `c${i}`), [line(key, 1, 50)], opts)));
    expect(results.filter((r) => r.state === 'taken')).toHaveLength(50);
    expect(results.filter((r) => r.state === 'short')).toHaveLength(150);
    expect(await open(key)).toBe(50);
  });

  it('takes all lines or none, and names the short lines with what is available', async () => {
    const r1 = await ledger.take(orderKey('p', 'o1'), [line(A, 2, 5), line(B, 1, 1)], opts);
    expect(r1).toEqual({ state: 'taken', oversold: [] });
    const r2 = await ledger.take(orderKey('p', 'o2'), [line(A, 1, 5), line(B, 1, 1)], opts);
    expect(r2).toEqual({ state: 'short', short: [{ itemKey: B, requested: 1, available: 0 }] });
    expect(await open(A)).toBe(2); // o2's line A was not promised
    expect(await ledger.take(orderKey('p', 'o1'), [line(A, 2, 5)], opts)).toEqual({ state: 'held' });
  });

  it('force promises beyond the limit and counts the oversold units', async () => {
    const key = itemKey(`F-${backend.name}`, 'WH');
    expect(await ledger.take(orderKey('p', 'f1'), [line(key, 3, 4)], { ...opts, force: true })).toEqual({ state: 'taken', oversold: [] });
    expect(await ledger.take(orderKey('p', 'f2'), [line(key, 3, 4)], { ...opts, force: true })).toEqual({ state: 'taken', oversold: [{ itemKey: key, units: 2 }] });
    expect(await open(key)).toBe(6);
  });

  it('release drops a promise; settle holds it against figures computed before the settlement', async () => {
    const key = itemKey(`R-${backend.name}`, 'WH');
    await ledger.take(orderKey('p', 'r1'), [line(key, 1, 1)], opts);
    await ledger.release([orderKey('p', 'r1')]);
    expect(await open(key)).toBe(0);
    await ledger.take(orderKey('p', 'r2'), [line(key, 1, 1)], opts);
    await ledger.settle([orderKey('p', 'r2')], 5_000);
    const t = (await ledger.totals()).find((x) => x.itemKey === key)!;
    expect(t.open).toBe(0);
    expect(t.settled).toEqual([{ at: 5_000, qty: 1 }]);
    // A figure read before the settlement (1 unit, not yet reserved): the settled promise counts.
    expect((await ledger.take(orderKey('p', 'r3'), [line(key, 1, 1, 4_000)], opts)).state).toBe('short');
    // A figure read after it already includes Odoo's reservation: the promise does not count again.
    expect((await ledger.take(orderKey('p', 'r3'), [line(key, 1, 1, 6_000)], opts)).state).toBe('taken');
    expect(await ledger.purgeSettled(5_001)).toBeGreaterThanOrEqual(1);
    expect((await ledger.totals()).find((x) => x.itemKey === key)?.settled ?? []).toEqual([]);
  });

  it('lists expired open promises and extends them', async () => {
    const key = itemKey(`E-${backend.name}`, 'WH');
    await ledger.take(orderKey('p', 'e1'), [line(key, 1, 9)], { ...opts, now: 0, ttlMs: 10 });
    expect(await ledger.expired(100, 1000)).toContain(orderKey('p', 'e1'));
    await ledger.extend([orderKey('p', 'e1')], 500);
    expect(await ledger.expired(100, 1000)).not.toContain(orderKey('p', 'e1'));
    expect(await ledger.expired(600, 1000)).toContain(orderKey('p', 'e1'));
  });
});
