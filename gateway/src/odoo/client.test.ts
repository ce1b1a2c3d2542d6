import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createOdooClient, type OdooClient, type OdooClientOptions } from './client.js';
import {
  OdooAuthError,
  OdooConcurrencyError,
  OdooContractError,
  OdooMissingError,
  OdooNetworkError,
  OdooTimeoutError,
  OdooUniqueViolationError,
  type OdooError,
} from './errors.js';
import { startOdooSimulator, type OdooSimulator, type OdooSimulatorOptions } from './simulator/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(simOptions: OdooSimulatorOptions = {}, clientOptions: Partial<OdooClientOptions> = {}): Promise<{ sim: OdooSimulator; odoo: OdooClient; calls: Array<{ model: string; method: string; error?: OdooError }> }> {
  const sim = await startOdooSimulator(simOptions);
  const calls: Array<{ model: string; method: string; error?: OdooError }> = [];
  const odoo = createOdooClient({
    url: sim.url,
    db: sim.db,
    user: sim.login,
    apiKey: sim.apiKey,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    onCall: (model, method, _ms, error) => calls.push({ model, method, error }),
    ...clientOptions,
  });
  cleanups.push(() => sim.close(), () => odoo.close());
  return { sim, odoo, calls };
}

const productsRead = (odoo: OdooClient) =>
  odoo.call<Array<{ default_code: string }>>('product.product', 'search_read', { kwargs: { domain: [['default_code', '=', 'FURN_7800']], fields: ['default_code'] } });

describe('transport selection', () => {
  it('picks JSON-RPC for Odoo 18 and JSON-2 for Odoo 19 by probing version_info', async () => {
    const { odoo: v18 } = await setup();
    expect(await v18.version()).toEqual({ serverVersion: '18.0', major: 18, transport: 'jsonrpc' });
    const { odoo: v19, sim } = await setup({ serverVersion: '19.0' });
    expect(await v19.version()).toEqual({ serverVersion: '19.0', major: 19, transport: 'json2' });
    expect(await productsRead(v19)).toEqual([{ id: expect.any(Number), default_code: 'FURN_7800' }]);
    expect(sim.stats.byMethod.get('product.product.search_read')).toBe(1);
  });

  it('can be forced', async () => {
    const { odoo } = await setup({ serverVersion: '19.0' }, { transport: 'jsonrpc' });
    expect((await odoo.version()).transport).toBe('jsonrpc');
    expect(await productsRead(odoo)).toHaveLength(1);
  });

  it('refuses a password for JSON-2, forced or probed', async () => {
    const sim = await startOdooSimulator({ serverVersion: '19.0' });
    cleanups.push(() => sim.close());
    expect(() => createOdooClient({ url: sim.url, db: sim.db, user: 'admin', password: 'admin', transport: 'json2' })).toThrow(/API key/);
    const odoo = createOdooClient({ url: sim.url, db: sim.db, user: 'admin', password: 'admin' });
    cleanups.push(() => odoo.close());
    await expect(productsRead(odoo)).rejects.toBeInstanceOf(OdooAuthError);
  });

  it('probes again after Odoo was down at start-up', async () => {
    const { sim, odoo } = await setup({}, { retry: { attempts: 1 } });
    sim.faults.down();
    await expect(odoo.version()).rejects.toBeInstanceOf(OdooNetworkError);
    sim.faults.up();
    expect((await odoo.version()).transport).toBe('jsonrpc');
  });
});

describe('calls', () => {
  it('passes the request id and the context to Odoo, which stores it on the events', async () => {
    const { sim, odoo } = await setup();
    await odoo.call('product.product', 'write', { ids: [1], kwargs: { vals: { barcode: '4006381333931' } } }, { requestId: 'req-abc', context: { lang: 'en_US' } });
    const events = sim.state.outbox({ type: 'product.updated' });
    expect(events).toHaveLength(1);
    expect(events[0]!.envelope.requestid).toBe('req-abc');
    expect(events[0]!.envelope.data).toMatchObject({ barcode: '4006381333931', changed_fields: ['barcode'] });
  });

  it('authenticates with a password over JSON-RPC when no API key is given', async () => {
    const { odoo } = await setup({}, { apiKey: undefined, password: 'admin' });
    expect(await productsRead(odoo)).toHaveLength(1);
  });

  it('maps errors to typed errors', async () => {
    const { odoo } = await setup();
    await expect(odoo.call('res.partner', 'write', { ids: [999999], kwargs: { vals: { name: 'x' } } })).rejects.toBeInstanceOf(OdooMissingError);
    const dup = await odoo.call('res.users', 'create', { kwargs: { vals_list: [{ name: 'x', login: 'admin' }] } }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(OdooUniqueViolationError);
    expect(dup).toMatchObject({ model: 'res.users', method: 'create', odooName: 'odoo.exceptions.ValidationError' });
  });

  it('fails with an authentication error on wrong credentials', async () => {
    const { odoo } = await setup({}, { apiKey: 'not-the-key' });
    await expect(productsRead(odoo)).rejects.toBeInstanceOf(OdooAuthError);
  });

  it('authenticates again once when Odoo refuses the credentials of a running session', async () => {
    const { sim, odoo, calls } = await setup();
    await productsRead(odoo);
    sim.faults.failNext(1, 'auth', { model: 'res.partner' });
    const id = await odoo.call<number>('res.partner', 'create', { kwargs: { vals_list: { name: 'After re-auth' } } });
    expect(id).toEqual(expect.any(Number));
    expect(sim.state.searchRead('res.partner', [['name', '=', 'After re-auth']])).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'create')).toHaveLength(1);
  });

  it('keeps at most maxConnections calls in flight', async () => {
    const { sim, odoo } = await setup({ cost: { perCallMs: 25 } }, { maxConnections: 2 });
    await Promise.all(Array.from({ length: 8 }, () => productsRead(odoo)));
    expect(sim.stats.byMethod.get('product.product.search_read')).toBe(8);
    expect(sim.stats.peakActive).toBe(2);
  });
});

