import { execFileSync } from 'node:child_process';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
const bare = new Hono(); bare.post('/v1/orders', async (c) => { const o = await c.req.json<{ external_id: string }>(); return c.json({ id: 'x', external_id: o.external_id }, 202); });
const srv: any = await new Promise((r) => { const s = serve({ fetch: bare.fetch, hostname: '127.0.0.1', port: 0 }, () => r(s)); });
const { randomBytes } = await import('node:crypto'); const { mkdtempSync } = await import('node:fs'); const { tmpdir } = await import('node:os'); const { join } = await import('node:path');
const { loadConfig } = await import('./gateway/src/config.js'); const { createLogger } = await import('./gateway/src/logger.js'); const { createOdooClient } = await import('./gateway/src/odoo/client.js');
const { startOdooSimulator } = await import('./gateway/src/odoo/simulator/index.js'); const { startGateway } = await import('./gateway/src/server.js');
const sim = await startOdooSimulator({});
const config = loadConfig({ GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0', GATEWAY_DATA_DIR: mkdtempSync(join(tmpdir(), 'zz-')), GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent', GATEWAY_RELAY: 'false', GATEWAY_INTAKE_DRAIN: 'false',
  GATEWAY_RATE_LIMIT_TIERS: JSON.stringify({ standard: { rate: 10_000_000, burst: 10_000_000 } }) });
const logger = createLogger('silent');
const gw = await startGateway({ config, odoo: createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger }), logger });
const { accessToken } = await gw.services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['orders:write'] });
const { spawn } = await import('node:child_process');
const runLoad = (url: string, prefix: string, auth?: string) => new Promise<any>((resolve) => { const p = spawn('npx', ['tsx', 'bench/_load.ts', url, prefix, '4', '50', ...(auth ? [auth] : [])]); let out = ''; p.stdout.on('data', (d) => (out += d)); p.on('exit', () => resolve(JSON.parse(out.trim().split('\n').pop()!))); });
for (let k = 0; k < 2; k++) {
  const b = await runLoad(`http://127.0.0.1:${srv.address().port}/v1/orders`, `b${k}`);
  const g = await runLoad(`${gw.url}/v1/orders`, `g${k}`, `Bearer ${accessToken}`);
  console.log('bare', b.rps, 'gateway', g.rps, 'ratio', (g.rps / b.rps).toFixed(3), 'non2xx', g.non2xx, 'accepted', g.accepted.length);
}
srv.close(); await gw.close(); await sim.close();
