import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { runCommitHooks, type Migration, type Param, type SqlExecutor, type SqlStore } from './store.js';
import { Checkpointer } from './checkpointer.js';
import { openSqlite, Statements } from './sqlite-connection.js';
import { WalFlusher, type FsyncFn } from './wal-flusher.js';

export interface SqliteStoreOptions {
  /** Flushes a file to disk (tests pass one they control). Default: `fs.fsync`, on libuv's thread pool. */
  fsync?: FsyncFn;
  /** Commits between two checkpoints of the WAL (`checkpointer.ts`). Default 32. */
  checkpointEvery?: number;
  /** How long the writes must pause before the checkpoint worker is stopped (ms). Default 5,000. */
  checkpointerRetireMs?: number;
  /**
   * The WAL's bound, in pages: a commit that leaves more checkpoints on this connection, which
   * lets SQLite start the WAL over (`wal_autocheckpoint`). Default 4000 (16 MiB of 4 KiB pages).
   */
  walPagesMax?: number;
}


/** A statement that only reads (outside a transaction anything else may have written, and is flushed as a write). */
const READ_ONLY = /^\s*(SELECT|PRAGMA)\b/i;
/** Row changes, whose count says whether they wrote anything; any other statement (DDL, …) counts as a write. */
const ROW_CHANGE = /^\s*(INSERT|UPDATE|DELETE)\b/i;
const wroteAnything = (sql: string, changes: number) => changes > 0 || !ROW_CHANGE.test(sql);

/**
 * SQLite store on Node's built-in `node:sqlite`, in WAL mode. Every write a caller is answered for
 * is on disk: a transaction (or a single write) resolves only once the WAL holding its COMMIT has
 * been fsynced.
 *
 * The fsync is not SQLite's own (synchronous=FULL would block the event loop for the whole flush,
 * ≈ 1.5 ms a group commit here): SQLite runs with synchronous=NORMAL, which in WAL mode writes the
 * commit to the WAL without syncing it (and still syncs at checkpoints), and `WalFlusher` syncs the
 * WAL on the thread pool, one flush for every commit made while the previous one ran. The next
 * transaction starts while the flush runs. Nobody learns of a commit before it is on disk: the
 * statements of later transactions see it (their own commit's flush covers it), and a read outside
 * a transaction answers only once every commit before it is flushed. Checkpoints run on a worker
 * thread (`checkpointer.ts`); a COMMIT checkpoints only when the WAL passes its bound.
 *
 * `node:sqlite` is synchronous, so one connection serves everything and an async mutex keeps a
 * transaction's statements from interleaving with another caller's (SQLite has one writer anyway).
 */
