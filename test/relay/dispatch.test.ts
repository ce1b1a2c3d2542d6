/**
 * Delivery through the dispatcher against a real receiver that verifies with `standardwebhooks`:
 * retry schedule and Retry-After on a movable clock, dead letters, order per aggregate under
 * retries, the per-endpoint limit, secret rotation, replay keeping webhook-id, auto-disable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../gateway/src/store/store.js';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../../gateway/src/relay/schedule.js';
import { generateSecret } from '../../gateway/src/webhooks/outbound/signing.js';
import { createStaticPartnerDirectory } from '../../gateway/src/relay/directory.js';
import { createLogger } from '../../gateway/src/logger.js';
import { deliveryFor, dispatcherRig, orderCreated, partner } from './support/fixtures.js';
import { startReceiver, type Receiver } from './support/receiver.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(options: Parameters<typeof dispatcherRig>[1] = {}, secrets = [generateSecret()]) {
  const receiver = await startReceiver([...secrets]);
  const rig = await dispatcherRig([partner('acme', [{ id: 1, url: `${receiver.url}/hooks`, secrets }])], options);
  cleanups.push(() => receiver.close(), () => rig.close());
  return { receiver, ...rig };
}

const row = async (rig: { store: SqlStore }, eventId: string) =>
  (await rig.store.query<{ status: string; attempts: number; next_attempt_at: number; last_status: number | null; last_error: string | null; id: number }>('SELECT * FROM webhook_deliveries WHERE event_id = ?', [eventId]))[0]!;

describe('dispatcher', () => {
  it('delivers a signed envelope the receiver verifies, with webhook-id = event id', async () => {
    const rig = await setup();
    const e = orderCreated(1, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme')]);
    expect(await rig.dispatcher.drain()).toBe(1);
    expect(rig.receiver.received).toHaveLength(1);
    const got = rig.receiver.received[0]!;
    expect(got.verified).toBe(true);
    expect(got.id).toBe(e.id);
    expect(got.json).toEqual(e);
    expect(await row(rig, e.id)).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200 });
  });

  it('follows the retry schedule on 5xx, then dead-letters when it is spent', async () => {
    const rig = await setup();
    rig.receiver.respond = () => ({ status: 503 });
    const e = orderCreated(2, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme')]);
    // Attempt 1 and the immediate retry (attempt 2) run in one drain.
    await rig.dispatcher.drain();
    expect(rig.receiver.received).toHaveLength(2);
    for (let attempt = 2; attempt < MAX_ATTEMPTS; attempt++) {
      const before = await row(rig, e.id);
      expect(before.status).toBe('pending');
      expect(before.attempts).toBe(attempt);
      // random() = 0.5: no jitter, the delay is exactly the schedule's.
      expect(before.next_attempt_at - rig.clock()).toBe(RETRY_DELAYS_MS[attempt - 1]);
      rig.clock.advance(RETRY_DELAYS_MS[attempt - 1]! - 1);
      expect(await rig.dispatcher.drain()).toBe(0);
      rig.clock.advance(1);
      expect(await rig.dispatcher.drain()).toBe(1);
    }
    const last = await row(rig, e.id);
    expect(last).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS, last_status: 503 });
    expect(last.last_error).toMatch(/schedule exhausted/);
    expect(rig.receiver.received).toHaveLength(MAX_ATTEMPTS);
    expect(rig.receiver.received.every((r) => r.id === e.id && r.verified)).toBe(true);
  });

  it('logs one warning line per failed attempt, with ids and what happens next, never the endpoint URL', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const rig = await setup({ logger });
    rig.receiver.respond = ({ count }) => ({ status: count === 1 ? 503 : 404 });
    const e = orderCreated(6, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme')]);
    await rig.dispatcher.drain();
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ msg: 'relay: delivery failed; will retry', partner: 'acme', subscription: 1, event_id: e.id, event_type: e.type, attempt: 1, status: 503, error: 'HTTP 503' });
    expect(typeof warnings[0]!.next_attempt_at).toBe('string');
    expect(warnings[1]).toMatchObject({ msg: 'relay: delivery failed; dead-lettered', event_id: e.id, attempt: 2, status: 404, dead_lettered: true });
    expect(JSON.stringify(lines)).not.toContain(rig.receiver.url);
  });

  it('honours Retry-After on 429', async () => {
    const rig = await setup();
    rig.receiver.respond = ({ count }) => (count === 1 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 200 });
    const e = orderCreated(3, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme')]);
    await rig.dispatcher.drain();
    // The schedule says "retry at once"; the receiver asked for two minutes.
    const r = await row(rig, e.id);
    expect(r).toMatchObject({ status: 'pending', attempts: 1, last_status: 429 });
    expect(r.next_attempt_at - rig.clock()).toBe(120_000);
    rig.clock.advance(119_999);
    expect(await rig.dispatcher.drain()).toBe(0);
    rig.clock.advance(1);
    expect(await rig.dispatcher.drain()).toBe(1);
    expect(await row(rig, e.id)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it.each([400, 401, 404, 410, 422])('dead-letters at once on a final %i', async (status) => {
    const rig = await setup();
    rig.receiver.respond = () => ({ status });
    const e = orderCreated(4, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme')]);
    await rig.dispatcher.drain();
    expect(await row(rig, e.id)).toMatchObject({ status: 'dead', attempts: 1, last_status: status });
  });

  it.each([408, 409])('retries %i', async (status) => {
    const rig = await setup();
    rig.receiver.respond = ({ count }) => ({ status: count === 1 ? status : 200 });
    const e = orderCreated(5, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme')]);
    await rig.dispatcher.drain();
    expect(await row(rig, e.id)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('keeps order per aggregate under retries, without holding up other aggregates', async () => {
    const rig = await setup();
    const a1 = orderCreated(10, 'acme', 1);
    const a2 = orderCreated(10, 'acme', 2);
    const a3 = orderCreated(10, 'acme', 3);
    const b1 = orderCreated(11, 'acme', 1);
    // The first event of order 10 fails three times (once immediately retried, then after 5 s).
    rig.receiver.respond = ({ id, count }) => ({ status: id === a1.id && count <= 3 ? 500 : 200 });
    await rig.queue.enqueue([a1, a2, a3, b1].map((e) => deliveryFor(e, 1, 'acme')));
    await rig.dispatcher.drain();
    // Order 11 went through; order 10's later events wait behind its first.
    expect(rig.receiver.received.filter((r) => r.answered === 200).map((r) => r.id)).toEqual([b1.id]);
    rig.clock.advance(5_000);
    await rig.dispatcher.drain();
    expect(rig.receiver.received.filter((r) => r.answered === 200).map((r) => r.id)).toEqual([b1.id]);
    rig.clock.advance(5 * 60_000);
    await rig.dispatcher.drain();
    const okOrder10 = rig.receiver.received.filter((r) => r.answered === 200 && r.json.subject === 'sale.order/10').map((r) => r.id);
    expect(okOrder10).toEqual([a1.id, a2.id, a3.id]);
    // Nothing of order 10 was sent ahead of its first event.
    const firstA2 = rig.receiver.received.findIndex((r) => r.id === a2.id);
    const lastA1 = rig.receiver.received.map((r) => r.id).lastIndexOf(a1.id);
    expect(firstA2).toBeGreaterThan(lastA1);
  });

  it('never exceeds the per-endpoint concurrency limit', async () => {
    const rig = await setup({ concurrencyPerEndpoint: 3 });
    rig.receiver.respond = () => ({ status: 200, delayMs: 30 });
    await rig.queue.enqueue(Array.from({ length: 30 }, (_, i) => deliveryFor(orderCreated(100 + i, 'acme'), 1, 'acme')));
    rig.dispatcher.start();
    await rig.receiver.waitFor(30);
    await rig.dispatcher.stop();
    expect(rig.receiver.maxInFlight).toBe(3);
    expect((await rig.queue.counts()).delivered).toBe(30);
  });

  it('signs with every active secret during a rotation: receivers holding either secret verify', async () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
    const oldOnly = await startReceiver([oldSecret]);
    const newOnly = await startReceiver([newSecret]);
    const rig = await dispatcherRig([
      partner('acme', [
        { id: 1, url: `${oldOnly.url}/a`, secrets: [newSecret, oldSecret] },
        { id: 2, url: `${newOnly.url}/b`, secrets: [newSecret, oldSecret] },
      ]),
    ]);
    cleanups.push(() => oldOnly.close(), () => newOnly.close(), () => rig.close());
    const e = orderCreated(20, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme'), deliveryFor(e, 2, 'acme')]);
    await rig.dispatcher.drain();
    for (const r of [oldOnly, newOnly] as Receiver[]) {
      expect(r.received).toHaveLength(1);
      expect(r.received[0]!.verified).toBe(true);
      expect(r.received[0]!.signature.split(' ')).toHaveLength(2);
    }
  });

  it('replays a delivery waiting for its next retry at once, not one already due', async () => {
    const rig = await setup();
    rig.receiver.respond = () => ({ status: 503 });
    const e = orderCreated(32, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme')]);
    await rig.dispatcher.drain(); // attempt 1 and its immediate retry fail; the next is seconds away
    const waiting = await row(rig, e.id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 2 });
    expect(waiting.next_attempt_at).toBeGreaterThan(rig.clock());
    rig.receiver.respond = () => ({ status: 200 });
    expect(await rig.dispatcher.drain()).toBe(0); // the clock has not moved: nothing due
    expect(await rig.queue.countForReplay({ kind: 'event', eventId: e.id })).toBe(1);
    expect(await rig.queue.replay({ kind: 'event', eventId: e.id })).toBe(1);
    expect(await rig.queue.replay({ kind: 'event', eventId: e.id })).toBe(0); // due now: nothing more to do
    expect(await rig.dispatcher.drain()).toBe(1);
    expect(await row(rig, e.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('replays a delivered event and dead letters with the same webhook-id', async () => {
    const rig = await setup();
    rig.receiver.respond = ({ id }) => ({ status: id.endsWith('dead') ? 410 : 200 });
    const ok = orderCreated(30, 'acme');
    const dead = { ...orderCreated(31, 'acme'), id: 'evt_31_dead' };
    await rig.queue.enqueue([deliveryFor(ok, 1, 'acme'), deliveryFor(dead, 1, 'acme')]);
    await rig.dispatcher.drain();
    expect(await row(rig, dead.id)).toMatchObject({ status: 'dead' });
    rig.receiver.respond = () => ({ status: 200 });
    expect(await rig.queue.replay({ kind: 'dead', partner: 'acme' })).toBe(1);
    expect(await rig.queue.replay({ kind: 'event', eventId: ok.id })).toBe(1);
    // A second replay while they are pending changes nothing.
    expect(await rig.queue.replay({ kind: 'event', eventId: ok.id })).toBe(0);
    await rig.dispatcher.drain();
    const ids = rig.receiver.received.map((r) => r.id);
    expect(ids.filter((id) => id === ok.id)).toHaveLength(2);
    expect(ids.filter((id) => id === dead.id)).toHaveLength(2);
    expect(rig.receiver.received.every((r) => r.verified)).toBe(true);
    expect(await row(rig, dead.id)).toMatchObject({ status: 'delivered' });
    // Everything of a partner since a time.
    expect(await rig.queue.replay({ kind: 'since', partner: 'acme', sinceMs: 0 })).toBe(2);
    expect(await rig.queue.replay({ kind: 'since', partner: 'globex', sinceMs: 0 })).toBe(0);
  });

  it('disables an endpoint past the failure threshold and dead-letters what it still owed', async () => {
    const rig = await setup({ disableAfterFailures: 3, disableAfterMs: 60_000 });
    rig.receiver.respond = () => ({ status: 500 });
    const events = [orderCreated(40, 'acme'), orderCreated(41, 'acme')];
    await rig.queue.enqueue(events.map((e) => deliveryFor(e, 1, 'acme')));
    await rig.dispatcher.drain(); // 4 failed attempts, but failing for less than a minute
    expect(rig.disabled).toEqual([]);
    rig.clock.advance(60_000);
    await rig.dispatcher.drain(); // one more failure each, now a minute old
    expect(rig.disabled).toEqual([{ partner: 'acme', subscriptionId: 1, consecutiveFailures: 6 }]);
    const rows = await rig.store.query<{ status: string; last_error: string }>('SELECT status, last_error FROM webhook_deliveries');
    expect(rows.every((r) => r.status === 'dead' && /disabled/.test(r.last_error))).toBe(true);
  });

  it('a success resets the failure streak', async () => {
    const rig = await setup({ disableAfterFailures: 3, disableAfterMs: 0 });
    rig.receiver.respond = ({ count }) => ({ status: count <= 2 ? 500 : 200 });
    await rig.queue.enqueue([deliveryFor(orderCreated(50, 'acme'), 1, 'acme')]);
    await rig.dispatcher.drain();
    rig.clock.advance(5_000);
    await rig.dispatcher.drain();
    expect(rig.disabled).toEqual([]);
    const [ep] = await rig.store.query<{ consecutive_failures: number }>('SELECT consecutive_failures FROM webhook_endpoints');
    expect(ep!.consecutive_failures).toBe(0);
  });

  it('spends no attempt while the partner registry cannot be read, and tries again later', async () => {
    let down = true;
    const secrets = [generateSecret()];
    const receiver = await startReceiver(secrets);
    const real = createStaticPartnerDirectory([partner('acme', [{ id: 1, url: `${receiver.url}/hooks`, secrets }])]);
    const rig = await dispatcherRig([], {
      directory: {
        partners: () => real.partners(),
        subscription: async (id) => {
          if (down) throw new Error('Odoo is unreachable');
          return real.subscription(id);
        },
        invalidate() {},
      },
    });
    cleanups.push(() => receiver.close(), () => rig.close());
    const e = orderCreated(60, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme')]);
    await rig.dispatcher.drain();
    expect(await row(rig, e.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await rig.dispatcher.drain()).toBe(0); // not due again at once
    down = false;
    rig.clock.advance(5_000);
    await rig.dispatcher.drain();
    expect(await row(rig, e.id)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(receiver.received).toHaveLength(1);
  });

  it('dead-letters deliveries of a deleted or disabled subscription without sending', async () => {
    const rig = await setup();
    const e1 = orderCreated(70, 'acme');
    await rig.queue.enqueue([deliveryFor(e1, 99, 'acme')]);
    await rig.dispatcher.drain();
    expect(await row(rig, e1.id)).toMatchObject({ status: 'dead', last_error: 'subscription deleted' });
    rig.directory.set([partner('acme', [{ id: 1, url: `${rig.receiver.url}/hooks`, secrets: rig.receiver.secrets, disabled: true }])]);
    const e2 = orderCreated(71, 'acme');
    await rig.queue.enqueue([deliveryFor(e2, 1, 'acme')]);
    await rig.dispatcher.drain();
    expect(await row(rig, e2.id)).toMatchObject({ status: 'dead', last_error: 'endpoint disabled' });
    expect(rig.receiver.received).toHaveLength(0);
  });

  it('counts an unexpected failure (a broken secret) as a failed attempt instead of losing the delivery', async () => {
    const rig = await setup({}, ['whsec_']);
    const e = orderCreated(80, 'acme');
    await rig.queue.enqueue([deliveryFor(e, 1, 'acme')]);
    await rig.dispatcher.drain();
    const r = await row(rig, e.id);
    expect(r).toMatchObject({ status: 'pending', attempts: 2 });
    expect(r.last_error).toMatch(/^internal: .*empty/);
    expect(rig.dispatcher.inFlightFor(1)).toBe(0);
  });
});
