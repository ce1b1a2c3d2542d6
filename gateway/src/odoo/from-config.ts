import type { Logger } from 'pino';
import type { OdooConfig } from '../config.js';
import { createOdooClient, type OdooClient, type OdooClientOptions } from './client.js';

/** The Odoo client the configuration describes; the server and every CLI command build it here. */
export function odooClientFromConfig(odoo: OdooConfig, logger: Logger, extra: Partial<OdooClientOptions> = {}): OdooClient {
  return createOdooClient({
    url: odoo.url,
    db: odoo.db,
    user: odoo.user,
    apiKey: odoo.apiKey ?? undefined,
    password: odoo.password ?? undefined,
    transport: odoo.transport,
    maxConnections: odoo.maxConnections,
    timeouts: { callMs: odoo.timeoutMs },
    logger,
    ...extra,
  });
}