export class SqliteStore implements SqlStore {
  readonly dialect = 'sqlite' as const;
  readonly db: DatabaseSync;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly statements: Statements;
  /** Null for `:memory:`, which has nothing to flush. */
  private readonly flusher: WalFlusher | null;
  /** Public for tests (whether its worker runs). */
  readonly checkpointer: Checkpointer | null;
  /** The WAL's bound in pages (`walPagesMax`): another connection writing here sets the same. */
  readonly walPagesMax: number;

  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // The worker's checkpoints run beside the writer, so under a sustained burst they never catch
    // up with its last frames, and SQLite starts the WAL over only once every frame is in the
    // database: without a bound the WAL grows for as long as the burst lasts (measured: 153 MB
    // for 9,500 orders). Past `walPagesMax` pages the committing connection checkpoints itself,
    // between two writes (little is left to copy: the worker has copied the rest), and the next
    // write starts the WAL over (`openSqlite`).
    this.walPagesMax = Math.max(1, Math.floor(options.walPagesMax ?? 4000));
    this.db = openSqlite(path, path === ':memory:' ? undefined : this.walPagesMax);
    this.statements = new Statements(this.db);
    this.flusher = path === ':memory:' ? null : new WalFlusher(`${path}-wal`, options.fsync);
    this.checkpointer =
      path === ':memory:'
        ? null
        : new Checkpointer(
            path,
            options.checkpointEvery,
            (r) => {
              // Should the worker fail, SQLite checkpoints in the COMMIT as often as by default rather than let the WAL grow.
              if (!r.ok && this.db.isOpen) this.db.exec('PRAGMA wal_autocheckpoint = 1000');
            },
            undefined,
            options.checkpointerRetireMs,
          );
    this.db.exec('CREATE TABLE IF NOT EXISTS gateway_heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)');
  }

  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private all<T>(sql: string, params: readonly Param[]): T[] {
    return this.statements.all<T>(sql, params);
  }

  private change(sql: string, params: readonly Param[]): { changes: number } {
    return this.statements.run(sql, params);
  }

  /** The running transaction's after-commit functions, and whether it wrote anything. */
  private hooks: (() => void)[] = [];
  private wrote = false;

  private readonly direct: SqlExecutor = {
    dialect: 'sqlite',
    query: async <T>(sql: string, params: readonly Param[] = []) => {
      if (!READ_ONLY.test(sql)) this.wrote = true;
      return this.all<T>(sql, params);
    },
    run: async (sql: string, params: readonly Param[] = []) => {
      const r = this.change(sql, params);
      if (wroteAnything(sql, r.changes)) this.wrote = true;
      return r;
    },
    afterCommit: (fn) => this.hooks.push(fn),
  };

  query<T = Record<string, unknown>>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    // A read answers once what it saw is on disk (every commit before it); a write through
    // `query` (`… RETURNING`) once it is on disk itself, like `run`.
    return this.durable(this.exclusive(() => ({ value: this.all<T>(sql, params), commit: READ_ONLY.test(sql) ? this.seen() : this.committed() })));
  }

  run(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
    return this.durable(
      this.exclusive(() => {
        const value = this.change(sql, params);
        return { value, commit: wroteAnything(sql, value.changes) ? this.committed() : this.seen() };
      }),
    );
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.durable(
      this.exclusive(async () => {
        this.db.exec('BEGIN IMMEDIATE');
        this.hooks = [];
        this.wrote = false;
        try {
          const value = await fn(this.direct);
          this.db.exec('COMMIT');
          // A transaction that only read has nothing to flush, but may have seen commits still being flushed.
          const commit = this.wrote ? this.committed() : this.seen();
          const hooks = this.hooks;
          this.hooks = [];
          runCommitHooks(hooks);
          return { value, commit };
        } catch (err) {
          this.hooks = [];
          if (this.db.isTransaction) this.db.exec('ROLLBACK');
          throw err;
        }
      }),
    );
  }

  afterCommit(fn: () => void): void {
    fn();
  }

  /**
   * Runs `write`, a transaction another connection to this database commits (the intake's writer
   * thread), as this store's own are: under its lock, so nothing here writes meanwhile (no
   * connection ever waits on SQLite's lock, which would block the event loop), numbered among its
   * commits (`wrote`), and answered once the WAL holding it is on disk. Whatever `write` does after
   * the commit and before it returns happens before anything else can read what it wrote.
   */
  external<T>(write: () => Promise<{ value: T; wrote: boolean }>): Promise<T> {
    return this.durable(
      this.exclusive(async () => {
        const { value, wrote } = await write();
        return { value, commit: wrote ? this.committed() : this.seen() };
      }),
    );
  }

  /** Numbers a commit that just returned (and counts it toward the next checkpoint); 0 for `:memory:`. */
  private committed(): number {
    if (!this.flusher) return 0;
    this.checkpointer!.committed();
    return this.flusher.committed();
  }

  /** The last commit a statement run now can have seen. */
  private seen(): number {
    return this.flusher?.latest() ?? 0;
  }

  /**
   * The value once the commit it came with (or the last one it could see) is on disk. The mutex
   * is already released: the next transaction runs while this one's flush does.
   */
  private async durable<T>(done: Promise<{ value: T; commit: number }>): Promise<T> {
    const { value, commit } = await done;
    if (commit > 0) await this.flusher!.flushed(commit);
    return value;
  }

  async migrate(migrations: readonly Migration[]): Promise<void> {
    await this.durable(this.exclusive(() => ({ value: this.migrateNow(migrations), commit: this.committed() })));
  }

  private migrateNow(migrations: readonly Migration[]): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS gateway_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
    const applied = new Set((this.db.prepare('SELECT id FROM gateway_migrations').all() as { id: string }[]).map((r) => r.id));
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.db.exec(m.sqlite);
        this.db.prepare('INSERT INTO gateway_migrations (id, applied_at) VALUES (?, ?)').run(m.id, new Date().toISOString());
        this.db.exec('COMMIT');
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    }
  }

  ping(): Promise<void> {
    return this.exclusive(() => {
      this.statements.run('INSERT INTO gateway_heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at', [new Date().toISOString()]);
    });
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    await this.exclusive(() => {
      this.statements.clear();
      // What was committed and is still being flushed is synced now: the close may leave the WAL to another process.
      this.flusher?.closeSync();
      if (this.db.isOpen) this.db.close();
    });
  }
}
