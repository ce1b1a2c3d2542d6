/**
 * Exactly-once across processes: two gateway processes share one PostgreSQL store and one Odoo
 * fake Odoo; the same Shopify orders/create webhook (same X-Shopify-Webhook-Id) is delivered 50
 * times at once, spread over both. Exactly one sale order results.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooFake } from '../odoo-fake/index.js';
import { spawnSharedStoreGateways, type ChildGateway, type SharedStoreGateways } from '../intake/child.js';
import { createTestDatabase } from '../support/postgres.js';
import { fixture, opensslHmacBase64 } from './support.js';

/** How long a background step may take before a wait gives up (a stuck run, not a slow one). */
const WAIT_MS = 60_000;

const SECRET = 'shpss_two_process_secret';
const ORDER_ID = '820982911946154508';
const body = fixture('shopify/orders-create.json')
  .replace('"sku": "SKU2006-001"', '"sku": "FURN_7777"')
  .replace('"sku": "SKU2006-020"', '"sku": "FURN_8888"')
  .replace('"title": "Generic Shipping"', '"title": "Standard delivery"');

let sim: Awaited<ReturnType<typeof startOdooFake>>;
let db: { url: string; drop(): Promise<void> };
const gateways: ChildGateway[] = [];
let shared: SharedStoreGateways | undefined;

beforeAll(async () => {
  sim = await startOdooFake({ cost: { perBatchMs: 30, perOrderMs: 5 } });
  sim.state.addPartner({ code: 'acme', inboundSecrets: { shopify: SECRET } });
  db = await createTestDatabase('rg_inbound_2p');
  shared = await spawnSharedStoreGateways(sim, db.url);
  gateways.push(...shared.gateways);
}, 300_000); // two gateway processes start one after the other

afterAll(async () => {
  await shared?.close();
  await sim?.close();
  await db?.drop();
});

describe('the same Shopify webhook delivered 50 times over two gateway processes', () => {
  it('creates exactly one sale order', async () => {
    const headers = {
      'content-type': 'application/json',
      'x-shopify-hmac-sha256': opensslHmacBase64(SECRET, body),
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'x-shopify-triggered-at': new Date().toISOString(),
    };
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${gateways[i % 2]!.url}/webhooks/shopify/acme`, { method: 'POST', headers, body })));
    const acks = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { outcome: string; intake_ids: string[] } })));
    expect(acks.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(acks.filter((a) => a.body.outcome === 'accepted')).toHaveLength(1);
    expect(new Set(acks.map((a) => a.body.intake_ids.join())).size).toBe(1);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      let settled = false;
      for (const until = Date.now() + WAIT_MS; Date.now() < until && !settled; ) {
        const { rows } = await client.query("SELECT status FROM intake_items WHERE external_id = $1", [ORDER_ID]);
        settled = rows.length > 0 && rows.every((r: { status: string }) => r.status === 'completed' || r.status === 'rejected');
        if (!settled) await new Promise((r) => setTimeout(r, 25));
      }
      const { rows } = await client.query('SELECT status, outcome FROM intake_items WHERE external_id = $1', [ORDER_ID]);
      expect(rows).toEqual([{ status: 'completed', outcome: 'created' }]);
    } finally {
      await client.end();
    }
    expect(sim.state.saleOrders({ externalId: ORDER_ID })).toHaveLength(1);
  });
});
