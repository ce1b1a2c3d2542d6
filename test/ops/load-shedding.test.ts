/**
 * Load shedding through a whole gateway when Odoo goes down: the circuit opens after consecutive
 * failures, cached availability keeps being served marked stale with its `as_of`, orders are still
 * accepted durably (202) into the intake queue, nothing hangs, and the open circuit shows in the
 * metrics; when Odoo is back the queue drains and the circuit closes.
 *
 * The breaker runs on a clock the test moves: the circuit stays open (whatever the machine's
 * speed) until the test lets its open period pass, after Odoo is back.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const OPEN_MS = 60_000;
// Long enough that a refresh on a busy machine is not already stale when it is served.
const FRESHNESS_S = 5;
let gw: TestGateway;
let token: string;
/** How far the breaker's clock is ahead of the wall clock. */
let skewMs = 0;
const order = () => ({ ...(JSON.parse(readFileSync('contracts/examples/api/order.json', 'utf8')) as Record<string, unknown>), external_id: `SHED-${Date.now()}` });

beforeAll(async () => {
  gw = await startTestGateway({
    env: { ODOO_BREAKER_FAILURES: '2', ODOO_BREAKER_OPEN_MS: String(OPEN_MS), GATEWAY_INVENTORY_FRESHNESS_S: String(FRESHNESS_S), ODOO_TIMEOUT_MS: '2000' },
    breakerClock: () => Date.now() + skewMs,
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
    // Past the freshness target the cached figures are refreshed, which fails: served stale.
    await expect.poll(async () => (await availability()).body.data.every((a) => a.stale), { timeout: FRESHNESS_S * 1000 + 30_000, interval: 250 }).toBe(true);
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
    const metrics = await gw.metrics();
    expect(metrics).toMatch(/^gateway_odoo_circuit_state\{state="open"\} 1$/m);
    expect(metrics).toMatch(/^gateway_odoo_calls_total\{model="[^"]+",method="[^"]+",outcome="network"\} \d+$/m);

    // Odoo comes back and the open period passes: a half-open probe closes the circuit and the
    // queued order reaches Odoo.
    gw.sim.faults.up();
    expect(gw.gateway.services.odooGuard!.circuit().state).toBe('open');
    const location = write.headers.get('location')!;
    await expect
      .poll(
        async () => {
          // The open period passes (again, should a probe on a busy machine have failed).
          if (gw.gateway.services.odooGuard!.circuit().state === 'open') skewMs += OPEN_MS;
          return ((await (await gw.fetch(location, { token })).json()) as { odoo: { id: number } | null }).odoo !== null;
        },
        { timeout: 60_000, interval: 250 },
      )
      .toBe(true);
    expect(gw.gateway.services.odooGuard!.circuit().state).toBe('closed');
    expect((await availability()).body.data.every((a) => !a.stale)).toBe(true);
    // The order funnel followed it: received and accepted at the edge, created once Odoo answered.
    const after = await gw.metrics();
    expect(after).toMatch(/^gateway_orders_received_total\{partner="demo"\} 1$/m);
    expect(after).toMatch(/^gateway_orders_accepted_total\{partner="demo"\} 1$/m);
    expect(after).toMatch(/^gateway_orders_created_total\{partner="demo"\} 1$/m);
  }, 120_000);
});
