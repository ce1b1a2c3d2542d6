/** A Relay wired to a fake Odoo, a store and a receiver, for the pipeline suites. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../gateway/src/config.js';
import type { EventBus } from '../../../gateway/src/bus/nats.js';
import { createOdooClient, type OdooClient } from '../../../gateway/src/odoo/client.js';
import type { OdooFake } from '../../odoo-fake/index.js';
import { Relay, type RelayOptions } from '../../../gateway/src/relay/relay.js';
import { migrations } from '../../../gateway/src/store/migrations.js';
import { SqliteStore } from '../../../gateway/src/store/sqlite.js';
import type { SqlStore } from '../../../gateway/src/store/store.js';
import { silent } from './fixtures.js';

export interface RelayRig {
  relay: Relay;
  odoo: OdooClient;
  store: SqlStore;
  close(): Promise<void>;
}

export async function relayRig(
  sim: OdooFake,
  options: { env?: Record<string, string>; store?: SqlStore; bus?: EventBus | null; name?: string; now?: () => number; tuning?: RelayOptions['tuning'] } = {},
): Promise<RelayRig> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-relay-rig-'));
  const config = loadConfig({ GATEWAY_DATA_DIR: dir, WEBHOOK_ALLOWED_TARGETS: '127.0.0.1', LOG_LEVEL: 'silent', ...options.env });
  const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger: silent });
  const ownStore = !options.store;
  const store = options.store ?? new SqliteStore(join(dir, 'gateway.sqlite'));
  if (ownStore) await store.migrate(migrations);
  const relay = new Relay({
    config,
    odoo,
    store,
    logger: silent,
    name: options.name,
    now: options.now,
    random: () => 0.5,
    tuning: { maxIdleMs: 50, idlePollMs: 50, reportIntervalMs: 100, ...options.tuning },
    ...(options.bus !== undefined ? { bus: options.bus } : {}),
  });
  return {
    relay,
    odoo,
    store,
    async close() {
      await relay.stop();
      await odoo.close();
      if (ownStore) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SKUs of the active products in the fake's catalog. */
export function simSkus(sim: OdooFake): string[] {
  return sim.state.skus();
}

/**
 * Waits until `check` is true, polling (for background loops; never a timing assertion). The
 * deadline only catches a stuck loop, so it is generous: a busy machine is slow, not wrong.
 */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
