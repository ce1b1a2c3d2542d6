/**
 * The event bus in the pipeline, against the real NATS JetStream on this machine: every event is
 * published with `Nats-Msg-Id` = its id before the outbox is acknowledged; with NATS down the
 * outbox keeps the events pending (webhooks still go out) and the relay catches up when NATS is back.
 */
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus } from '../../gateway/src/bus/nats.js';
import { startOdooFake } from '../odoo-fake/index.js';
import { startReceiver } from './support/receiver.js';
import { relayRig, simSkus } from './support/rig.js';

const NATS_URL = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';
// Generous deadlines for connect, stream set-up and publish acks: a busy machine is slow, never
// wrong. A port nothing listens on is refused at once, so "NATS down" stays quick.
const BUS_TIMEOUT_MS = 10_000;
const natsPort = Number(new URL(NATS_URL).port || 4222);
const streams: string[] = [];
let nc: NatsConnection;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
  await nc.close();
});

function names() {
  const suffix = randomBytes(4).toString('hex');
  const stream = `RG_RELAY_${suffix}`;
  streams.push(stream);
  return { stream, prefix: `rgrelay.${suffix}` };
}

async function messagesIn(stream: string) {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out: { subject: string; msgId: string | undefined; body: string }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (!m) continue; // deleted from the stream
    out.push({ subject: m.subject, msgId: m.header.get('Nats-Msg-Id'), body: new TextDecoder().decode(m.data) });
  }
  return out;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A TCP forwarder to NATS on `port`: NATS "comes back" at the address the relay was given. */
async function natsProxy(port: number): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(natsPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  return server;
}

describe('event bus in the relay', () => {
  it('publishes every event to JetStream with Nats-Msg-Id = event id, then acknowledges the outbox', async () => {
    const sim = await startOdooFake();
    sim.state.addPartner({ code: 'acme', scopes: ['products:read'] });
    const { stream, prefix } = names();
    const bus = createNatsBus({ url: NATS_URL, stream, subjectPrefix: prefix, timeoutMs: BUS_TIMEOUT_MS });
    const rig = await relayRig(sim, { bus });
    cleanups.push(() => sim.close(), () => rig.close());
    const sku = simSkus(sim)[0]!;
    sim.state.updateProduct(sku, { listPrice: 42 });
    sim.state.setStock(sku, 'WH', 7);
    const events = sim.state.outbox();
    expect(events.length).toBeGreaterThan(1);
    await rig.relay.runOnce();
    expect(sim.state.outbox().every((e) => e.state === 'dispatched')).toBe(true);
    const msgs = await messagesIn(stream);
    expect(msgs.map((m) => m.msgId)).toEqual(events.map((e) => e.envelope.id));
    expect(msgs.map((m) => m.subject)).toEqual(events.map((e) => `${prefix}.${e.envelope.type}`));
    expect(JSON.parse(msgs[0]!.body)).toEqual(events[0]!.envelope);
  });

  it('with NATS down keeps the outbox pending, still delivers webhooks, and catches up once NATS is back', async () => {
    const sim = await startOdooFake();
    sim.state.addPartner({ code: 'acme', scopes: ['products:read'] });
    const receiver = await startReceiver();
    const { stream, prefix } = names();
    const port = await freePort();
    const bus = createNatsBus({ url: `nats://127.0.0.1:${port}`, stream, subjectPrefix: prefix, timeoutMs: BUS_TIMEOUT_MS });
    const rig = await relayRig(sim, { bus });
    cleanups.push(() => sim.close(), () => receiver.close(), () => rig.close());
    const { secret } = await rig.odoo.rpc('create_subscription', { partner: 'acme', url: `${receiver.url}/hooks`, event_types: ['product.updated'], active: true });
    receiver.secrets.push(secret);
    const skus = simSkus(sim);
    for (let i = 0; i < 5; i++) sim.state.updateProduct(skus[i]!, { listPrice: 50 + i });
    const events = sim.state.outbox();

    await expect(rig.relay.pump.pumpOnce()).rejects.toThrow();
    await rig.relay.dispatcher.drain();
    expect(sim.state.outbox().filter((e) => e.state === 'dispatched')).toEqual([]);
    expect(receiver.received.map((r) => r.id).sort()).toEqual(events.map((e) => e.envelope.id).sort());

    // NATS is back at the same address; the leases ran out, so the events are claimed again.
    await natsProxy(port);
    sim.state.advanceClock(120_000);
    await rig.relay.runOnce();
    expect(sim.state.outbox().every((e) => e.state === 'dispatched')).toBe(true);
    const msgs = await messagesIn(stream);
    expect(msgs.map((m) => m.msgId).sort()).toEqual(events.map((e) => e.envelope.id).sort());
    // Claimed twice, delivered once: the delivery is unique per event and subscription.
    expect(receiver.received).toHaveLength(events.length);
  });
});
