import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Migration, Param, SqlExecutor, SqlStore } from './store.js';

/**
 * SQLite store on better-sqlite3, in WAL mode, with synchronous=FULL's guarantee: a write that
 * resolved is on disk.
 *
 * better-sqlite3 is synchronous, so one connection serves everything and an async mutex keeps a
 * transaction's statements from interleaving with another caller's (SQLite has one writer anyway).
 *
 * The fsync is taken off the event loop. In WAL mode, synchronous=FULL is exactly synchronous=NORMAL
 * plus one sync of the WAL file after each commit; done inside COMMIT, that sync (milliseconds
 * under load) would stall every request the process serves. So the connection runs NORMAL and the
 * store itself syncs the WAL (`fdatasync` on libuv's thread pool) after every commit:
 *
 * - a write (transaction, or a statement that writes) resolves only once its commit is synced;
 * - a read resolves only once the sync started after the latest commit it may have seen is done;
 * - the next transaction may run while the previous one is being synced (its own sync, started
 *   after its commit, covers both), so commits pipeline: with the group committer's few groups in
 *   flight, requests that arrive during a sync are already committing.
 *
 * So nothing is answered on the strength of a commit that is not yet on disk, and the event loop
 * keeps parsing requests meanwhile. Checkpoints keep NORMAL's own syncs (WAL before, database file
 * after). An in-memory database, or one that cannot use WAL, runs synchronous=FULL as before.
 */
export class SqliteStore implements SqlStore {
  readonly dialect = 'sqlite' as const;
  readonly db: Database.Database;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly cache = new Map<string, Database.Statement>();
  /** Whether commits are synced by `startSync` (a file database in WAL mode). */
  private readonly durable: boolean;
  /** The WAL file, opened at the first sync and kept open while the database is. */
  private walFd: number | null = null;
  /** The sync started after the latest commit (it covers every earlier commit too). */
  private lastSync: Promise<void> = Promise.resolve();
  /** Syncs in flight (closing waits for them). */
  private readonly syncing = new Set<Promise<void>>();

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    const mode = String(this.db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
    this.durable = path !== ':memory:' && mode === 'wal';
    // NORMAL + startSync() after each commit = FULL, with the sync off the event loop (see above).
    this.db.pragma(this.durable ? 'synchronous = NORMAL' : 'synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS gateway_heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)');
  }

  private statement(sql: string): Database.Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, st);
    }
    return st;
  }

  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Starts putting every commit made so far on disk (synchronous=FULL's WAL sync) on libuv's thread
   * pool, and records it as the sync that later reads wait for.
   */
  private startSync(): Promise<void> {
    if (!this.durable) return Promise.resolve();
    if (this.walFd === null) {
      try {
        this.walFd = openSync(`${this.path}-wal`, 'r+');
      } catch (err) {
        // No WAL file: nothing was ever written through it.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Promise.resolve();
        throw err;
      }
    }
    const fd = this.walFd;
    const sync = new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    this.syncing.add(sync);
    const forget = () => this.syncing.delete(sync);
    sync.then(forget, forget);
    this.lastSync = sync;
    return sync;
  }

  /**
   * Runs one statement outside a transaction. A write resolves once synced; a read once the sync of
   * the last commit it may have seen is done, so nothing is answered from a row not yet on disk.
   */
  private single<T>(sql: string, exec: (st: Database.Statement) => T): Promise<T> {
    return this.exclusive(() => {
      const st = this.statement(sql);
      const value = exec(st);
      return { value, synced: st.readonly ? this.lastSync : this.startSync() };
    }).then(async ({ value, synced }) => {
      await synced;
      return value;
    });
  }

  private readonly direct: SqlExecutor = {
    dialect: 'sqlite',
    query: async <T>(sql: string, params: readonly Param[] = []) => this.statement(sql).all(...bind(params)) as T[],
    run: async (sql: string, params: readonly Param[] = []) => ({ changes: this.statement(sql).run(...bind(params)).changes }),
  };

  query<T = Record<string, unknown>>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.single(sql, (st) => st.all(...bind(params)) as T[]);
  }

  run(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
    return this.single(sql, (st) => ({ changes: st.run(...bind(params)).changes }));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(this.direct);
        this.db.exec('COMMIT');
        // The next transaction may start while this one is being synced; its own sync covers this one.
        return { value, synced: this.startSync() };
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    }).then(async ({ value, synced }) => {
      await synced;
      return value;
    });
  }

  async migrate(migrations: readonly Migration[]): Promise<void> {
    await this.exclusive(() => {
      this.db.exec('CREATE TABLE IF NOT EXISTS gateway_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
      const applied = new Set(this.db.prepare('SELECT id FROM gateway_migrations').pluck().all() as string[]);
      for (const m of migrations) {
        if (applied.has(m.id)) continue;
        this.db.transaction(() => {
          this.db.exec(m.sqlite);
          this.db.prepare('INSERT INTO gateway_migrations (id, applied_at) VALUES (?, ?)').run(m.id, new Date().toISOString());
        })();
      }
      return this.startSync();
    });
  }

  ping(): Promise<void> {
    return this.single('INSERT INTO gateway_heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at', (st) => {
      st.run(new Date().toISOString());
    });
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      await Promise.allSettled([...this.syncing]);
      this.db.close();
      if (this.walFd !== null) closeSync(this.walFd);
      this.walFd = null;
    });
  }
}

/** better-sqlite3 takes no booleans: store them as 0/1 like SQLite itself does. */
function bind(params: readonly Param[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}
