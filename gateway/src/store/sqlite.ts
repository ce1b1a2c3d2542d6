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
 * store itself syncs the WAL (`fdatasync` on libuv's thread pool) after every write, before the
 * write's promise resolves and before the mutex lets any other statement run: nothing reads,
 * writes or answers on the strength of a commit that is not yet on disk, while the event loop keeps
 * parsing requests, which then join the next group commit (intake/group-commit.ts). Checkpoints keep
 * NORMAL's own syncs (WAL before, database file after). An in-memory database syncs nothing.
 */
export class SqliteStore implements SqlStore {
  readonly dialect = 'sqlite' as const;
  readonly db: Database.Database;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly cache = new Map<string, Database.Statement>();
  /** Whether commits are synced by `syncWal` (a file database in WAL mode). */
  private readonly durable: boolean;
  /** The WAL file, opened at the first sync and kept open while the database is. */
  private walFd: number | null = null;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    const mode = String(this.db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
    this.durable = path !== ':memory:' && mode === 'wal';
    // NORMAL + syncWal() after each commit = FULL, with the sync off the event loop (see above).
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

  /** Puts every commit made so far on disk (synchronous=FULL's WAL sync), off the event loop. */
  private syncWal(): Promise<void> {
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
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

  /** Runs one statement outside a transaction; one that wrote is synced before it resolves. */
  private async single<T>(sql: string, exec: (st: Database.Statement) => T): Promise<T> {
    const st = this.statement(sql);
    const result = exec(st);
    if (!st.readonly) await this.syncWal();
    return result;
  }

  private readonly direct: SqlExecutor = {
    dialect: 'sqlite',
    query: async <T>(sql: string, params: readonly Param[] = []) => this.statement(sql).all(...bind(params)) as T[],
    run: async (sql: string, params: readonly Param[] = []) => ({ changes: this.statement(sql).run(...bind(params)).changes }),
  };

  query<T = Record<string, unknown>>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.exclusive(() => this.single(sql, (st) => st.all(...bind(params)) as T[]));
  }

  run(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
    return this.exclusive(() => this.single(sql, (st) => ({ changes: st.run(...bind(params)).changes })));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        await this.syncWal();
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
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
      return this.syncWal();
    });
  }

  ping(): Promise<void> {
    return this.exclusive(() =>
      this.single('INSERT INTO gateway_heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at', (st) => {
        st.run(new Date().toISOString());
      }),
    );
  }

  async close(): Promise<void> {
    await this.exclusive(() => {
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
