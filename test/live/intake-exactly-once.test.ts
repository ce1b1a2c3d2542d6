/**
 * Exactly-once against a real Odoo 18 with the retail_gateway addon, checked by an independent
 * XML-RPC reader:
 * - the addon itself: twenty concurrent `submit_orders` calls of one order through the gateway's
 *   client make one sale order, every other answer naming it as a duplicate;
 * - the gateway: two gateway processes share a PostgreSQL store and drain into the same Odoo;
 *   fifty concurrent submissions of one order (one Idempotency-Key, spread over both) make one
 *   sale order.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OdooClient } from '../../gateway/src/odoo/client.js';
import { spawnGateway, tokenFrom, type ChildGateway } from '../intake/child.js';
import { createTestDatabase } from '../support/postgres.js';
import { backOfficeClient, independentReader, live, liveClient } from './live-env.js';
import { liveOrder } from './order.js';


describe.skipIf(!live)('intake exactly-once on a real Odoo', () => {
  const code = `rgeo${randomBytes(3).toString('hex')}`;
  const gateways: ChildGateway[] = [];
  const dirs: string[] = [];
  let odoo: OdooClient;
  let backOffice: OdooClient;
  let partnerId = 0;
  let db: { url: string; drop(): Promise<void> };
  let pool: pg.Pool;
  let tokens: string[] = [];

  beforeAll(async () => {
    odoo = liveClient();
    backOffice = backOfficeClient();
    // Registering a partner is the integration manager's job in Odoo, not the technical user's.
    [partnerId] = await backOffice.call<number[]>('retail_gateway.partner', 'create', {
      kwargs: { vals_list: [{ code, name: `Exactly-once ${code}`, scopes: 'orders:read orders:write', tier: 'internal', mode: 'live' }] },
    }) as [number];
    const { client_id, client_secret } = await odoo.rpc('rotate_client_secret', { partner: code, grace_seconds: 0 });
    db = await createTestDatabase('rg_live_eo');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => undefined);
    const masterKey = randomBytes(32).toString('base64');
    for (const name of ['a', 'b']) {
      const dir = mkdtempSync(join(tmpdir(), `rg-live-eo-${name}-`));
      dirs.push(dir);
      gateways.push(
        await spawnGateway({
          ODOO_URL: live!.url,
          ODOO_DB: live!.db,
          ODOO_USER: live!.user,
          ...(live!.apiKey ? { ODOO_API_KEY: live!.apiKey } : { ODOO_PASSWORD: live!.password! }),
          GATEWAY_STORE_URL: db.url,
          GATEWAY_DATA_DIR: dir,
          GATEWAY_MASTER_KEY: masterKey,
          GATEWAY_RELAY: 'false',
          GATEWAY_INTAKE_POLL_MS: '50',
        }),
      );
    }
    tokens = await Promise.all(gateways.map((g) => tokenFrom(g.url, client_id, client_secret)));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await pool?.end();
    await db?.drop();
    if (partnerId) await backOffice.call('retail_gateway.partner', 'write', { ids: [partnerId], kwargs: { vals: { active: false } } }).catch(() => undefined);
    await odoo?.close();
    await backOffice?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const orderOf = (externalId: string) => liveOrder({ externalId, buyer: 'Exactly Once', email: `eo-${externalId.toLowerCase()}@example.com` });

  it('20 concurrent submit_orders calls of one order make one sale order', async () => {
    const externalId = `LIVE-EO-RPC-${Date.now()}`;
    const item = orderOf(externalId);
    // An item that lost a race (a serialisation failure) answers `retry`, rolled back; submitted
    // again, as the gateway's intake does, it answers `duplicate`. Bounded: a few rounds suffice.
    const submit = async (i: number) => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const answer = (await odoo.rpc('submit_orders', { partner: code, orders: [{ intake_id: `rpc-${i}`, item }] }, { requestId: `live-eo-rpc-${i}` })).results[0]!;
        if (answer.status !== 'retry') return answer;
        expect(answer.reasons).toEqual([]);
      }
      throw new Error(`rpc-${i} still answered retry after 20 submissions`);
    };
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => submit(i)));
    const created = answers.filter((a) => a.status === 'created');
    expect(created, JSON.stringify(answers)).toHaveLength(1);
    const orderId = created[0]!.record!.id;
    for (const a of answers) if (a !== created[0]) expect(a).toMatchObject({ status: 'duplicate', record: { id: orderId } });
    const reader = await independentReader();
    const byRef = (await reader.searchRead('sale.order', [['client_order_ref', '=', externalId]], ['id', 'rg_external_id', 'state'])) as { id: number; rg_external_id: string; state: string }[];
    expect(byRef).toEqual([{ id: orderId, rg_external_id: externalId, state: 'sale' }]);
    await odoo.rpc('cancel_orders', { partner: code, refs: [{ intake_id: 'cleanup', item: { external_id: externalId } }] }).catch(() => undefined);
  }, 120_000);

  it('50 concurrent submissions over two gateways make one sale order', async () => {
    const externalId = `LIVE-EO-${Date.now()}`;
    const order = orderOf(externalId);
    const key = `live-${randomBytes(8).toString('hex')}`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${gateways[i % 2]!.url}/v1/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens[i % 2]}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(order),
        }),
      ),
    );
    expect(responses.every((r) => r.status === 202 || r.status === 409)).toBe(true);
    for (let i = 0; i < 600; i++) {
      const { rows } = await pool.query("SELECT status FROM intake_items WHERE external_id = $1", [externalId]);
      if (rows.length === 1 && !['accepted', 'processing'].includes(rows[0].status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const { rows } = await pool.query('SELECT status, outcome, reasons FROM intake_items WHERE external_id = $1', [externalId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'completed', outcome: 'created' });
    const reader = await independentReader();
    const found = (await reader.searchRead('sale.order', [['rg_external_id', '=', externalId]], ['name', 'state'])) as { state: string }[];
    expect(found).toHaveLength(1);
    expect(found[0]!.state).toBe('sale');
    await odoo.rpc('cancel_orders', { partner: code, refs: [{ intake_id: 'cleanup', item: { external_id: externalId } }] }).catch(() => undefined);
  }, 180_000);
});
