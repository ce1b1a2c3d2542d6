/**
 * Relay benchmark (bar 5 of BENCHMARKS.md), measured in one run:
 *
 * 1. Throughput: signed webhook deliveries/s to a local receiver by the relay's delivery engine,
 *    every delivery stored durably (SQLite, the WAL fsynced before the write resolves) before it is sent and its outcome
 *    recorded after, versus a bare loop of undici POSTs signed the same way to the same receiver
 *    (a Pool with as many connections as the relay may use for one endpoint).
 * 2. Latency: commit-to-receipt at a steady 100 events/s against the fake Odoo, through the
 *    whole path: outbox claim → durable delivery → ack → signed POST. p50/p95/p99.
 *
 * Keys: relay_vs_bare_undici, relay_deliveries_per_s, relay_commit_to_receipt_p95_ms.
 * Run alone with `npx tsx bench/relay.ts` (or `--json`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { loadConfig } from '../gateway/src/config.js';
import { createLogger } from '../gateway/src/logger.js';
import { createOdooClient } from '../gateway/src/odoo/client.js';
import { startOdooFake } from '../test/odoo-fake/index.js';
import { DeliveryQueue, type NewDelivery } from '../gateway/src/relay/deliveries.js';
import { createStaticPartnerDirectory } from '../gateway/src/relay/directory.js';
import { Dispatcher } from '../gateway/src/relay/dispatcher.js';
import { Relay } from '../gateway/src/relay/relay.js';
import { migrations } from '../gateway/src/store/migrations.js';
import { SqliteStore } from '../gateway/src/store/sqlite.js';
import { createWebhookSender } from '../gateway/src/webhooks/outbound/sender.js';
import { generateSecret, webhookHeaders } from '../gateway/src/webhooks/outbound/signing.js';
import { createTargetPolicy } from '../gateway/src/webhooks/outbound/target-policy.js';
import { partner } from '../test/relay/support/fixtures.js';
import type { BenchFigure } from './types.js';

const CONNECTIONS = 32;
const IN_FLIGHT = 256;
const silent = createLogger('silent');

/** A ~700-byte `order.created` envelope. */
function envelope(i: number): string {
  return JSON.stringify({
    id: `evt_bench_${i}`,
    source: 'odoo://bench/retail_gateway',
    specversion: '1.0',
    type: 'order.created',
    time: new Date().toISOString(),
    subject: `sale.order/${i}`,
    datacontenttype: 'application/json',
    sequence: 1,
    data: {
      order: { id: i, name: `S${String(i).padStart(5, '0')}` },
      partner: 'bench',
      external_id: `WEB-${i}`,
      channel: 'web',
      currency: 'EUR',
      amount_untaxed: '100.00',
      amount_total: '121.00',
      customer_id: 7,
      lines: [
        { sku: 'SKU-RED-M', quantity: 1, unit_price: '60.00', discount_percent: '0' },
        { sku: 'SKU-BLUE-L', quantity: 2, unit_price: '20.00', discount_percent: '0' },
      ],
    },
  });
}

interface Receiver {
  url: string;
  count: number;
  onCount: ((n: number) => void) | null;
  latencies: number[];
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { url: '', count: 0, onCount: null, latencies: [], server: null as unknown as Server };
  r.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      r.count++;
      if (req.url === '/latency') {
        const body = Buffer.concat(chunks).toString('utf8');
        const m = /"time":"([^"]+)"/.exec(body);
        if (m?.[1]) r.latencies.push(at - Date.parse(m[1]));
      }
      res.writeHead(204).end();
      r.onCount?.(r.count);
    });
  });
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
  return r;
}

const until = (r: Receiver, n: number) =>
  new Promise<void>((resolve) => {
    if (r.count >= n) return resolve();
    r.onCount = (c) => {
      if (c >= n) {
        r.onCount = null;
        resolve();
      }
    };
  });

async function bareUndici(receiver: Receiver, n: number, secret: string): Promise<number> {
  const pool = new Pool(receiver.url, { connections: CONNECTIONS });
  const start = receiver.count;
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const body = envelope(i);
      const headers = webhookHeaders([secret], `evt_bench_${i}`, Math.floor(Date.now() / 1000), body);
      const res = await pool.request({ path: '/hooks', method: 'POST', headers, body });
      await res.body.dump();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  if (receiver.count - start !== n) throw new Error('bare loop lost requests');
  return n / seconds;
}

