/**
 * The Redis limiter against the real Redis on 127.0.0.1:6379: two processes share one budget and
 * together are allowed exactly that budget, taking turns or at once; with Redis unreachable the
 * limiter falls back, logs once and counts every fallback decision.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisRateLimiter } from '../../gateway/src/rate-limit/redis.js';
import { GatewayMetrics } from '../../gateway/src/metrics/registry.js';
import { deleteRedisKeys, REDIS_URL } from '../support/redis.js';

const prefix = `rg-test:${randomBytes(6).toString('hex')}:`;

afterAll(async () => {
  await deleteRedisKeys(prefix);
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A limiter-worker child process, driven line by line. */
class Replica {
  private readonly lines: string[] = [];
  private waiting: (() => void) | null = null;
  private exited: string | null = null;
  readonly child: ChildProcessWithoutNullStreams;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'test/ops/fixtures/limiter-worker.ts'], { env });
    let stderr = '';
    this.child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.waiting?.();
    });
    this.child.on('exit', (code) => {
      this.exited = `limiter worker exited (${code}): ${stderr}`;
      this.waiting?.();
    });
  }

  /** The next line the worker prints (generous deadline: start-up on a busy machine is slow). */
  async next(deadlineMs = 60_000): Promise<string> {
    const until = Date.now() + deadlineMs;
    while (this.lines.length === 0) {
      if (this.exited) throw new Error(this.exited);
      if (Date.now() > until) throw new Error('limiter worker: no answer before the deadline');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 1_000).unref();
      });
      this.waiting = null;
    }
    return this.lines.shift()!;
  }

  async consume(key: string, n: number, concurrency: number): Promise<{ allowed: number; refused: number; fallbacks: number }> {
    this.child.stdin.write(`consume ${key} ${n} ${concurrency}\n`);
    return JSON.parse(await this.next()) as { allowed: number; refused: number; fallbacks: number };
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

describe('Redis rate limiter', () => {
  it('holds two processes to one shared budget: together they get the burst, exactly', async () => {
    // One token an hour: no refill while the test runs, so the shared budget is exactly the burst
    // however long the machine takes.
    const burst = 400;
    const env = { ...process.env, REDIS_URL, PREFIX: prefix, RATE: '1', WINDOW_MS: '3600000', BURST: String(burst) };
    const a = new Replica(env);
    const b = new Replica(env);
    try {
      expect(await a.next()).toBe('ready');
      expect(await b.next()).toBe('ready');
      // Taking turns: what one replica used, the other cannot use again.
      expect(await a.consume('turns', 150, 1)).toEqual({ allowed: 150, refused: 0, fallbacks: 0 });
      expect(await b.consume('turns', 150, 1)).toEqual({ allowed: 150, refused: 0, fallbacks: 0 });
      expect(await a.consume('turns', 150, 1)).toEqual({ allowed: 100, refused: 50, fallbacks: 0 });
      expect(await b.consume('turns', 50, 1)).toEqual({ allowed: 0, refused: 50, fallbacks: 0 });
      // Contended: both replicas at once, 16 decisions in flight each; still exactly the burst.
      const [x, y] = await Promise.all([a.consume('contended', 600, 16), b.consume('contended', 600, 16)]);
      console.info(`contended: replica a allowed ${x.allowed}, replica b allowed ${y.allowed}`);
      expect(x.fallbacks + y.fallbacks).toBe(0);
      expect(x.allowed + y.allowed).toBe(burst);
      expect(x.refused + y.refused).toBe(1_200 - burst);
    } finally {
      a.close();
      b.close();
    }
  }, 120_000);

  it('falls back to local limits when Redis is unreachable, logs once and counts it', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
    const metrics = new GatewayMetrics({ processMetrics: false });
    const port = await closedPort();
    const limiter = new RedisRateLimiter({ url: `redis://127.0.0.1:${port}`, keyPrefix: prefix, logger, onFallback: () => metrics.rateLimitFallback.inc() });
    expect(await limiter.ready(300)).toBe(false);
    // One token an hour: a stall on a busy machine cannot refill the bucket mid-test.
    const policy = { name: 'standard-read', rate: 1, windowMs: 3_600_000, burst: 3 };
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.consume('acme', policy));
    // Still limiting, locally: the burst of 3 passes, the rest is refused.
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(limiter.backend()).toBe('fallback');
    expect(lines.filter((l) => l.includes('Redis is unreachable'))).toHaveLength(1);
    expect(await metrics.expose().then((m) => m.body)).toMatch(/^gateway_rate_limit_fallback_total 5$/m);
    await limiter.close();
  });

  it("takes one turn's decisions for a bucket in one script call, each its own and in order", async () => {
    const limiter = new RedisRateLimiter({ url: REDIS_URL, keyPrefix: prefix, logger: pino({ level: 'silent' }), commandTimeoutMs: 10_000 });
    const watcher = new Redis(REDIS_URL);
    try {
      expect(await limiter.ready(30_000)).toBe(true);
      // Script calls on this test's bucket, as Redis saw them (MONITOR lists every client's commands).
      const bucket = `${prefix}standard-read:initech`;
      const calls: string[][] = [];
      const monitor = await watcher.monitor();
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (/^eval/i.test(args[0] ?? '') && args.includes(bucket)) calls.push(args);
      });
      const policy = { name: 'standard-read', rate: 1, windowMs: 3_600_000, burst: 5 };
      const batch = await Promise.all(Array.from({ length: 8 }, () => limiter.consume('initech', policy)));
      // As eight calls one after the other would have answered: the burst, then refusals.
      expect(batch.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false, false]);
      expect(batch.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0, 0]);
      expect(batch[5]!.retryAfterMs).toBeGreaterThan(0);
      // The next turn's decision is a call of its own; once Redis has shown it, it has shown the first.
      expect((await limiter.consume('initech', policy)).allowed).toBe(false);
      const until = Date.now() + 30_000;
      while (calls.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(calls.map((args) => args.at(-2))).toEqual(['8', '1']);
      monitor.disconnect();
    } finally {
      watcher.disconnect();
      await limiter.close();
    }
  }, 60_000);

  it('shares state through Redis and reports the backend', async () => {
    const logger = pino({ level: 'silent' });
    // Generous deadlines: a slow reply on a busy machine must not become a local decision.
    const one = new RedisRateLimiter({ url: REDIS_URL, keyPrefix: prefix, logger, commandTimeoutMs: 10_000 });
    const two = new RedisRateLimiter({ url: REDIS_URL, keyPrefix: prefix, logger, commandTimeoutMs: 10_000 });
    expect(await one.ready(30_000)).toBe(true);
    expect(await two.ready(30_000)).toBe(true);
    const policy = { name: 'standard-read', rate: 1, windowMs: 3_600_000, burst: 2 };
    expect((await one.consume('globex', policy)).allowed).toBe(true);
    expect((await two.consume('globex', policy)).allowed).toBe(true);
    const refused = await one.consume('globex', policy);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(one.backend()).toBe('redis');
    await one.close();
    await two.close();
  });
});
