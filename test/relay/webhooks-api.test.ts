/**
 * The partner-facing webhook API through a whole gateway (real HTTP, real tokens, the relay
 * running in the background against the fake Odoo): subscriptions, the secret shown once, SSRF
 * refusals, the delivery log, test events, rotation with both signatures, replay, tenant isolation.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { eventually, simSkus } from './support/rig.js';

let sim: OdooFake;
let gw: TestGateway;
let receiver: Receiver;
let demo: string;
let acme: string;
let admin: string;

beforeAll(async () => {
  sim = await startOdooFake();
  sim.state.addPartner({ code: 'acme', scopes: ['products:read', 'webhooks:manage', 'events:replay'] });
  sim.state.addPartner({ code: 'ops', scopes: ['admin'] });
  gw = await startTestGateway({ sim, env: { WEBHOOK_ALLOWED_TARGETS: '127.0.0.1' } });
  receiver = await startReceiver();
  demo = await gw.token('demo', 'demo-secret');
  acme = await gw.token('acme', 'acme-secret');
  admin = await gw.token('ops', 'ops-secret');
});
afterAll(async () => {
  await receiver?.close();
  await gw?.close();
  await sim?.close();
});

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('webhook subscriptions API', () => {
  let id: number;
  let secret: string;

  it('creates a subscription and shows its whsec_ secret once', async () => {
    const res = await gw.fetch('/v1/webhooks', { ...json({ url: `${receiver.url}/hooks`, event_types: ['product.updated', 'inventory.changed'] }), token: demo });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: number; secret: string; partner: string; active: boolean };
    expect(body).toMatchObject({ partner: 'demo', active: true });
    expect(body.secret).toMatch(/^whsec_/);
    ({ id, secret } = body);
    receiver.secrets.push(secret);
    const list = (await (await gw.fetch('/v1/webhooks', { token: demo })).json()) as { data: Record<string, unknown>[] };
    const listed = list.data.find((s) => s.id === id)!;
    expect(listed).toBeDefined();
    expect(JSON.stringify(list)).not.toContain(secret);
    expect(listed).not.toHaveProperty('secrets');
  });

  it('refuses bad bodies with 422 and needs webhooks:manage', async () => {
    const bad = await gw.fetch('/v1/webhooks', { ...json({ url: 'not a url', event_types: [] }), token: demo });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    const narrow = await gw.token('acme', 'acme-secret', 'products:read');
    const res = await gw.fetch('/v1/webhooks', { token: narrow });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');
  });

  it("hides another partner's subscription (404)", async () => {
    for (const [path, init] of [
      [`/v1/webhooks/${id}`, {}],
      [`/v1/webhooks/${id}/deliveries`, {}],
      [`/v1/webhooks/${id}/test`, { method: 'POST' }],
      [`/v1/webhooks/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"active":false}' }],
      [`/v1/webhooks/${id}`, { method: 'DELETE' }],
    ] as const) {
      const res = await gw.fetch(path, { ...init, token: acme });
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(404);
    }
  });

  it('sends a signed test event and logs the delivery with its attempts', async () => {
    const res = await gw.fetch(`/v1/webhooks/${id}/test`, { method: 'POST', token: demo });
    expect(res.status).toBe(202);
    const { event_id } = (await res.json()) as { event_id: string };
    await eventually(() => receiver.received.some((r) => r.id === event_id), 'the test event');
    const got = receiver.received.find((r) => r.id === event_id)!;
    expect(got.verified).toBe(true);
    expect(got.json).toMatchObject({ type: 'webhook.test', data: { subscription_id: id, partner: 'demo' } });
    await eventually(async () => {
      const log = (await (await gw.fetch(`/v1/webhooks/${id}/deliveries`, { token: demo })).json()) as { data: { event_id: string; status: string }[] };
      return log.data.some((d) => d.event_id === event_id && d.status === 'delivered');
    }, 'the delivery log');
    const log = (await (await gw.fetch(`/v1/webhooks/${id}/deliveries?limit=1`, { token: demo })).json()) as {
      data: { event_id: string; attempts: number; attempt_log: { attempt: number; status_code: number }[] }[];
    };
    expect(log.data[0]).toMatchObject({ event_id, attempts: 1, attempt_log: [{ attempt: 1, status_code: 200 }] });
  });

  it('delivers events from Odoo, signed with both secrets during a rotation', async () => {
    const rotated = await gw.fetch(`/admin/rotate/subscription-secret/demo/${id}`, { ...json({ grace_seconds: 3600 }), token: admin });
    expect(rotated.status).toBe(200);
    const { secret: newSecret } = (await rotated.json()) as { secret: string };
    receiver.secrets.splice(0, receiver.secrets.length, newSecret); // the receiver switched to the new secret at once
    gw.sim.state.updateProduct(simSkus(gw.sim)[0]!, { listPrice: 31 });
    const ids = gw.sim.state.outbox({ type: 'product.updated' }).map((e) => e.envelope.id);
    await eventually(() => ids.every((i) => receiver.received.some((r) => r.id === i)), 'the product events');
    for (const i of ids) {
      const got = receiver.received.find((r) => r.id === i)!;
      expect(got.verified).toBe(true);
      expect(got.signature.split(' ')).toHaveLength(2);
      // A receiver still on the old secret verifies the same request.
      const headers = { 'webhook-id': got.id, 'webhook-timestamp': got.timestamp, 'webhook-signature': got.signature };
      expect(() => new Webhook(secret).verify(got.body, headers)).not.toThrow();
    }
  });

  it('replays an event with the same webhook-id; a partner may replay only its own', async () => {
    const eventId = gw.sim.state.outbox({ type: 'product.updated' })[0]!.envelope.id;
    await eventually(async () => {
      const log = (await (await gw.fetch(`/v1/webhooks/${id}/deliveries`, { token: demo })).json()) as { data: { event_id: string; status: string }[] };
      return log.data.some((d) => d.event_id === eventId && d.status === 'delivered');
    }, 'the first delivery recorded');
    const before = receiver.received.filter((r) => r.id === eventId).length;
    const notYours = await gw.fetch('/v1/events/replay', { ...json({ event_id: eventId }), token: acme });
    expect(notYours.status).toBe(404);
    const otherPartner = await gw.fetch('/v1/events/replay', { ...json({ partner: 'demo', dead_letters: true }), token: acme });
    expect(otherPartner.status).toBe(403);
    const res = await gw.fetch('/admin/replay', { ...json({ event_id: eventId }), token: admin });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { replayed: number }).replayed).toBe(1);
    await eventually(() => receiver.received.filter((r) => r.id === eventId).length === before + 1, 'the replayed delivery');
    expect(receiver.received.filter((r) => r.id === eventId).every((r) => r.verified)).toBe(true);
  });

  it('pauses, resumes and deletes a subscription', async () => {
    const paused = await gw.fetch(`/v1/webhooks/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"active":false}', token: demo });
    expect(paused.status).toBe(200);
    expect(((await paused.json()) as { active: boolean }).active).toBe(false);
    const resumed = await gw.fetch(`/v1/webhooks/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"active":true}', token: demo });
    expect(((await resumed.json()) as { active: boolean }).active).toBe(true);
    expect((await gw.fetch(`/v1/webhooks/${id}`, { method: 'DELETE', token: demo })).status).toBe(204);
    expect((await gw.fetch(`/v1/webhooks/${id}`, { token: demo })).status).toBe(404);
  });
});

describe('subscription changes and the delivery log', () => {
  it('refuses a PATCH to an internal URL and pages the delivery log', async () => {
    const created = await gw.fetch('/v1/webhooks', { ...json({ url: `${receiver.url}/paged`, event_types: ['order.created'] }), token: acme });
    expect(created.status).toBe(201);
    const { id, secret } = (await created.json()) as { id: number; secret: string };
    receiver.secrets.push(secret);
    const patch = await gw.fetch(`/v1/webhooks/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://10.1.2.3/hook' }), token: acme });
    expect(patch.status).toBe(422);
    expect((await (await gw.fetch(`/v1/webhooks/${id}`, { token: acme })).json()) as { url: string }).toMatchObject({ url: `${receiver.url}/paged` });
    const events: string[] = [];
    for (let i = 0; i < 3; i++) events.push(((await (await gw.fetch(`/v1/webhooks/${id}/test`, { method: 'POST', token: acme })).json()) as { event_id: string }).event_id);
    await eventually(async () => {
      const rows = await gw.gateway.services.store.query<{ n: number }>("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE subscription_id = ? AND status = 'delivered'", [id]);
      return Number(rows[0]!.n) === 3;
    }, 'three test deliveries');
    const page1 = (await (await gw.fetch(`/v1/webhooks/${id}/deliveries?limit=2`, { token: acme })).json()) as { data: { event_id: string }[]; next_cursor: string | null };
    expect(page1.data.map((d) => d.event_id)).toEqual([events[2], events[1]]);
    expect(page1.next_cursor).not.toBeNull();
    const page2 = (await (await gw.fetch(`/v1/webhooks/${id}/deliveries?limit=2&cursor=${page1.next_cursor}`, { token: acme })).json()) as typeof page1;
    expect(page2.data.map((d) => d.event_id)).toEqual([events[0]]);
    expect(page2.next_cursor).toBeNull();
    const dead = (await (await gw.fetch(`/v1/webhooks/${id}/deliveries?status=dead`, { token: acme })).json()) as typeof page1;
    expect(dead.data).toEqual([]);
  });
});

describe('OpenAPI document', () => {
  it('lists the webhook, replay and reconcile routes', async () => {
    const doc = (await (await gw.fetch('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/v1/webhooks', 'post'],
      ['/v1/webhooks', 'get'],
      ['/v1/webhooks/{id}', 'patch'],
      ['/v1/webhooks/{id}', 'delete'],
      ['/v1/webhooks/{id}/deliveries', 'get'],
      ['/v1/webhooks/{id}/test', 'post'],
      ['/v1/events/replay', 'post'],
      ['/admin/replay', 'post'],
      ['/admin/reconcile', 'post'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });
});

describe('SSRF refusals when the subscription is made', () => {
  let strict: TestGateway;
  let token: string;
  beforeAll(async () => {
    strict = await startTestGateway();
    token = await strict.token('demo', 'demo-secret');
  });
  afterAll(async () => {
    await strict?.close();
  });

  it.each([
    ['a loopback address', 'http://127.0.0.1:8080/hook'],
    ['IPv6 loopback', 'http://[::1]:8080/hook'],
    ['a private address', 'http://10.0.0.7/hook'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a name that resolves to a loopback address', 'http://localhost:8080/hook'],
    ['the GCP metadata name', 'http://metadata.google.internal/computeMetadata/v1/'],
  ])('refuses %s', async (_what, url) => {
    const res = await strict.fetch('/v1/webhooks', { ...json({ url, event_types: ['order.created'] }), token });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { path: string; code: string }[] } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details[0]).toMatchObject({ path: 'url', code: 'target_refused' });
  });
});
