import { join } from 'node:path';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { SqlStore } from './store.js';

/** The store the configuration asks for: PostgreSQL when a URL is given, else SQLite in the data dir. */
export function openStore(options: { storeUrl: string | null; dataDir: string; storePoolMax?: number }): SqlStore {
  return options.storeUrl ? new PostgresStore(options.storeUrl, { max: options.storePoolMax }) : new SqliteStore(join(options.dataDir, 'gateway.sqlite'));
}
