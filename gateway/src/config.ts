/**
 * The gateway's configuration, parsed once at start-up from the environment. Nothing else in the
 * gateway reads `process.env`: everything receives the parsed `Config`.
 */
import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { z } from 'zod';
import { StartupError } from './startup-error.js';
// Messages of values the schema refuses without a message of its own (`LOG_LEVEL: must be one of …`).
import './validation-messages.js';

const csv = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const ipOrCidr = (s: string) => {
  const [addr, bits, extra] = s.split('/');
  if (extra !== undefined || !addr || !isIP(addr)) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return Number.isInteger(n) && n >= 0 && n <= (isIP(addr) === 4 ? 32 : 128);
};

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/**
 * CPUs from which `GATEWAY_WRITER_THREAD=auto` runs the writer thread: on one there is no core for
 * it beside the event loop. Measured on 2 CPUs with the load generator on the same machine (`npm
 * run bench -- intake`, thirteen runs, each with and without the thread in the same rounds): the
 * burst's orders/s with the thread 0.98–1.33 × without (median 1.15), the event loop's own CPU an
 * order 240–307 µs against 427–543 (the last three runs), the process's about the same.
 */
const WRITER_THREAD_MIN_CPUS = 2;

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** The master key: 32 random bytes, base64 or hex (`openssl rand -base64 32`). */
const masterKey = z.string().transform((v, ctx) => {
  const buf = /^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (buf.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, base64 or hex encoded (openssl rand -base64 32)' });
    return z.NEVER;
  }
  return buf;
});

