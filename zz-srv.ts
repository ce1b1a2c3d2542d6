import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './gateway/src/config.js';
import { createLogger } from './gateway/src/logger.js';
import { createOdooClient } from './gateway/src/odoo/client.js';
import { startOdooSimulator } from './gateway/src/odoo/simulator/index.js';
import { startGateway } from './gateway/src/server.js';
const sim = await startOdooSimulator({});
const config = loadConfig({ GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0', GATEWAY_DATA_DIR: mkdtempSync(join(tmpdir(), 'zz-')), GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent', GATEWAY_RELAY: 'false', GATEWAY_INTAKE_DRAIN: 'false',
  GATEWAY_RATE_LIMIT_TIERS: JSON.stringify({ standard: { rate: 10_000_000, burst: 10_000_000 } }) });
const logger = createLogger('silent');
const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger });
const gw = await startGateway({ config, odoo, logger });
writeFileSync('/tmp/zz-url', gw.url);
setTimeout(async () => { await gw.close(); await sim.close(); process.exit(0); }, 16000);
