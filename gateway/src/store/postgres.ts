import pg from 'pg';
import { runCommitHooks, type Migration, type Param, type SqlExecutor, type SqlStore } from './store.js';

/** Rewrites `?` placeholders to `$1…$n`, leaving quoted strings and identifiers alone. */
export function toPgPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

const converted = new Map<string, string>();
function pgSql(sql: string): string {
  let s = converted.get(sql);
  if (s === undefined) {
    s = toPgPlaceholders(sql);
    if (converted.size > 1000) converted.clear();
    converted.set(sql, s);
  }
  return s;
}

/** `hooks`: a transaction's after-commit functions (none: outside a transaction, they run at once). */
function executor(client: pg.Pool | pg.PoolClient, hooks?: (() => void)[]): SqlExecutor {
  return {
    dialect: 'postgres',
    query: async <T>(sql: string, params: readonly Param[] = []) => (await client.query(pgSql(sql), params as unknown[])).rows as T[],
    run: async (sql: string, params: readonly Param[] = []) => ({ changes: (await client.query(pgSql(sql), params as unknown[])).rowCount ?? 0 }),
    afterCommit: (fn) => (hooks ? hooks.push(fn) : fn()),
  };
}



// BIGINT (int8) and NUMERIC come back as strings by default; the store's counters fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

/** PostgreSQL store shared by replicas. `search_path` may be set in the URL (`?options=-c search_path=x`). */
export class PostgresStore implements SqlStore {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly exec: SqlExecutor;

  constructor(url: string, options: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
    this.pool.on('error', () => undefined); // an idle client dropping is retried by the next query
    this.exec = executor(this.pool);
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return this.exec.query<T>(sql, params);
  }

  run(sql: string, params?: readonly Param[]): Promise<{ changes: number }> {
    return this.exec.run(sql, params);
  }

  afterCommit(fn: () => void): void {
    fn();
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const hooks: (() => void)[] = [];
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client, hooks));
      await client.query('COMMIT');
      runCommitHooks(hooks);
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async migrate(migrations: readonly Migration[]): Promise<void> {
    await this.transaction(async (tx) => {
      // One migrator at a time across replicas: a transaction-scoped advisory lock.
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('retail_gateway_migrations'))");
      await tx.run('CREATE TABLE IF NOT EXISTS gateway_migrations (id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)');
      await tx.run('CREATE TABLE IF NOT EXISTS gateway_heartbeat (id TEXT PRIMARY KEY, at TIMESTAMPTZ NOT NULL)');
      const applied = new Set((await tx.query<{ id: string }>('SELECT id FROM gateway_migrations')).map((r) => r.id));
      for (const m of migrations) {
        if (applied.has(m.id)) continue;
        await tx.run(m.postgres);
        await tx.run('INSERT INTO gateway_migrations (id, applied_at) VALUES (?, now())', [m.id]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.exec.run(
      "INSERT INTO gateway_heartbeat (id, at) VALUES (?, now()) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
      [`${process.pid}`],
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
