/**
 * Drain into a real Odoo (`npm run bench -- --live`; ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY
 * and ODOO_ADMIN_LOGIN / ODOO_ADMIN_API_KEY, as for the live tier; skipped without them).
 *
 * - `drain_live_orders_per_s`: the same orders (two lines, a customer among twenty) accepted into
 *   the intake queue and drained by the gateway's drainer (adaptive limit, default bounds) through
 *   the addon's `submit_orders` into confirmed sale orders; orders per second from the first call
 *   to the last answer, every order checked confirmed in Odoo.
 * - `drain_live_vs_naive`: that rate against a naive connector on the same Odoo: one JSON-RPC
 *   `create` and one `action_confirm` per order, one order after the other (customers and products
 *   looked up once beforehand, not timed). `BENCH_LIVE_NAIVE_DB` runs it on another copy of the
 *   same template database (served by the same Odoo), so neither run inherits the other's orders.
 * - `backoffice_read_p95_during_drain_ms`: a back-office user's read (the sale order list: a
 *   `search_read` of 80 orders as the admin over JSON-RPC, one every 100 ms) during the drain,
 *   against the same read on the idle Odoo just before it.
 *
 * Run it on a fresh copy of the template database each time (/work/odoo/copy_db.sh style), so that
 * runs are comparable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adaptiveDrainLimit } from '../gateway/src/intake/adaptive-limit.js';
import { IntakeDrainer } from '../gateway/src/intake/drainer.js';
import { intakeMigrations } from '../gateway/src/intake/migrations.js';
import { IntakeQueue } from '../gateway/src/intake/queue.js';
import { createOdooClient } from '../gateway/src/odoo/client.js';
import { SqliteStore } from '../gateway/src/store/sqlite.js';
import type { BenchFigure } from './types.js';

const env = process.env;
const ORDERS = Number(env.BENCH_LIVE_ORDERS ?? 300);
const NAIVE_ORDERS = Number(env.BENCH_LIVE_NAIVE_ORDERS ?? ORDERS);
const READ_PAUSE_MS = 100;
const SKUS = ['FURN_8888', 'FURN_0001'];

interface Target {
  url: string;
  db: string;
}

/** A minimal JSON-RPC client (`/jsonrpc`, execute_kw): the naive connector and the back-office user. */
class JsonRpc {
  private uid = 0;
  private id = 0;
  constructor(
    private readonly target: Target,
    private readonly login: string,
    private readonly secret: string,
  ) {}

