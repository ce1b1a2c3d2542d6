import { join } from 'node:path';
import { StartupError } from '../startup-error.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Migration, SqlStore } from './store.js';

interface StoreOptions {
  storeUrl: string | null;
  dataDir: string;
  storePoolMax?: number;
}

/** The store the configuration asks for: PostgreSQL when a URL is given, else SQLite in the data dir. */
export function openStore(options: StoreOptions): SqlStore {
  return options.storeUrl ? new PostgresStore(options.storeUrl, { max: options.storePoolMax }) : new SqliteStore(join(options.dataDir, 'gateway.sqlite'));
}

/**
 * Opens the store and applies the migrations, as every process does at start-up. A store that
 * cannot be opened (data directory not writable, PostgreSQL unreachable or refusing the login)
 * is a `StartupError` of class `store` naming the variable to look at; any other error is a defect
 * and propagates as it is.
 */
export async function openMigratedStore(options: StoreOptions, migrations: readonly Migration[]): Promise<SqlStore> {
  let store: SqlStore | undefined;
  try {
    store = openStore(options);
    await store.migrate(migrations);
    return store;
  } catch (err) {
    await store?.close().catch(() => undefined);
    throw storeFailure(err, options) ?? err;
  }
}

/** Errors of opening or reaching a store, by `code` (Node, SQLite and PostgreSQL codes). */
const SQLITE_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOENT', 'EEXIST', 'ENOSPC', 'ERR_SQLITE_ERROR']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

function storeFailure(err: unknown, options: StoreOptions): StartupError | undefined {
  const e = err as { code?: string; errcode?: number; message?: string } | null;
  const code = e?.code ?? '';
  const reason = (e?.message ?? String(err)).split('\n')[0]!;
  if (options.storeUrl) {
    // Host, port and database only: the URL may carry a password.
    let where = 'GATEWAY_STORE_URL';
    try {
      const u = new URL(options.storeUrl);
      where = `PostgreSQL at ${u.hostname}:${u.port || '5432'}${u.pathname} (GATEWAY_STORE_URL)`;
    } catch {
      // the configuration checked the URL; keep the variable name
    }
    if (NETWORK_CODES.has(code) || /^(08|28|3D)/.test(code) || /timeout|terminated/i.test(reason)) {
      return new StartupError('store', [`cannot open the store: ${where} is unreachable or refuses the connection (${code || reason})`]);
    }
    return undefined;
  }
  const sqliteCannotOpen = code === 'ERR_SQLITE_ERROR' && /unable to open|readonly|read-only|disk I\/O|permission/i.test(reason);
  if (SQLITE_CODES.has(code) && (code !== 'ERR_SQLITE_ERROR' || sqliteCannotOpen)) {
    const why = sqliteCannotOpen ? reason : `${code}: ${reason.replace(/^[A-Z]+: /, '')}`;
    return new StartupError('store', [`cannot open the store in GATEWAY_DATA_DIR=${options.dataDir}: the directory is not writable (${why})`]);
  }
  return undefined;
}
