/**
 * The event bus: every event the relay handles is also published to NATS JetStream when `NATS_URL`
 * is set, for analytics and other consumers.
 *
 * - Stream `RETAIL_EVENTS` (file storage, limits retention, 7 days, 2 h duplicate window), subjects
 *   `retail.events.<type>`, e.g. `retail.events.order.created`. The stream is created if missing.
 * - Each message is the CloudEvents envelope (JSON) with `Nats-Msg-Id` = the event id, so a
 *   re-publish after a crash is dropped by JetStream's de-duplication, and `Retail-Partner`.
 * - A publish resolves only once JetStream stored it (the PubAck); the relay acknowledges the outbox
 *   after that, so with NATS down events stay pending in Odoo and nothing is lost.
 */
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

export const DEFAULT_STREAM = 'RETAIL_EVENTS';
export const DEFAULT_SUBJECT_PREFIX = 'retail.events';

export interface BusEvent {
  id: string;
  type: string;
  /** The partner the event concerns, when it concerns one. */
  partner?: string | null;
  /** The CloudEvents envelope as JSON. */
  body: string;
}

export interface EventBus {
  /** Publishes and waits for JetStream's acknowledgement of every event. Throws when any failed. */
  publish(events: readonly BusEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface NatsBusOptions {
  url: string;
  stream?: string;
  subjectPrefix?: string;
  logger?: Logger;
  /** Connect and publish-acknowledgement timeout. Default 2 s. */
  timeoutMs?: number;
}

/** The subject an event type is published on. */
export const subjectFor = (prefix: string, type: string) => `${prefix}.${type}`;

export function createNatsBus(options: NatsBusOptions): EventBus {
  const stream = options.stream ?? DEFAULT_STREAM;
  const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const timeout = options.timeoutMs ?? 2_000;
  let conn: Promise<{ nc: NatsConnection; js: JetStreamClient }> | null = null;
  let closed = false;

  async function open() {
    const nc = await connect({ servers: options.url, timeout, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 1_000, name: 'retail-gateway-relay' });
    try {
      const jsm = await jetstreamManager(nc, { timeout });
      try {
        await jsm.streams.info(stream);
      } catch (err) {
        if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
        await jsm.streams.add({
          name: stream,
          subjects: [`${prefix}.>`],
          duplicate_window: nanos(2 * 3_600_000),
          max_age: nanos(7 * 24 * 3_600_000),
        });
      }
      options.logger?.info({ url: options.url, stream, subjects: `${prefix}.>` }, 'bus: connected to NATS JetStream');
      void nc.closed().then(() => {
        conn = null;
      });
      return { nc, js: jetstream(nc, { timeout }) };
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }

  function connection() {
    if (closed) return Promise.reject(new Error('event bus closed'));
    if (!conn) {
      conn = open();
      conn.catch(() => {
        conn = null; // NATS down: the next publish tries again
      });
    }
    return conn;
  }

  return {
    async publish(events) {
      if (events.length === 0) return;
      const { js } = await connection();
      await Promise.all(
        events.map((e) => {
          const h = natsHeaders();
          h.set('Content-Type', 'application/cloudevents+json');
          if (e.partner) h.set('Retail-Partner', e.partner);
          return js.publish(subjectFor(prefix, e.type), new TextEncoder().encode(e.body), { msgID: e.id, headers: h, timeout });
        }),
      );
    },
    async close() {
      closed = true;
      const c = conn;
      conn = null;
      if (c) await c.then(({ nc }) => nc.drain(), () => undefined).catch(() => undefined);
    },
  };
}
