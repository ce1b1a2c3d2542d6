/**
 * The Redis GCRA limiter: replicas share one budget. Each decision is one atomic Lua script
 * (read TAT, decide, write TAT with an expiry), timed by Redis's own clock so replicas with
 * skewed clocks agree; ioredis auto-pipelining batches concurrent decisions into one round trip.
 *
 * When Redis is unreachable the gateway keeps serving: decisions fall back to a local in-memory
 * limiter, the outage is logged once (and its end once), and every fallback decision is counted.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { emissionInterval, type RateDecision, type RatePolicy } from './gcra.js';
import type { LimiterBackend, RateLimiter } from './limiter.js';
import { MemoryRateLimiter } from './memory.js';

/**
 * KEYS[1]: the bucket. ARGV: emission interval (µs), burst, cost, and 1 to charge an admitted
 * request (0 only tells what it would get).
 * Returns {allowed, remaining, reset µs, retry-after µs}. Times are µs so fractional intervals of
 * fast tiers survive Redis's integer replies.
 */
export const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then tat = tonumber(stored) end
local base = tat
if base < now then base = now end
local new_tat = base + interval * cost
local allow_at = new_tat - tolerance
if now < allow_at then
  local remaining = math.floor((now - (tat - tolerance)) / interval)
  if remaining < 0 then remaining = 0 end
  local reset = tat - now
  if reset < 0 then reset = 0 end
  return {0, remaining, math.ceil(reset), math.ceil(allow_at - now)}
end
if ARGV[4] == '1' then
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
end
return {1, math.floor((now - allow_at) / interval), math.ceil(new_tat - now), 0}
`;

type GcraReply = [number, number, number, number];

interface RedisWithGcra extends Redis {
  gcra(key: string, intervalUs: string, burst: number, cost: number, commit: '0' | '1'): Promise<GcraReply>;
}

export interface RedisLimiterOptions {
  url: string;
  /** Prefix of every key, so several deployments (or test runs) can share one Redis. */
  keyPrefix: string;
  logger: Logger;
  /** A decision that takes longer falls back to the local limiter. Default 250 ms. */
  commandTimeoutMs?: number;
  /** Called once per decision taken by the local limiter because Redis failed. */
  onFallback?: () => void;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RedisWithGcra;
  private readonly local = new MemoryRateLimiter();
  private readonly log: Logger;
  private failing = false;
  private closed = false;

  constructor(private readonly options: RedisLimiterOptions) {
    this.log = options.logger;
    this.redis = new Redis(options.url, {
      keyPrefix: options.keyPrefix,
      enableAutoPipelining: true,
      // Fail fast instead of queueing while disconnected: the local limiter answers meanwhile.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 250,
      connectTimeout: 1_000,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
      lazyConnect: false,
    }) as RedisWithGcra;
    this.redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA_SCRIPT });
    // Connection errors surface through failed commands; this keeps them off the unhandled path.
    this.redis.on('error', () => {});
  }

  /** Resolves when connected, or after `timeoutMs` (the limiter works either way). */
  async ready(timeoutMs = 1_000): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', onReady);
    });
  }

  consume(key: string, policy: RatePolicy, cost = 1): Promise<RateDecision> {
    return this.decide(key, policy, cost, true);
  }

  peek(key: string, policy: RatePolicy): Promise<RateDecision> {
    return this.decide(key, policy, 1, false);
  }

  async remember(key: string, ttlMs: number): Promise<void> {
    try {
      await this.redis.set(`mark:${key}`, '1', 'PX', Math.max(1, Math.round(ttlMs)));
      this.reachable();
    } catch (err) {
      this.unreachable(err);
    }
    // Kept locally too, so an outage does not forget an address this replica saw authenticate.
    this.local.mark(key, ttlMs);
  }

  async recalls(key: string): Promise<boolean> {
    if (this.local.marked(key)) return true;
    try {
      const held = (await this.redis.exists(`mark:${key}`)) === 1;
      this.reachable();
      return held;
    } catch (err) {
      this.unreachable(err);
      return false;
    }
  }

  private async decide(key: string, policy: RatePolicy, cost: number, commit: boolean): Promise<RateDecision> {
    try {
      const intervalUs = (emissionInterval(policy) * 1000).toFixed(3);
      const [allowed, remaining, resetUs, retryUs] = await this.redis.gcra(`${policy.name}:${key}`, intervalUs, policy.burst, cost, commit ? '1' : '0');
      this.reachable();
      return { allowed: allowed === 1, remaining, resetMs: resetUs / 1000, retryAfterMs: retryUs / 1000 };
    } catch (err) {
      this.unreachable(err);
      this.options.onFallback?.();
      return commit ? this.local.decide(key, policy, cost) : this.local.inspect(key, policy);
    }
  }

  private reachable(): void {
    if (this.failing) {
      this.failing = false;
      this.log.info('rate limiter: Redis is reachable again, limits are shared across replicas');
    }
  }

  private unreachable(err: unknown): void {
    if (!this.failing && !this.closed) {
      this.failing = true;
      this.log.error({ err: { message: (err as Error).message } }, 'rate limiter: Redis is unreachable, falling back to per-replica in-memory limits');
    }
  }

  backend(): LimiterBackend {
    return this.failing ? 'fallback' : 'redis';
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.local.close();
    this.redis.disconnect();
  }
}
