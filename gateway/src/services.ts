/**
 * Everything a request handler may use, built once at start-up by `buildServices` and passed in
 * (no globals, no `process.env`). Every member is built before the first route is registered:
 * routes never construct a service and never find one missing.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createLogger, logPseudonymKey } from './logger.js';
import type { OdooClient } from './odoo/client.js';
import { odooClientFromConfig } from './odoo/from-config.js';
import { OdooMonitor } from './health/odoo-monitor.js';
import type { SqlStore } from './store/store.js';
import { openMigratedStore } from './store/open.js';
import { StartupError } from './startup-error.js';
import { migrations } from './store/migrations.js';
import { createAuthService, type AuthService } from './auth/service.js';
import { Rotations } from './auth/rotation.js';
import { Relay } from './relay/relay.js';
import { createPartnerCacheDirectory } from './relay/directory.js';
import { startRelayWorkers, type RelayWorkers } from './relay/wiring.js';
import type { RateLimitService } from './rate-limit/service.js';
import type { GatewayMetrics } from './metrics/registry.js';
import { createGatewayMetrics, odooCallHook, setupOps } from './metrics/ops-setup.js';
import { observeIntake, outboxLagProvider } from './metrics/intake-hooks.js';
import type { OdooGuard } from './protect/protect-client.js';
import type { AnomalyDetector } from './anomaly/detector.js';
import { createOdooLoginVerifier, type OdooLoginVerifier } from './odoo/user-login.js';
import { IntakeQueue, type PartnerMode } from './intake/queue.js';
import { adaptiveDrainLimit, type LimitSnapshot } from './intake/adaptive-limit.js';
import { IntakeDrainer } from './intake/drainer.js';
import { createShadowEvaluator } from './intake/shadow.js';
import { maxLineQuantity } from './intake/quantity-limit.js';
import { ProductCatalog } from './catalog/products.js';
import { AvailabilityCache } from './catalog/availability.js';
import { InboundWebhookService } from './webhooks/inbound/service.js';
import { registrySecretSource } from './webhooks/inbound/secrets.js';
import { startRetention } from './retention/purge.js';
import { oldestUnpublishedAt } from './intake/events.js';
import { AtpService, type ItemResult } from './atp/service.js';
import { atpLedgerFromConfig } from './atp/from-config.js';

/** Seconds since `at` (ms), 0 when there is nothing (no backlog). */
const ageSeconds = (at: number | null, now: () => number) => (at === null ? 0 : Math.max(0, (now() - at) / 1000));

export interface Services {
  config: Config;
  logger: Logger;
  /** The Odoo client behind the bulkhead and circuit breaker (`odooGuard`). */
  odoo: OdooClient;
  store: SqlStore;
  odooMonitor: OdooMonitor;
  /** Injectable clock (ms since epoch) so expiry logic is testable without sleeping. */
  now: () => number;
  /** Per-partner and token-endpoint rate limits (in memory, or Redis when REDIS_URL is set). */
  rateLimit: RateLimitService;
  /** The Prometheus registry and the gateway's metrics (served at `/metrics`). */
  metrics: GatewayMetrics;
  /** Bulkhead and circuit breaker in front of Odoo (their state, for metrics and the dashboard). */
  odooGuard: OdooGuard;
  /** Per-partner rolling baselines of order rate and failure ratio, and the flags they raise. */
  anomalies: AnomalyDetector;
  /**
   * Checks dashboard sign-ins against Odoo: built from ODOO_URL/ODOO_DB, or passed in (the demo's
   * fake Odoo). `null` only when neither is there: sign-in then answers `not_configured`.
   */
  dashboardLogin: OdooLoginVerifier | null;
  /** The durable intake queue (orders, returns, shipments, counts… on their way to Odoo). */
  intake: IntakeQueue;
  /** The drainer's current calls-in-flight limit and batch size; null when this replica does not drain. */
  drainLimit: () => LimitSnapshot | null;
  /** Catalog cache (sellable variants), filled from Odoo, kept current by `product.updated` events. */
  catalog: ProductCatalog;
  /** Availability cache per SKU and warehouse, kept current by `inventory.changed` events. */
  availability: AvailabilityCache;
  /** Available-to-promise: units promised at intake and not yet reserved by Odoo, shared by the replicas. */
  atp: AtpService;
  /** Inbound commerce webhooks (Shopify, WooCommerce, Stripe, Standard Webhooks). */
  inboundWebhooks: InboundWebhookService;
  /** Token issuing and verification, signing keys, partner cache, client authentication (auth/service.ts). */
  auth: AuthService;
  /** Credential rotation for the admin routes and the CLI (auth/rotation.ts). */
  rotations: Rotations;
  /** Outbound webhooks: the outbox relay, its delivery queue, the SSRF target policy (relay/relay.ts). */
  relay: Relay;
}

