import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useFakeClient } from '../../test/support/fake-client.js';
import { ProductCatalog } from './catalog/products.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { buildServices } from './services.js';
import { SqliteStore } from './store/sqlite.js';

const odoo = useFakeClient();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function config() {
  const dir = mkdtempSync(join(tmpdir(), 'rg-services-'));
  dirs.push(dir);
  return loadConfig({ GATEWAY_DATA_DIR: dir, GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent' });
}

describe('buildServices', () => {
  it('builds every service before any route needs it', async () => {
    const built = await buildServices(config(), { odoo: odoo.odoo, logger: createLogger('silent') });
    try {
      const missing = Object.entries(built.services)
        .filter(([, v]) => v === undefined)
        .map(([k]) => k);
      expect(missing).toEqual([]);
      for (const name of ['rateLimit', 'metrics', 'odooGuard', 'anomalies', 'intake', 'catalog', 'availability', 'inboundWebhooks', 'auth', 'rotations', 'relay'] as const) {
        expect(built.services[name], name).toBeTruthy();
      }
      // No ODOO_URL and no verifier passed: the dashboard sign-in is explicitly not configured.
      expect(built.services.dashboardLogin).toBeNull();
    } finally {
      await built.close();
    }
  });

  it('uses what the overrides pass and leaves a store it did not open open', async () => {
    const cfg = config();
    const store = new SqliteStore(join(cfg.dataDir, 'own.sqlite'));
    const catalog = new ProductCatalog({ odoo: odoo.odoo, ttlMs: 1000 });
    const now = () => 1_700_000_000_000;
    const dashboardLogin = { verify: async () => ({ ok: false as const, reason: 'bad_credentials' as const }) };
    const built = await buildServices(cfg, { odoo: odoo.odoo, store, catalog, now, dashboardLogin, logger: createLogger('silent') });
    expect(built.services.store).toBe(store);
    expect(built.services.catalog).toBe(catalog);
    expect(built.services.now()).toBe(1_700_000_000_000);
    expect(built.services.dashboardLogin).toBe(dashboardLogin);
    built.start();
    await built.close();
    await built.close(); // idempotent
    await expect(store.ping()).resolves.not.toThrow();
    await store.close();
  });
});
