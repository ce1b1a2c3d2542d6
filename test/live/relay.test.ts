/**
 * Live tier: confirming an order in a real Odoo 18 (with the retail_gateway addon) delivers
 * `order.created` to a local receiver through the relay, signed, and the order's sync status for
 * the partner shows it synced. The relay runs as the technical user; the order is entered and
 * confirmed by the back office user, as a person would in Odoo.
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
import { announceSkip, backOfficeClient, independentReader, live, liveClient } from './live-env.js';

announceSkip();

describe.skipIf(!live)('live Odoo: the relay', () => {
  const code = `relay${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'rg-relay-live-'));
  let odoo: OdooClient;
  let backOffice: OdooClient;
  let reader: OdooAwait;
  let receiver: Receiver;
  let store: SqliteStore;
  let relay: Relay;
  let partnerId: number;
  const orders: number[] = [];

  beforeAll(async () => {
    odoo = liveClient();
    backOffice = backOfficeClient();
    reader = await independentReader();
    receiver = await startReceiver();
    // An order made in Odoo itself names no partner, so it goes to every subscriber of its type.
    partnerId = await backOffice.call<number>('retail_gateway.partner', 'create', { kwargs: { vals_list: [{ code, name: `Relay live ${code}`, scopes: 'webhooks:manage' }] } }).then((r) => (Array.isArray(r) ? r[0] : r) as number);
    const { secret } = await odoo.rpc('create_subscription', { partner: code, url: `${receiver.url}/hooks`, event_types: ['order.created'], active: true });
    receiver.secrets.push(secret);
    store = new SqliteStore(join(dir, 'gateway.sqlite'));
    await store.migrate(migrations);
    const config = loadConfig({ GATEWAY_DATA_DIR: dir, WEBHOOK_ALLOWED_TARGETS: '127.0.0.1', LOG_LEVEL: 'silent' });
    relay = new Relay({ config, odoo, store, logger: silent, bus: null, name: `live-${code}` });
  });

  afterAll(async () => {
    await relay?.stop();
    for (const id of orders) await backOffice.call('sale.order', 'action_cancel', { ids: [id] }).catch(() => undefined);
    if (partnerId) await backOffice.call('retail_gateway.partner', 'write', { ids: [partnerId], kwargs: { vals: { active: false } } }).catch(() => undefined);
    await receiver?.close();
    await store?.close();
    await odoo?.close();
    await backOffice?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers order.created for an order confirmed in Odoo, and the order shows synced', async () => {
    const [customer] = await reader.searchRead<{ id: number }>('res.partner', [['customer_rank', '>', 0]], ['id'], { limit: 1 });
    const [product] = await reader.searchRead<{ id: number }>('product.product', [['sale_ok', '=', true], ['type', '=', 'consu']], ['id'], { limit: 1 });
    const orderId = await backOffice.call<number>('sale.order', 'create', {
      kwargs: { vals_list: [{ partner_id: customer!.id, order_line: [[0, 0, { product_id: product!.id, product_uom_qty: 1 }]] }] },
    }).then((r) => (Array.isArray(r) ? r[0] : r) as number);
    orders.push(orderId);
    await backOffice.call('sale.order', 'action_confirm', { ids: [orderId] });

    const deadline = Date.now() + 60_000;
    const mine = () => receiver.received.find((r) => r.json.type === 'order.created' && (r.json.data.order as { id: number }).id === orderId);
    while (!mine() && Date.now() < deadline) {
      await relay.runOnce();
      if (!mine()) await new Promise((r) => setTimeout(r, 250));
    }
    const got = mine();
    expect(got, 'order.created reached the receiver').toBeDefined();
    expect(got!.verified).toBe(true);
    expect(got!.json).toMatchObject({ subject: `sale.order/${orderId}`, data: { partner: null } });
    await relay.reporter.reportOnce();
    const statuses = await reader.searchRead<{ state: string }>('retail_gateway.sync.status', [['res_model', '=', 'sale.order'], ['res_id', '=', orderId], ['partner_id', '=', partnerId]], ['state']);
    expect(statuses.map((s) => s.state)).toEqual(['synced']);
  });
});