export const envSchema = z
  .object({
    ODOO_URL: httpUrl.optional(),
    ODOO_DB: z.string().min(1).optional(),
    ODOO_USER: z.string().min(1).optional(),
    ODOO_API_KEY: z.string().min(1).optional(),
    ODOO_PASSWORD: z.string().min(1).optional(),
    ODOO_TRANSPORT: z.enum(['auto', 'jsonrpc', 'json2']).default('auto'),
    ODOO_MAX_CONNECTIONS: int(1, 256).default(8),
    ODOO_TIMEOUT_MS: int(100, 600_000).default(30_000),
    GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
    GATEWAY_PORT: int(0, 65_535).default(8080),
    GATEWAY_PUBLIC_URL: httpUrl.optional(),
    GATEWAY_DATA_DIR: z.string().min(1).default('./.data'),
    GATEWAY_MASTER_KEY: masterKey.optional(),
    GATEWAY_MASTER_KEY_PREVIOUS: masterKey.optional(),
    GATEWAY_TOKEN_TTL_SECONDS: int(60, 900).default(600),
    GATEWAY_TOKEN_ALG: z.enum(['ES256', 'EdDSA']).default('ES256'),
    GATEWAY_CLOCK_SKEW_SECONDS: int(0, 120).default(30),
    GATEWAY_PARTNER_REFRESH_SECONDS: int(1, 30).default(15),
    GATEWAY_STORE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' })
      .optional(),
    GATEWAY_STORE_POOL_MAX: int(1, 1_000).default(10),
    GATEWAY_TRUSTED_PROXIES: z
      .string()
      .optional()
      .transform(csv)
      .refine((l) => l.every(ipOrCidr), 'must be a comma-separated list of IP addresses or CIDR ranges'),
    GATEWAY_BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024),
    GATEWAY_SHUTDOWN_TIMEOUT_MS: int(0, 120_000).default(10_000),
    GATEWAY_KEEPALIVE_TIMEOUT_MS: int(1_000, 600_000).default(5_000),
    GATEWAY_IDEMPOTENCY_TTL_HOURS: int(1, 24 * 30).default(24),
    GATEWAY_RELAY: bool.default(true),
    GATEWAY_FAST_LANE: bool.default(true),
    RELAY_CONCURRENCY_PER_ENDPOINT: int(1, 256).default(8),
    RELAY_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5_000),
    RELAY_RESPONSE_TIMEOUT_MS: int(100, 120_000).default(15_000),
    RELAY_DISABLE_AFTER_FAILURES: int(1, 100_000).default(10),
    RELAY_DISABLE_AFTER_HOURS: int(0, 24 * 30).default(24),
    RECONCILE_INTERVAL_MINUTES: int(0, 24 * 60).default(15),
    WEBHOOK_ALLOWED_TARGETS: z
      .string()
      .optional()
      .transform(csv)
      .refine((l) => l.every((s) => ipOrCidr(s) || /^[a-z0-9.-]+$/i.test(s)), 'must be a comma-separated list of hosts or CIDR ranges'),
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }).optional(),
    NATS_URL: z.url({ protocol: /^(nats|tls)$/, error: 'must be a nats:// URL' }).optional(),
    NATS_STREAM: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "-" and "_"').default('RETAIL_EVENTS'),
    NATS_SUBJECT_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated tokens, no wildcards').default('retail.events'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    INBOUND_WEBHOOK_TOLERANCE_SECONDS: int(30, 3600).default(300),
    INBOUND_SHOPIFY_WINDOW_SECONDS: int(60, 7 * 86_400).default(48 * 3600),
    INBOUND_WEBHOOK_RETENTION_DAYS: int(1, 365).default(30),
    // --- intake queue and catalog caches ---
    GATEWAY_INTAKE_DRAIN: bool.default(true),
    GATEWAY_INTAKE_ADAPTIVE: bool.default(true),
    GATEWAY_INTAKE_BATCH_SIZE: int(1, 200).default(50),
    GATEWAY_INTAKE_MIN_BATCH_SIZE: int(1, 200).default(1),
    GATEWAY_INTAKE_MAX_IN_FLIGHT: int(1, 64).default(4),
    GATEWAY_INTAKE_MIN_IN_FLIGHT: int(1, 64).default(1),
    GATEWAY_INTAKE_TARGET_CALL_MS: int(50, 120_000).default(3_000),
    GATEWAY_INTAKE_LATENCY_TOLERANCE: z.coerce.number().min(1).max(10).default(1.25),
    GATEWAY_INTAKE_LEASE_SECONDS: int(5, 3_600).default(120),
    GATEWAY_INTAKE_MAX_ATTEMPTS: int(1, 1_000).default(12),
    GATEWAY_INTAKE_COMMIT_WINDOW_MS: int(0, 100).default(0),
    GATEWAY_WRITER_THREAD: z.enum(['auto', 'true', 'false', '1', '0']).default('auto'),
    GATEWAY_INTAKE_POLL_MS: int(10, 60_000).default(250),
    GATEWAY_INTAKE_WAIT_MAX_S: int(0, 120).default(30),
    GATEWAY_CATALOG_TTL_SECONDS: int(1, 86_400).default(300),
    // --- operations: rate limits, Odoo protection, metrics, dashboard, anomalies, retention ---
    GATEWAY_RATE_LIMIT_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 : _ . -').default('rg:rl:'),
    GATEWAY_RATE_LIMIT_REDIS_TIMEOUT_MS: int(10, 60_000).default(250),
    GATEWAY_RATE_LIMIT_TIERS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v) return {};
        try {
          return JSON.parse(v) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"standard":{"rate":50,"burst":100}}' });
          return z.NEVER;
        }
      })
      .pipe(z.partialRecord(z.enum(['standard', 'premium', 'internal']), z.strictObject({ rate: z.number().positive(), burst: z.number().int().min(1) }))),
    GATEWAY_TOKEN_RATE_PER_MIN: int(1, 100_000).default(30),
    GATEWAY_TOKEN_FAILURES_PER_MIN: int(1, 100_000).default(5),
    GATEWAY_TOKEN_CLIENT_FAILURES_PER_MIN: int(1, 100_000).default(50),
    ODOO_MAX_IN_FLIGHT: int(1, 1_000).default(8),
    ODOO_QUEUE_MAX: int(0, 100_000).default(200),
    ODOO_QUEUE_TIMEOUT_MS: int(1, 600_000).default(5_000),
    ODOO_BREAKER_FAILURES: int(1, 1_000).default(5),
    ODOO_BREAKER_OPEN_MS: int(100, 3_600_000).default(10_000),
    GATEWAY_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    GATEWAY_INVENTORY_FRESHNESS_S: int(1, 86_400).default(60),
    GATEWAY_ATP_PROMISE_TTL_S: int(10, 7 * 86_400).default(900),
    GATEWAY_ATP_POLL_MS: int(20, 60_000).default(200),
    GATEWAY_RETURNS_STUCK_AFTER_S: int(1, 30 * 86_400).default(900),
    GATEWAY_ANOMALY_THRESHOLD: z.string().regex(/^\d+(\.\d+)?$/, 'must be a positive number').transform(Number).pipe(z.number().min(0.5).max(100)).default(3),
    GATEWAY_RETENTION_DELIVERED_DAYS: int(1, 3_650).default(30),
    GATEWAY_RETENTION_INTAKE_DAYS: int(1, 3_650).default(30),
    GATEWAY_DASHBOARD_SESSION_MINUTES: int(5, 7 * 24 * 60).default(480),
  })
  .superRefine((env, ctx) => {
    if (env.GATEWAY_INTAKE_MIN_IN_FLIGHT > env.GATEWAY_INTAKE_MAX_IN_FLIGHT) {
      ctx.addIssue({ code: 'custom', path: ['GATEWAY_INTAKE_MIN_IN_FLIGHT'], message: 'must not exceed GATEWAY_INTAKE_MAX_IN_FLIGHT' });
    }
    if (env.GATEWAY_INTAKE_MIN_BATCH_SIZE > env.GATEWAY_INTAKE_BATCH_SIZE) {
      ctx.addIssue({ code: 'custom', path: ['GATEWAY_INTAKE_MIN_BATCH_SIZE'], message: 'must not exceed GATEWAY_INTAKE_BATCH_SIZE' });
    }
    if (env.ODOO_URL) {
      for (const key of ['ODOO_DB', 'ODOO_USER'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when ODOO_URL is set' });
      }
      if (!env.ODOO_API_KEY && !env.ODOO_PASSWORD) {
        ctx.addIssue({ code: 'custom', path: ['ODOO_API_KEY'], message: 'ODOO_API_KEY (or ODOO_PASSWORD) is required when ODOO_URL is set' });
      }
    }
  });

export type Env = z.input<typeof envSchema>;

export interface OdooConfig {
  url: string;
  db: string;
  user: string;
  /** An API key of the technical user (preferred; JSON-2 accepts nothing else). */
  apiKey: string | null;
  password: string | null;
  transport: 'auto' | 'jsonrpc' | 'json2';
  maxConnections: number;
  timeoutMs: number;
}

export interface Config {
  /** Null when no Odoo is configured: only the demo runs then, against its fake Odoo. */
  odoo: OdooConfig | null;
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  masterKey: Buffer | null;
  previousMasterKey: Buffer | null;
  /** Lifetime of issued access tokens (≤ 15 minutes). */
  tokenTtlSeconds: number;
  /** Signing algorithm of new signing keys. */
  tokenAlg: 'ES256' | 'EdDSA';
  /** Clock skew tolerated on `exp`/`nbf`/`iat`. */
  clockSkewSeconds: number;
  /** How often the partner registry is refreshed from Odoo (≤ 30 s). */
  partnerRefreshSeconds: number;
  storeUrl: string | null;
  /** PostgreSQL connections one process holds at most (the server's max_connections is shared). */
  storePoolMax: number;
  trustedProxies: string[];
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open. Keep it above the idle timeout of whatever
   * calls the gateway (a load balancer, a client), so the caller closes first and never sends a
   * request on a connection the gateway is closing.
   */
  keepAliveTimeoutMs: number;
  idempotencyTtlHours: number;
  relayEnabled: boolean;
  /** Answer the plain cached reads in front of Hono (`fast-lane/`); off only to compare or rule it out. */
  fastLane: boolean;
  /** Outbound webhooks: concurrent requests per endpoint, timeouts, and the auto-disable threshold. */
  relay: {
    concurrencyPerEndpoint: number;
    connectTimeoutMs: number;
    responseTimeoutMs: number;
    disableAfterFailures: number;
    disableAfterMs: number;
  };
  /** Minutes between availability reconciliations with Odoo (0: only on demand). */
  reconcileIntervalMinutes: number;
  webhookAllowedTargets: string[];
  redisUrl: string | null;
  natsUrl: string | null;
  natsStream: string;
  natsSubjectPrefix: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Inbound commerce webhooks: replay windows and how long delivery ids are remembered. */
  inboundWebhooks: { toleranceSeconds: number; shopifyWindowSeconds: number; retentionDays: number };
  /** The durable intake queue and its drainer. */
  intake: IntakeConfig;
  /** Rate limits, Odoo protection, metrics, dashboard, anomaly flags and retention. */
  ops: OpsConfig;
}

export interface OpsConfig {
  rateLimitPrefix: string;
  /** How long a Redis rate-limit decision may take before the local limiter decides instead. */
  rateLimitRedisTimeoutMs: number;
  /** Overrides of the default tiers (rate per second, burst). */
  rateLimitTiers: Partial<Record<'standard' | 'premium' | 'internal', { rate: number; burst: number }>>;
  /** Credential attempts (token endpoint, dashboard sign-in) a minute per address, whatever the outcome. */
  tokenRatePerMinute: number;
  /** Failed credential checks a minute per (client id or login, address). */
  tokenFailuresPerMinute: number;
  /** Failed credential checks a minute per client id or login, holding back only addresses that failed and are not known. */
  tokenClientFailuresPerMinute: number;
  /** Bulkhead: Odoo calls in flight at most, calls waiting at most, and how long one may wait. */
  odooMaxInFlight: number;
  odooQueueMax: number;
  odooQueueTimeoutMs: number;
  /** Circuit breaker: consecutive failures that open it, and how long it stays open before a probe. */
  breakerFailures: number;
  breakerOpenMs: number;
  /** When set, `/metrics` wants `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  inventoryFreshnessSeconds: number;
  returnsStuckAfterSeconds: number;
  /** Deviation (in standard deviations of the partner's own baseline) that raises an anomaly flag. */
  anomalyThreshold: number;
  retentionDeliveredDays: number;
  retentionIntakeDays: number;
  dashboardSessionMinutes: number;
}

export interface IntakeConfig {
  /** Whether this replica drains the queue into Odoo (every replica accepts). */
  drain: boolean;
  /** Whether calls in flight and batch size adapt to Odoo's latency (else: the maxima, fixed). */
  adaptive: boolean;
  /** Items per addon call: the adaptive batch size's maximum (the batch size when not adaptive). */
  batchSize: number;
  /** The adaptive batch size's minimum. */
  minBatchSize: number;
  /** Addon calls in flight at most from this replica's drainer (the limit when not adaptive). */
  maxInFlight: number;
  /** The adaptive limit's minimum (the limit while Odoo fails or is being measured alone). */
  minInFlight: number;
  /** How long one addon call should take alone, in ms: sets the adaptive batch size. */
  targetCallMs: number;
  /** Latency per item allowed over the no-load latency before the limit shrinks (a factor ≥ 1). */
  latencyTolerance: number;
  /** How long a drainer holds claimed items before another may take them over. */
  leaseMs: number;
  /** Attempts before an item that keeps failing with a permanent error is marked failed. */
  maxAttempts: number;
  /** Extra time the first accept of a group waits for others before the commit (0: one event-loop turn). */
  commitWindowMs: number;
  /**
   * Orders' group commits on a thread of their own (SQLite file; intake/writer-thread.ts). `auto`
   * (the default): with 2 CPUs or more, where the thread has a core to run on beside the event loop.
   */
  writerThread: boolean;
  /** How often an idle drainer looks for work accepted by other replicas. */
  pollMs: number;
  /** The longest `Prefer: wait=N` honoured. */
  waitMaxSeconds: number;
  /** Catalog cache lifetime when no `product.updated` event refreshed an entry. */
  catalogTtlMs: number;
  /** How long an ATP promise lasts before reconciliation checks its order is still waiting. */
  atpPromiseTtlMs: number;
  /** How often a replica reads the shared ATP promise totals (another replica's promises show within it). */
  atpPollMs: number;
}

/** Thrown with one line per wrong variable, so start-up fails with a message an operator can act on. */
export class ConfigError extends StartupError {
  constructor(problems: string[]) {
    super('config', problems, `invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The host part of a URL that reaches a listener on `host`: a wildcard address is reached on
 * `localhost`, an IPv6 literal goes in brackets.
 */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** What a command needs beyond a valid environment. */
export interface ConfigNeeds {
  /**
   * The command serves against a real Odoo (`retail-gateway serve`): ODOO_URL and its credentials
   * and GATEWAY_MASTER_KEY are required, and each one missing is a line of the ConfigError.
   */
  odoo?: boolean;
}

/** Variables a command that needs Odoo cannot run without, with what to put there. */
const REQUIRED_FOR_ODOO: [key: string, problem: string][] = [
  ['ODOO_URL', 'is required (the URL of Odoo, e.g. https://odoo.example.com; `npm run demo` runs against a built-in fake Odoo instead)'],
  ['ODOO_DB', 'is required (the Odoo database name)'],
  ['ODOO_USER', "is required (the login of the gateway's technical user in Odoo)"],
  ['ODOO_API_KEY', "is required (an API key of the technical user; or ODOO_PASSWORD)"],
  ['GATEWAY_MASTER_KEY', 'is required (32 random bytes, base64: openssl rand -base64 32)'],
];

const SECRET_VARS = new Set(['ODOO_API_KEY', 'ODOO_PASSWORD', 'GATEWAY_MASTER_KEY', 'GATEWAY_MASTER_KEY_PREVIOUS', 'GATEWAY_METRICS_TOKEN']);

/**
 * Parses the environment. Empty strings count as unset. Every wrong or missing variable is one
 * line of the ConfigError (not only the first one found).
 */
export function loadConfig(env: Record<string, string | undefined>, needs: ConfigNeeds = {}): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? 'environment');
        const raw = cleaned[key];
        const shown = raw === undefined ? '' : SECRET_VARS.has(key) ? ' (value hidden)' : ` (got ${JSON.stringify(raw)})`;
        return `${key}: ${i.message}${shown}`;
      });
  if (needs.odoo) {
    const named = new Set(problems.map((p) => p.slice(0, p.indexOf(':'))));
    for (const [key, problem] of REQUIRED_FOR_ODOO) {
      const present = key === 'ODOO_API_KEY' ? cleaned.ODOO_API_KEY ?? cleaned.ODOO_PASSWORD : cleaned[key];
      if (present === undefined && !named.has(key)) problems.push(`${key}: ${problem}`);
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const port = e.GATEWAY_PORT;
  return {
    odoo: e.ODOO_URL
      ? {
          url: e.ODOO_URL.replace(/\/+$/, ''),
          db: e.ODOO_DB!,
          user: e.ODOO_USER!,
          apiKey: e.ODOO_API_KEY ?? null,
          password: e.ODOO_API_KEY ? null : (e.ODOO_PASSWORD ?? null),
          transport: e.ODOO_TRANSPORT,
          maxConnections: e.ODOO_MAX_CONNECTIONS,
          timeoutMs: e.ODOO_TIMEOUT_MS,
        }
      : null,
    host: e.GATEWAY_HOST,
    port,
    publicUrl: (e.GATEWAY_PUBLIC_URL ?? `http://${urlHost(e.GATEWAY_HOST)}:${port}`).replace(/\/+$/, ''),
    dataDir: e.GATEWAY_DATA_DIR,
    masterKey: e.GATEWAY_MASTER_KEY ?? null,
    previousMasterKey: e.GATEWAY_MASTER_KEY_PREVIOUS ?? null,
    tokenTtlSeconds: e.GATEWAY_TOKEN_TTL_SECONDS,
    tokenAlg: e.GATEWAY_TOKEN_ALG,
    clockSkewSeconds: e.GATEWAY_CLOCK_SKEW_SECONDS,
    partnerRefreshSeconds: e.GATEWAY_PARTNER_REFRESH_SECONDS,
    storeUrl: e.GATEWAY_STORE_URL ?? null,
    storePoolMax: e.GATEWAY_STORE_POOL_MAX,
    trustedProxies: e.GATEWAY_TRUSTED_PROXIES,
    bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES,
    shutdownTimeoutMs: e.GATEWAY_SHUTDOWN_TIMEOUT_MS,
    keepAliveTimeoutMs: e.GATEWAY_KEEPALIVE_TIMEOUT_MS,
    idempotencyTtlHours: e.GATEWAY_IDEMPOTENCY_TTL_HOURS,
    relayEnabled: e.GATEWAY_RELAY,
    fastLane: e.GATEWAY_FAST_LANE,
    relay: {
      concurrencyPerEndpoint: e.RELAY_CONCURRENCY_PER_ENDPOINT,
      connectTimeoutMs: e.RELAY_CONNECT_TIMEOUT_MS,
      responseTimeoutMs: e.RELAY_RESPONSE_TIMEOUT_MS,
      disableAfterFailures: e.RELAY_DISABLE_AFTER_FAILURES,
      disableAfterMs: e.RELAY_DISABLE_AFTER_HOURS * 3_600_000,
    },
    reconcileIntervalMinutes: e.RECONCILE_INTERVAL_MINUTES,
    webhookAllowedTargets: e.WEBHOOK_ALLOWED_TARGETS,
    redisUrl: e.REDIS_URL ?? null,
    natsUrl: e.NATS_URL ?? null,
    natsStream: e.NATS_STREAM,
    natsSubjectPrefix: e.NATS_SUBJECT_PREFIX,
    logLevel: e.LOG_LEVEL,
    inboundWebhooks: {
      toleranceSeconds: e.INBOUND_WEBHOOK_TOLERANCE_SECONDS,
      shopifyWindowSeconds: e.INBOUND_SHOPIFY_WINDOW_SECONDS,
      retentionDays: e.INBOUND_WEBHOOK_RETENTION_DAYS,
    },
    intake: {
      drain: e.GATEWAY_INTAKE_DRAIN,
      adaptive: e.GATEWAY_INTAKE_ADAPTIVE,
      batchSize: e.GATEWAY_INTAKE_BATCH_SIZE,
      minBatchSize: e.GATEWAY_INTAKE_MIN_BATCH_SIZE,
      maxInFlight: e.GATEWAY_INTAKE_MAX_IN_FLIGHT,
      minInFlight: e.GATEWAY_INTAKE_MIN_IN_FLIGHT,
      targetCallMs: e.GATEWAY_INTAKE_TARGET_CALL_MS,
      latencyTolerance: e.GATEWAY_INTAKE_LATENCY_TOLERANCE,
      leaseMs: e.GATEWAY_INTAKE_LEASE_SECONDS * 1000,
      maxAttempts: e.GATEWAY_INTAKE_MAX_ATTEMPTS,
      commitWindowMs: e.GATEWAY_INTAKE_COMMIT_WINDOW_MS,
      writerThread: e.GATEWAY_WRITER_THREAD === 'auto' ? availableParallelism() >= WRITER_THREAD_MIN_CPUS : e.GATEWAY_WRITER_THREAD === 'true' || e.GATEWAY_WRITER_THREAD === '1',
      pollMs: e.GATEWAY_INTAKE_POLL_MS,
      waitMaxSeconds: e.GATEWAY_INTAKE_WAIT_MAX_S,
      catalogTtlMs: e.GATEWAY_CATALOG_TTL_SECONDS * 1000,
      atpPromiseTtlMs: e.GATEWAY_ATP_PROMISE_TTL_S * 1000,
      atpPollMs: e.GATEWAY_ATP_POLL_MS,
    },
    ops: {
      rateLimitPrefix: e.GATEWAY_RATE_LIMIT_PREFIX,
      rateLimitRedisTimeoutMs: e.GATEWAY_RATE_LIMIT_REDIS_TIMEOUT_MS,
      rateLimitTiers: e.GATEWAY_RATE_LIMIT_TIERS,
      tokenRatePerMinute: e.GATEWAY_TOKEN_RATE_PER_MIN,
      tokenFailuresPerMinute: e.GATEWAY_TOKEN_FAILURES_PER_MIN,
      tokenClientFailuresPerMinute: e.GATEWAY_TOKEN_CLIENT_FAILURES_PER_MIN,
      odooMaxInFlight: e.ODOO_MAX_IN_FLIGHT,
      odooQueueMax: e.ODOO_QUEUE_MAX,
      odooQueueTimeoutMs: e.ODOO_QUEUE_TIMEOUT_MS,
      breakerFailures: e.ODOO_BREAKER_FAILURES,
      breakerOpenMs: e.ODOO_BREAKER_OPEN_MS,
      metricsToken: e.GATEWAY_METRICS_TOKEN ?? null,
      inventoryFreshnessSeconds: e.GATEWAY_INVENTORY_FRESHNESS_S,
      returnsStuckAfterSeconds: e.GATEWAY_RETURNS_STUCK_AFTER_S,
      anomalyThreshold: e.GATEWAY_ANOMALY_THRESHOLD,
      retentionDeliveredDays: e.GATEWAY_RETENTION_DELIVERED_DAYS,
      retentionIntakeDays: e.GATEWAY_RETENTION_INTAKE_DAYS,
      dashboardSessionMinutes: e.GATEWAY_DASHBOARD_SESSION_MINUTES,
    },
  };
}

/** Variables the config reads; the compose-file test checks every variable it sets is one of these. */
export const configVariables = Object.keys(envSchema.shape) as string[];
