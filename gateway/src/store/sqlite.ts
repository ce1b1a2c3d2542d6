import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Migration, Param, SqlExecutor, SqlStore } from './store.js';

/**
 * SQLite store on better-sqlite3. WAL and synchronous=FULL: a COMMIT that returned is on disk.
 *
 * better-sqlite3 is synchronous, so one connection serves everything and an async mutex keeps a
 * transaction's statements from interleaving with another caller's (SQLite has one writer anyway).
 */
export class SqliteStore implements SqlStore {
  readonly dialect = 'sqlite' as const;
  readonly db: Database.Database;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly cache = new Map<string, Database.Statement>();

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
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

  private readonly direct: SqlExecutor = {
    dialect: 'sqlite',
    query: async <T>(sql: string, params: readonly Param[] = []) => this.statement(sql).all(...bind(params)) as T[],
    run: async (sql: string, params: readonly Param[] = []) => ({ changes: this.statement(sql).run(...bind(params)).changes }),
  };

  query<T = Record<string, unknown>>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.exclusive(() => this.statement(sql).all(...bind(params)) as T[]);
  }

  run(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
    return this.exclusive(() => ({ changes: this.statement(sql).run(...bind(params)).changes }));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
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
    });
  }

  ping(): Promise<void> {
    return this.exclusive(() => {
      this.statement('INSERT INTO gateway_heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at').run(new Date().toISOString());
    });
  }

  async close(): Promise<void> {
    await this.exclusive(() => this.db.close());
  }
}

/** better-sqlite3 takes no booleans: store them as 0/1 like SQLite itself does. */
function bind(params: readonly Param[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}