describe('retries', () => {
  it('retries a read on a retryable error, with backoff, until it succeeds', async () => {
    const { sim, odoo, calls } = await setup();
    sim.faults.failNext(2, 'concurrency', { method: 'search_read' });
    expect(await productsRead(odoo)).toHaveLength(1);
    expect(sim.stats.byMethod.get('product.product.search_read')).toBe(3);
    expect(calls.map((c) => c.error?.constructor.name ?? 'ok')).toEqual(['OdooConcurrencyError', 'OdooConcurrencyError', 'ok']);
  });

  it('gives up after the configured attempts', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(5, 'network', { method: 'search_read' });
    await expect(productsRead(odoo)).rejects.toBeInstanceOf(OdooNetworkError);
    expect(sim.faults.injected).toBe(3);
  });

  it('retries a read that a proxy answered 503', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(1, 'unavailable', { method: 'search_read' });
    expect(await productsRead(odoo)).toHaveLength(1);
  });

  it('never retries a write, and says when a broken write may have been committed', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(1, 'network', { model: 'res.partner', method: 'create', afterCommit: true });
    const err = await odoo.call('res.partner', 'create', { kwargs: { vals_list: { name: 'Maybe committed' } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooNetworkError);
    expect((err as OdooNetworkError).maybeCommitted).toBe(true);
    expect(sim.stats.byMethod.get('res.partner.create')).toBe(1);
    // It was committed: a blind retry would have made a second partner.
    expect(sim.state.searchRead('res.partner', [['name', '=', 'Maybe committed']])).toHaveLength(1);
  });

  it('does not retry a write on a concurrency error either', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(1, 'concurrency', { method: 'create' });
    await expect(odoo.call('res.partner', 'create', { kwargs: { vals_list: { name: 'x' } } })).rejects.toBeInstanceOf(OdooConcurrencyError);
    expect(sim.stats.byMethod.get('res.partner.create')).toBe(1);
  });

  it('lets the caller mark a call as a read', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(1, 'concurrency', { method: 'has_group' });
    const ok = await odoo.call('res.users', 'has_group', { ids: [2], kwargs: { group_ext_id: 'base.group_user' } }, { kind: 'read' });
    expect(ok).toBe(true);
  });
});

describe('timeouts', () => {
  it('times out a call that Odoo never answers, and retries it when it is a read', async () => {
    const { sim, odoo } = await setup({}, { timeouts: { callMs: 150 } });
    await odoo.version();
    sim.faults.failNext(1, 'timeout', { method: 'search_read' });
    expect(await productsRead(odoo)).toHaveLength(1);
    sim.faults.failNext(1, 'timeout', { method: 'create' });
    const err = await odoo.call('res.partner', 'create', { kwargs: { vals_list: { name: 'x' } } }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooTimeoutError);
    expect((err as OdooTimeoutError).maybeCommitted).toBe(true);
  });

  it('times out on the headers timeout of a server that stalls', async () => {
    const stalled: Server = createServer(() => undefined);
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => (stalled.closeAllConnections(), stalled.close(() => r()))));
    const { port } = stalled.address() as AddressInfo;
    const odoo = createOdooClient({ url: `http://127.0.0.1:${port}`, db: 'x', user: 'u', apiKey: 'k', transport: 'jsonrpc', timeouts: { headersMs: 100 }, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    cleanups.push(() => odoo.close());
    await expect(productsRead(odoo)).rejects.toBeInstanceOf(OdooTimeoutError);
  });

  it('reports an unreachable Odoo as a network error that was never sent', async () => {
    const sim = await startOdooSimulator();
    const url = sim.url;
    await sim.close();
    const odoo = createOdooClient({ url, db: 'x', user: 'u', apiKey: 'k', transport: 'jsonrpc', retry: { attempts: 1 } });
    cleanups.push(() => odoo.close());
    const err = await odoo.call('res.partner', 'create', { kwargs: { vals_list: { name: 'x' } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooNetworkError);
    expect((err as OdooNetworkError).maybeCommitted).toBe(false);
  });
});

describe('rpc (the addon contract)', () => {
  it('calls an addon method with validated arguments and a validated answer', async () => {
    const { odoo } = await setup();
    const res = await odoo.rpc('availability', { skus: ['FURN_7800'], warehouses: ['WH'] });
    expect(res.items).toEqual([{ sku: 'FURN_7800', warehouse: 'WH', on_hand: 60, reserved: 0, safety_stock: 5, available: 55, as_of: expect.any(String) }]);
    expect(res.has_more).toBe(false);
  });

  it('refuses arguments that break the contract without calling Odoo', async () => {
    const { sim, odoo } = await setup();
    // @ts-expect-error: lease_seconds is missing on purpose
    const err = await odoo.rpc('claim', { limit: 10, consumer: 'c' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooContractError);
    expect(sim.stats.calls).toBe(0);
  });

  it('refuses an answer that breaks the contract', async () => {
    const fake: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        const params = (JSON.parse(body) as { params: { service?: string } }).params;
        const result = params.service === 'common' ? 2 : { items: [{ sku: 'X' }], has_more: false };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result }));
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => fake.close(() => r())));
    const odoo = createOdooClient({ url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, db: 'x', user: 'u', apiKey: 'k', transport: 'jsonrpc' });
    cleanups.push(() => odoo.close());
    await expect(odoo.rpc('availability', {})).rejects.toBeInstanceOf(OdooContractError);
  });
});
