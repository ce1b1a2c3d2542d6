/**
 * `npm run demo`: the gateway against the fake of the addon's contract (test/odoo-fake), with a demo
 * partner and zero infrastructure. Refuses to run when ODOO_URL is set: then the real Odoo is the
 * only one the gateway talks to (`npm start`). Not part of the production build or image.
 */
// Loaded first: zod 4 schemas get `.openapi()` only if this ran before they were built.
import '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../gateway/src/config.js';
import { reportStartupFailure } from '../../gateway/src/startup-error.js';
import { createLogger } from '../../gateway/src/logger.js';
import { createOdooClient } from '../../gateway/src/odoo/client.js';
import { startOdooFake } from './index.js';
import { startGateway } from '../../gateway/src/server.js';
import { createOdooLoginVerifier } from '../../gateway/src/odoo/user-login.js';

try {
  const env = { ...process.env };
  if (env.ODOO_URL) {
    process.stderr.write(
      'demo: ODOO_URL is set; the demo only runs against the built-in fake of Odoo. Use `npm start` for a real Odoo' +
        ' (in a shell that pasted a demo\'s `export` block: `unset ODOO_URL GATEWAY_DATA_DIR GATEWAY_MASTER_KEY GATEWAY_PUBLIC_URL` first).\n',
    );
    process.exit(64);
  }
  // The demo keeps its data in a fresh temporary directory unless told otherwise, and makes up an
  // ephemeral master key: nothing it signs or stores outlives it. The directory it made is removed
  // when it exits (Ctrl-C, SIGTERM: the gateway closes its store first, then exits).
  if (!env.GATEWAY_DATA_DIR) {
    const dir = mkdtempSync(join(tmpdir(), 'retail-gateway-demo-'));
    env.GATEWAY_DATA_DIR = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  env.GATEWAY_MASTER_KEY ??= randomBytes(32).toString('base64');
  // GATEWAY_PORT=0 (any free port): pick the port now, so the public URL (the issuer of the demo's
  // tokens, which the commands' own tokens must match) names the port the demo listens on.
  if (env.GATEWAY_PORT === '0' && !env.GATEWAY_PUBLIC_URL) env.GATEWAY_PORT = String(await freePort(env.GATEWAY_HOST || '127.0.0.1'));
  // /metrics wants a bearer token; the demo makes one up and prints it.
  env.GATEWAY_METRICS_TOKEN ??= randomBytes(24).toString('base64url');
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const sim = await startOdooFake({});
  // The operator partner, with the `admin` scope that the published demo partner lacks: what the
  // `retail-gateway` commands (reconcile) act as. Its secret is random and printed nowhere.
  sim.state.addPartner({ code: 'ops', name: 'Operations', scopes: ['admin'], clientSecret: randomBytes(24).toString('base64url') });
  const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger });
  const gateway = await startGateway({ config, odoo, logger, handleSignals: true });
  // Dashboard sign-ins are checked against the fake (user admin / admin).
  gateway.services.dashboardLogin = createOdooLoginVerifier({ url: sim.url, db: sim.db });
  // The URL the demo prints is the issuer of its tokens (RFC 8414 §3.3: the issuer a client
  // discovers from must be exactly the URL it was given): the public URL, by default
  // http://127.0.0.1:<port>, where it listens.
  const base = config.publicUrl;
  // What the `retail-gateway` commands need to work on this demo: the fake Odoo, the store and its key.
  const cliEnv: [string, string][] = [
    ['ODOO_URL', sim.url],
    ['ODOO_DB', sim.db],
    ['ODOO_USER', sim.login],
    ['ODOO_API_KEY', sim.apiKey],
    ['GATEWAY_DATA_DIR', resolve(config.dataDir)],
    ['GATEWAY_MASTER_KEY', env.GATEWAY_MASTER_KEY],
    ['GATEWAY_PUBLIC_URL', config.publicUrl],
  ];
  process.stdout.write(
    [
      '',
      `retail-gateway demo on ${base} (${base === gateway.url ? '' : `listening on ${gateway.url}, `}fake Odoo at ${sim.url}, data in ${config.dataDir})`,
      '',
      'Demo partner: client id "demo", secret "demo-secret", every scope but admin.',
      '',
      `  curl -s ${base}/healthz`,
      `  TOKEN=$(curl -s -u demo:demo-secret -d grant_type=client_credentials ${base}/oauth/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
      `  curl -s -H "Authorization: Bearer $TOKEN" ${base}/v1/products`,
      `  curl -s ${base}/openapi.json | head -c 300`,
      '',
      `Operations dashboard: ${base}/dashboard (Odoo login admin / admin).`,
      `Metrics: curl -s -H ${shellQuote(`Authorization: Bearer ${env.GATEWAY_METRICS_TOKEN}`)} ${base}/metrics`,
      '',
      'The retail-gateway commands (intake, partner, replay, reconcile, rotate, erase-customer) work on this',
      "demo's fake Odoo and store with this environment, in another shell, while the demo runs:",
      '',
      `  export ${cliEnv.map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')}`,
      '  node gateway/bin/retail-gateway.mjs intake status',
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  process.once('exit', () => void sim.close());
} catch (err) {
  // Configuration, port and store problems: one line each and the gateway's exit codes.
  const code = reportStartupFailure(err, 'demo');
  if (code !== undefined) process.exit(code);
  throw err;
}

/** A value as a POSIX shell word: as is when it is plain, else single-quoted. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** A port free on `host` right now. */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
