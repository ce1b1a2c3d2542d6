/**
 * The relay: the outbox pump, the durable delivery queue, the dispatcher, the Odoo reporter and the
 * optional event bus, wired together. Runs inside the gateway by default (`GATEWAY_RELAY=true`) or
 * alone (`retail-gateway relay`); several may run side by side on one Odoo.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createNatsBus, type EventBus } from '../bus/nats.js';
import type { OdooClient } from '../odoo/client.js';
import type { SqlStore } from '../store/store.js';
import { createWebhookSender, type WebhookSender } from '../webhooks/outbound/sender.js';
import { createTargetPolicy, type TargetPolicy } from '../webhooks/outbound/target-policy.js';
import { DeliveryQueue, type ReplayFilter } from './deliveries.js';
import { createOdooPartnerDirectory, type PartnerDirectory } from './directory.js';
import { Dispatcher } from './dispatcher.js';
import { OutboxPump } from './pump.js';
import { DeliveryReporter } from './reporter.js';
import type { Random } from './schedule.js';
import { testEnvelope } from './test-event.js';

export interface RelayOptions {
  config: Config;
  odoo: OdooClient;
  store: SqlStore;
  logger: Logger;
  /** Scheduling clock; tests move it instead of sleeping. */
  now?: () => number;
  random?: Random;
  directory?: PartnerDirectory;
  policy?: TargetPolicy;
  sender?: WebhookSender;
  /** Overrides the bus built from `config.natsUrl` (null: none). */
  bus?: EventBus | null;
  /** Name of this relay in outbox leases and delivery leases. */
  name?: string;
  /** Tuning for tests and benchmarks. */
  tuning?: { batchSize?: number; maxInFlight?: number; idlePollMs?: number; maxIdleMs?: number; reportIntervalMs?: number; leaseSeconds?: number };
}

export class Relay {
  readonly queue: DeliveryQueue;
  readonly directory: PartnerDirectory;
  readonly policy: TargetPolicy;
  readonly dispatcher: Dispatcher;
  readonly pump: OutboxPump;
  readonly reporter: DeliveryReporter;
  readonly bus: EventBus | null;
  readonly name: string;
  private readonly sender: WebhookSender;
  private readonly ownsSender: boolean;
  private started = false;
  private stopping: Promise<void> | null = null;

  constructor(private readonly o: RelayOptions) {
    const now = o.now ?? Date.now;
    const { config } = o;
    this.name = o.name ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.queue = new DeliveryQueue(o.store, now);
    this.directory = o.directory ?? createOdooPartnerDirectory({ odoo: o.odoo });
    this.policy = o.policy ?? createTargetPolicy({ allowed: config.webhookAllowedTargets });
    this.ownsSender = !o.sender;
    this.sender =
      o.sender ??
      createWebhookSender({
        policy: this.policy,
        connectTimeoutMs: config.relay.connectTimeoutMs,
        responseTimeoutMs: config.relay.responseTimeoutMs,
        connectionsPerOrigin: config.relay.concurrencyPerEndpoint,
      });
    this.bus =
      o.bus !== undefined
        ? o.bus
        : config.natsUrl
          ? createNatsBus({ url: config.natsUrl, stream: config.natsStream, subjectPrefix: config.natsSubjectPrefix, logger: o.logger })
          : null;
    this.reporter = new DeliveryReporter({ queue: this.queue, odoo: o.odoo, logger: o.logger, intervalMs: o.tuning?.reportIntervalMs });
    this.dispatcher = new Dispatcher({
      queue: this.queue,
      directory: this.directory,
      sender: this.sender,
      disableSubscription: async ({ partner, subscriptionId, consecutiveFailures }) => {
        await o.odoo.rpc('update_subscription', { partner, id: subscriptionId, disabled: true, consecutive_failures: consecutiveFailures });
      },
      logger: o.logger,
      owner: this.name,
      now,
      random: o.random,
      concurrencyPerEndpoint: config.relay.concurrencyPerEndpoint,
      maxInFlight: o.tuning?.maxInFlight,
      idlePollMs: o.tuning?.idlePollMs,
      disableAfterFailures: config.relay.disableAfterFailures,
      disableAfterMs: config.relay.disableAfterMs,
    });
    this.pump = new OutboxPump({
      odoo: o.odoo,
      queue: this.queue,
      directory: this.directory,
      bus: this.bus,
      logger: o.logger,
      consumer: this.name,
      now,
      batchSize: o.tuning?.batchSize,
      maxIdleMs: o.tuning?.maxIdleMs,
      leaseSeconds: o.tuning?.leaseSeconds,
      onEnqueued: () => this.dispatcher.wake(),
    });
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.pump.start();
    this.dispatcher.start();
    this.reporter.start();
    this.o.logger.info({ relay: this.name, bus: this.bus ? this.o.config.natsUrl : null }, 'relay started');
  }

  /** Stops claiming, finishes requests in flight, reports outcomes, closes connections. Idempotent; the relay cannot start again. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.pump.stop();
      await this.dispatcher.stop();
      await this.reporter.stop();
      if (this.ownsSender) await this.sender.close();
      await this.bus?.close();
    })();
    return this.stopping;
  }

  /**
   * One full round without the background loops: claim, deliver what is due (at the current
   * clock), report. Tests and the CLI use it.
   */
  async runOnce(): Promise<{ events: number; attempts: number; reported: number }> {
    const events = await this.pump.drain();
    const attempts = await this.dispatcher.drain();
    const reported = await this.reporter.reportOnce();
    return { events, attempts, reported };
  }

  /** Replays deliveries (same `webhook-id`); returns the ids put back in the queue. */
  async replay(filter: ReplayFilter): Promise<number[]> {
    const ids = await this.queue.idsForReplay(filter);
    await this.queue.replay(filter);
    this.dispatcher.wake();
    return ids;
  }

  /** Queues a `webhook.test` event to one subscription; returns the delivery id and event id. */
  async sendTest(partner: string, subscriptionId: number): Promise<{ deliveryId: number; eventId: string }> {
    const envelope = testEnvelope(partner, subscriptionId, Date.now());
    await this.queue.enqueue([
      {
        eventId: envelope.id,
        source: 'test',
        subscriptionId,
        partner,
        eventType: envelope.type,
        aggregate: envelope.subject,
        body: JSON.stringify(envelope),
        eventTimeMs: Date.parse(envelope.time),
      },
    ]);
    const deliveryId = await this.queue.idOf(envelope.id, subscriptionId);
    this.dispatcher.wake();
    return { deliveryId: Number(deliveryId), eventId: envelope.id };
  }
}
