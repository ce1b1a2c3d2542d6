/**
 * Shadow mode: a shadow partner's orders are validated, recorded and judged, never written to Odoo,
 * and the report counts what would have been created, rejected and de-duplicated.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startOdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type FakeOdoo, type TestGateway } from '../support/gateway.js';

/** How long a background step may take before a wait gives up (a stuck run, not a slow one). */
const WAIT_MS = 60_000;

const order = JSON.parse(readFileSync(new URL('../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;

let t: TestGateway;
let token: string;

let sim: FakeOdoo;

beforeAll(async () => {
  // The partner exists before the gateway loads the registry.
  sim = await startOdooFake();
  sim.state.addPartner({ code: 'shadowco', mode: 'shadow', scopes: ['orders:read', 'orders:write', 'products:read'] });
  t = await startTestGateway({ sim });
  token = await t.token('shadowco');
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

const submit = (body: unknown, key: string) =>
  t.fetch('/v1/orders', { method: 'POST', token, headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(body) });

it('records and judges a shadow partner\'s orders without writing to Odoo', async () => {
  const writesBefore = [...t.sim.stats.byMethod].filter(([k]) => /submit_|cancel_|register_|update_|confirm_|apply_|\.create$|\.write$/.test(k)).reduce((s, [, n]) => s + n, 0);
  const good = [1, 2].map((i) => ({ ...order, external_id: `SH-OK-${i}` }));
  const bad = { ...order, external_id: 'SH-BAD-1', lines: [{ sku: 'NOT-IN-CATALOG', quantity: 1, unit_price: '1.00' }] };
  for (const [i, body] of [...good, bad].entries()) expect((await submit(body, `sh-${i}`)).status).toBe(202);
  const dup = await submit(good[0], 'sh-dup');
  expect(dup.status).toBe(202);
  expect(((await dup.json()) as { duplicate: boolean }).duplicate).toBe(true);

  let report: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any -- a JSON body checked with toMatchObject
  for (const until = Date.now() + WAIT_MS; Date.now() < until; ) {
    report = (await (await t.fetch('/v1/shadow/report', { token })).json()) as typeof report;
    if (report.items === 3 && report.pending === 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(report).toMatchObject({ partner: 'shadowco', mode: 'shadow', items: 3, would_create: 2, would_reject: 1, duplicates: 1, pending: 0 });
  expect(report.rejection_reasons).toEqual({ unknown_sku: 1 });
  expect(report.by_kind.order).toMatchObject({ items: 3, would_create: 2, would_reject: 1 });

  expect(t.sim.state.saleOrders({ externalId: 'SH-*' })).toEqual([]);
  const writesAfter = [...t.sim.stats.byMethod].filter(([k]) => /submit_|cancel_|register_|update_|confirm_|apply_|\.create$|\.write$/.test(k)).reduce((s, [, n]) => s + n, 0);
  expect(writesAfter).toBe(writesBefore);

  // The partner still sees its orders, as accepted (never created).
  const location = (await submit(good[1], 'sh-1')).headers.get('location')!;
  const status = (await (await t.fetch(location, { token })).json()) as { state: string; odoo: unknown };
  expect(status).toMatchObject({ state: 'accepted', odoo: null });
});

it('is no business of another partner (their own, empty, live report)', async () => {
  const demo = await t.token('demo');
  const own = (await (await t.fetch('/v1/shadow/report', { token: demo })).json()) as { partner: string; items: number; mode: string };
  expect(own).toMatchObject({ partner: 'demo', items: 0, mode: 'live' });
  const other = await t.fetch('/v1/shadow/report?partner=demo', { token });
  expect(other.status).toBe(403);
});
