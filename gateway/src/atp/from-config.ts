/**
 * The ATP promise ledger the configuration asks for: Redis when REDIS_URL is set (replicas share
 * it, one Lua script per operation), else the gateway's store (PostgreSQL shared by replicas, or
 * SQLite for one replica).
 */
import type { Config } from '../config.js';
import type { SqlStore } from '../store/store.js';
import type { AtpLedger } from './ledger.js';
import { RedisAtpLedger } from './redis-ledger.js';
import { SqlAtpLedger } from './sql-ledger.js';

export function atpLedgerFromConfig(config: Config, store: SqlStore): AtpLedger {
  if (config.redisUrl) return new RedisAtpLedger({ url: config.redisUrl, keyPrefix: config.ops.rateLimitPrefix });
  return new SqlAtpLedger(store);
}
