import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus } from './nats.js';

const NATS_URL = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';
// Generous deadlines for connect, stream set-up and publish acks: a busy machine is slow, never
// wrong. A port nothing listens on is refused at once, so "NATS down" stays quick.
const BUS_TIMEOUT_MS = 10_000;
const suffix = randomBytes(4).toString('hex');
const stream = `RG_TEST_${suffix}`;
const prefix = `rgtest.${suffix}`;
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

describe('NATS JetStream bus', () => {
  it('publishes each event on retail.events.<type> with Nats-Msg-Id = event id, once', async () => {
    const bus = createNatsBus({ url: NATS_URL, stream, subjectPrefix: prefix, timeoutMs: BUS_TIMEOUT_MS });
    try {
      const body = JSON.stringify({ id: 'evt-a', type: 'order.created' });
      await bus.publish([{ id: 'evt-a', type: 'order.created', partner: 'acme', body }]);
      // The same event again (a relay crashed before its ack): JetStream drops the duplicate.
      await bus.publish([{ id: 'evt-a', type: 'order.created', partner: 'acme', body }]);
      await bus.publish([{ id: 'evt-b', type: 'inventory.changed', body: '{"id":"evt-b"}' }]);
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(stream);
      expect(info.config.subjects).toEqual([`${prefix}.>`]);
      expect(info.state.messages).toBe(2);
      const first = await jsm.streams.getMessage(stream, { seq: 1 });
      if (!first) throw new Error('message 1 missing from the stream');
      expect(first.subject).toBe(`${prefix}.order.created`);
      expect(first.header.get('Nats-Msg-Id')).toBe('evt-a');
      expect(first.header.get('Retail-Partner')).toBe('acme');
      expect(new TextDecoder().decode(first.data)).toBe(body);
      const second = await jsm.streams.getMessage(stream, { seq: 2 });
      expect(second?.header.get('Nats-Msg-Id')).toBe('evt-b');
    } finally {
      await bus.close();
    }
  });

  it('fails the publish when NATS is down, and succeeds once it is up', async () => {
    // A port nothing listens on stands for NATS being down.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const down = createNatsBus({ url: `nats://127.0.0.1:${port}`, stream, subjectPrefix: prefix, timeoutMs: BUS_TIMEOUT_MS });
    await expect(down.publish([{ id: 'evt-c', type: 'order.created', body: '{}' }])).rejects.toThrow();
    await down.close();
    const up = createNatsBus({ url: NATS_URL, stream, subjectPrefix: prefix, timeoutMs: BUS_TIMEOUT_MS });
    await up.publish([{ id: 'evt-c', type: 'order.created', body: '{}' }]);
    await up.close();
  });
});
