/**
 * The whole relay against the fake Odoo: claim → durable delivery → ack → signed POST →
 * report, two relays on one outbox (own stores, and one shared PostgreSQL store) without a double
 * delivery, auto-disable in the registry, and the gateway's own events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordGatewayEvent } from '../../gateway/src/intake/events.js';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { migrations } from '../../gateway/src/store/migrations.js';
import { PostgresStore } from '../../gateway/src/store/postgres.js';
import { createTestDatabase } from '../support/postgres.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { eventually, relayRig, simSkus, type RelayRig } from './support/rig.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function world(eventTypes: string[] = ['product.updated']) {
  const sim = await startOdooFake();
  sim.state.addPartner({ code: 'acme', scopes: ['products:read', 'orders:read', 'webhooks:manage'] });
  sim.state.addPartner({ code: 'globex', scopes: ['products:read', 'webhooks:manage'] });
  const receiver = await startReceiver();
  cleanups.push(() => sim.close(), () => receiver.close());
  return { sim, receiver, eventTypes };
}

async function subscribe(rig: RelayRig, receiver: Receiver, partner: string, eventTypes: string[], path = '/hooks') {
  const { subscription, secret } = await rig.odoo.rpc('create_subscription', {
    partner,
    url: `${receiver.url}${path}`,
    event_types: eventTypes as never,
    active: true,
  });
  receiver.secrets.push(secret);
  return { subscription, secret };
}

const pending = (sim: OdooFake) => sim.state.outbox().filter((e) => e.state !== 'dispatched');

describe('relay against the fake Odoo', () => {
  it('claims, stores one delivery per matching subscription, acks, delivers signed, reports to Odoo', async () => {
    const { sim, receiver } = await world();
    const rig = await relayRig(sim);
    cleanups.push(() => rig.close());
    const { subscription } = await subscribe(rig, receiver, 'acme', ['product.updated']);
    await subscribe(rig, receiver, 'globex', ['inventory.changed'], '/globex'); // another type: nothing for it
    const sku = simSkus(sim)[0]!;
    sim.state.updateProduct(sku, { listPrice: 12.5 });
    const events = sim.state.outbox({ type: 'product.updated' });
    expect(events.length).toBeGreaterThan(0);

    const round = await rig.relay.runOnce();
    expect(round.events).toBeGreaterThanOrEqual(events.length);
    expect(pending(sim)).toEqual([]);
    const got = receiver.received;
    expect(got.map((r) => r.id).sort()).toEqual(events.map((e) => e.envelope.id).sort());
    expect(got.every((r) => r.verified)).toBe(true);
    expect(got[0]!.json).toEqual(events.find((e) => e.envelope.id === got[0]!.id)!.envelope);
    // The sync status reached Odoo.
    const reports = sim.state.deliveries(events[0]!.envelope.id);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ status: 'delivered', attempts: 1, partner: 'acme', subscriptionId: subscription.id });
  });

  it('reports a failing delivery as failed, then as dead', async () => {
    const { sim, receiver } = await world();
    const rig = await relayRig(sim);
    cleanups.push(() => rig.close());
    await subscribe(rig, receiver, 'acme', ['product.updated']);
    receiver.respond = ({ count }) => ({ status: count === 1 ? 503 : 404 });
    sim.state.updateProduct(simSkus(sim)[1]!, { listPrice: 13 });
    const [event] = sim.state.outbox({ type: 'product.updated' });
    await rig.relay.pump.drain();
    await rig.relay.dispatcher.dispatchOnce(); // attempt 1: 503, retry due at once
    await rig.relay.reporter.reportOnce();
    const failed = sim.state.deliveries(event!.envelope.id)[0]!;
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    // Odoo shows when the relay tries again: the stored next attempt, as a timestamp.
    const [row] = await rig.relay.queue.store.query<{ next_attempt_at: number }>('SELECT next_attempt_at FROM webhook_deliveries WHERE event_id = ?', [event!.envelope.id]);
    expect(failed.nextAttemptAt).toBe(new Date(Number(row!.next_attempt_at)).toISOString());
    await rig.relay.runOnce(); // attempt 2: 404, final
    expect(sim.state.deliveries(event!.envelope.id)[0]).toMatchObject({ status: 'dead', attempts: 2, nextAttemptAt: null });
  });

  it("Odoo's Replay sends a new attempt at once: failed → endpoint back → Replay → delivered, with no wait for the schedule", async () => {
    const { sim, receiver } = await world();
    const rig = await relayRig(sim);
    cleanups.push(() => rig.close());
    await subscribe(rig, receiver, 'acme', ['product.updated']);
    receiver.respond = () => ({ status: 503 });
    sim.state.updateProduct(simSkus(sim)[3]!, { listPrice: 15 });
    const [event] = sim.state.outbox({ type: 'product.updated' });
    const id = event!.envelope.id;
    await rig.relay.runOnce(); // attempt 1 and its immediate retry fail; the next waits for the schedule
    expect(sim.state.deliveries(id)[0]).toMatchObject({ status: 'failed', attempts: 2 });
    receiver.respond = () => ({ status: 200 });
    // The clock does not move: without the Replay nothing would be due for minutes.
    expect((await rig.relay.runOnce()).attempts).toBe(0);

    sim.state.replayEvent(id);
    const round = await rig.relay.runOnce();
    expect(round.attempts).toBe(1);
    expect(sim.state.deliveries(id)[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(sim.state.outbox({ type: 'product.updated' })[0]!.state).toBe('dispatched');
    const answered = receiver.received.filter((r) => r.answered === 200);
    expect(answered.map((r) => r.id)).toEqual([id]); // same webhook-id: receivers de-duplicate
    const [stored] = await rig.relay.queue.store.query<{ replays: number }>('SELECT replays FROM webhook_deliveries WHERE event_id = ?', [id]);
    expect(Number(stored!.replays)).toBe(1);

    // A delivered event replayed is sent again too; a claim that is no replay sends nothing new.
    sim.state.replayEvent(id);
    expect((await rig.relay.runOnce()).attempts).toBe(1);
    expect(receiver.received.filter((r) => r.answered === 200)).toHaveLength(2);
    expect((await rig.relay.runOnce()).attempts).toBe(0);
  });

  it('disables an endpoint that keeps failing, in the registry (the addon notifies the managers)', async () => {
    const { sim, receiver } = await world();
    const rig = await relayRig(sim, { env: { RELAY_DISABLE_AFTER_FAILURES: '2', RELAY_DISABLE_AFTER_HOURS: '0' } });
    cleanups.push(() => rig.close());
    const { subscription } = await subscribe(rig, receiver, 'acme', ['product.updated']);
    receiver.respond = () => ({ status: 500 });
    sim.state.updateProduct(simSkus(sim)[2]!, { listPrice: 14 });
    await rig.relay.runOnce();
    const { partners } = await rig.odoo.rpc('partners', { codes: ['acme'] });
    const sub = partners[0]!.subscriptions.find((s) => s.id === subscription.id)!;
    expect(sub.disabled_at).not.toBeNull();
    // Nothing more goes to it.
    const before = receiver.received.length;
    sim.state.updateProduct(simSkus(sim)[2]!, { listPrice: 15 });
    await rig.relay.runOnce();
    expect(receiver.received.length).toBe(before);
  });

  it('relays the gateway own events (intake outcomes) and marks them published', async () => {
    const { sim, receiver } = await world();
    const rig = await relayRig(sim);
    cleanups.push(() => rig.close());
    await subscribe(rig, receiver, 'acme', ['order.accepted']);
    await subscribe(rig, receiver, 'globex', ['order.accepted'], '/globex');
    const envelope = await rig.store.transaction((tx) =>
      recordGatewayEvent(tx, {
        type: 'order.accepted',
        partner: 'acme',
        intakeSeq: 1,
        sequence: 1,
        data: { intake_id: 'ord_1', partner: 'acme', external_id: 'WEB-1', channel: 'web', accepted_at: new Date().toISOString() },
        now: Date.now(),
      }),
    );
    await rig.relay.runOnce();
    // Only the partner it concerns receives it.
    expect(receiver.received.map((r) => [r.id, r.verified])).toEqual([[envelope.id, true]]);
    const [row] = await rig.store.query<{ published_at: number | null }>('SELECT published_at FROM gateway_events WHERE id = ?', [envelope.id]);
    expect(row!.published_at).not.toBeNull();
  });

  it('two relays with their own stores share one outbox without a double delivery', async () => {
    const { sim, receiver } = await world();
    const a = await relayRig(sim, { name: 'relay-a', tuning: { batchSize: 7 } });
    const b = await relayRig(sim, { name: 'relay-b', tuning: { batchSize: 7 } });
    cleanups.push(() => a.close(), () => b.close());
    await subscribe(a, receiver, 'acme', ['product.updated', 'inventory.changed']);
    a.relay.start();
    b.relay.start();
    const skus = simSkus(sim);
    for (let i = 0; i < 40; i++) {
      sim.state.updateProduct(skus[i % skus.length]!, { listPrice: 20 + i });
      sim.state.setStock(skus[i % skus.length]!, 'WH', 100 + i);
    }
    const expected = new Set(sim.state.outbox().filter((e) => ['product.updated', 'inventory.changed'].includes(e.envelope.type)).map((e) => e.envelope.id));
    await eventually(() => new Set(receiver.received.map((r) => r.id)).size >= expected.size && pending(sim).length === 0, 'every event delivered');
    await a.relay.stop();
    await b.relay.stop();
    const ids = receiver.received.map((r) => r.id);
    expect(new Set(ids)).toEqual(expected);
    expect(ids.length).toBe(expected.size); // no id twice
    const [na] = await a.store.query<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_deliveries');
    const [nb] = await b.store.query<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_deliveries');
    expect(Number(na!.n) + Number(nb!.n)).toBe(expected.size);
  });

  it('two relays sharing one PostgreSQL store deliver each event once', async () => {
    const { sim, receiver } = await world();
    const db = await createTestDatabase('rg_relay');
    const store = new PostgresStore(db.url, { max: 4 });
    await store.migrate(migrations);
    cleanups.push(() => db.drop(), () => store.close());
    const a = await relayRig(sim, { name: 'pg-a', store, tuning: { batchSize: 5 } });
    const b = await relayRig(sim, { name: 'pg-b', store, tuning: { batchSize: 5 } });
    cleanups.push(() => a.close(), () => b.close());
    await subscribe(a, receiver, 'acme', ['inventory.changed']);
    receiver.respond = ({ count }) => ({ status: count === 1 && Math.random() < 0.3 ? 503 : 200 });
    a.relay.start();
    b.relay.start();
    const skus = simSkus(sim);
    for (let i = 0; i < 60; i++) sim.state.setStock(skus[i % skus.length]!, i % 2 ? 'WH' : 'EU', 10 + i);
    const expected = new Set(sim.state.outbox({ type: 'inventory.changed' }).map((e) => e.envelope.id));
    await eventually(async () => {
      const [row] = await store.query<{ n: number }>("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivered'");
      return Number(row!.n) >= expected.size;
    }, 'every delivery recorded');
    await a.relay.stop();
    await b.relay.stop();
    const ok = receiver.received.filter((r) => r.answered === 200).map((r) => r.id);
    expect(new Set(ok)).toEqual(expected);
    expect(ok.length).toBe(expected.size); // delivered once each (a 503 retry is not a double delivery)
    const owners = await store.query<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_attempts');
    expect(Number(owners[0]!.n)).toBe(receiver.received.length);
    // With one shared store, order per record holds across the relays, retries included.
    const seqBySubject = new Map<string, number>();
    for (const r of receiver.received.filter((x) => x.answered === 200)) {
      const last = seqBySubject.get(r.json.subject) ?? 0;
      expect(r.json.sequence, r.json.subject).toBeGreaterThan(last);
      seqBySubject.set(r.json.subject, r.json.sequence);
    }
  });
});
