/**
 * Shared helpers for the inbound webhook suites: fixtures as raw text (Shopify's ids must reach the
 * gateway as the bare integers Shopify sends), signatures computed by OpenSSL (not by the gateway's
 * code), and a small app that serves the inbound route over a real store and intake queue.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import client from 'prom-client';
import type { InboundProvider, PartnerRecord } from '../../contracts/src/partner.js';
import { loadConfig } from '../../gateway/src/config.js';
import type { AppEnv } from '../../gateway/src/context.js';
import { handleError, notFound } from '../../gateway/src/errors.js';
import { IntakeQueue } from '../../gateway/src/intake/queue.js';
import { createLogger } from '../../gateway/src/logger.js';
import { requestContext } from '../../gateway/src/middleware/request-context.js';
import { registerInboundWebhooks } from '../../gateway/src/routes/inbound-webhooks.js';
import type { Services } from '../../gateway/src/services.js';
import { migrations } from '../../gateway/src/store/migrations.js';
import { PostgresStore } from '../../gateway/src/store/postgres.js';
import { SqliteStore } from '../../gateway/src/store/sqlite.js';
import type { SqlStore } from '../../gateway/src/store/store.js';
import { staticSecretSource } from '../../gateway/src/webhooks/inbound/secrets.js';
import { InboundWebhookService } from '../../gateway/src/webhooks/inbound/service.js';
import { createTestDatabase } from '../support/postgres.js';

/** A fixture's exact text (test/webhooks/fixtures/<path>). */
export function fixture(path: string): string {
  return readFileSync(new URL(`./fixtures/${path}`, import.meta.url), 'utf8');
}

/** base64 HMAC-SHA256 of the body with a text key, computed by the openssl binary. */
export function opensslHmacBase64(secret: string, body: string | Buffer): string {
  const digest = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret, '-binary'], { input: body });
  return digest.toString('base64');
}

/** A partner record for the registry with the given inbound secrets. */
export function partnerRecord(code: string, inbound: Partial<Record<InboundProvider, Array<{ secret: string; valid_until: string | null }>>>, active = true): PartnerRecord {
  return {
    code,
    name: code,
    active,
    scopes: ['orders:write'],
    tier: "standard",
    mode: 'live',
    warehouses: [],
    company_id: 1,
    issuer: null,
    jwks_url: null,
    subscriptions: [],
    inbound_secrets: { shopify: [], woocommerce: [], stripe: [], standard: [], ...inbound },
    updated_at: '2026-11-27T00:00:00Z',
  };
}

export interface Harness {
  app: OpenAPIHono<AppEnv>;
  store: SqlStore;
  intake: IntakeQueue;
  service: InboundWebhookService;
  secrets: ReturnType<typeof staticSecretSource>;
  clock: { now: number };
  post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<Response>;
  intakeCount(partner?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * PostgreSQL connections per harness: enough for the concurrency suites to contend, small enough
 * that two harnesses, other suites and another test run fit in the server's max_connections.
 */
const HARNESS_POOL_MAX = 5;

/** The inbound route over a real store (SQLite file, or a fresh PostgreSQL database) and a real intake queue. */
export async function inboundHarness(options: {
  records: PartnerRecord[];
  dialect?: 'sqlite' | 'postgres';
  /** An existing PostgreSQL database to share with another harness (a second gateway). */
  postgresUrl?: string;
  now?: number;
  bodyLimitBytes?: number;
}): Promise<Harness> {
  let store: SqlStore;
  let cleanup: () => Promise<void>;
  if (options.postgresUrl) {
    const pgStore = new PostgresStore(options.postgresUrl, { max: HARNESS_POOL_MAX });
    store = pgStore;
    cleanup = () => pgStore.close();
  } else if (options.dialect === 'postgres') {
    const db = await createTestDatabase('rg_inbound');
    const pgStore = new PostgresStore(db.url, { max: HARNESS_POOL_MAX });
    store = pgStore;
    cleanup = async () => {
      await pgStore.close();
      await db.drop();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'rg-inbound-'));
    const sqlite = new SqliteStore(join(dir, 'gateway.sqlite'));
    store = sqlite;
    cleanup = async () => {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  await store.migrate(migrations);
  const clock = { now: options.now ?? Date.now() };
  const now = () => clock.now;
  const intake = new IntakeQueue({ store, now });
  const secrets = staticSecretSource(options.records);
  const logger = createLogger('silent');
  const service = new InboundWebhookService({ store, intake, secrets, now, logger, registry: new client.Registry() });
  const config = loadConfig({ LOG_LEVEL: 'silent', GATEWAY_BODY_LIMIT_BYTES: String(options.bodyLimitBytes ?? 1024 * 1024) });
  const services = { config, logger, store, now, intake, inboundWebhooks: service } as unknown as Services;
  const app = new OpenAPIHono<AppEnv>();
  app.use('*', requestContext({ logger }));
  app.use('*', async (c, next) => {
    c.set('services', services);
    await next();
  });
  registerInboundWebhooks(app, services);
  app.notFound(notFound);
  app.onError(handleError);
  return {
    app,
    store,
    intake,
    service,
    secrets,
    clock,
    post: (path, body, headers) => Promise.resolve(app.request(path, { method: 'POST', body, headers })),
    async intakeCount(partner) {
      const rows = await store.query<{ n: number }>(
        partner ? 'SELECT COUNT(*) AS n FROM intake_items WHERE partner = ?' : 'SELECT COUNT(*) AS n FROM intake_items',
        partner ? [partner] : [],
      );
      return Number(rows[0]?.n ?? 0);
    },
    close: cleanup,
  };
}
