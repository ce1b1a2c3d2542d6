/**
 * `npm run demo`: the gateway against the fake of the addon's contract (test/odoo-fake), with a demo
 * partner and zero infrastructure. Refuses to run when ODOO_URL is set: then the real Odoo is the
 * only one the gateway talks to (`npm start`). Not part of the production build or image.
 */
// Loaded first: zod 4 schemas get `.openapi()` only if this ran before they were built.
import '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../gateway/src/config.js';
import { createLogger } from '../../gateway/src/logger.js';
import { createOdooClient } from '../../gateway/src/odoo/client.js';
import { startOdooFake } from './index.js';
import { startGateway } from '../../gateway/src/server.js';
import { createOdooLoginVerifier } from '../../gateway/src/odoo/user-login.js';

try {
  const env = { ...process.env };
  if (env.ODOO_URL) {
    process.stderr.write('demo: ODOO_URL is set; the demo only runs against the built-in fake of Odoo. Use `npm start` for a real Odoo.\n');
    process.exit(64);
  }
  // The demo keeps its data in a fresh temporary directory unless told otherwise, and makes up an
  // ephemeral master key: nothing it signs or stores outlives it.
  env.GATEWAY_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'retail-gateway-demo-'));
  env.GATEWAY_MASTER_KEY ??= randomBytes(32).toString('base64');
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const sim = await startOdooFake({});
  const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger });
  const gateway = await startGateway({ config, odoo, logger, handleSignals: true });
  // Dashboard sign-ins are checked against the fake (user admin / admin).
  gateway.services.dashboardLogin = createOdooLoginVerifier({ url: sim.url, db: sim.db });
  const base = gateway.url;
  process.stdout.write(
    [
      '',
      `retail-gateway demo on ${base} (fake Odoo at ${sim.url}, data in ${config.dataDir})`,
      '',
      'Demo partner: client id "demo", secret "demo-secret", every scope.',
      '',
      `  curl -s ${base}/healthz`,
      `  TOKEN=$(curl -s -u demo:demo-secret -d grant_type=client_credentials ${base}/oauth/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
      `  curl -s -H "Authorization: Bearer $TOKEN" ${base}/v1/products`,
      `  curl -s ${base}/openapi.json | head -c 300`,
      '',
      `Operations dashboard: ${base}/dashboard (Odoo login admin / admin). Metrics: ${base}/metrics`,
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  process.once('exit', () => void sim.close());
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`demo: ${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
