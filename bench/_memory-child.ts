/**
 * The gateway whose memory bench/memory.ts measures, alone in its process (the fake Odoo and the
 * measuring code live in the parent). Starts the real gateway (`startGateway`, SQLite store, its
 * own Odoo client from the configuration) against the parent's fake Odoo, which holds the
 * partners; with `full`, fills the catalog and availability caches with `skus` SKUs (two
 * warehouses each) through `applyEvent`, from JSON-parsed event envelopes as the cache tailer
 * hands them over. Asserts what the caches hold, answers a few cached reads, forces a garbage
 * collection and prints one JSON line: rss, heapUsed, heapTotal, external, cache sizes. `bare`
 * reports Node and the TypeScript loader alone (nothing of the gateway imported).
 *
 *   node --expose-gc --import tsx bench/_memory-child.ts <bare|empty|full> <skus> <min partners> <odoo url> <db> <user> <api key>
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventEnvelope as Envelope } from '../contracts/src/events.js';

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
const { EventEnvelope } = await import('../contracts/src/events.js');
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
  const asOf = new Date().toISOString();
  if (mode === 'full') {
    let eventId = 0;
    const envelope = (type: string, subject: string, data: unknown) =>
      JSON.stringify({ id: `evt-${++eventId}`, source: 'odoo://bench/retail_gateway', specversion: '1.0', type, time: asOf, subject, datacontenttype: 'application/json', sequence: 1, data });
    for (let i = 0; i < SKUS; i++) {
      const productId = 100_000 + i;
      const product = envelope('product.updated', `product.product/${productId}`, {
        product_id: productId,
        template_id: productId,
        sku: sku(i),
        barcode: String(4_000_000_000_000 + i),
        name: `Bench product ${i}`,
        list_price: (10 + (i % 990) + 0.5).toFixed(2),
        currency: 'USD',
        active: true,
        safety_stock: i % 3,
        changed_fields: ['list_price'],
      });
      const events = [product, ...WAREHOUSES.map((warehouse, k) => {
        const onHand = (i + k) % 50;
        const reserved = i % 4;
        return envelope('inventory.changed', `product.product/${productId}`, { product_id: productId, sku: sku(i), warehouse, on_hand: onHand, reserved, safety_stock: i % 3, available: Math.max(0, onHand - reserved - (i % 3)), as_of: asOf });
      })];
      for (const text of events) {
        const parsed = JSON.parse(text) as Envelope;
        if (i < 3) EventEnvelope.parse(parsed); // the envelopes are the contract's
        catalog.applyEvent(parsed);
        availability.applyEvent(parsed);
      }
    }
    // Honest figure: the caches really hold every SKU.
    if (catalog.size !== SKUS) throw new Error(`the catalog cache holds ${catalog.size} variants, expected ${SKUS}`);
    if (availability.size !== SKUS * WAREHOUSES.length) throw new Error(`the availability cache holds ${availability.size} entries, expected ${SKUS * WAREHOUSES.length}`);
    for (const i of [0, SKUS >> 1, SKUS - 1]) if (catalog.peek(sku(i))?.sku !== sku(i)) throw new Error(`${sku(i)} is not in the catalog cache`);

    // A few partner reads, served from the cache (the figures carry the events' as_of).
    const { accessToken } = await services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['inventory:read'] });
    for (const i of [1, 2, SKUS - 2]) {
      const res = await fetch(`${gateway.url}/v1/inventory?sku=${sku(i)}`, { headers: { authorization: `Bearer ${accessToken}` } });
      const body = (await res.json()) as { data: { as_of: string }[] };
      if (res.status !== 200 || body.data.length !== WAREHOUSES.length || body.data.some((a) => a.as_of !== asOf)) {
        throw new Error(`cached read of ${sku(i)}: ${res.status} ${JSON.stringify(body)}`);
      }
    }
  }

  await report({ partners, catalog: catalog.size, availability: availability.size });
} finally {
  await gateway.close();
  rmSync(dataDir, { recursive: true, force: true });
}
