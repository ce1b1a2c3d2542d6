import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './gateway/src/config.js';
import { createLogger } from './gateway/src/logger.js';
import { createOdooClient } from './gateway/src/odoo/client.js';
import { startOdooSimulator } from './gateway/src/odoo/simulator/index.js';
import { startGateway } from './gateway/src/server.js';
import order from './contracts/examples/api/order.json' with { type: 'json' };
const sim = await startOdooSimulator({});
const config = loadConfig({ GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0', GATEWAY_DATA_DIR: mkdtempSync(join(tmpdir(), 'zz-')), GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent', GATEWAY_RELAY: 'false', GATEWAY_INTAKE_DRAIN: 'false',
  GATEWAY_RATE_LIMIT_TIERS: JSON.stringify({ standard: { rate: 10_000_000, burst: 10_000_000 } }) });
const logger = createLogger('silent');
const gw = await startGateway({ config, odoo: createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger }), logger });
const { accessToken } = await gw.services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['orders:write'] });
const q: any = gw.services.intake;
for (const path of ['/healthz', '/v1/orders']) {
  const ts: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    const r = await fetch(`${gw.url}${path}`, path === '/healthz' ? {} : { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', 'idempotency-key': `L${i}` }, body: JSON.stringify({ ...order, external_id: `L${i}` }) });
    await r.text();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  console.log(path, 'p50', ts[20]!.toFixed(2), 'p90', ts[36]!.toFixed(2));
}
const t0 = performance.now(); for (let i = 0; i < 40; i++) await q.accept({ partner: 'demo', kind: 'order', externalId: `Z${i}`, payload: { ...order, external_id: `Z${i}` }, requestId: 'r', source: 'api' });
console.log('accept sequential avg ms', ((performance.now() - t0) / 40).toFixed(2));
await gw.close(); await sim.close();
