import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { PostgresStore, toPgPlaceholders } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Migration, SqlStore } from './store.js';

const migration: Migration = {
  id: '0001-items',
  sqlite: 'CREATE TABLE items (id TEXT PRIMARY KEY, qty INTEGER NOT NULL)',
  postgres: 'CREATE TABLE items (id TEXT PRIMARY KEY, qty INTEGER NOT NULL)',
};

const dir = mkdtempSync(join(tmpdir(), 'rg-store-'));
let pgDb: Awaited<ReturnType<typeof createTestDatabase>>;
const stores: Record<string, () => SqlStore> = {
  sqlite: () => new SqliteStore(join(dir, `s-${Math.random()}.sqlite`)),
  postgres: () => new PostgresStore(pgDb.url, { max: 4 }),
};

beforeAll(async () => {
  pgDb = await createTestDatabase('rg_store');
});
afterAll(async () => {
  await pgDb.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(Object.keys(stores))('%s store', (kind) => {
  it('applies a migration once, even when asked twice', async () => {
    const store = stores[kind]!();
    await store.migrate([migration]);
    await store.migrate([migration]);
    await store.run('INSERT INTO items (id, qty) VALUES (?, ?)', ['a', 1]);
    expect(await store.query('SELECT id, qty FROM items')).toEqual([{ id: 'a', qty: 1 }]);
    await store.run('DELETE FROM items');
    await store.close();
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const store = stores[kind]!();
    await store.migrate([migration]);
    await store.run('DELETE FROM items');
    await store.transaction(async (tx) => {
      await tx.run('INSERT INTO items (id, qty) VALUES (?, ?)', ['kept', 1]);
    });
    await expect(
      store.transaction(async (tx) => {
        await tx.run('INSERT INTO items (id, qty) VALUES (?, ?)', ['lost', 2]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await store.query<{ id: string }>('SELECT id FROM items ORDER BY id')).map((r) => r.id)).toEqual(['kept']);
    await store.close();
  });

  it('keeps concurrent transactions from interleaving', async () => {
    const store = stores[kind]!();
    await store.migrate([migration]);
    await store.run('DELETE FROM items');
    await store.run('INSERT INTO items (id, qty) VALUES (?, ?)', ['counter', 0]);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.transaction(async (tx) => {
          const sql = kind === 'postgres' ? 'SELECT qty FROM items WHERE id = ? FOR UPDATE' : 'SELECT qty FROM items WHERE id = ?';
          const [row] = await tx.query<{ qty: number }>(sql, ['counter']);
          await tx.run('UPDATE items SET qty = ? WHERE id = ?', [row!.qty + 1, 'counter']);
        }),
      ),
    );
    expect(await store.query('SELECT qty FROM items WHERE id = ?', ['counter'])).toEqual([{ qty: 20 }]);
    await store.close();
  });

  it('proves it is writable', async () => {
    const store = stores[kind]!();
    await store.migrate([]);
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });
});

describe('toPgPlaceholders', () => {
  it('numbers placeholders outside quotes only', () => {
    expect(toPgPlaceholders("SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?")).toBe("SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2");
  });
});

describe('SQLite durability', () => {
  it('runs WAL with synchronous=FULL: a resolved commit is on disk', async () => {
    const file = new SqliteStore(join(dir, `d-${Math.random()}.sqlite`));
    const [journal] = await file.query<{ journal_mode: string }>('PRAGMA journal_mode');
    const [sync] = await file.query<{ synchronous: number }>('PRAGMA synchronous');
    expect(journal?.journal_mode.toLowerCase()).toBe('wal');
    expect(sync?.synchronous).toBe(2);
    await file.close();
  });

  it('keeps 50 overlapping transactions in order and every one after a reopen', async () => {
    const path = join(dir, `p-${Math.random()}.sqlite`);
    const store = new SqliteStore(path);
    await store.migrate([migration]);
    const seen: number[] = [];
    const writes = Array.from({ length: 50 }, (_, i) =>
      store.transaction(async (tx) => {
        await tx.run('INSERT INTO items (id, qty) VALUES (?, ?)', [`i${i}`, i]);
        const [row] = await tx.query<{ n: number }>('SELECT COUNT(*) AS n FROM items');
        seen.push(Number(row!.n));
      }),
    );
    await Promise.all(writes);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await store.close();
    const reopened = new SqliteStore(path);
    expect(await reopened.query('SELECT COUNT(*) AS n FROM items')).toEqual([{ n: 50 }]);
    await reopened.close();
  });
});