/**
 * What a caller may pass instead of what `buildServices` would build (tests pass fakes, the demo
 * its fake Odoo). `odoo` is the raw client: it is still put behind the guard and observed there.
 */
export type ServiceOverrides = Partial<Omit<Services, 'config' | 'odooGuard'>> & {
  /** Clock of the Odoo circuit breaker (ms since epoch; tests inject one they control). */
  breakerClock?: () => number;
};

export interface BuiltServices {
  services: Services;
  /** Starts the background work: Odoo monitor, auth refreshes, relay, cache tailer, reconciler, retention, drainer. */
  start(): void;
  /**
   * Stops the background work (calls in flight finish and are recorded), then closes what it
   * built: the Odoo client, the rate limiter, the store (an Odoo client or store passed in is
   * left open: its owner closes it). Idempotent.
   */
  close(): Promise<void>;
}

/** Builds every service of a gateway process from its configuration (and the overrides). */
export async function buildServices(config: Config, overrides: ServiceOverrides = {}): Promise<BuiltServices> {
  const logger = overrides.logger ?? createLogger(config.logLevel, undefined, { pseudonymKey: logPseudonymKey(config.masterKey) });
  const now = overrides.now ?? Date.now;
  if (!overrides.odoo && !config.odoo) throw new StartupError('config', ['ODOO_URL: is required (`npm run demo` runs against a built-in fake Odoo instead)']);
  const store = overrides.store ?? (await openMigratedStore(config, migrations));
  if (overrides.store) await store.migrate(migrations);
  // Metrics first, so the Odoo client's onCall hook can feed them.
  const metrics = overrides.metrics ?? createGatewayMetrics(config, logger);
  const rawOdoo = overrides.odoo ?? odooClientFromConfig(config.odoo!, logger, { onCall: odooCallHook(metrics) });
  // The bulkhead and circuit breaker around Odoo, rate limits, anomaly flags.
  const ops = await setupOps({ config, logger, metrics, odoo: rawOdoo, observeAtGuard: Boolean(overrides.odoo), breakerClock: overrides.breakerClock });
  const odoo = ops.odoo;
  const rateLimit = overrides.rateLimit ?? ops.rateLimit;
  const anomalies = overrides.anomalies ?? ops.anomalies;
  const odooMonitor = overrides.odooMonitor ?? new OdooMonitor(odoo, logger);

  // Auth: signing keys from the store, the partner registry from Odoo, the rotated Odoo key.
  // The raw client's secret is the one a rotated Odoo key swaps.
  const auth = overrides.auth ?? (await createAuthService({ config, store, odoo, keyClient: rawOdoo, logger, now }));
  const rotations = overrides.rotations ?? new Rotations({ auth, store, odoo, logger });
  rateLimit.tierOf = (partner) => auth.partners.get(partner)?.tier;

  // Caches and the intake queue (every replica accepts).
  const catalog = overrides.catalog ?? new ProductCatalog({ odoo, ttlMs: config.intake.catalogTtlMs, logger });
  const availability = overrides.availability ?? new AvailabilityCache({ odoo, freshnessMs: config.ops.inventoryFreshnessSeconds * 1000, logger });
  const partnerMode = async (partner: string): Promise<PartnerMode> => {
    const record = auth.partners.get(partner) ?? (await auth.partners.lookup(partner));
    return record?.mode ?? 'live';
  };
  const intake =
    overrides.intake ??
    new IntakeQueue({
      store,
      partnerMode,
      groupCommit: { windowMs: config.intake.commitWindowMs },
      idempotencyTtlMs: config.idempotencyTtlHours * 3600_000,
      now,
      writerThread: config.intake.writerThread && {
        onError: (err) => logger.error({ err }, 'intake: the writer thread failed; group commits run on the event loop from now on'),
      },
    });
  // Available-to-promise: the promise ledger in Redis, else the store; released by the items' results.
  const atpLedger = atpLedgerFromConfig(config, store, (op) => intake.write(op));
  const atp = new AtpService({
    ledger: atpLedger,
    availability,
    ttlMs: config.intake.atpPromiseTtlMs,
    pollMs: config.intake.atpPollMs,
    // Longer than any figure served (fresh ones are younger than the freshness target), with a margin.
    holdMs: 2 * config.ops.inventoryFreshnessSeconds * 1000 + 60_000,
    orders: {
      orderStatus: async (partner, externalId) => (await intake.findByExternalId(partner, 'order', externalId))[0]?.status ?? null,
    },
    onOversold: (policy, lines) => metrics.inventoryOversold.inc({ policy }, lines.reduce((n, l) => n + l.units, 0)),
    logger,
    now,
  });
  intake.signals.on('results', (items: ItemResult[]) => {
    atp.onResult(items).catch((err: unknown) => logger.warn({ err }, 'atp: releasing promises failed; reconciliation will'));
  });
  // The order funnel and the intake gauges in metrics.
  observeIntake(metrics, intake, {
    now,
    inventoryFreshnessSeconds: config.ops.inventoryFreshnessSeconds,
    returnsStuckAfterSeconds: config.ops.returnsStuckAfterSeconds,
  });
  const drainer = config.intake.drain
    ? new IntakeDrainer({
        queue: intake,
        odoo,
        logger,
        batchSize: config.intake.batchSize,
        maxInFlight: config.intake.maxInFlight,
        limit: config.intake.adaptive ? adaptiveDrainLimit(config.intake) : undefined,
        leaseMs: config.intake.leaseMs,
        maxAttempts: config.intake.maxAttempts,
        pollMs: config.intake.pollMs,
        shadow: createShadowEvaluator(catalog, (partner) => maxLineQuantity({ auth }, partner)),
        now,
      })
    : null;
  metrics.provide('intakeDrainLimit', () => drainer?.limit.snapshot().limit ?? null);
  metrics.provide('intakeDrainBatchSize', () => drainer?.limit.snapshot().batchSize ?? null);

  const webhooks = config.inboundWebhooks;
  const inboundWebhooks =
    overrides.inboundWebhooks ??
    new InboundWebhookService({
      store,
      intake,
      atp,
      secrets: registrySecretSource({ cache: auth.partners, odoo, now }),
      now,
      logger,
      registry: metrics.registry,
      toleranceSeconds: { stripe: webhooks.toleranceSeconds, standard: webhooks.toleranceSeconds, shopify: webhooks.shopifyWindowSeconds },
      retentionMs: webhooks.retentionDays * 86_400_000,
    });

  // Outbound webhooks: one registry for tokens and deliveries, so a secret rotated through the
  // gateway signs the next delivery.
  const relay = overrides.relay ?? new Relay({ config, odoo, store, logger, directory: createPartnerCacheDirectory(auth.partners) });
  metrics.provide('outboxLag', outboxLagProvider(relay.pump, now));
  metrics.provide('gatewayEventsLag', async () => ageSeconds(await oldestUnpublishedAt(store), now));
  metrics.provide('deliveryLag', async () => ageSeconds(await relay.queue.oldestPendingEventTime(), now));
  metrics.provide('deadLetters', async () => (await relay.queue.counts()).dead);
  metrics.provideDeliveryCounts(() => relay.queue.counts());

  const dashboardLogin =
    overrides.dashboardLogin ?? (config.odoo ? createOdooLoginVerifier({ url: config.odoo.url, db: config.odoo.db, timeoutMs: config.odoo.timeoutMs }) : null);

  const services: Services = {
    config,
    logger,
    odoo,
    store,
    odooMonitor,
    now,
    rateLimit,
    metrics,
    odooGuard: ops.odooGuard,
    anomalies,
    dashboardLogin,
    intake,
    drainLimit: () => drainer?.limit.snapshot() ?? null,
    catalog,
    availability,
    atp,
    inboundWebhooks,
    auth,
    rotations,
    relay,
  };

  let relayWorkers: RelayWorkers | null = null;
  let stopRetention: (() => Promise<void>) | null = null;
  let closing: Promise<void> | null = null;
  return {
    services,
    start() {
      odooMonitor.start();
      auth.start();
      relayWorkers = startRelayWorkers(services);
      const policy = config.ops;
      stopRetention = startRetention({
        store,
        logger,
        policy: { deliveredDays: policy.retentionDeliveredDays, intakeDays: policy.retentionIntakeDays },
      });
      drainer?.start();
      atp.start();
    },
    close: () =>
      (closing ??= (async () => {
        odooMonitor.stop();
        auth.stop();
        await relayWorkers?.stop();
        await intake.idle();
        if (!overrides.intake) await intake.close();
        await drainer?.stop();
        await atp.stop();
        await atpLedger.close();
        await stopRetention?.();
        if (!overrides.odoo) await odoo.close();
        await ops.close();
        if (!overrides.store) await store.close();
      })()),
  };
}