  private async post(service: string, method: string, args: unknown[]): Promise<unknown> {
    const res = await fetch(`${this.target.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: ++this.id, params: { service, method, args } }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { message: string; data?: { message?: string } } };
    if (body.error) throw new Error(`${method}: ${body.error.data?.message ?? body.error.message}`);
    return body.result;
  }

  async login_(): Promise<void> {
    this.uid = (await this.post('common', 'login', [this.target.db, this.login, this.secret])) as number;
    if (!this.uid) throw new Error(`login of ${this.login} refused on ${this.target.db}`);
  }

  exec<T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<T> {
    return this.post('object', 'execute_kw', [this.target.db, this.uid, this.secret, model, method, args, kwargs]) as Promise<T>;
  }
}

const customerOf = (i: number) => ({ email: `bench-buyer-${i % 20}@example.com`, name: `Bench Buyer ${i % 20}` });
const address = { name: 'Bench Buyer', street: '1839 Arbor Way', city: 'Turlock', zip: '95380', country_code: 'US' };
const orderOf = (externalId: string, i: number) => ({
  external_id: externalId,
  channel: 'webshop',
  placed_at: new Date().toISOString(),
  currency: 'USD',
  taxes_included: false,
  customer: customerOf(i),
  billing_address: { ...address, name: customerOf(i).name },
  shipping_address: { ...address, name: customerOf(i).name },
  lines: [
    { sku: SKUS[0]!, quantity: 1, unit_price: '40.00' },
    { sku: SKUS[1]!, quantity: 2, unit_price: '5.10', discount_percent: '10' },
  ],
  payment: { method: 'card' as const, status: 'paid' as const },
});

const p95 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]!;
};

/** The back-office read: the sale order list as the admin sees it. */
const listOrders = (admin: JsonRpc) =>
  admin.exec('sale.order', 'search_read', [[]], { fields: ['name', 'partner_id', 'date_order', 'amount_total', 'state', 'user_id', 'invoice_status'], limit: 80, order: 'date_order desc, id desc' });

/** Reads the list every READ_PAUSE_MS until `until` resolves (at least `min` reads); latencies in ms. */
async function readWhile(admin: JsonRpc, until: Promise<unknown> | null, min: number): Promise<number[]> {
  let done = until === null;
  void until?.finally(() => (done = true));
  const times: number[] = [];
  while (!done || times.length < min) {
    if (until && done) break;
    const started = performance.now();
    await listOrders(admin);
    times.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, READ_PAUSE_MS));
  }
  return times;
}

async function drainRun(target: Target, admin: JsonRpc): Promise<{ perSecond: number; readsIdle: number[]; readsDuring: number[]; calls: number; limits: string }> {
  const odoo = createOdooClient({ url: target.url, db: target.db, user: env.ODOO_USER!, apiKey: env.ODOO_API_KEY });
  const code = `bench-${Date.now().toString(36)}`;
  const [partnerId] = (await admin.exec<number[]>('retail_gateway.partner', 'create', [[{ code, name: `Bench ${code}`, scopes: 'orders:read orders:write', tier: 'internal', mode: 'live' }]])) as [number];
  const dir = mkdtempSync(join(tmpdir(), 'rg-bench-live-'));
  const store = new SqliteStore(join(dir, 'gateway.sqlite'));
  try {
    await store.migrate(intakeMigrations);
    const queue = new IntakeQueue({ store });
    // Warm-up (not timed): the first call loads Odoo's caches for this partner.
    await odoo.rpc('submit_orders', { partner: code, orders: [{ intake_id: 'warm-up', item: orderOf(`${code}-warm`, 0) }] });
    const readsIdle = await readWhile(admin, null, 40);
    const prefix = `${code}-D`;
    await queue.acceptMany(
      Array.from({ length: ORDERS }, (_, i) => ({ partner: code, kind: 'order' as const, externalId: `${prefix}${i}`, payload: orderOf(`${prefix}${i}`, i), requestId: 'bench', source: 'api' as const })),
    );
    const limit = adaptiveDrainLimit({ minInFlight: 1, maxInFlight: 4, minBatchSize: 1, batchSize: 50, targetCallMs: Number(env.BENCH_LIVE_TARGET_CALL_MS ?? 3_000), latencyTolerance: 1.25 });
    const seen: string[] = [];
    const drainer = new IntakeDrainer({
      queue,
      odoo,
      limit,
      onCall: (c) => {
        if (seen.length < 400) seen.push(`${c.size}@${c.inFlight}:${Math.round(c.ms)}`);
      },
    });
    const started = performance.now();
    const drained = drainer.drainUntilIdle();
    const readsDuring = await readWhile(admin, drained, 1);
    const handled = await drained;
    const seconds = (performance.now() - started) / 1000;
    const confirmed = await admin.exec<number>('sale.order', 'search_count', [[['rg_external_id', '=like', `${prefix}%`], ['state', '=', 'sale']]]);
    if (handled !== ORDERS || confirmed !== ORDERS) throw new Error(`drained ${handled}, confirmed ${confirmed} of ${ORDERS}`);
    const snap = limit.snapshot();
    return { perSecond: ORDERS / seconds, readsIdle, readsDuring, calls: drainer.stats.calls, limits: `final limit ${snap.limit}, batch ${snap.batchSize}; calls (size@inFlight:ms) ${seen.slice(0, 12).join(' ')} …` };
  } finally {
    await store.close();
    await odoo.close();
    await admin.exec('retail_gateway.partner', 'write', [[partnerId], { active: false }]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function naiveRun(target: Target, admin: JsonRpc): Promise<number> {
  // Looked up once, not timed: what a connector keeps in its own tables.
  const products = await admin.exec<{ id: number; default_code: string }[]>('product.product', 'search_read', [[['default_code', 'in', SKUS]]], { fields: ['id', 'default_code'] });
  const productId = (sku: string) => products.find((p) => p.default_code === sku)!.id;
  const customers: number[] = [];
  for (let i = 0; i < 20; i++) {
    const c = customerOf(i);
    const found = await admin.exec<number[]>('res.partner', 'search', [[['email', '=', c.email]]], { limit: 1 });
    customers.push(found[0] ?? (await admin.exec<number>('res.partner', 'create', [{ ...c, street: address.street, city: address.city, zip: address.zip }])));
  }
  const prefix = `NAIVE-${Date.now().toString(36)}-`;
  const one = async (ref: string, i: number) => {
    const order = orderOf(ref, i);
    const id = await admin.exec<number>('sale.order', 'create', [
      {
        partner_id: customers[i % 20],
        client_order_ref: ref,
        order_line: order.lines.map((l) => [0, 0, { product_id: productId(l.sku), product_uom_qty: l.quantity, price_unit: Number(l.unit_price), discount: Number(l.discount_percent ?? 0) }]),
      },
    ]);
    await admin.exec('sale.order', 'action_confirm', [[id]]);
  };
  await one(`${prefix}warm`, 0);
  const started = performance.now();
  for (let i = 0; i < NAIVE_ORDERS; i++) await one(`${prefix}${i}`, i);
  const seconds = (performance.now() - started) / 1000;
  const confirmed = await admin.exec<number>('sale.order', 'search_count', [[['client_order_ref', '=like', `${prefix}%`], ['state', '=', 'sale']]]);
  if (confirmed !== NAIVE_ORDERS + 1) throw new Error(`naive: ${confirmed} confirmed of ${NAIVE_ORDERS + 1}`);
  return NAIVE_ORDERS / seconds;
}

export async function run(): Promise<BenchFigure[]> {
  if (!env.ODOO_URL || !env.ODOO_DB || !env.ODOO_USER || !env.ODOO_API_KEY || !env.ODOO_ADMIN_API_KEY) {
    process.stderr.write('live-drain skipped: set ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY and ODOO_ADMIN_API_KEY (a real Odoo with the addon)\n');
    return [];
  }
  const adminLogin = env.ODOO_ADMIN_LOGIN ?? 'admin';
  const drainTarget = { url: env.ODOO_URL, db: env.ODOO_DB };
  const naiveTarget = { url: env.ODOO_URL, db: env.BENCH_LIVE_NAIVE_DB ?? env.ODOO_DB };
  const admin = new JsonRpc(drainTarget, adminLogin, env.ODOO_ADMIN_API_KEY);
  await admin.login_();
  const drain = await drainRun(drainTarget, admin);
  const naiveAdmin = new JsonRpc(naiveTarget, adminLogin, env.ODOO_ADMIN_API_KEY);
  await naiveAdmin.login_();
  const naive = await naiveRun(naiveTarget, naiveAdmin);
  const idleP95 = p95(drain.readsIdle);
  const duringP95 = p95(drain.readsDuring);
  return [
    {
      key: 'drain_live_orders_per_s',
      value: drain.perSecond,
      unit: 'orders/s',
      notes: `${ORDERS} orders into confirmed sale orders on ${drainTarget.db} in ${drain.calls} calls; ${drain.limits}`,
    },
    {
      key: 'drain_live_vs_naive',
      value: drain.perSecond / naive,
      unit: 'ratio',
      baseline: { name: 'naive connector: JSON-RPC create + action_confirm per order, one at a time', value: naive, unit: 'orders/s' },
      notes: `naive run: ${NAIVE_ORDERS} orders on ${naiveTarget.db}`,
    },
    {
      key: 'backoffice_read_p95_during_drain_ms',
      value: duringP95,
      unit: 'ms',
      baseline: { name: 'same read on the idle Odoo, just before', value: idleP95, unit: 'ms' },
      notes: `ratio ${(duringP95 / idleP95).toFixed(2)}; ${drain.readsDuring.length} reads during the drain, ${drain.readsIdle.length} idle; median ${p50(drain.readsDuring).toFixed(0)} vs ${p50(drain.readsIdle).toFixed(0)} ms`,
    },
  ];
}

function p50(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
