import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
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
const { accessToken } = await gw.services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['orders:write', 'products:read'] });
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
const bare = new Hono(); bare.get('/healthz', (c) => c.json({ status: 'ok' }));
const srv: any = await new Promise((r) => { const s = serve({ fetch: bare.fetch, hostname: '127.0.0.1', port: 0 }, () => r(s)); });
for (let k = 0; k < 2; k++) {
{ const r: any = await autocannon({ url: `http://127.0.0.1:${srv.address().port}/healthz`, connections: 50, duration: 3 } as never); console.log('bare', r.requests.average); }
for (const path of ['/healthz', '/v1/products/FURN_8888']) {
  const r: any = await autocannon({ url: `${gw.url}${path}`, connections: 50, duration: 3, headers: { authorization: `Bearer ${accessToken}` } } as never);
  console.log(path, r.requests.average, r.non2xx);
}
}
srv.close(); await gw.close(); await sim.close();
