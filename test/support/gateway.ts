/**
 * Starts a whole gateway on port 0 against a fresh fake Odoo, with a temporary data dir.
 * Suites use it to test through real HTTP, tokens included.
 */
import '@hono/zod-openapi';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../gateway/src/config.js';
import { createLogger, type Logger } from '../../gateway/src/logger.js';
import { createOdooClient } from '../../gateway/src/odoo/client.js';
import { startOdooFake } from '../odoo-fake/index.js';
import { startGateway, type RunningGateway } from '../../gateway/src/server.js';

/** The `/metrics` bearer token of every test gateway (`GATEWAY_METRICS_TOKEN: ''` for none). */
export const TEST_METRICS_TOKEN = 'metrics-token-of-the-test-gateway';

/** PostgreSQL connections a test gateway holds at most. */
export const TEST_STORE_POOL_MAX = '4';

export type FakeOdoo = Awaited<ReturnType<typeof startOdooFake>>;

export interface TestGatewayOptions {
  /** Extra environment for the gateway's config (GATEWAY_STORE_URL, REDIS_URL, …). */
  env?: Record<string, string>;
  /** Options for the fake Odoo (cost model, …). */
  fake?: Parameters<typeof startOdooFake>[0];
  /** Reuse a running fake Odoo (e.g. two gateways on one Odoo). */
  sim?: FakeOdoo;
  /** Clock of the Odoo circuit breaker, so a suite decides when an open circuit may probe again. */
  breakerClock?: () => number;
  /** The gateway's logger (a suite that reads the log lines passes one writing to a stream). */
  logger?: Logger;
}

export interface TestGateway {
  url: string;
  sim: FakeOdoo;
  gateway: RunningGateway;
  config: Config;
  /** A bearer token from `POST /oauth/token` (client_secret_basic). */
  token(clientId?: string, secret?: string, scope?: string): Promise<string>;
  /** `GET /metrics` with the test gateway's metrics token: the Prometheus text. */
  metrics(): Promise<string>;
  /** fetch against the gateway with a bearer token. */
  fetch(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const ownSim = !options.sim;
  const sim = options.sim ?? (await startOdooFake(options.fake ?? {}));
  const dataDir = mkdtempSync(join(tmpdir(), 'rg-test-'));
  const config = loadConfig({
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: '0',
    GATEWAY_DATA_DIR: dataDir,
    GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    GATEWAY_SHUTDOWN_TIMEOUT_MS: '2000',
    // Suites fetch many tokens from 127.0.0.1; the token endpoint's 10/min limit has its own tests.
    GATEWAY_TOKEN_RATE_PER_MIN: '10000',
    // Suites on PostgreSQL start several gateways, and two test runs may share the server: a
    // small pool each keeps them all within its max_connections.
    GATEWAY_STORE_POOL_MAX: TEST_STORE_POOL_MAX,
    // fetch keeps idle connections 4 s (the server's 5 s hint less 1 s): when a busy machine
    // stalls the test process past both, a request written on the idle connection meets the
    // server closing it (ECONNRESET). With a longer server timeout the client always closes first.
    GATEWAY_KEEPALIVE_TIMEOUT_MS: '30000',
    GATEWAY_METRICS_TOKEN: TEST_METRICS_TOKEN,
    ...options.env,
  });
  const logger = options.logger ?? createLogger(config.logLevel);
  const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger });
  const gateway = await startGateway({ config, odoo, logger, overrides: { breakerClock: options.breakerClock } });
  const url = gateway.url;
  const token = async (clientId = 'demo', secret = `${clientId}-secret`, scope?: string) => {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) body.set('scope', scope);
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body,
    });
    if (!res.ok) throw new Error(`token for ${clientId}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  return {
    url,
    sim,
    gateway,
    config,
    token,
    metrics: async () => {
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${config.ops.metricsToken ?? ''}` } });
      if (!res.ok) throw new Error(`/metrics: ${res.status} ${await res.text()}`);
      return res.text();
    },
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (init.token) headers.set('authorization', `Bearer ${init.token}`);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    close: async () => {
      await gateway.close();
      if (ownSim) await sim.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
