/**
 * A connection to the gateway's SQLite file as the store uses it, for the store itself and for
 * every other connection that writes the same file (the intake's writer thread), so their
 * settings cannot drift apart. It imports nothing but `node:sqlite` and the store's types.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Param } from './store.js';

/** A WAL file longer than this is cut back to it when SQLite starts the WAL over. */
export const WAL_FILE_LIMIT = 64 * 1024 * 1024;

/**
 * Opens `path` in WAL mode with synchronous=NORMAL (in WAL mode no sync in the COMMIT: the store
 * syncs the WAL itself, store/wal-flusher.ts), foreign keys on and a 5 s busy timeout. With
 * `walPagesMax`, the WAL's bound: past that many pages the committing connection checkpoints, and
 * a WAL file left longer than `WAL_FILE_LIMIT` is cut back (store/sqlite.ts says why).
 */
export function openSqlite(path: string, walPagesMax?: number): DatabaseSync {
  const db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 5000 });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  if (walPagesMax !== undefined) {
    db.exec(`PRAGMA wal_autocheckpoint = ${walPagesMax}`);
    db.exec(`PRAGMA journal_size_limit = ${WAL_FILE_LIMIT}`);
  }
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
  return db;
}

/** A connection's prepared statements, by SQL (at most 500 kept), run with the store's parameters. */
export class Statements {
  private readonly cache = new Map<string, StatementSync>();

  constructor(private readonly db: DatabaseSync) {}

  all<T>(sql: string, params: readonly Param[]): T[] {
    return this.prepared(sql).all(...bind(params)) as T[];
  }

  run(sql: string, params: readonly Param[]): { changes: number } {
    return { changes: Number(this.prepared(sql).run(...bind(params)).changes) };
  }

  clear(): void {
    this.cache.clear();
  }

  private prepared(sql: string): StatementSync {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, st);
    }
    return st;
  }
}

/** SQLite has no booleans (node:sqlite refuses them): store them as 0/1 like SQLite itself does. */
function bind(params: readonly Param[]): SQLInputValue[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}
