/**
 * Burst intake, in one run (wrk, `bench/orders.lua`, one thread, 50 connections, loopback):
 *
 * - baseline: a bare Hono handler on @hono/node-server that parses the same JSON order body and
 *   answers 202; interleaved rounds of `BENCH_INTAKE_ROUND_S` (default 2) seconds each for every
 *   server, best of each side;
 * - `intake_orders_per_s`: `POST /v1/orders` through the whole gateway (token check, rate limiter
 *   set never to refuse, ownership guard, contract validation, Idempotency-Key, durable accept in
 *   SQLite WAL, group commit, the WAL fsynced before the 202; the order lane),
 *   each request a new order and a new key;
 * - `intake_vs_hono_post`: the ratio.
 * - `intake_event_loop_only_vs_hono_post`: the same burst against a gateway without the intake's
 *   writer thread (`GATEWAY_WRITER_THREAD=false`; the default, `auto`, runs it with 2 CPUs or
 *   more), in the same rounds, the two gateways' order swapped every round.
 *
 * Each server is first warmed by `BENCH_WARM_S` (default 2) seconds of its load. Then the queue is
 * drained into the fake Odoo and every 202 of the rounds is checked: each is exactly one sale order
 * (zero lost, zero duplicated). wrk must be installed (Debian: `apt-get install wrk`).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { IntakeDrainer } from '../gateway/src/intake/drainer.js';
import { startOdooFake } from '../test/odoo-fake/index.js';
import { busyCpu, eventLoopCpuUs, idleCpuPerSecond } from './_cpu.js';
import { startBenchGateway } from './_gateway.js';
import type { BenchFigure } from './types.js';

const CONNECTIONS = 50;
/** Interleaved rounds, best of each side: the machines are shared, and a spike should not decide the ratio. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/**
 * Seconds of each measured round, the same for every server. Short, because every order accepted
 * is then drained into the fake Odoo to check it was created exactly once, and the fake's searches
 * grow with the number of orders it holds.
 */
const ROUND_S = Number(process.env.BENCH_INTAKE_ROUND_S ?? 2);
/** Seconds of warm-up load on each server before the rounds (its orders are drained and checked too). */
const WARM_S = Number(process.env.BENCH_WARM_S ?? 2);

async function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{ url: string; server: ServerType }> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface Load {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  accepted: string[];
}

interface Measured extends Load {
  /** This process's CPU time per answered request, less what it spends idle over the same time. */
  cpuUs: number;
}

/** CPU µs per wall-clock second this process spends with no load (timers, the fake Odoo): subtracted from each load. */
let idleCpuPerS = 0;

/** A load with the server's CPU time per request it answered (bench/_cpu.ts). */
async function measured(run: () => Promise<Load>, served: (r: Load) => number): Promise<Measured> {
  const { result: r, busyUs } = await busyCpu(run, idleCpuPerS);
  return { ...r, cpuUs: busyUs / Math.max(1, served(r)) };
}

/** The golden order, compact, split around its external id (which each request replaces). */
function orderAround(): { before: string; after: string } {
  const order = JSON.stringify(JSON.parse(readFileSync(new URL('../contracts/examples/api/order.json', import.meta.url), 'utf8')) as object);
  const id = (JSON.parse(order) as { external_id: string }).external_id;
  const marker = `"external_id":${JSON.stringify(id)}`;
  const at = order.indexOf(marker);
  if (at < 0 || order.indexOf(marker, at + 1) >= 0) throw new Error('the golden order must name its external id once');
  return { before: order.slice(0, at) + '"external_id":"', after: order.slice(at + marker.length - 1) };
}
const ORDER = orderAround();
/** wrk's script. It is not compiled: a compiled bench (`.bench-build/bench/`) reads it from the sources. */
const SCRIPT = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../bench/orders.lua' : './orders.lua', import.meta.url));

