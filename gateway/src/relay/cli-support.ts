/** What the relay's commands share: the store and an Odoo client from the configuration. */
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import type { OdooClient } from '../odoo/client.js';
import { odooClientFromConfig } from '../odoo/from-config.js';
import { migrations } from '../store/migrations.js';
import { openMigratedStore } from '../store/open.js';
import type { SqlStore } from '../store/store.js';

export interface CliContext {
  config: Config;
  logger: Logger;
  store: SqlStore;
  odoo: OdooClient;
  close(): Promise<void>;
}

/** Opens the store (migrated) and the Odoo client; null with a message on stderr when Odoo is not configured. */
export async function openCliContext(config: Config, command: string, quiet = true): Promise<CliContext | null> {
  if (!config.odoo) {
    process.stderr.write(`retail-gateway ${command}: ODOO_URL is not set\n`);
    return null;
  }
  const logger = createLogger(quiet && config.logLevel === 'info' ? 'warn' : config.logLevel);
  const store = await openMigratedStore(config, migrations);
  const odoo = odooClientFromConfig(config.odoo, logger);
  return {
    config,
    logger,
    store,
    odoo,
    async close() {
      await odoo.close();
      await store.close();
    },
  };
}

/** A one-line progress bar for a TTY: `[#########-----------]  45% 450/1000 label`. */
export function progressBar(done: number, total: number, label = '', width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${done}/${total}${label ? ` ${label}` : ''}`;
}
