import { afterEach, describe, expect, it } from 'vitest';
import { createOdooClient } from '../client.js';
import { OdooConcurrencyError, OdooNetworkError, OdooServerError, OdooTimeoutError } from '../errors.js';
import { calibratedCost, costOf } from './cost.js';
import { startOdooSimulator, type OdooSimulator, type OdooSimulatorOptions } from './index.js';

const sims: OdooSimulator[] = [];
afterEach(async () => {
  while (sims.length) await sims.pop()!.close();
});

async function start(options: OdooSimulatorOptions = {}) {
  const sim = await startOdooSimulator(options);
  sims.push(sim);
  const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, retry: { attempts: 1 }, timeouts: { callMs: 500 } });
  sims.push({ close: () => odoo.close() } as OdooSimulator);
  return { sim, odoo };
}

const jsonrpc = async (url: string, path: string, params: unknown) => {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 9, params }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { result?: Record<string, unknown>; error?: { data: { name: string } } } };
};

describe('wire', () => {
  it('answers the version probe without credentials, in both shapes', async () => {
    const { sim } = await start({ serverVersion: '19.0' });
    const probe = await jsonrpc(sim.url, '/web/webclient/version_info', {});
    expect(probe.body).toEqual({ jsonrpc: '2.0', id: 9, result: { server_version: '19.0', server_version_info: [19, 0, 0, 'final', 0, ''], server_serie: '19.0', protocol_version: 1 } });
    const plain = await fetch(`${sim.url}/web/version`);
    expect(await plain.json()).toEqual({ version_info: [19, 0, 0, 'final', 0, ''], version: '19.0' });
  });

  it('logs a user in through the web session route, with passwords only', async () => {
    const { sim } = await start();
    const ok = await jsonrpc(sim.url, '/web/session/authenticate', { db: sim.db, login: 'demo', password: 'demo' });
    expect(ok.body.result).toMatchObject({ uid: sim.state.users.demo.uid, username: 'demo', name: 'Marc Demo', is_internal_user: true, is_admin: false, db: sim.db });
    expect(ok.headers.get('set-cookie')).toMatch(/^session_id=[\w-]+; HttpOnly/);
    const apiKey = await jsonrpc(sim.url, '/web/session/authenticate', { db: sim.db, login: 'admin', password: sim.apiKey });
    expect(apiKey.body.error?.data.name).toBe('odoo.exceptions.AccessDenied');
  });

  it('checks group membership for the dashboard (res.users.has_group)', async () => {
    const { sim, odoo } = await start();
    expect(await odoo.call('res.users', 'has_group', { ids: [sim.state.users.demo.uid], kwargs: { group_ext_id: 'retail_gateway.group_integration_manager' } }, { kind: 'read' })).toBe(false);
    expect(await odoo.call('res.users', 'has_group', { ids: [sim.state.users.admin.uid], kwargs: { group_ext_id: 'retail_gateway.group_integration_manager' } }, { kind: 'read' })).toBe(true);
  });

  it('refuses a request that is not JSON the way Odoo does', async () => {
    const { sim } = await start();
    const res = await fetch(`${sim.url}/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    expect(res.status).toBe(400);
  });
});

describe('faults', () => {
  it('fails the next calls that match, then recovers', async () => {
    const { sim, odoo } = await start();
    sim.faults.failNext(1, 'concurrency', { model: 'res.partner' }).failNext(1, 'server', { model: 'res.partner' });
    const search = () => odoo.call('res.partner', 'search_count', { kwargs: { domain: [] } });
    await expect(search()).rejects.toBeInstanceOf(OdooConcurrencyError);
    await expect(search()).rejects.toBeInstanceOf(OdooServerError);
    expect(await search()).toBeGreaterThan(0);
    expect(sim.faults.injected).toBe(2);
  });

  it('goes down (connections reset) and comes back', async () => {
    const { sim, odoo } = await start();
    await odoo.version();
    sim.faults.down();
    await expect(odoo.call('res.partner', 'search_count', { kwargs: { domain: [] } })).rejects.toBeInstanceOf(OdooNetworkError);
    sim.faults.up();
    expect(await odoo.call('res.partner', 'search_count', { kwargs: { domain: [] } })).toBeGreaterThan(0);
  });

  it('stalls until the client gives up', async () => {
    const { sim, odoo } = await start();
    await odoo.version();
    sim.faults.stall();
    await expect(odoo.call('res.partner', 'search_count', { kwargs: { domain: [] } }, { timeoutMs: 100 })).rejects.toBeInstanceOf(OdooTimeoutError);
    sim.faults.reset();
    expect(await odoo.call('res.partner', 'search_count', { kwargs: { domain: [] } })).toBeGreaterThan(0);
  });
});

describe('concurrency cap and cost', () => {
  it('runs at most maxConcurrent calls at once and counts the peak', async () => {
    const { sim } = await start({ maxConcurrent: 2, cost: { perCallMs: 20 } });
    const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, maxConnections: 6 });
    await Promise.all(Array.from({ length: 12 }, () => odoo.call('res.partner', 'search_count', { kwargs: { domain: [] } })));
    await odoo.close();
    expect(sim.stats.peakActive).toBe(2);
    expect(sim.stats.peakInFlight).toBeGreaterThan(2);
    expect(sim.stats.byMethod.get('res.partner.search_count')).toBe(12);
    sim.stats.reset();
    expect(sim.stats.calls).toBe(0);
  });

  it('charges a batch round trip plus a cost per order, and a plain cost for other calls', () => {
    expect(costOf(calibratedCost, 'retail_gateway.api', 'submit_orders', undefined, { orders: Array(10) })).toBe(128 + 410);
    expect(costOf(calibratedCost, 'retail_gateway.api', 'confirm_shipments', undefined, { items: [1] })).toBe(128 + 41);
    const create = costOf(calibratedCost, 'sale.order', 'create', undefined, { vals_list: Array(10).fill({}) });
    const confirm = costOf(calibratedCost, 'sale.order', 'action_confirm', Array(10).fill(1), {});
    expect(create + confirm).toBe(128 + 410);
    expect(costOf(calibratedCost, 'product.product', 'search_read', undefined, {})).toBe(20);
    expect(costOf({ perCallMs: 0, perBatchMs: 0, perOrderMs: 0 }, 'retail_gateway.api', 'submit_orders', undefined, { orders: [1] })).toBe(0);
  });
});
