/**
 * Load shedding through a whole gateway when Odoo goes down: the circuit opens after consecutive
 * failures, cached availability keeps being served marked stale with its `as_of`, orders are still
 * accepted durably (202) into the intake queue, nothing hangs, and the open circuit shows in the
 * metrics; when Odoo is back the queue drains and the circuit closes.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
let token: string;
const order = () => ({ ...(JSON.parse(readFileSync('contracts/examples/api/order.json', 'utf8')) as Record<string, unknown>), external_id: `SHED-${Date.now()}` });

beforeAll(async () => {
  gw = await startTestGateway({
    env: { ODOO_BREAKER_FAILURES: '2', ODOO_BREAKER_OPEN_MS: '1000', GATEWAY_INVENTORY_FRESHNESS_S: '1', ODOO_TIMEOUT_MS: '2000' },
  });
  token = await gw.token('demo');
});
afterAll(async () => {
  gw?.sim.faults.reset();
  await gw?.close();
});

const availability = async () => {
  const res = await gw.fetch('/v1/inventory?sku=FURN_8888', { token });
  return { status: res.status, body: (await res.json()) as { data: { sku: string; as_of: string; stale: boolean }[] } };
};

describe('load shedding while Odoo is down', () => {
  it('serves stale reads, queues writes, opens the circuit, and recovers', async () => {
    const fresh = await availability();
    expect(fresh.status).toBe(200);
    expect(fresh.body.data.length).toBeGreaterThan(0);
    expect(fresh.body.data.every((a) => !a.stale)).toBe(true);

    gw.sim.faults.down();
    await new Promise((r) => setTimeout(r, 1_100)); // past the 1 s freshness target
    for (let i = 0; i < 3; i++) {
      const read = await availability();
      expect(read.status).toBe(200);
      expect(read.body.data.every((a) => a.stale)).toBe(true);
      expect(read.body.data.map((a) => a.as_of)).toEqual(fresh.body.data.map((a) => a.as_of));
    }
    expect(gw.gateway.services.odooGuard!.circuit().state).toBe('open');

    const submitted = order();
    const write = await gw.fetch('/v1/orders', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json', 'idempotency-key': `k-${submitted.external_id}` },
      body: JSON.stringify(submitted),
    });
    expect(write.status).toBe(202);
    const metrics = await (await gw.fetch('/metrics')).text();
    expect(metrics).toMatch(/^gateway_odoo_circuit_state\{state="open"\} 1$/m);
    expect(metrics).toMatch(/^gateway_odoo_calls_total\{model="[^"]+",method="[^"]+",outcome="network"\} \d+$/m);

    // Odoo comes back: a half-open probe closes the circuit and the queued order reaches Odoo.
    gw.sim.faults.up();
    const location = write.headers.get('location')!;
    await expect
      .poll(async () => ((await (await gw.fetch(location, { token })).json()) as { odoo: { id: number } | null }).odoo !== null, { timeout: 25_000, interval: 250 })
      .toBe(true);
    expect(gw.gateway.services.odooGuard!.circuit().state).toBe('closed');
    expect((await availability()).body.data.every((a) => !a.stale)).toBe(true);
    // The order funnel followed it: received and accepted at the edge, created once Odoo answered.
    const after = await (await gw.fetch('/metrics')).text();
    expect(after).toMatch(/^gateway_orders_received_total\{partner="demo"\} 1$/m);
    expect(after).toMatch(/^gateway_orders_accepted_total\{partner="demo"\} 1$/m);
    expect(after).toMatch(/^gateway_orders_created_total\{partner="demo"\} 1$/m);
  });
});
