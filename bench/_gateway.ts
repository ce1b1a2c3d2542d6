/**
 * A whole gateway in the benchmark's process, on a fake Odoo, with a temporary data dir, silent
 * logs, no relay, and rate-limit tiers so high that the limiter never refuses: a bench measures
 * the limiter's cost, not its refusals.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../gateway/src/config.js';
import { createLogger } from '../gateway/src/logger.js';
import { createOdooClient } from '../gateway/src/odoo/client.js';
import type { startOdooFake } from '../test/odoo-fake/index.js';
import { startGateway, type RunningGateway } from '../gateway/src/server.js';

const UNLIMITED = { rate: 10_000_000, burst: 10_000_000 };
export const UNLIMITED_TIERS = JSON.stringify({ standard: UNLIMITED, premium: UNLIMITED, internal: UNLIMITED });

export interface BenchGateway {
  gateway: RunningGateway;
  /** Stops the gateway and removes its data dir (the fake Odoo is the caller's). */
  close(): Promise<void>;
}

export async function startBenchGateway(sim: Awaited<ReturnType<typeof startOdooFake>>, env: Record<string, string> = {}): Promise<BenchGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rg-bench-'));
  const config = loadConfig({
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: '0',
    GATEWAY_DATA_DIR: dataDir,
    GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'),
    GATEWAY_PUBLIC_URL: 'http://gateway.bench',
    LOG_LEVEL: 'silent',
    GATEWAY_RELAY: 'false',
    GATEWAY_RATE_LIMIT_TIERS: UNLIMITED_TIERS,
    ...env,
  });
  const logger = createLogger('silent');
  const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger });
  const gateway = await startGateway({ config, odoo, logger });
  return {
    gateway,
    async close() {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
