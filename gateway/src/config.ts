/**
 * The gateway's configuration, parsed once at start-up from the environment. Nothing else in the
 * gateway reads `process.env`: everything receives the parsed `Config`.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

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
    GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
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
    GATEWAY_TRUSTED_PROXIES: z
      .string()
      .optional()
      .transform(csv)
      .refine((l) => l.every(ipOrCidr), 'must be a comma-separated list of IP addresses or CIDR ranges'),
    GATEWAY_BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024),
    GATEWAY_SHUTDOWN_TIMEOUT_MS: int(0, 120_000).default(10_000),
    GATEWAY_IDEMPOTENCY_TTL_HOURS: int(1, 24 * 30).default(24),
    GATEWAY_RELAY: bool.default(true),
    WEBHOOK_ALLOWED_TARGETS: z
      .string()
      .optional()
      .transform(csv)
      .refine((l) => l.every((s) => ipOrCidr(s) || /^[a-z0-9.-]+$/i.test(s)), 'must be a comma-separated list of hosts or CIDR ranges'),
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }).optional(),
    NATS_URL: z.url({ protocol: /^(nats|tls)$/, error: 'must be a nats:// URL' }).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
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
  /** Null when no Odoo is configured: only the demo runs then, against the simulator. */
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
  trustedProxies: string[];
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  idempotencyTtlHours: number;
  relayEnabled: boolean;
  webhookAllowedTargets: string[];
  redisUrl: string | null;
  natsUrl: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Thrown with one line per wrong variable, so start-up fails with a message an operator can act on. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SECRET_VARS = new Set(['ODOO_API_KEY', 'ODOO_PASSWORD', 'GATEWAY_MASTER_KEY', 'GATEWAY_MASTER_KEY_PREVIOUS']);

/** Parses the environment. Empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? 'environment');
      const raw = cleaned[key];
      const shown = raw === undefined ? '' : SECRET_VARS.has(key) ? ' (value hidden)' : ` (got ${JSON.stringify(raw)})`;
      return `${key}: ${i.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
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
    publicUrl: (e.GATEWAY_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    dataDir: e.GATEWAY_DATA_DIR,
    masterKey: e.GATEWAY_MASTER_KEY ?? null,
    previousMasterKey: e.GATEWAY_MASTER_KEY_PREVIOUS ?? null,
    tokenTtlSeconds: e.GATEWAY_TOKEN_TTL_SECONDS,
    tokenAlg: e.GATEWAY_TOKEN_ALG,
    clockSkewSeconds: e.GATEWAY_CLOCK_SKEW_SECONDS,
    partnerRefreshSeconds: e.GATEWAY_PARTNER_REFRESH_SECONDS,
    storeUrl: e.GATEWAY_STORE_URL ?? null,
    trustedProxies: e.GATEWAY_TRUSTED_PROXIES,
    bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES,
    shutdownTimeoutMs: e.GATEWAY_SHUTDOWN_TIMEOUT_MS,
    idempotencyTtlHours: e.GATEWAY_IDEMPOTENCY_TTL_HOURS,
    relayEnabled: e.GATEWAY_RELAY,
    webhookAllowedTargets: e.WEBHOOK_ALLOWED_TARGETS,
    redisUrl: e.REDIS_URL ?? null,
    natsUrl: e.NATS_URL ?? null,
    logLevel: e.LOG_LEVEL,
  };
}

/** Variables the config reads; the compose-file test checks every variable it sets is one of these. */
export const configVariables = Object.keys(envSchema.shape) as string[];