/**
 * One load run from wrk (`bench/orders.lua`), in a process of its own: each request a new order
 * and a new key. wrk rather than a JavaScript generator: on two cores, a generator that builds each
 * body and parses each answer in JavaScript takes the core the gateway's writer thread, fsync pool
 * and V8 helpers would use, where the single-threaded bare handler leaves it idle (measured:
 * docs/performance.md, eighth pass).
 */
function load(url: string, prefix: string, seconds: number, authorization?: string): Promise<Load> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '30s', '-s', SCRIPT, url, '--', prefix, ORDER.before, ORDER.after, authorization ?? ''], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error('wrk is not installed: the intake bench generates its load with it (Debian: apt-get install wrk)') : err),
    );
    child.once('exit', (code) => {
      const line = out
        .trim()
        .split('\n')
        .findLast((l) => l.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`wrk exited with ${code}`));
      else resolve(JSON.parse(line) as Load);
    });
  });
}

export async function run(): Promise<BenchFigure[]> {
  const sim = await startOdooFake({});
  // The burst is measured alone; the drain follows.
  const bench = await startBenchGateway(sim, { GATEWAY_INTAKE_DRAIN: 'false' });
  const loopOnly = await startBenchGateway(sim, { GATEWAY_INTAKE_DRAIN: 'false', GATEWAY_WRITER_THREAD: 'false' });
  const gateway = bench.gateway;
  const servers: ServerType[] = [];
  try {
    const { accessToken } = await gateway.services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['orders:write'] });
    const loopOnlyBearer = `Bearer ${(await loopOnly.gateway.services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['orders:write'] })).accessToken}`;

    let bareServed = 0;
    const bare = new Hono();
    bare.post('/v1/orders', async (c) => {
      bareServed++;
      const order = await c.req.json<{ external_id: string }>();
      return c.json({ id: 'ord_x', external_id: order.external_id, status: 'accepted' }, 202);
    });
    const bareSrv = await listen(bare.fetch);
    servers.push(bareSrv.server);

    const run = `B${Date.now().toString(36)}`;
    const bearerHeader = `Bearer ${accessToken}`;
    // Every server is warmed by the same load for the same time before its rounds (the bare handler
    // had 1 s, the gateways 300 orders): a gateway has far more code for V8 to compile. Measured
    // after a 300-order warm-up, V8's helper threads took 43–77 µs of CPU an order over the next
    // 6,000 orders, 3–23 from the 15,000th on (docs/performance.md, eighth pass).
    await load(`${bareSrv.url}/v1/orders`, `${run}-warm-bare`, WARM_S);
    await load(`${gateway.url}/v1/orders`, `${run}-warm`, WARM_S, bearerHeader);
    await load(`${loopOnly.gateway.url}/v1/orders`, `${run}-lwarm`, WARM_S, loopOnlyBearer);
    // The warm-up's burst starts the default gateway's writer thread (when it has one): measured once it serves.
    const writer = gateway.services.intake!.writer;
    for (let i = 0; writer && !writer.serving; i++) {
      if (i > 600) throw new Error('the writer thread did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    idleCpuPerS = await idleCpuPerSecond();
    let hono: Measured | null = null;
    let intake: (Measured & { loopUs: number }) | null = null;
    let withoutThread: (Measured & { loopUs: number }) | null = null;
    const accepted: string[] = [];
    const burst = async (url: string, prefix: string, authorization: string) => {
      const loop0 = eventLoopCpuUs();
      const r = await measured(() => load(`${url}/v1/orders`, prefix, ROUND_S, authorization), (x) => x.accepted.length);
      return { ...r, loopUs: (eventLoopCpuUs() - loop0) / Math.max(1, r.accepted.length) };
    };
    for (let round = 0; round < ROUNDS; round++) {
      const bareBefore = bareServed;
      const h = await measured(() => load(`${bareSrv.url}/v1/orders`, `${run}-bare${round}`, ROUND_S), () => bareServed - bareBefore);
      // Which gateway goes first alternates, so neither always follows the same load.
      const sides = [() => burst(gateway.url, `${run}-m${round}`, bearerHeader), () => burst(loopOnly.gateway.url, `${run}-m${round}l`, loopOnlyBearer)];
      const [first, second] = round % 2 === 0 ? sides : [...sides].reverse();
      const a = await first!();
      const b = await second!();
      const [g, l] = round % 2 === 0 ? [a, b] : [b, a];
      if (h.errors || h.non2xx) throw new Error(`bare Hono: ${h.errors} errors, ${h.non2xx} non-2xx`);
      for (const [what, r] of [['intake', g], ['intake (event loop only)', l]] as const) {
        if (r.errors || r.non2xx) throw new Error(`${what}: ${r.errors} errors, ${r.non2xx} non-2xx`);
      }
      accepted.push(...g.accepted, ...l.accepted);
      if (!hono || h.rps > hono.rps) hono = h;
      if (!intake || g.rps > intake.rps) intake = g;
      if (!withoutThread || l.rps > withoutThread.rps) withoutThread = l;
    }
    if (!hono || !intake || !withoutThread) throw new Error('no rounds');

    // Drain everything (warm-ups included) and check every measured 202 is one sale order.
    for (const g of [gateway, loopOnly.gateway]) {
      const drainer = new IntakeDrainer({ queue: g.services.intake!, odoo: g.services.odoo, batchSize: 200, maxInFlight: 4 });
      await drainer.drainUntilIdle();
      const depth = await g.services.intake!.depth();
      if (depth.accepted || depth.processing || depth.failed) throw new Error(`after the drain: queue ${JSON.stringify(depth)}`);
    }
    const counts = new Map<string, number>();
    for (const r of sim.state.saleOrders({ externalId: `${run}-m*` })) {
      counts.set(String(r.externalId), (counts.get(String(r.externalId)) ?? 0) + 1);
    }
    const lost = accepted.filter((e) => !counts.has(e)).length;
    const duplicated = [...counts.values()].filter((n) => n > 1).length;
    if (lost || duplicated) throw new Error(`after the drain: ${lost} lost, ${duplicated} duplicated`);

    const baseline = { name: 'bare Hono parsing the same JSON body, answering 202', value: hono.rps, unit: 'req/s' };
    const bareCpu = `bare ${hono.cpuUs.toFixed(0)} µs/req; idle ${(idleCpuPerS / 1000).toFixed(0)} ms/s subtracted`;
    const checked = `${accepted.length} accepted (both gateways), 0 lost, 0 duplicated after the drain`;
    const thread = writer ? `the writer thread on (${availableParallelism()} CPUs)` : `no writer thread (${availableParallelism()} CPU)`;
    const notes = `p99 ${intake.p99} ms (bare ${hono.p99} ms); CPU ${intake.cpuUs.toFixed(0)} µs/order, ${intake.loopUs.toFixed(0)} of it on the event loop (${bareCpu}); ${thread}; ${checked}`;
    const loopNotes = `${withoutThread.rps} orders/s, p99 ${withoutThread.p99} ms; CPU ${withoutThread.cpuUs.toFixed(0)} µs/order, ${withoutThread.loopUs.toFixed(0)} of it on the event loop (${bareCpu}); GATEWAY_WRITER_THREAD=false; ${checked}`;
    return [
      { key: 'intake_orders_per_s', value: intake.rps, unit: 'orders/s', notes: `durable (SQLite WAL, group commit, the WAL fsynced before the 202); ${notes}` },
      { key: 'intake_vs_hono_post', value: intake.rps / hono.rps, unit: 'ratio', baseline, notes },
      { key: 'intake_event_loop_only_vs_hono_post', value: withoutThread.rps / hono.rps, unit: 'ratio', baseline, notes: loopNotes },
    ];
  } finally {
    for (const s of servers) await new Promise((r) => s.close(r));
    await loopOnly.close();
    await bench.close();
    await sim.close();
  }
}
