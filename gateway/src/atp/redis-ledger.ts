/**
 * The promise ledger in Redis (ledger.ts has the semantics): every operation is one Lua script, so
 * replicas sharing the Redis see one ledger and a `take` is atomic. Keys (under the prefix):
 * - `tot`: hash item → units of open promises;
 * - `o:<order>`: hash item → units, the order's promise;
 * - `exp`: sorted set of open orders by expiry (ms);
 * - `s:<item>`: sorted set of settled orders holding that item, by settlement time (ms);
 * - `sk`: set of items with settled promises; `st`: sorted set of settled orders by settlement time.
 * The scripts name their keys from arguments (one Redis, not a cluster).
 * Quantities are returned as strings: Redis truncates Lua numbers to integers.
 */
import { Redis } from 'ioredis';
import { oversoldUnits, type AtpLedger, type AtpLine, type PromisedTotals, type TakeOptions, type TakeResult } from './ledger.js';

const TAKE = `
local p = ARGV[1]
local order = ARGV[2]
local okey = p .. 'o:' .. order
if redis.call('EXISTS', okey) == 1 then return {'held'} end
local force = ARGV[3] == '1'
local expires = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local used = {}
local short = {}
for i = 0, n - 1 do
  local key = ARGV[6 + i * 4]
  local qty = tonumber(ARGV[7 + i * 4])
  local limit = tonumber(ARGV[8 + i * 4])
  local basis = ARGV[9 + i * 4]
  local u = tonumber(redis.call('HGET', p .. 'tot', key) or '0')
  for _, o in ipairs(redis.call('ZRANGEBYSCORE', p .. 's:' .. key, basis, '+inf')) do
    u = u + tonumber(redis.call('HGET', p .. 'o:' .. o, key) or '0')
  end
  used[i + 1] = u
  if u + qty > limit then
    local avail = limit - u
    if avail < 0 then avail = 0 end
    table.insert(short, key)
    table.insert(short, tostring(qty))
    table.insert(short, tostring(avail))
  end
end
if #short > 0 and not force then
  table.insert(short, 1, 'short')
  return short
end
local out = {'taken'}
for i = 0, n - 1 do
  local key = ARGV[6 + i * 4]
  local qty = ARGV[7 + i * 4]
  redis.call('HINCRBYFLOAT', p .. 'tot', key, qty)
  redis.call('HSET', okey, key, qty)
  table.insert(out, tostring(used[i + 1]))
end
redis.call('ZADD', p .. 'exp', expires, order)
return out
`;

/** ARGV: prefix, now, orders… — marks open promises settled. */
const SETTLE = `
local p = ARGV[1]
local now = ARGV[2]
for i = 3, #ARGV do
  local order = ARGV[i]
  if redis.call('ZREM', p .. 'exp', order) == 1 then
    local fields = redis.call('HGETALL', p .. 'o:' .. order)
    for j = 1, #fields, 2 do
      local key = fields[j]
      local left = tonumber(redis.call('HINCRBYFLOAT', p .. 'tot', key, '-' .. fields[j + 1]))
      if left <= 1e-9 then redis.call('HDEL', p .. 'tot', key) end
      redis.call('ZADD', p .. 's:' .. key, now, order)
      redis.call('SADD', p .. 'sk', key)
    end
    redis.call('ZADD', p .. 'st', now, order)
  end
end
return 0
`;

/** ARGV: prefix, orders… — drops promises, open or settled. */
const RELEASE = `
local p = ARGV[1]
local function drop(order)
  local okey = p .. 'o:' .. order
  local open = redis.call('ZREM', p .. 'exp', order) == 1
  local fields = redis.call('HGETALL', okey)
  for j = 1, #fields, 2 do
    local key = fields[j]
    if open then
      local left = tonumber(redis.call('HINCRBYFLOAT', p .. 'tot', key, '-' .. fields[j + 1]))
      if left <= 1e-9 then redis.call('HDEL', p .. 'tot', key) end
    else
      redis.call('ZREM', p .. 's:' .. key, order)
      if redis.call('ZCARD', p .. 's:' .. key) == 0 then redis.call('SREM', p .. 'sk', key) end
    end
  end
  redis.call('ZREM', p .. 'st', order)
  redis.call('DEL', okey)
end
if ARGV[2] == '__purge__' then
  local old = redis.call('ZRANGEBYSCORE', p .. 'st', '-inf', '(' .. ARGV[3], 'LIMIT', 0, 5000)
  for _, order in ipairs(old) do drop(order) end
  return #old
end
for i = 2, #ARGV do drop(ARGV[i]) end
return 0
`;

