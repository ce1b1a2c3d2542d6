/**
 * The gateway whose memory bench/memory.ts measures, alone in its process (the fake Odoo and the
 * measuring code live in the parent). Starts the real gateway (`startGateway`, SQLite store, its
 * own Odoo client from the configuration) against the parent's fake Odoo, which holds the
 * partners and, for `full`, the `skus` SKUs (two warehouses each); with `full`, the catalog and
 * availability caches load them from it page by page, as a gateway fills them. (Until `762ae0f`
 * the caches were filled through `applyEvent`; since then an event about an unknown SKU makes
 * the catalog ask Odoo for it, and the figure needs the SKUs in the fake.) Asserts what the caches
 * hold, answers a few cached reads, forces a garbage collection and prints one JSON line: rss,
 * heapUsed, heapTotal, external, cache sizes. `bare` reports Node alone (with the TypeScript
 * loader when run from the sources), nothing of the gateway imported.
 *
 *   node --expose-gc .bench-build/bench/_memory-child.js <bare|empty|full> <skus> <min partners> <odoo url> <db> <user> <api key>
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const [mode, skuArg, partnersArg, url, db, user, apiKey] = process.argv.slice(2);
const SKUS = Number(skuArg);
const MIN_PARTNERS = Number(partnersArg);
const WAREHOUSES = ['EU', 'WH'];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

async function report(extra: Record<string, number>): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await sleep(100);
  }
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, ...extra })}\n`);
}

// `bare`: Node and the TypeScript loader alone, before any of the gateway is imported.
if (mode === 'bare') {
  await report({ partners: 0, catalog: 0, availability: 0 });
  process.exit(0);
}
const { loadConfig } = await import('../gateway/src/config.js');
const { createLogger } = await import('../gateway/src/logger.js');
const { startGateway } = await import('../gateway/src/server.js');

const dataDir = mkdtempSync(join(tmpdir(), 'rg-bench-memory-'));
const config = loadConfig({
  GATEWAY_HOST: '127.0.0.1',
  GATEWAY_PORT: '0',
  GATEWAY_DATA_DIR: dataDir,
  GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'),
  GATEWAY_PUBLIC_URL: 'http://gateway.bench',
  LOG_LEVEL: 'silent',
  GATEWAY_RELAY: 'false',
  ODOO_URL: url!,
  ODOO_DB: db!,
  ODOO_USER: user!,
  ODOO_API_KEY: apiKey!,
});
const gateway = await startGateway({ config, logger: createLogger('silent') });
try {
  const { services } = gateway;
  const partners = services.auth!.partners.all().length;
  if (partners < MIN_PARTNERS) throw new Error(`the partner cache holds ${partners} partners, expected at least ${MIN_PARTNERS}`);
  const catalog = services.catalog!;
  const availability = services.availability!;

  const sku = (i: number) => `BENCH-MEM-${String(i).padStart(6, '0')}`;
  if (mode === 'full') {
    // As a gateway fills them from Odoo: the catalog page by page, the availability snapshot page
    // by page (the fake Odoo holds the bench's SKUs, seeded by bench/memory.ts).
    await catalog.ensureLoaded();
    for await (const page of availability.scan()) if (page.length === 0) break;
    // Honest figure: the caches really hold every SKU.
    if (catalog.size < SKUS) throw new Error(`the catalog cache holds ${catalog.size} variants, expected at least ${SKUS}`);
    if (availability.size < SKUS * WAREHOUSES.length) throw new Error(`the availability cache holds ${availability.size} entries, expected at least ${SKUS * WAREHOUSES.length}`);
    for (const i of [0, SKUS >> 1, SKUS - 1]) if (catalog.peek(sku(i))?.sku !== sku(i)) throw new Error(`${sku(i)} is not in the catalog cache`);

    // A few partner reads, served from the cache.
    const { accessToken } = await services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['inventory:read'] });
    for (const i of [1, 2, SKUS - 2]) {
      const res = await fetch(`${gateway.url}/v1/inventory?sku=${sku(i)}`, { headers: { authorization: `Bearer ${accessToken}` } });
      const body = (await res.json()) as { data: { warehouse: string; stale: boolean }[] };
      if (res.status !== 200 || body.data.length !== WAREHOUSES.length || body.data.some((a) => a.stale)) {
        throw new Error(`cached read of ${sku(i)}: ${res.status} ${JSON.stringify(body)}`);
      }
    }
  }

  await report({ partners, catalog: catalog.size, availability: availability.size });
} finally {
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
}
