/**
 * The gateway's Prometheus metrics, on one prom-client registry passed around as a service (no
 * global default registry, so two gateways in one test process never mix their numbers).
 *
 * Counters and histograms are updated where things happen (requests, Odoo calls, refusals,
 * business events). Gauges about queues and backlogs are read when Prometheus scrapes, from the
 * providers the features that own that state register (the queues own their SQL), so they are
 * never stale.
 */
import client from 'prom-client';
import type { Logger } from 'pino';

const { Counter, Gauge, Histogram, Registry } = client;

/** A value Prometheus reads at scrape time; return null when unknown. */
export type GaugeProvider = () => Promise<number | null> | number | null;

export interface GatewayMetricsOptions {
  logger?: Logger;
  /** Inventory updates older than this count as stale (default 60 s). */
  inventoryFreshnessSeconds?: number;
  /** Add Node's process metrics (CPU, memory, event loop lag). Default true. */
  processMetrics?: boolean;
}

export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ODOO_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const CIRCUIT_STATES = ['closed', 'half_open', 'open'] as const;

export class GatewayMetrics {
  readonly registry: client.Registry;
  readonly httpRequests: client.Counter<'method' | 'route' | 'partner' | 'status'>;
  readonly httpDuration: client.Histogram<'method' | 'route' | 'status_class'>;
  readonly odooCalls: client.Counter<'model' | 'method' | 'outcome'>;
  readonly odooDuration: client.Histogram<'model' | 'method'>;
  readonly rateLimited: client.Counter<'partner' | 'policy'>;
  readonly rateLimitFallback: client.Counter;
  readonly circuitTransitions: client.Counter<'to'>;
  readonly ordersReceived: client.Counter<'partner'>;
  readonly ordersAccepted: client.Counter<'partner'>;
  readonly ordersCreated: client.Counter<'partner'>;
  readonly ordersRejected: client.Counter<'partner' | 'reason'>;
  readonly duplicatesSuppressed: client.Counter<'partner' | 'kind'>;
  readonly intakeRetries: client.Counter<'kind' | 'cause'>;
  /** Units accepted beyond availability (ATP), by the policy that let them in; no partner or SKU label (bounded). */
  readonly inventoryOversold: client.Counter<'policy'>;
  private readonly providers = new Map<string, GaugeProvider>();
  private deliveryCounts: (() => Promise<Record<string, number>>) | null = null;
  private readonly options: GatewayMetricsOptions;

  constructor(options: GatewayMetricsOptions = {}) {
    this.options = options;
    const registry = (this.registry = new Registry());
    if (options.processMetrics !== false) client.collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
    const registers = [registry];

    this.httpRequests = new Counter({ name: 'gateway_http_requests_total', help: 'HTTP requests by route, partner and status', labelNames: ['method', 'route', 'partner', 'status'], registers });
    this.httpDuration = new Histogram({ name: 'gateway_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['method', 'route', 'status_class'], buckets: LATENCY_BUCKETS, registers });
    this.odooCalls = new Counter({ name: 'gateway_odoo_calls_total', help: 'Odoo calls by model, method and outcome (ok or the error kind)', labelNames: ['model', 'method', 'outcome'], registers });
    this.odooDuration = new Histogram({ name: 'gateway_odoo_call_duration_seconds', help: 'Odoo call latency by model and method', labelNames: ['model', 'method'], buckets: ODOO_BUCKETS, registers });
    this.rateLimited = new Counter({ name: 'gateway_rate_limited_total', help: 'Requests refused with 429 by partner (`unverified` for callers not yet authenticated) and policy', labelNames: ['partner', 'policy'], registers });
    this.rateLimitFallback = new Counter({ name: 'gateway_rate_limit_fallback_total', help: 'Rate-limit decisions taken locally because Redis was unreachable', registers });
    this.circuitTransitions = new Counter({ name: 'gateway_odoo_circuit_transitions_total', help: 'Odoo circuit breaker state changes', labelNames: ['to'], registers });
    this.ordersReceived = new Counter({ name: 'gateway_orders_received_total', help: 'Orders received from partners (every submission)', labelNames: ['partner'], registers });
    this.ordersAccepted = new Counter({ name: 'gateway_orders_accepted_total', help: 'Orders accepted durably into the intake queue', labelNames: ['partner'], registers });
    this.ordersCreated = new Counter({ name: 'gateway_orders_created_total', help: 'Orders created in Odoo', labelNames: ['partner'], registers });
    this.ordersRejected = new Counter({ name: 'gateway_orders_rejected_total', help: 'Orders rejected, by reason (contract validation or an Odoo refusal)', labelNames: ['partner', 'reason'], registers });
    this.intakeRetries = new Counter({ name: 'gateway_intake_retries_total', help: 'Intake attempts put back to wait, by kind and cause (transient, odoo_retry: the addon rolled the item back, error)', labelNames: ['kind', 'cause'], registers });
    this.inventoryOversold = new Counter({
      name: 'gateway_inventory_oversold_units_total',
      help: 'Units accepted beyond what was available to promise, by the oversell policy that let them in (accept, backorder)',
      labelNames: ['policy'],
      registers,
    });
    this.duplicatesSuppressed = new Counter({ name: 'gateway_duplicates_suppressed_total', help: 'Submissions recognised as duplicates and not processed again', labelNames: ['partner', 'kind'], registers });

    const log = options.logger;
    const deliveryCounts = () => this.deliveryCounts?.() ?? Promise.resolve(null);
    const gauge = (name: string, help: string, read: () => Promise<number | null>) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const v = await read().catch((err: Error) => {
            log?.debug({ err: err.message, metric: name }, 'metrics: gauge not readable');
            return null;
          });
          if (v !== null) this.set(v);
        },
      });

