/**
 * Everything a request handler may use, built once at start-up and passed in (no globals, no
 * `process.env`). Features add their services here as optional members.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { OdooClient } from './odoo/client.js';
import type { OdooMonitor } from './health/odoo-monitor.js';
import type { SqlStore } from './store/store.js';
import type { AuthService } from './auth/service.js';
import type { Rotations } from './auth/rotation.js';
import type { Relay } from './relay/relay.js';
import type { RateLimitService } from './rate-limit/service.js';
import type { GatewayMetrics } from './metrics/registry.js';
import type { OdooGuard } from './protect/protect-client.js';
import type { AnomalyDetector } from './anomaly/detector.js';
import type { OdooLoginVerifier } from './odoo/user-login.js';
import type { IntakeQueue } from './intake/queue.js';
import type { ProductCatalog } from './catalog/products.js';
import type { AvailabilityCache } from './catalog/availability.js';
import type { InboundWebhookService } from './webhooks/inbound/service.js';

export interface Services {
  config: Config;
  logger: Logger;
  odoo: OdooClient;
  store: SqlStore;
  odooMonitor: OdooMonitor;
  /** Injectable clock (ms since epoch) so expiry logic is testable without sleeping. */
  now: () => number;
  /** Per-partner and token-endpoint rate limits (in memory, or Redis when REDIS_URL is set). */
  rateLimit?: RateLimitService;
  /** The Prometheus registry and the gateway's metrics (served at `/metrics`). */
  metrics?: GatewayMetrics;
  /** Bulkhead and circuit breaker in front of Odoo (their state, for metrics and the dashboard). */
  odooGuard?: OdooGuard;
  /** Per-partner rolling baselines of order rate and failure ratio, and the flags they raise. */
  anomalies?: AnomalyDetector;
  /** Checks dashboard sign-ins against Odoo; set by the demo (fake Odoo). Default: built from ODOO_URL. */
  dashboardLogin?: OdooLoginVerifier;
  /** The durable intake queue (orders, returns, shipments, counts… on their way to Odoo). */
  intake?: IntakeQueue;
  /** Catalog cache (sellable variants), filled from Odoo, kept current by `product.updated` events. */
  catalog?: ProductCatalog;
  /** Availability cache per SKU and warehouse, kept current by `inventory.changed` events. */
  availability?: AvailabilityCache;
  /** Inbound commerce webhooks (Shopify, WooCommerce, Stripe, Standard Webhooks); built by its route when absent. */
  inboundWebhooks?: InboundWebhookService;
  /** Token issuing and verification, signing keys, partner cache, client authentication (auth/service.ts). */
  auth?: AuthService;
  /** Credential rotation for the admin routes and the CLI (auth/rotation.ts). */
  rotations?: Rotations;
  /** Outbound webhooks: the outbox relay, its delivery queue, the SSRF target policy (relay/relay.ts). */
  relay?: Relay;
}
