/**
 * Exactly-once under real interleaving: the same Shopify webhook (same X-Shopify-Webhook-Id)
 * delivered 50 times at once yields one intake item, on SQLite and on PostgreSQL, and on two
 * gateway instances (own connection pools, own queues) sharing one PostgreSQL store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/postgres.js';
import { fixture, inboundHarness, opensslHmacBase64, partnerRecord, type Harness } from './support.js';

const SECRET = 'shpss_concurrency_secret';
const records = [partnerRecord('acme', { shopify: [{ secret: SECRET, valid_until: null }] })];
const body = fixture('shopify/orders-create.json');

function delivery(now: number) {
  return {
    'content-type': 'application/json',
    'x-shopify-hmac-sha256': opensslHmacBase64(SECRET, body),
    'x-shopify-topic': 'orders/create',
    'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    'x-shopify-triggered-at': new Date(now).toISOString(),
  };
}

async function deliverConcurrently(targets: Harness[], copies: number) {
  const headers = delivery(targets[0]!.clock.now);
  const responses = await Promise.all(
    Array.from({ length: copies }, (_, i) => targets[i % targets.length]!.post('/webhooks/shopify/acme', body, headers)),
  );
  return Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as { outcome: string; intake_ids: string[] } })));
}

function expectOneItem(results: Array<{ status: number; body: { outcome: string; intake_ids: string[] } }>) {
  expect(results.every((r) => r.status === 200)).toBe(true);
  expect(results.filter((r) => r.body.outcome === 'accepted')).toHaveLength(1);
  expect(results.filter((r) => r.body.outcome === 'duplicate')).toHaveLength(results.length - 1);
  expect(new Set(results.map((r) => r.body.intake_ids.join()))).toEqual(new Set([results[0]!.body.intake_ids.join()]));
}

describe('the same Shopify webhook delivered 50 times concurrently', () => {
  const open: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of open.reverse()) await close();
  });

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`queues exactly one order (${dialect})`, async () => {
      const h = await inboundHarness({ records, dialect });
      open.push(h.close);
      expectOneItem(await deliverConcurrently([h], 50));
      expect(await h.intakeCount('acme')).toBe(1);
    });
  }

  it('queues exactly one order across two gateway instances sharing PostgreSQL', async () => {
    const db = await createTestDatabase('rg_inbound_two');
    open.push(db.drop);
    const a = await inboundHarness({ records, postgresUrl: db.url });
    open.push(a.close);
    const b = await inboundHarness({ records, postgresUrl: db.url });
    open.push(b.close);
    b.clock.now = a.clock.now;
    expectOneItem(await deliverConcurrently([a, b], 50));
    expect(await a.intakeCount('acme')).toBe(1);
    const [row] = await a.store.query<{ n: number }>('SELECT COUNT(*) AS n FROM inbound_webhook_deliveries');
    expect(Number(row!.n)).toBe(1);
  });
});
