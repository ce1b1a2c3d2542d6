/** Shared fixtures of the relay suites: partners, a store, a movable clock, a dispatcher. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { EventEnvelope } from '../../../contracts/src/events.js';
import { createLogger } from '../../../gateway/src/logger.js';
import { DeliveryQueue, type NewDelivery } from '../../../gateway/src/relay/deliveries.js';
import { createStaticPartnerDirectory } from '../../../gateway/src/relay/directory.js';
import { Dispatcher, type DispatcherOptions } from '../../../gateway/src/relay/dispatcher.js';
import { migrations } from '../../../gateway/src/store/migrations.js';
import { SqliteStore } from '../../../gateway/src/store/sqlite.js';
import type { SqlStore } from '../../../gateway/src/store/store.js';
import { createWebhookSender } from '../../../gateway/src/webhooks/outbound/sender.js';
import { createTargetPolicy } from '../../../gateway/src/webhooks/outbound/target-policy.js';

export const silent = createLogger('silent');

/** A clock tests move by hand. */
export function movableClock(start = Date.now()) {
  let t = start;
  const now = () => t;
  return Object.assign(now, {
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  });
}

export function partner(code: string, subscriptions: { id: number; url: string; secrets: string[]; event_types?: string[]; active?: boolean; disabled?: boolean }[], extra: Partial<PartnerRecord> = {}): PartnerRecord {
  return {
    code,
    name: code,
    active: true,
    scopes: ['orders:read'],
    tier: 'standard',
    mode: 'live',
    warehouses: [],
    company_id: 1,
    issuer: null,
    jwks_url: null,
    inbound_secrets: { shopify: [], woocommerce: [], stripe: [], standard: [] },
    updated_at: '2026-01-01T00:00:00Z',
    subscriptions: subscriptions.map((s) => ({
      id: s.id,
      partner: code,
      url: s.url,
      event_types: (s.event_types ?? ['order.created', 'order.cancelled', 'shipment.shipped']) as PartnerRecord['subscriptions'][number]['event_types'],
      active: s.active ?? true,
      consecutive_failures: 0,
      disabled_at: s.disabled ? '2026-01-01T00:00:00Z' : null,
      created_at: '2026-01-01T00:00:00Z',
      secrets: s.secrets.map((secret) => ({ secret, valid_until: null })),
    })),
    ...extra,
  };
}

let seq = 0;
/** An `order.created` envelope for `sale.order/<orderId>`. */
export function orderCreated(orderId: number, partnerCode: string, sequence = 1): EventEnvelope {
  return {
    id: `evt_${orderId}_${sequence}_${++seq}`,
    source: 'odoo://test/retail_gateway',
    specversion: '1.0',
    type: 'order.created',
    time: new Date().toISOString(),
    subject: `sale.order/${orderId}`,
    datacontenttype: 'application/json',
    sequence,
    data: {
      order: { id: orderId, name: `S${orderId}` },
      partner: partnerCode,
      external_id: `ext-${orderId}`,
      channel: 'web',
      currency: 'EUR',
      amount_untaxed: '10.00',
      amount_total: '12.10',
      customer_id: 7,
      lines: [{ sku: 'SKU-1', quantity: 1, unit_price: '10.00', discount_percent: '0' }],
    },
  };
}

export function deliveryFor(envelope: EventEnvelope, subscriptionId: number, partnerCode: string): NewDelivery {
  return {
    eventId: envelope.id,
    source: 'outbox',
    subscriptionId,
    partner: partnerCode,
    eventType: envelope.type,
    aggregate: envelope.subject,
    body: JSON.stringify(envelope),
    eventTimeMs: Date.parse(envelope.time),
  };
}

export async function tempStore(): Promise<{ store: SqlStore; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-relay-'));
  const store = new SqliteStore(join(dir, 'gateway.sqlite'));
  await store.migrate(migrations);
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A dispatcher on a SQLite store, a static directory and a loopback-allowed sender. */
export async function dispatcherRig(partners: PartnerRecord[], options: Partial<DispatcherOptions> = {}) {
  const { store, cleanup } = await tempStore();
  const clock = movableClock();
  const queue = new DeliveryQueue(store, clock);
  const directory = createStaticPartnerDirectory(partners);
  // The production deadlines: a loopback receiver on a busy machine may take seconds to answer,
  // and a timeout here would be a retry the test does not expect.
  const sender = createWebhookSender({ policy: createTargetPolicy({ allowed: ['127.0.0.1'] }), responseTimeoutMs: 15_000, connectTimeoutMs: 5_000 });
  const disabled: { partner: string; subscriptionId: number; consecutiveFailures: number }[] = [];
  const dispatcher = new Dispatcher({
    queue,
    directory,
    sender,
    logger: silent,
    owner: 'test-relay',
    now: clock,
    random: () => 0.5,
    disableSubscription: async (e) => {
      disabled.push(e);
    },
    ...options,
  });
  return {
    store,
    clock,
    queue,
    directory,
    dispatcher,
    disabled,
    async close() {
      await dispatcher.stop();
      await sender.close();
      await cleanup();
    },
  };
}
