/**
 * Everything a request handler may use, built once at start-up and passed in (no globals, no
 * `process.env`). Features add their services here as optional members.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { OdooClient } from './odoo/client.js';
import type { OdooMonitor } from './health/odoo-monitor.js';
import type { SqlStore } from './store/store.js';

export interface Services {
  config: Config;
  logger: Logger;
  odoo: OdooClient;
  store: SqlStore;
  odooMonitor: OdooMonitor;
  /** Injectable clock (ms since epoch) so expiry logic is testable without sleeping. */
  now: () => number;
}