async function relayEngine(receiver: Receiver, n: number, secret: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-bench-relay-'));
  const store = new SqliteStore(join(dir, 'gateway.sqlite'));
  await store.migrate(migrations);
  const queue = new DeliveryQueue(store, Date.now);
  const directory = createStaticPartnerDirectory([partner('bench', [{ id: 1, url: `${receiver.url}/hooks`, secrets: [secret], event_types: ['order.created'] }])]);
  const sender = createWebhookSender({ policy: createTargetPolicy({ allowed: ['127.0.0.1'] }), connectionsPerOrigin: CONNECTIONS });
  const dispatcher = new Dispatcher({
    queue,
    directory,
    sender,
    logger: silent,
    owner: 'bench',
    now: Date.now,
    concurrencyPerEndpoint: IN_FLIGHT,
    maxInFlight: IN_FLIGHT,
    disableSubscription: async () => undefined,
  });
  const items: NewDelivery[] = Array.from({ length: n }, (_, i) => ({
    eventId: `evt_bench_${i}`,
    source: 'gateway',
    subscriptionId: 1,
    partner: 'bench',
    eventType: 'order.created',
    aggregate: `sale.order/${i}`,
    body: envelope(i),
    eventTimeMs: Date.now(),
  }));
  const start = receiver.count;
  const started = performance.now();
  // Events arrive in claim-sized batches, each stored in one transaction, as the pump does.
  const done = until(receiver, start + n);
  dispatcher.start();
  for (let i = 0; i < n; i += 200) {
    await queue.enqueue(items.slice(i, i + 200));
    dispatcher.wake();
  }
  await done;
  await dispatcher.stop(); // the last outcomes are recorded before the clock stops
  const seconds = (performance.now() - started) / 1000;
  const counts = await queue.counts();
  await sender.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  if (counts.delivered !== n) throw new Error(`relay recorded ${counts.delivered}/${n} deliveries`);
  return n / seconds;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function commitToReceipt(receiver: Receiver, seconds: number, rate: number): Promise<{ p50: number; p95: number; p99: number; events: number }> {
  const sim = await startOdooFake({});
  const dataDir = mkdtempSync(join(tmpdir(), 'rg-bench-relay-lat-'));
  const config = loadConfig({ GATEWAY_DATA_DIR: dataDir, WEBHOOK_ALLOWED_TARGETS: '127.0.0.1', LOG_LEVEL: 'silent' });
  const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, logger: silent });
  const store = new SqliteStore(join(dataDir, 'gateway.sqlite'));
  await store.migrate(migrations);
  await odoo.rpc('create_subscription', { partner: 'demo', url: `${receiver.url}/latency`, event_types: ['product.updated'], active: true });
  const relay = new Relay({ config, odoo, store, logger: silent, bus: null });
  relay.start();
  const skus = sim.state.skus();
  receiver.latencies = [];
  const total = seconds * rate;
  const expected = receiver.count + total;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sim.state.updateProduct(skus[i % skus.length]!, { listPrice: 10 + (i % 90) });
  }
  await Promise.race([until(receiver, expected), new Promise((r) => setTimeout(r, 15_000))]);
  await relay.stop();
  await odoo.close();
  await store.close();
  await sim.close();
  rmSync(dataDir, { recursive: true, force: true });
  const sorted = [...receiver.latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), events: sorted.length };
}

export async function run(): Promise<BenchFigure[]> {
  const n = Number(process.env.BENCH_RELAY_DELIVERIES ?? 20_000);
  const receiver = await startReceiver();
  const secret = generateSecret();
  try {
    // Warm both paths (JIT, sockets) before measuring.
    await bareUndici(receiver, 2_000, secret);
    await relayEngine(receiver, 2_000, secret);
    const bare = await bareUndici(receiver, n, secret);
    const relay = await relayEngine(receiver, n, secret);
    const lat = await commitToReceipt(receiver, Number(process.env.BENCH_RELAY_SECONDS ?? 10), 100);
    const baseline = { name: 'bare undici Pool, signed POSTs', value: bare, unit: 'req/s' };
    return [
      { key: 'relay_vs_bare_undici', value: relay / bare, unit: 'x', baseline, notes: `bar ≥ 0.2; ${n} deliveries, each stored durably (SQLite FULL) before and after sending` },
      { key: 'relay_deliveries_per_s', value: relay, unit: 'deliveries/s', baseline, notes: `${CONNECTIONS} connections, ${IN_FLIGHT} in flight` },
      {
        key: 'relay_commit_to_receipt_p95_ms',
        value: lat.p95,
        unit: 'ms',
        notes: `bar ≤ 1000; steady 100 events/s against the fake Odoo, ${lat.events} events, p50 ${lat.p50} ms, p99 ${lat.p99} ms`,
      },
    ];
  } finally {
    await new Promise<void>((resolve) => (receiver.server.closeAllConnections(), receiver.server.close(() => resolve())));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await run();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(Object.fromEntries(figures.map((f) => [f.key, f])), null, 2)}\n`);
  else
    for (const f of figures) {
      process.stdout.write(`${f.key}: ${f.value.toFixed(f.unit === 'x' ? 3 : 1)} ${f.unit}${f.baseline ? `  (baseline ${f.baseline.name}: ${f.baseline.value.toFixed(0)} ${f.baseline.unit})` : ''}  ${f.notes ?? ''}\n`);
    }
}