/** ARGV: prefix — {item, open, {at, qty, at, qty…}}… */
const TOTALS = `
local p = ARGV[1]
local out = {}
local seen = {}
local tot = redis.call('HGETALL', p .. 'tot')
for j = 1, #tot, 2 do
  seen[tot[j]] = {tot[j], tot[j + 1], {}}
end
for _, key in ipairs(redis.call('SMEMBERS', p .. 'sk')) do
  local entry = seen[key]
  if not entry then
    entry = {key, '0', {}}
    seen[key] = entry
  end
  local s = redis.call('ZRANGE', p .. 's:' .. key, 0, -1, 'WITHSCORES')
  for j = 1, #s, 2 do
    table.insert(entry[3], s[j + 1])
    table.insert(entry[3], redis.call('HGET', p .. 'o:' .. s[j], key) or '0')
  end
end
for _, entry in pairs(seen) do table.insert(out, entry) end
return out
`;

interface RedisWithAtp extends Redis {
  atpTake(...args: string[]): Promise<string[]>;
  atpSettle(...args: string[]): Promise<number>;
  atpRelease(...args: string[]): Promise<number>;
  atpTotals(prefix: string): Promise<[string, string, string[]][]>;
}

export interface RedisAtpLedgerOptions {
  url: string;
  /** Prefix of every key, so several deployments (or test runs) can share one Redis. */
  keyPrefix: string;
  commandTimeoutMs?: number;
}

export class RedisAtpLedger implements AtpLedger {
  readonly backend = 'redis' as const;
  private readonly redis: RedisWithAtp;
  private readonly p: string;

  constructor(options: RedisAtpLedgerOptions) {
    this.p = `${options.keyPrefix}atp:`;
    this.redis = new Redis(options.url, {
      enableAutoPipelining: true,
      maxRetriesPerRequest: 2,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    }) as RedisWithAtp;
    this.redis.defineCommand('atpTake', { numberOfKeys: 0, lua: TAKE });
    this.redis.defineCommand('atpSettle', { numberOfKeys: 0, lua: SETTLE });
    this.redis.defineCommand('atpRelease', { numberOfKeys: 0, lua: RELEASE });
    this.redis.defineCommand('atpTotals', { numberOfKeys: 0, lua: TOTALS });
    // Failures surface through the commands that fail.
    this.redis.on('error', () => {});
  }

  async take(orderKey: string, lines: readonly AtpLine[], opts: TakeOptions): Promise<TakeResult> {
    const result = await this.takeNow(orderKey, lines, opts);
    opts.committed?.(result);
    return result;
  }

  private async takeNow(orderKey: string, lines: readonly AtpLine[], opts: TakeOptions): Promise<TakeResult> {
    const args = [this.p, orderKey, opts.force ? '1' : '0', String(opts.now + opts.ttlMs), String(lines.length)];
    for (const l of lines) args.push(l.itemKey, String(l.qty), String(l.limit), String(l.basisAt));
    const reply = await this.redis.atpTake(...args);
    if (reply[0] === 'held') return { state: 'held' };
    if (reply[0] === 'short') {
      const short: { itemKey: string; requested: number; available: number }[] = [];
      for (let i = 1; i < reply.length; i += 3) short.push({ itemKey: reply[i]!, requested: Number(reply[i + 1]), available: Number(reply[i + 2]) });
      return { state: 'short', short };
    }
    const oversold = lines.map((l, i) => ({ itemKey: l.itemKey, units: oversoldUnits(Number(reply[i + 1]), l.qty, l.limit) })).filter((o) => o.units > 0);
    return { state: 'taken', oversold };
  }

  async settle(orderKeys: readonly string[], now: number, committed?: () => void): Promise<void> {
    if (orderKeys.length > 0) await this.redis.atpSettle(this.p, String(now), ...orderKeys);
    committed?.();
  }

  async release(orderKeys: readonly string[], committed?: () => void): Promise<void> {
    if (orderKeys.length > 0) await this.redis.atpRelease(this.p, ...orderKeys);
    committed?.();
  }

  async totals(atRead?: () => void): Promise<PromisedTotals[]> {
    // Commands on the connection run in the order sent: what was sent before this read is in it.
    atRead?.();
    const reply = await this.redis.atpTotals(this.p);
    return reply.map(([key, open, flat]) => {
      const settled: { at: number; qty: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) settled.push({ at: Number(flat[i]), qty: Number(flat[i + 1]) });
      return { itemKey: key, open: Math.max(0, Number(open)), settled };
    });
  }

  async expired(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(`${this.p}exp`, '-inf', `(${now}`, 'LIMIT', 0, limit);
  }

  async extend(orderKeys: readonly string[], until: number): Promise<void> {
    if (orderKeys.length === 0) return;
    await this.redis.zadd(`${this.p}exp`, 'XX', ...orderKeys.flatMap((o) => [until, o]));
  }

  purgeSettled(before: number): Promise<number> {
    return this.redis.atpRelease(this.p, '__purge__', String(before));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
