import { execFile } from 'node:child_process';
import { copyFileSync, fstatSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { PostgresStore, toPgPlaceholders } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Migration, SqlStore } from './store.js';
import type { FsyncFn } from './wal-flusher.js';

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
  /** An fsync the test lets through one at a time, recording the file each one was for. */
  function heldFsync() {
    const calls: { ino: number; release: (err?: NodeJS.ErrnoException) => void }[] = [];
    const fsync: FsyncFn = (fd, cb) => calls.push({ ino: fstatSync(fd).ino, release: (err) => cb(err ?? null) });
    return { calls, fsync };
  }
  const settledYet = async (p: Promise<unknown>) => {
    let done = false;
    void p.then(
      () => (done = true),
      () => (done = true),
    );
    await new Promise((r) => setImmediate(r));
    return done;
  };
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 2000 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(what()).toBe(true);
  };

  it('runs WAL, SQLite syncing nothing in the COMMIT and checkpointing in it only past the bound (synchronous=NORMAL, wal_autocheckpoint=4000)', async () => {
    const file = new SqliteStore(join(dir, `d-${Math.random()}.sqlite`));
    const [journal] = await file.query<{ journal_mode: string }>('PRAGMA journal_mode');
    const [sync] = await file.query<{ synchronous: number }>('PRAGMA synchronous');
    const [auto] = await file.query<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint');
    const [limit] = await file.query<{ journal_size_limit: number }>('PRAGMA journal_size_limit');
    expect(journal?.journal_mode.toLowerCase()).toBe('wal');
    expect(sync?.synchronous).toBe(1);
    expect(auto?.wal_autocheckpoint).toBe(4000);
    expect(limit?.journal_size_limit).toBe(64 * 1024 * 1024);
    await file.close();
  });

  it('resolves a transaction, a write, a migration and a read of their data only once an fsync of the WAL begun after the commit has returned', async () => {
    const path = join(dir, `f-${Math.random()}.sqlite`);
    const { calls, fsync } = heldFsync();
    const store = new SqliteStore(path, { fsync });
    const migrated = store.migrate([migration]);
    await until(() => calls.length === 1);
    expect(await settledYet(migrated)).toBe(false);
    expect(calls[0]!.ino).toBe(statSync(`${path}-wal`).ino);
    calls[0]!.release();
    await migrated;

    const tx = store.transaction(async (t) => t.run('INSERT INTO items (id, qty) VALUES (?, ?)', ['a', 1]));
    await until(() => calls.length === 2);
    expect(await settledYet(tx)).toBe(false);
    // Committed, not yet answered: a read that sees it answers only once it is on disk, too.
    const read = store.query('SELECT id FROM items');
    expect(await settledYet(read)).toBe(false);
    expect(store.db.prepare('SELECT id FROM items').all()).toEqual([{ id: 'a' }]);
    calls[1]!.release();
    await expect(tx).resolves.toEqual({ changes: 1 });
    await expect(read).resolves.toEqual([{ id: 'a' }]);

    const write = store.run('UPDATE items SET qty = 2');
    await until(() => calls.length === 3);
    expect(await settledYet(write)).toBe(false);
    calls[2]!.release();
    await expect(write).resolves.toEqual({ changes: 1 });

    // A write that changed nothing and a read, with everything on disk, have nothing to flush.
    await expect(store.run('DELETE FROM items WHERE id = ?', ['none'])).resolves.toEqual({ changes: 0 });
    await expect(store.query('SELECT qty FROM items')).resolves.toEqual([{ qty: 2 }]);
    expect(calls).toHaveLength(3);
    await store.close();
  });

  it('covers every commit made during a flush with the next one (group fsync), and fails the commits of a failed flush', async () => {
    const path = join(dir, `g-${Math.random()}.sqlite`);
    const { calls, fsync } = heldFsync();
    const store = new SqliteStore(path, { fsync });
    const migrated = store.migrate([migration]);
    await until(() => calls.length === 1);
    calls[0]!.release();
    await migrated;

    const first = store.transaction((t) => t.run('INSERT INTO items (id, qty) VALUES (?, ?)', ['a', 1]));
    await until(() => calls.length === 2);
    // Three more commit while the first flush runs: none of them is answered by it.
    const more = ['b', 'c', 'd'].map((id) => store.transaction((t) => t.run('INSERT INTO items (id, qty) VALUES (?, ?)', [id, 1])));
    await until(() => Number((store.db.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number }).n) === 4);
    calls[1]!.release();
    await first;
    await until(() => calls.length === 3);
    for (const m of more) expect(await settledYet(m)).toBe(false);
    calls[2]!.release(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    for (const m of more) await expect(m).rejects.toThrow('EIO');
    // The next commit gets a flush of its own.
    const after = store.transaction((t) => t.run('INSERT INTO items (id, qty) VALUES (?, ?)', ['e', 1]));
    await until(() => calls.length === 4);
    calls[3]!.release();
    await expect(after).resolves.toEqual({ changes: 1 });
    expect(calls).toHaveLength(4);
    await store.close();
  });

  it.each([
    ['within its bound', 64, (size: number) => expect(size).toBeLessThan(3_000_000)],
    ['(without a bound it grows: the test can tell)', 1_000_000, (size: number) => expect(size).toBeGreaterThan(6_000_000)],
  ])('keeps the WAL %s under writes that never pause', async (_what, walPagesMax, check) => {
    const path = join(dir, `w-${Math.random()}.sqlite`);
    const store = new SqliteStore(path, { walPagesMax, checkpointEvery: 4 });
    await store.migrate([{ id: '0001-blobs', sqlite: 'CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)', postgres: '' }]);
    const body = 'x'.repeat(2000);
    // Back to back (the mutex runs them one after another, with no pause for a checkpoint to catch up).
    await Promise.all(Array.from({ length: 2000 }, (_, i) => store.transaction((tx) => tx.run('INSERT INTO blobs (id, body) VALUES (?, ?)', [i, body]))));
    check(statSync(`${path}-wal`).size);
    expect(await store.query('SELECT COUNT(*) AS n FROM blobs')).toEqual([{ n: 2000 }]);
    await store.close();
  });

  it('stops the checkpoint worker once the writes pause, and starts it again with the next ones', async () => {
    const path = join(dir, `r-${Math.random()}.sqlite`);
    const store = new SqliteStore(path, { checkpointEvery: 2, checkpointerRetireMs: 50 });
    await store.migrate([migration]);
    for (let i = 0; i < 4; i++) await store.run('INSERT INTO items (id, qty) VALUES (?, ?)', [`a${i}`, i]);
    await until(() => store.checkpointer!.running);
    await until(() => !store.checkpointer!.running);
    for (let i = 0; i < 4; i++) await store.run('INSERT INTO items (id, qty) VALUES (?, ?)', [`b${i}`, i]);
    await until(() => store.checkpointer!.running);
    expect(await store.query('SELECT COUNT(*) AS n FROM items')).toEqual([{ n: 8 }]);
    await store.close();
    expect(store.checkpointer!.running).toBe(false);
  });

  it('keeps the process up until its checkpoint worker has exited when it closes (nothing else holding the process)', async () => {
    const script = join(dir, `close-${Math.random().toString(36).slice(2)}.mts`);
    writeFileSync(
      script,
      `import { SqliteStore } from ${JSON.stringify(new URL('./sqlite.ts', import.meta.url).href)};
const store = new SqliteStore(${JSON.stringify(join(dir, `k-${Math.random()}.sqlite`))}, { checkpointEvery: 1 });
await store.run('CREATE TABLE t (a INTEGER)');
await store.run('INSERT INTO t VALUES (1)');
while (!store.checkpointer.running) await new Promise((r) => setTimeout(r, 5));
await store.close();
console.log('closed');
`,
    );
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', script], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(out.stderr).not.toContain('unsettled top-level await');
    expect(out).toMatchObject({ code: 0, stdout: 'closed\n' });
  });

  it('checkpoints on its worker thread: the WAL is copied into the database without the committing connection doing it', async () => {
    const path = join(dir, `c-${Math.random()}.sqlite`);
    const store = new SqliteStore(path, { checkpointEvery: 4 });
    await store.migrate([migration]);
    for (let i = 0; i < 40; i++) await store.run('INSERT INTO items (id, qty) VALUES (?, ?)', [`i${i}`, i]);
    // A second reader of the database file alone (no WAL): the checkpoints copied the rows into it.
    // A copy taken while a checkpoint is writing the file mixes pages of two states and reads as
    // malformed (failed once beside another suite): that copy is not a state of the database, so it
    // counts as "not yet", and the next copy is read. A database that stayed malformed would still
    // fail the wait.
    await until(() => {
      const copy = join(dir, `copy-${Math.random()}.sqlite`);
      copyFileSync(path, copy);
      const db = new DatabaseSync(copy, { readOnly: true });
      try {
        return Number((db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'items'").get() as { n: number }).n) === 1 &&
          Number((db.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number }).n) >= 36;
      } catch (err) {
        if (/malformed/.test((err as Error).message)) return false;
        throw err;
      } finally {
        db.close();
      }
    });
    await store.close();
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
