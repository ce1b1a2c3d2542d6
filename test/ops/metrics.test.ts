/**
 * `/metrics` on a whole gateway against the fake Odoo: requests by route, partner and status,
 * Odoo calls by model and method, 429s counted, the circuit and limiter state, the order funnel,
 * and the backlog gauges read from the store at scrape time.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

// One request per 1,000 s after a burst of 3: no refill while the test runs, however slow the machine.
const SMALL = { rate: 0.001, burst: 3 };
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    env: {
      GATEWAY_RATE_LIMIT_TIERS: JSON.stringify({ standard: SMALL, premium: SMALL, internal: SMALL }),
      GATEWAY_METRICS_TOKEN: 'metrics-token-of-the-test-suite',
      GATEWAY_RETURNS_STUCK_AFTER_S: '60',
    },
  });
});
afterAll(async () => {
  await gw?.close();
});

const scrape = async () => {
  const res = await gw.fetch('/metrics', { headers: { authorization: 'Bearer metrics-token-of-the-test-suite' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};

/** The value of one sample, by its exact name and labels in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  it('wants its bearer token when one is configured', async () => {
    for (const res of [await gw.fetch('/metrics'), await gw.fetch('/metrics', { headers: { authorization: 'Bearer wrong-token-of-the-same-length!' } })]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code).toBe('unauthorized');
    }
    // A partner's access token (every scope but admin) is not the metrics token either.
    expect((await gw.fetch('/metrics', { token: await gw.token('demo') })).status).toBe(401);
    expect((await gw.fetch('/metrics', { headers: { authorization: 'Bearer metrics-token-of-the-test-suite' } })).status).toBe(200);
  });

  it('is closed to everyone while no metrics token is configured', async () => {
    const open = await startTestGateway({ env: { GATEWAY_METRICS_TOKEN: '' } });
    try {
      expect(open.config.ops.metricsToken).toBeNull();
      for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: 'Bearer null' }]) {
        const res = await open.fetch('/metrics', { headers });
        expect(res.status).toBe(401);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('unauthorized');
        expect(body.error.message).toContain('GATEWAY_METRICS_TOKEN');
        expect(JSON.stringify(body)).not.toContain('gateway_http_requests_total');
      }
    } finally {
      await open.close();
    }
  });

  it('counts requests by route, partner and status, Odoo calls, and refusals', async () => {
    const token = await gw.token('demo');
    const tier = gw.gateway.services.auth!.partners.get('demo')?.tier ?? 'standard';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await gw.fetch('/v1/products?limit=1', { token })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    const text = await scrape();
    expect(sample(text, 'gateway_http_requests_total', { method: 'GET', route: '/v1/products', partner: 'demo', status: '200' })).toBe(3);
    expect(sample(text, 'gateway_http_requests_total', { route: '/v1/products', partner: 'demo', status: '429' })).toBe(2);
    expect(sample(text, 'gateway_rate_limited_total', { partner: 'demo', policy: `${tier}-read` })).toBe(2);
    expect(sample(text, 'gateway_http_request_duration_seconds_count', { route: '/v1/products', method: 'GET', status_class: '2xx' })).toBe(3);
    expect(sample(text, 'gateway_odoo_calls_total', { model: 'retail_gateway.api', method: 'catalog_page', outcome: 'ok' })).toBeGreaterThanOrEqual(1); // the catalog cache answers the rest
    expect(sample(text, 'gateway_odoo_circuit_state', { state: 'closed' })).toBe(1);
    expect(sample(text, 'gateway_odoo_circuit_state', { state: 'open' })).toBe(0);
    expect(sample(text, 'gateway_rate_limit_backend', { backend: 'memory' })).toBe(1);
    expect(sample(text, 'gateway_odoo_max_in_flight')).toBe(8);
  });

  it('counts the order funnel: received, rejected by reason', async () => {
    const token = await gw.token('demo');
    const res = await gw.fetch('/v1/orders', { method: 'POST', token, headers: { 'content-type': 'application/json', 'idempotency-key': 'metrics-1' }, body: JSON.stringify({ external_id: 'x' }) });
    expect(res.status).toBe(422);
    const text = await scrape();
    expect(sample(text, 'gateway_orders_received_total', { partner: 'demo' })).toBe(1);
    expect(sample(text, 'gateway_orders_rejected_total', { partner: 'demo', reason: 'validation_failed' })).toBe(1);
  });

  it('reads queue depth, lag, dead letters, stale inventory and stuck returns from the store', async () => {
    const store = gw.gateway.services.store;
    const now = Date.now();
    const insert = (id: string, kind: string, status: string, acceptedAt: number) =>
      store.run(
        `INSERT INTO intake_items (id, partner, kind, external_id, dedupe_key, source, request_id, payload, status, next_attempt_at, accepted_at, updated_at)
         VALUES (?, 'acme', ?, ?, ?, 'api', 'r', '{}', ?, ?, ?, ?)`,
        [id, kind, id, id, status, now + 3_600_000, acceptedAt, acceptedAt],
      );
    await insert('cnt_stale', 'stock_count', 'accepted', now - 120_000);
    await insert('ret_stuck', 'return', 'accepted', now - 600_000);
    await insert('cnt_fresh', 'stock_count', 'accepted', now - 1_000);
    await store.run(
      `INSERT INTO webhook_deliveries (event_id, source, subscription_id, partner, event_type, aggregate, body, event_time, status, next_attempt_at, created_at, updated_at)
       VALUES ('evt-dead-metrics', 'gateway', 1, 'acme', 'order.created', 'o', '{}', ?, 'dead', 0, ?, ?)`,
      [now, now, now],
    );
    const text = await scrape();
    expect(sample(text, 'gateway_intake_queue_depth')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'gateway_intake_oldest_age_seconds')).toBeGreaterThanOrEqual(600);
    expect(sample(text, 'gateway_inventory_updates_stale')).toBe(1);
    expect(sample(text, 'gateway_returns_stuck')).toBe(1);
    expect(sample(text, 'gateway_dead_letters')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gateway_deliveries', { outcome: 'dead' })).toBeGreaterThanOrEqual(1);
  });
});
