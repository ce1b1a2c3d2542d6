/**
 * The technical user the addon creates (`retail_gateway.service.user.create_service_user`, what the
 * "Create Technical User" wizard does) against a real Odoo: it does the gateway's work through the
 * addon's RPC methods and nothing an administrator does. On Odoo 18 over JSON-RPC, on 19 over JSON-2.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOdooClient, type OdooClient } from '../../gateway/src/odoo/client.js';
import { OdooAccessError, OdooError } from '../../gateway/src/odoo/errors.js';
import { backOfficeClient, live } from './live-env.js';

interface Created {
  user_id: number;
  login: string;
  api_key: string;
  groups: string[];
}

describe.skipIf(!live)('live Odoo: the technical user the addon creates', () => {
  const suffix = randomUUID().slice(0, 8);
  let admin: OdooClient;
  let tech: OdooClient;
  let created: Created;
  let major: number;
  const partners: string[] = [];

  beforeAll(async () => {
    admin = backOfficeClient();
    major = (await admin.version()).major;
    created = await admin.call<Created>('retail_gateway.service.user', 'create_service_user', {
      kwargs: { login: `live-tech-${suffix}`, name: `Live Tech ${suffix}` },
    });
    tech = createOdooClient({ url: live!.url, db: live!.db, user: created.login, apiKey: created.api_key });
  });

  afterAll(async () => {
    if (partners.length) {
      const ids = await admin.call<number[]>('retail_gateway.partner', 'search', { kwargs: { domain: [['code', 'in', partners]] } }).catch(() => []);
      if (ids.length) await admin.call('retail_gateway.partner', 'write', { ids, kwargs: { vals: { active: false } } }).catch(() => undefined);
    }
    if (created) await admin.call('res.users', 'write', { ids: [created.user_id], kwargs: { vals: { active: false } } }).catch(() => undefined);
    await tech?.close();
    await admin?.close();
  });

  it('has exactly Internal User and the service group, and its key works on the transport of the version', async () => {
    expect(created.groups).toEqual(expect.arrayContaining(['Integration Service (gateway technical user)']));
    const v = await tech.version();
    expect(v.transport).toBe(major >= 19 ? 'json2' : 'jsonrpc');
    const groupsField = major >= 19 ? 'all_group_ids' : 'groups_id';
    const [row] = await admin.call<Array<Record<string, number[]>>>('res.users', 'read', { ids: [created.user_id], kwargs: { fields: [groupsField, 'share'] } });
    const names = await admin.call<Array<{ full_name: string }>>('res.groups', 'read', { ids: row![groupsField]!, kwargs: { fields: ['full_name'] } });
    const full = names.map((g) => g.full_name);
    expect(row!.share).toBe(false);
    for (const forbidden of ['Administration / Settings', 'Administration / Access Rights', 'Sales / Administrator', 'Inventory / Administrator', 'Sales / User: All Documents']) {
      expect(full, forbidden).not.toContain(forbidden);
    }
    expect(full.some((n) => /Integration (Manager|User)$/.test(n)), full.join(', ')).toBe(false);
  });

  it("does the gateway's work through the addon's RPC methods", async () => {
    const registry = await tech.rpc('partners', {});
    expect(Array.isArray(registry.partners)).toBe(true);
    const stock = await tech.rpc('availability', { limit: 5 });
    expect(stock.items.length).toBeGreaterThan(0);
    expect(stock.items[0]).toMatchObject({ sku: expect.any(String), warehouse: expect.any(String) });
    const code = `live-p-${suffix}`;
    partners.push(code);
    const made = await tech.rpc('create_partner', { code, scopes: ['products:read', 'orders:write'], name: `Live ${suffix}` });
    expect(made.client_secret).toMatch(/^rgcs_/);
    const auth = await tech.rpc('authenticate_client', { client_id: made.client_id, client_secret: made.client_secret });
    expect(auth).toMatchObject({ ok: true, partner: code, scopes: ['products:read', 'orders:write'] });
    expect((await tech.rpc('partners', { codes: [code] })).partners[0]).toMatchObject({ code, tier: 'standard', mode: 'live' });
    // Internal User: it reads products (the service group alone does not).
    const products = await tech.call<unknown[]>('product.product', 'search_read', { kwargs: { domain: [['sale_ok', '=', true]], fields: ['default_code'], limit: 1 } });
    expect(products.length).toBe(1);
  });

  async function refused(call: Promise<unknown>): Promise<OdooError> {
    const err = await call.then(() => null, (e: unknown) => e);
    expect(err, 'the call was allowed').toBeInstanceOf(OdooError);
    return err as OdooError;
  }

  it('is refused what an administrator does', async () => {
    const [product] = await admin.call<Array<{ id: number; list_price: number }>>('product.template', 'search_read', {
      kwargs: { domain: [['sale_ok', '=', true]], fields: ['list_price'], limit: 1, order: 'id' },
    });
    expect(await refused(tech.call('product.template', 'write', { ids: [product!.id], kwargs: { vals: { list_price: product!.list_price + 1 } } }))).toBeInstanceOf(OdooAccessError);
    const [after] = await admin.call<Array<{ list_price: number }>>('product.template', 'read', { ids: [product!.id], kwargs: { fields: ['list_price'] } });
    expect(after!.list_price).toBe(product!.list_price);

    expect(await refused(tech.call('retail_gateway.credential', 'search_read', { kwargs: { domain: [], fields: ['kind', 'hint'] } }))).toBeInstanceOf(OdooAccessError);
    // API keys: an internal user sees the names of its own keys only (Odoo's record rule), never a key.
    const keys = await tech.call<Array<{ user_id: [number, string] }>>('res.users.apikeys', 'search_read', { kwargs: { domain: [], fields: ['name', 'user_id'] } });
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.user_id[0]).toBe(created.user_id);
    const adminKeys = await admin.call<Array<{ id: number }>>('res.users.apikeys', 'search_read', { kwargs: { domain: [['user_id', '!=', created.user_id]], fields: ['name'] } });
    expect(adminKeys.length).toBeGreaterThan(0);
    await refused(tech.call('res.users.apikeys', 'read', { ids: adminKeys.map((k) => k.id), kwargs: { fields: ['name'] } }));
    await refused(tech.call('res.users.apikeys', 'read', { ids: keys.map((k) => (k as unknown as { id: number }).id), kwargs: { fields: ['key'] } }));
    expect(await refused(tech.call('res.users', 'create', { kwargs: { vals_list: { name: `Evil ${suffix}`, login: `evil-${suffix}` } } }))).toBeInstanceOf(OdooAccessError);
    expect(await refused(tech.call('retail_gateway.service.user', 'create_service_user', { kwargs: { login: `evil2-${suffix}` } }))).toBeInstanceOf(OdooAccessError);

    const system = await admin.call<number[]>('ir.model.data', 'search_read', {
      kwargs: { domain: [['module', '=', 'base'], ['name', '=', 'group_system']], fields: ['res_id'] },
    }).then((rows) => (rows as unknown as Array<{ res_id: number }>).map((r) => r.res_id));
    const groupsField = major >= 19 ? 'group_ids' : 'groups_id';
    await refused(tech.call('res.users', 'write', { ids: [created.user_id], kwargs: { vals: { [groupsField]: [[4, system[0]!]] } } }));
    const [me] = await admin.call<Array<Record<string, number[]>>>('res.users', 'read', { ids: [created.user_id], kwargs: { fields: [groupsField] } });
    expect(me![groupsField]).not.toContain(system[0]);
  });
});
