/**
 * Live tier: an order a partner submits through the gateway, confirmed in a real Odoo 18 (with the
 * retail_gateway addon), delivers `order.created` through the relay to that partner's receiver,
 * signed, and the order's sync status for the partner shows it synced. A second channel subscribed
 * to the same type receives nothing and has no sync status on the order, and an order entered in
 * the back office (no partner) goes to neither channel: tenant data goes to its own partner only
 * (and to admin partners). The relay runs as the technical user; the partners are registered and
 * the back-office order entered by the back office user, as a person would in Odoo.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OdooAwait from 'odoo-await';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/src/config.js';
import type { OdooClient } from '../../gateway/src/odoo/client.js';
import { Relay } from '../../gateway/src/relay/relay.js';
import { migrations } from '../../gateway/src/store/migrations.js';
import { SqliteStore } from '../../gateway/src/store/sqlite.js';
import { silent } from '../relay/support/fixtures.js';
import { startReceiver, type Receiver } from '../relay/support/receiver.js';
import { backOfficeClient, independentReader, live, liveClient } from './live-env.js';
import { liveOrder } from './order.js';


describe.skipIf(!live)('live Odoo: the relay', () => {
  const code = `relay${randomBytes(3).toString('hex')}`;
  const otherCode = `${code}x`;
  const dir = mkdtempSync(join(tmpdir(), 'rg-relay-live-'));
  let odoo: OdooClient;
  let backOffice: OdooClient;
  let reader: OdooAwait;
  let receiver: Receiver;
  let otherReceiver: Receiver;
  let store: SqliteStore;
  let relay: Relay;
  const partnerIds: number[] = [];
  const orders: number[] = [];
  const externalId = `LIVE-RELAY-${code}`;
  const replayedId = `LIVE-REPLAY-${code}`;

  const register = async (partnerCode: string, to: Receiver) => {
    const created = await backOffice.call<number | number[]>('retail_gateway.partner', 'create', {
      kwargs: { vals_list: [{ code: partnerCode, name: `Relay live ${partnerCode}`, scopes: 'orders:read orders:write webhooks:manage' }] },
    });
    const id = (Array.isArray(created) ? created[0] : created) as number;
    partnerIds.push(id);
    const { secret } = await odoo.rpc('create_subscription', { partner: partnerCode, url: `${to.url}/hooks`, event_types: ['order.created'], active: true });
    to.secrets.push(secret);
    return id;
  };

  beforeAll(async () => {
    odoo = liveClient();
    backOffice = backOfficeClient();
    reader = await independentReader();
    receiver = await startReceiver();
    otherReceiver = await startReceiver();
    await register(code, receiver);
    await register(otherCode, otherReceiver);
    store = new SqliteStore(join(dir, 'gateway.sqlite'));
    await store.migrate(migrations);
    const config = loadConfig({ GATEWAY_DATA_DIR: dir, WEBHOOK_ALLOWED_TARGETS: '127.0.0.1', LOG_LEVEL: 'silent' });
    relay = new Relay({ config, odoo, store, logger: silent, bus: null, name: `live-${code}` });
  });

  afterAll(async () => {
    await relay?.stop();
    await odoo?.rpc('cancel_orders', { partner: code, refs: [externalId, replayedId].map((external_id) => ({ intake_id: `cleanup-${external_id}`, item: { external_id } })) }).catch(() => undefined);
    for (const id of orders) await backOffice.call('sale.order', 'action_cancel', { ids: [id] }).catch(() => undefined);
    // mail.thread's write names its argument `values`.
    if (partnerIds.length) await backOffice.call('retail_gateway.partner', 'write', { ids: partnerIds, kwargs: { values: { active: false } } }).catch(() => undefined);
    await receiver?.close();
    await otherReceiver?.close();
    await store?.close();
    await odoo?.close();
    await backOffice?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An order of the partner's, confirmed in Odoo through the addon; its id. */
  const submit = async (external_id: string): Promise<number> => {
    const { results } = await odoo.rpc('submit_orders', {
      partner: code,
      orders: [{
        intake_id: `live-relay-${external_id}`,
        item: liveOrder({ externalId: external_id, buyer: 'Relay Live', email: `${code}@example.com` }),
      }],
    });
    expect(results[0], JSON.stringify(results)).toMatchObject({ status: 'created' });
    return results[0]!.record!.id;
  };

  const targetsOf = async (orderId: number) => {
    const events = await backOffice.call<{ target_partner_ids: number[] }[]>('retail_gateway.outbox.event', 'search_read', {
      kwargs: { domain: [['event_type', '=', 'order.created'], ['aggregate_model', '=', 'sale.order'], ['aggregate_id', '=', orderId]], fields: ['target_partner_ids'] },
    });
    expect(events).toHaveLength(1);
    return events[0]!.target_partner_ids;
  };

  it("delivers a partner's order.created to that partner only, and the order shows synced for it alone", async () => {
    const [customer] = await reader.searchRead<{ id: number }>('res.partner', [['customer_rank', '>', 0]], ['id'], { limit: 1 });
    const [product] = await reader.searchRead<{ id: number }>('product.product', [['sale_ok', '=', true], ['type', '=', 'consu']], ['id'], { limit: 1 });
    // Entered in the back office first: no partner, so no channel may receive it.
    const backOfficeOrder = await backOffice.call<number | number[]>('sale.order', 'create', {
      kwargs: { vals_list: [{ partner_id: customer!.id, order_line: [[0, 0, { product_id: product!.id, product_uom_qty: 1 }]] }] },
    }).then((r) => (Array.isArray(r) ? r[0] : r) as number);
    orders.push(backOfficeOrder);
    await backOffice.call('sale.order', 'action_confirm', { ids: [backOfficeOrder] });

    const orderId = await submit(externalId);

    const deadline = Date.now() + 60_000;
    const mine = () => receiver.received.find((r) => r.json.type === 'order.created' && (r.json.data.order as { id: number }).id === orderId);
    while (!mine() && Date.now() < deadline) {
      await relay.runOnce();
      if (!mine()) await new Promise((r) => setTimeout(r, 250));
    }
    const got = mine();
    expect(got, 'order.created reached the owning partner').toBeDefined();
    expect(got!.verified).toBe(true);
    expect(got!.json).toMatchObject({ subject: `sale.order/${orderId}`, data: { partner: code, external_id: externalId } });
    await relay.runOnce();

    const [ownerId, otherId] = partnerIds;
    expect(await targetsOf(orderId)).toEqual([ownerId]);
    const backOfficeTargets = await targetsOf(backOfficeOrder);
    expect(backOfficeTargets).not.toContain(ownerId);
    expect(backOfficeTargets).not.toContain(otherId);
    expect(otherReceiver.received, 'the other channel received nothing').toEqual([]);
    expect(receiver.received.filter((r) => (r.json.data.order as { id: number }).id !== orderId), 'nor the back-office order').toEqual([]);

    const statuses = async (res_id: number) =>
      (await reader.searchRead<{ state: string; partner_id: [number, string] }>('retail_gateway.sync.status', [['res_model', '=', 'sale.order'], ['res_id', '=', res_id], ['partner_id', 'in', partnerIds]], ['state', 'partner_id']))
        .map((s) => [s.partner_id[0], s.state]);
    expect(await statuses(orderId)).toEqual([[ownerId, 'synced']]);
    expect(await statuses(backOfficeOrder)).toEqual([]);
  });

  it('Replay in Odoo sends a dead delivery again at once, and the order shows synced', async () => {
    const syncState = async (res_id: number) =>
      (await reader.searchRead<{ state: string }>('retail_gateway.sync.status', [['res_model', '=', 'sale.order'], ['res_id', '=', res_id], ['partner_id', '=', partnerIds[0]!]], ['state'])).map((r) => r.state);
    // The partner's endpoint answers 410 Gone: final, the delivery is dead at once (no retry is scheduled).
    receiver.respond = () => ({ status: 410 });
    const orderId = await submit(replayedId);
    const [event] = await backOffice.call<{ id: number; name: string }[]>('retail_gateway.outbox.event', 'search_read', {
      kwargs: { domain: [['event_type', '=', 'order.created'], ['aggregate_model', '=', 'sale.order'], ['aggregate_id', '=', orderId]], fields: ['name'] },
    });
    const attempts = (status: number) => receiver.received.filter((r) => r.id === event!.name && r.answered === status).length;
    await expect.poll(async () => (await relay.runOnce(), (await syncState(orderId)).join()), { timeout: 60_000, interval: 250 }).toBe('failed');
    expect(attempts(410)).toBe(1);

    // The endpoint is back; nothing is due (a dead delivery has no next attempt) until someone replays.
    receiver.respond = () => ({ status: 200 });
    await relay.runOnce();
    expect(attempts(200)).toBe(0);
    await backOffice.call('retail_gateway.outbox.event', 'action_replay', { ids: [event!.id] });
    await expect.poll(async () => (await relay.runOnce(), attempts(200)), { timeout: 60_000, interval: 250 }).toBe(1);
    await expect.poll(async () => (await relay.runOnce(), (await syncState(orderId)).join()), { timeout: 60_000, interval: 250 }).toBe('synced');
    // The same webhook-id as the first attempt: the receiver de-duplicates on it.
    expect(receiver.received.filter((r) => r.id === event!.name).map((r) => r.answered)).toEqual([410, 200]);
  });
});
