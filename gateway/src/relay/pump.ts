/**
 * Moves events from their sources into the delivery queue:
 *
 * - the addon's outbox: `claim` a batch (with a lease, so replicas share the outbox), store one
 *   delivery per matching subscription, publish to the bus when it is enabled, then `ack`. A
 *   failure anywhere before the ack leaves the events leased; they come back when the lease ends,
 *   and the (event, subscription) uniqueness stops a second delivery.
 * - the gateway's own `gateway_events` (intake outcomes, for the partner that sent the item): the
 *   same, then `published_at` is set.
 *
 * It polls quickly while there is work and backs off to `maxIdleMs` when there is none.
 */
import type { Logger } from 'pino';
import type { EventEnvelope } from '../../../contracts/src/events.js';
import type { EventBus } from '../bus/nats.js';
import { markGatewayEventsPublished, readGatewayEvents } from '../intake/events.js';
import type { OdooClient } from '../odoo/client.js';
import type { DeliveryQueue, DeliverySource, NewDelivery } from './deliveries.js';
import type { PartnerDirectory } from './directory.js';
import { deliveriesTo } from './routing.js';

export interface PumpOptions {
  odoo: OdooClient;
  queue: DeliveryQueue;
  directory: PartnerDirectory;
  bus: EventBus | null;
  logger: Logger;
  /** The outbox consumer name (unique per process). */
  consumer: string;
  now: () => number;
  batchSize?: number;
  leaseSeconds?: number;
  /** First poll interval when idle; doubles up to `maxIdleMs`. Default 25 ms. */
  minIdleMs?: number;
  maxIdleMs?: number;
  /** Relay `gateway_events` too (true unless the store has no such table). */
  gatewayEvents?: boolean;
  /** Called after new deliveries were stored (the dispatcher wakes). */
  onEnqueued?: (count: number) => void;
}

export class OutboxPump {
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private readonly batchSize: number;
  private gatewayFailures = 0;
  /** Ops (outbox lag metric): when the outbox was last claimed, and the oldest event time that claim returned. */
  lastClaim: { at: number; oldestEventMs: number | null } | null = null;

  constructor(private readonly o: PumpOptions) {
    this.batchSize = o.batchSize ?? 200;
  }

  /** Deliveries for a batch of envelopes, one per subscription of the event's recipients that lists its type. */
  private async deliveriesFor(items: { envelope: EventEnvelope; recipients: readonly string[]; source: DeliverySource }[]): Promise<NewDelivery[]> {
    const partners = await this.o.directory.partners();
    const out: NewDelivery[] = [];
    for (const { envelope, recipients, source } of items) {
      const body = JSON.stringify(envelope);
      const eventTimeMs = Date.parse(envelope.time) || this.o.now();
      for (const { partner, subscription } of deliveriesTo(partners, recipients, envelope.type)) {
        out.push({ eventId: envelope.id, source, subscriptionId: subscription.id, partner: partner.code, eventType: envelope.type, aggregate: envelope.subject, body, eventTimeMs });
      }
    }
    return out;
  }

  /** One claim–store–publish–ack round on the outbox. Returns the number of events handled. */
  async pumpOutboxOnce(): Promise<number> {
    const { events } = await this.o.odoo.rpc('claim', { limit: this.batchSize, lease_seconds: this.o.leaseSeconds ?? 60, consumer: this.o.consumer });
    this.lastClaim = { at: this.o.now(), oldestEventMs: events.length ? Math.min(...events.map((e) => Date.parse(e.envelope.time) || this.o.now())) : null };
    if (events.length === 0) return 0;
    const deliveries = await this.deliveriesFor(events.map((e) => ({ envelope: e.envelope as EventEnvelope, recipients: e.recipients, source: 'outbox' as const })));
    // A Replay from Odoo: the deliveries already stored get a new attempt now (before the insert,
    // so a subscription that is new since the first claim is not counted as replayed).
    const replayed = await this.o.queue.replayNow(events.filter((e) => e.replay).map((e) => e.envelope.id));
    const added = (await this.o.queue.enqueue(deliveries)) + replayed;
    if (added > 0) this.o.onEnqueued?.(added);
    if (this.o.bus) {
      await this.o.bus.publish(events.map((e) => ({ id: e.envelope.id, type: e.envelope.type, partner: partnerOf(e.envelope as EventEnvelope), body: JSON.stringify(e.envelope) })));
    }
    const event_ids = events.map((e) => e.event_id);
    for (let i = 0; i < event_ids.length; i += 1000) {
      await this.o.odoo.rpc('ack', { event_ids: event_ids.slice(i, i + 1000), consumer: this.o.consumer });
    }
    return events.length;
  }

  /** One round on the gateway's own events. */
  async pumpGatewayEventsOnce(): Promise<number> {
    const rows = await readGatewayEvents(this.o.queue.store, { unpublishedOnly: true, limit: this.batchSize });
    if (rows.length === 0) return 0;
    const deliveries = await this.deliveriesFor(rows.map((r) => ({ envelope: r.envelope, recipients: r.partner ? [r.partner] : [], source: 'gateway' as const })));
    const added = await this.o.queue.enqueue(deliveries);
    if (added > 0) this.o.onEnqueued?.(added);
    if (this.o.bus) {
      await this.o.bus.publish(rows.map((r) => ({ id: r.envelope.id, type: r.envelope.type, partner: r.partner, body: JSON.stringify(r.envelope) })));
    }
    await markGatewayEventsPublished(this.o.queue.store, rows.map((r) => r.seq), this.o.now());
    return rows.length;
  }

  /** Both sources once; returns the events handled. An outbox failure is thrown after the other source ran. */
  async pumpOnce(): Promise<number> {
    let n = 0;
    if (this.o.gatewayEvents !== false) {
      try {
        n += await this.pumpGatewayEventsOnce();
        this.gatewayFailures = 0;
      } catch (err) {
        if (this.gatewayFailures++ % 100 === 0) this.o.logger.warn({ err }, 'relay: relaying gateway events failed; they stay unpublished');
      }
    }
    return n + (await this.pumpOutboxOnce());
  }

  /** Pumps until both sources are empty (tests, CLI). */
  async drain(maxRounds = 1000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = await this.pumpOnce();
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  wake(): void {
    this.wakeUp?.();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    const minIdle = this.o.minIdleMs ?? 25;
    const maxIdle = this.o.maxIdleMs ?? 250;
    let idle = minIdle;
    let failures = 0;
    while (this.running) {
      let handled = 0;
      try {
        handled = await this.pumpOnce();
        failures = 0;
      } catch (err) {
        failures++;
        // Odoo or NATS down: the events stay in the outbox; back off and log now and then.
        if (failures === 1 || failures % 30 === 0) this.o.logger.warn({ err, failures }, 'relay: claiming or publishing events failed; events stay pending');
      }
      if (!this.running) break;
      if (handled > 0) {
        idle = minIdle;
        continue;
      }
      const wait = failures > 0 ? Math.min(5_000, 250 * 2 ** Math.min(failures, 5)) : idle;
      idle = Math.min(maxIdle, idle * 2);
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          if (this.wakeUp === finish) this.wakeUp = null;
          resolve();
        };
        const timer = setTimeout(finish, wait);
        this.wakeUp = finish;
      });
    }
  }
}

function partnerOf(envelope: EventEnvelope): string | null {
  const p = (envelope.data as { partner?: unknown }).partner;
  return typeof p === 'string' ? p : null;
}
