import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Migration, Param, SqlExecutor, SqlStore } from './store.js';

/**
 * SQLite store on Node's built-in `node:sqlite`. WAL and synchronous=FULL: a COMMIT that returned
 * is on disk.
 *
 * `node:sqlite` is synchronous, so one connection serves everything and an async mutex keeps a
 * transaction's statements from interleaving with another caller's (SQLite has one writer anyway).
 */
export class SqliteStore implements SqlStore {
  readonly dialect = 'sqlite' as const;
  readonly db: DatabaseSync;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly cache = new Map<string, StatementSync>();

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 5000 });
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = FULL');
    this.db.exec('PRAGMA foreign_keys = ON');
    this.db.exec('PRAGMA busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS gateway_heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)');
  }

  private statement(sql: string): StatementSync {
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

  private all<T>(sql: string, params: readonly Param[]): T[] {
    return this.statement(sql).all(...bind(params)) as T[];
  }

  private change(sql: string, params: readonly Param[]): { changes: number } {
    return { changes: Number(this.statement(sql).run(...bind(params)).changes) };
  }

  private readonly direct: SqlExecutor = {
    dialect: 'sqlite',
    query: async <T>(sql: string, params: readonly Param[] = []) => this.all<T>(sql, params),
    run: async (sql: string, params: readonly Param[] = []) => this.change(sql, params),
  };

  query<T = Record<string, unknown>>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.exclusive(() => this.all<T>(sql, params));
  }

  run(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
    return this.exclusive(() => this.change(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async migrate(migrations: readonly Migration[]): Promise<void> {
    await this.exclusive(() => {
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
    });
  }

  ping(): Promise<void> {
    return this.exclusive(() => {
      this.statement('INSERT INTO gateway_heartbeat (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at').run(new Date().toISOString());
    });
  }

  async close(): Promise<void> {
    await this.exclusive(() => {
      this.cache.clear();
      if (this.db.isOpen) this.db.close();
    });
  }
}

/** SQLite has no booleans (node:sqlite refuses them): store them as 0/1 like SQLite itself does. */
function bind(params: readonly Param[]): SQLInputValue[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}
