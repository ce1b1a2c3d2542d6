/**
 * The ATP promise ledger the configuration asks for: Redis when REDIS_URL is set (replicas share
 * it, one Lua script per operation), else the gateway's store (PostgreSQL shared by replicas, or
 * SQLite for one replica).
 */
import type { Config } from '../config.js';
import type { SqlExecutor, SqlStore } from '../store/store.js';
import type { AtpLedger } from './ledger.js';
import { RedisAtpLedger } from './redis-ledger.js';
import { SqlAtpLedger } from './sql-ledger.js';

export function atpLedgerFromConfig(config: Config, store: SqlStore, groupWrite?: <T>(op: (tx: SqlExecutor) => Promise<T>) => Promise<T>): AtpLedger {
  if (config.redisUrl) return new RedisAtpLedger({ url: config.redisUrl, keyPrefix: config.ops.rateLimitPrefix });
  // On SQLite (one writer) the takes join the intake's group commit; PostgreSQL commits overlap on
  // the server, and grouping takes there would hold their advisory locks for a whole group.
  return store.dialect === 'sqlite' && groupWrite ? new SqlAtpLedger(store, groupWrite) : new SqlAtpLedger(store);
}