    gauge('gateway_intake_queue_depth', 'Intake items waiting to be sent to Odoo (accepted or in flight)', () =>
      this.provided('intakeDepth'),
    );
    gauge('gateway_intake_oldest_age_seconds', 'Age of the oldest intake item not yet sent to Odoo', () =>
      this.provided('intakeOldestAge'),
    );
    gauge('gateway_intake_failed', 'Intake items that failed permanently and wait for an operator', () =>
      this.provided('intakeFailed'),
    );
    gauge('gateway_intake_retrying', 'Intake items waiting again after a failed attempt (transient failures and the addon\'s `retry` included): failing, not failed', () =>
      this.provided('intakeRetrying'),
    );
    gauge('gateway_intake_drain_limit', 'Addon calls the intake drainer may have in flight now (adaptive: learned from Odoo\'s latency)', () =>
      this.provided('intakeDrainLimit'),
    );
    gauge('gateway_intake_drain_batch_size', 'Items per addon call the intake drainer sends now (adaptive: fitted to the target call duration)', () =>
      this.provided('intakeDrainBatchSize'),
    );
    gauge('gateway_outbox_lag_seconds', 'Age of the oldest event not yet dispatched (Odoo outbox as seen by the relay, and the gateway\'s own events)', async () => {
      const relay = await this.provided('outboxLag');
      const own = await this.provided('gatewayEventsLag');
      if (relay === null && own === null) return null;
      return Math.max(relay ?? 0, own ?? 0);
    });
    gauge('gateway_delivery_lag_seconds', 'Age of the oldest webhook delivery still pending', () =>
      this.provided('deliveryLag'),
    );
    const deliveries = new Gauge({ name: 'gateway_deliveries', help: 'Webhook deliveries in the store by outcome (pending, delivered, dead)', labelNames: ['outcome'], registers,
      async collect() {
        const counts = await deliveryCounts().catch((err: Error) => {
          log?.debug({ err: err.message, metric: 'gateway_deliveries' }, 'metrics: gauge not readable');
          return null;
        });
        if (!counts) return;
        this.reset();
        for (const s of ['pending', 'delivered', 'dead']) this.set({ outcome: s }, counts[s] ?? 0);
      },
    });
    void deliveries;
    gauge('gateway_dead_letters', 'Webhook deliveries that exhausted their retries (dead letters)', () =>
      this.provided('deadLetters'),
    );
    gauge('gateway_inventory_updates_stale', 'Inventory updates not applied within their freshness target', () => this.provided('inventoryStale'));
    gauge('gateway_inventory_freshness_target_seconds', 'The freshness target inventory updates are held to', async () => this.options.inventoryFreshnessSeconds ?? 60);
    gauge('gateway_returns_stuck', 'Returns accepted by the gateway but not created in Odoo within the configured time', () => this.provided('returnsStuck'));
  }

  /**
   * Registers the provider of a scrape-time value (a gauge without one is left unset). Names:
   * `intakeDepth`, `intakeOldestAge`, `intakeFailed`, `intakeRetrying`, `intakeDrainLimit`,
   * `intakeDrainBatchSize`, `outboxLag`,
   * `gatewayEventsLag`, `deliveryLag`, `deadLetters`, `inventoryStale`, `returnsStuck`.
   */
  provide(name: string, provider: GaugeProvider): void {
    this.providers.set(name, provider);
  }

  /** Registers the provider of the webhook deliveries' counts by status (`gateway_deliveries`). */
  provideDeliveryCounts(provider: () => Promise<Record<string, number>>): void {
    this.deliveryCounts = provider;
  }

  /** A gauge or set of gauges computed at scrape time by another feature (circuit state, anomalies…). */
  gauge<L extends string>(config: client.GaugeConfiguration<L>): client.Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  /** Records one Odoo call (the Odoo client's `onCall` hook). */
  observeOdooCall(model: string, method: string, durationMs: number, error?: { kind: string }): void {
    this.odooCalls.inc({ model, method, outcome: error ? error.kind : 'ok' });
    this.odooDuration.observe({ model, method }, durationMs / 1000);
  }

  /** The Prometheus text exposition. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async provided(name: string): Promise<number | null> {
    const p = this.providers.get(name);
    return p ? await p() : null;
  }
}
