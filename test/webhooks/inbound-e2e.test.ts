/**
 * Inbound webhooks through whole gateways over real HTTP, against the fake Odoo: the same
 * Shopify orders/create delivered 50 times concurrently, spread over two gateways that share one
 * PostgreSQL store, creates exactly one sale order; a rotated secret works through the registry.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase } from '../support/postgres.js';
import { fixture, opensslHmacBase64 } from './support.js';

const SECRET = 'shpss_e2e_acme_secret';
const ORDER_ID = '820982911946154508';

/** The documented orders/create payload with the demo catalog's SKUs and carrier. */
const body = fixture('shopify/orders-create.json')
  .replace('"sku": "SKU2006-001"', '"sku": "FURN_7777"')
  .replace('"sku": "SKU2006-020"', '"sku": "FURN_8888"')
  .replace('"title": "Generic Shipping"', '"title": "Standard delivery"');

const headers = (secret = SECRET, webhookId = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043', topic = 'orders/create', payload = body) => ({
  'content-type': 'application/json',
  'x-shopify-hmac-sha256': opensslHmacBase64(secret, payload),
  'x-shopify-topic': topic,
  'x-shopify-webhook-id': webhookId,
  'x-shopify-triggered-at': new Date().toISOString(),
});

describe('inbound Shopify webhooks through two gateways sharing PostgreSQL', () => {
  let a: TestGateway;
  let b: TestGateway;
  let db: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    db = await createTestDatabase('rg_inbound_e2e');
    // Replicas sharing a store share its master key.
    const env = { GATEWAY_STORE_URL: db.url, GATEWAY_MASTER_KEY: randomBytes(32).toString('base64') };
    a = await startTestGateway({ env });
    a.sim.state.addPartner({ code: 'acme', inboundSecrets: { shopify: SECRET } });
    a.sim.state.addPartner({ code: 'globex', inboundSecrets: { shopify: 'shpss_globex_secret' } });
    b = await startTestGateway({ env, sim: a.sim });
    await Promise.all([a.gateway.services.auth!.partners.refresh(), b.gateway.services.auth!.partners.refresh()]);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await db?.drop();
  });

  it('creates exactly one sale order from 50 concurrent deliveries of the same webhook', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => fetch(`${(i % 2 ? b : a).url}/webhooks/shopify/acme`, { method: 'POST', headers: headers(), body })),
    );
    const acks = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { outcome: string; intake_ids: string[] } })));
    expect(acks.map((x) => x.status)).toEqual(Array(50).fill(200));
    expect(acks.filter((x) => x.body.outcome === 'accepted')).toHaveLength(1);
    const [id] = acks[0]!.body.intake_ids;
    expect(acks.every((x) => x.body.intake_ids.join() === id)).toBe(true);

    const item = await a.gateway.services.intake!.waitFor('acme', id!, 60_000);
    expect(item).toMatchObject({ status: 'completed', outcome: 'created' });
    const orders = a.sim.state.saleOrders({ externalId: ORDER_ID });
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ id: item!.odoo!.id, state: 'sale' });
  });

  it('cancels that order from orders/cancelled', async () => {
    const cancelled = fixture('shopify/orders-cancelled.json');
    const res = await fetch(`${a.url}/webhooks/shopify/acme`, { method: 'POST', headers: headers(SECRET, 'cancel-1', 'orders/cancelled', cancelled), body: cancelled });
    expect(res.status).toBe(200);
    const { intake_ids } = (await res.json()) as { intake_ids: string[] };
    const item = await a.gateway.services.intake!.waitFor('acme', intake_ids[0]!, 60_000);
    expect(item?.status).toBe('completed');
    const [order] = a.sim.state.saleOrders({ externalId: ORDER_ID });
    expect(order!.state).toBe('cancel');
  });

  it("refuses acme's signature on globex's URL", async () => {
    const res = await fetch(`${b.url}/webhooks/shopify/globex`, { method: 'POST', headers: headers(SECRET, 'tenant-1'), body });
    expect(res.status).toBe(401);
  });

  it('accepts a secret rotated through the registry, and the previous one during its grace', async () => {
    await a.gateway.services.odoo.rpc('rotate_inbound_secret', { partner: 'acme', provider: 'shopify', secret: 'shpss_e2e_acme_rotated', grace_seconds: 3600 });
    await a.gateway.services.auth!.partners.refresh();
    const probe = '{"id":1,"title":"product"}';
    const send = (secret: string, id: string) =>
      fetch(`${a.url}/webhooks/shopify/acme`, { method: 'POST', headers: headers(secret, id, 'products/update', probe), body: probe });
    expect((await send('shpss_e2e_acme_rotated', 'rot-1')).status).toBe(200);
    expect((await send(SECRET, 'rot-2')).status).toBe(200);
    expect((await send('shpss_never_issued', 'rot-3')).status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${a.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(doc.paths['/webhooks/{provider}/{partner}']).toBeDefined();
  });
});
