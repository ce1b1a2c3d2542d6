import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createOdooClient, type OdooClient, type OdooClientOptions } from './client.js';
import {
  OdooAuthError,
  OdooConcurrencyError,
  OdooContractError,
  OdooNetworkError,
  OdooTimeoutError,
  OdooValidationError,
  type OdooError,
} from './errors.js';
import { startOdooFake, type OdooFake, type OdooFakeOptions } from '../../../test/odoo-fake/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(simOptions: OdooFakeOptions = {}, clientOptions: Partial<OdooClientOptions> = {}): Promise<{ sim: OdooFake; odoo: OdooClient; calls: Array<{ model: string; method: string; error?: OdooError }> }> {
  const sim = await startOdooFake(simOptions);
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

const CATALOG_PAGE = 'retail_gateway.api.catalog_page';
const productsRead = async (odoo: OdooClient) => (await odoo.rpc('catalog_page', { skus: ['FURN_7800'], limit: 10 })).items.map((i) => i.variant.sku);
const subscribe = (odoo: OdooClient, url = 'https://partner.example/hook') => odoo.rpc('create_subscription', { partner: 'demo', url, event_types: ['order.created'] });
const subscriptionsOf = (sim: OdooFake, url: string) => [...sim.state.subscriptions.values()].filter((s) => s.url === url);

describe('transport selection', () => {
  it('picks JSON-RPC for Odoo 18 and JSON-2 for Odoo 19 by probing version_info', async () => {
    const { odoo: v18 } = await setup();
    expect(await v18.version()).toEqual({ serverVersion: '18.0', major: 18, transport: 'jsonrpc' });
    const { odoo: v19, sim } = await setup({ serverVersion: '19.0' });
    expect(await v19.version()).toEqual({ serverVersion: '19.0', major: 19, transport: 'json2' });
    expect(await productsRead(v19)).toEqual(['FURN_7800']);
    expect(sim.stats.byMethod.get(CATALOG_PAGE)).toBe(1);
  });

  it('can be forced', async () => {
    const { odoo } = await setup({ serverVersion: '19.0' }, { transport: 'jsonrpc' });
    expect((await odoo.version()).transport).toBe('jsonrpc');
    expect(await productsRead(odoo)).toHaveLength(1);
  });

  it('refuses a password for JSON-2, forced or probed', async () => {
    const sim = await startOdooFake({ serverVersion: '19.0' });
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
    const count = { external_id: 'CNT-1', warehouse: 'WH', counted_at: '2026-01-05T10:00:00Z', lines: [{ sku: 'FURN_7800', quantity: 3 }] };
    const { results } = await odoo.rpc('apply_stock_counts', { partner: 'demo', items: [{ intake_id: 'i-1', item: count }] }, { requestId: 'req-abc', context: { lang: 'en_US' } });
    expect(results[0]?.status).toBe('applied');
    const events = sim.state.outbox({ type: 'inventory.changed' });
    expect(events).toHaveLength(1);
    expect(events[0]!.envelope.requestid).toBe('req-abc');
    expect(events[0]!.envelope.data).toMatchObject({ sku: 'FURN_7800', warehouse: 'WH', on_hand: 3 });
  });

  it('authenticates with a password over JSON-RPC when no API key is given', async () => {
    const { odoo } = await setup({}, { apiKey: undefined, password: 'admin' });
    expect(await productsRead(odoo)).toHaveLength(1);
  });

  // Every exception Odoo 18 was recorded answering is mapped in test/recordings/replay.test.ts.
  it('maps errors to typed errors, with the model and method', async () => {
    const { odoo } = await setup();
    const err = await odoo.rpc('order_status', { partner: 'nobody-here', external_ids: ['X'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooValidationError);
    expect(err).toMatchObject({ model: 'retail_gateway.api', method: 'order_status', odooName: 'odoo.exceptions.UserError' });
  });

  it('fails with an authentication error on wrong credentials', async () => {
    const { odoo } = await setup({}, { apiKey: 'not-the-key' });
    await expect(productsRead(odoo)).rejects.toBeInstanceOf(OdooAuthError);
  });

  it('authenticates again once when Odoo refuses the credentials of a running session', async () => {
    const { sim, odoo, calls } = await setup();
    await productsRead(odoo);
    sim.faults.failNext(1, 'auth', { method: 'create_subscription' });
    const { subscription } = await subscribe(odoo, 'https://partner.example/after-reauth');
    expect(subscription.id).toEqual(expect.any(Number));
    expect(subscriptionsOf(sim, 'https://partner.example/after-reauth')).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'create_subscription')).toHaveLength(1);
  });

  it('keeps at most maxConnections calls in flight', async () => {
    const { sim, odoo } = await setup({ cost: { perCallMs: 25 } }, { maxConnections: 2 });
    await Promise.all(Array.from({ length: 8 }, () => productsRead(odoo)));
    expect(sim.stats.byMethod.get(CATALOG_PAGE)).toBe(8);
    expect(sim.stats.peakActive).toBe(2);
  });
});

describe('retries', () => {
  it('retries a read on a retryable error, with backoff, until it succeeds', async () => {
    const { sim, odoo, calls } = await setup();
    sim.faults.failNext(2, 'concurrency', { method: 'catalog_page' });
    expect(await productsRead(odoo)).toHaveLength(1);
    expect(sim.stats.byMethod.get(CATALOG_PAGE)).toBe(3);
    expect(calls.map((c) => c.error?.constructor.name ?? 'ok')).toEqual(['OdooConcurrencyError', 'OdooConcurrencyError', 'ok']);
  });

  it('gives up after the configured attempts', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(5, 'network', { method: 'catalog_page' });
    await expect(productsRead(odoo)).rejects.toBeInstanceOf(OdooNetworkError);
    expect(sim.faults.injected).toBe(3);
  });

  it('retries a read that a proxy answered 503', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(1, 'unavailable', { method: 'catalog_page' });
    expect(await productsRead(odoo)).toHaveLength(1);
  });

  it('never retries a write, and says when a broken write may have been committed', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(1, 'network', { method: 'create_subscription', afterCommit: true });
    const err = await subscribe(odoo, 'https://partner.example/maybe').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooNetworkError);
    expect((err as OdooNetworkError).maybeCommitted).toBe(true);
    expect(sim.stats.byMethod.get('retail_gateway.subscription.create_subscription')).toBe(1);
    // It was committed: a blind retry would have made a second subscription.
    expect(subscriptionsOf(sim, 'https://partner.example/maybe')).toHaveLength(1);
  });

  it('does not retry a write on a concurrency error either', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(1, 'concurrency', { method: 'create_subscription' });
    await expect(subscribe(odoo)).rejects.toBeInstanceOf(OdooConcurrencyError);
    expect(sim.stats.byMethod.get('retail_gateway.subscription.create_subscription')).toBe(1);
  });

  it('lets the caller say whether a call is a read', async () => {
    const { sim, odoo } = await setup();
    sim.faults.failNext(1, 'concurrency', { method: 'claim' });
    const claimed = await odoo.call<{ events: unknown[] }>('retail_gateway.outbox.event', 'claim', { kwargs: { limit: 1, lease_seconds: 5, consumer: 'c' } }, { kind: 'read' });
    expect(claimed.events).toEqual([]);
    sim.faults.failNext(1, 'concurrency', { method: 'catalog_page' });
    await expect(odoo.rpc('catalog_page', { limit: 1 }, { kind: 'write' })).rejects.toBeInstanceOf(OdooConcurrencyError);
  });
});

describe('timeouts', () => {
  it('times out a call that Odoo never answers, and retries it when it is a read', async () => {
    const { sim, odoo } = await setup({}, { timeouts: { callMs: 150 } });
    await odoo.version();
    sim.faults.failNext(1, 'timeout', { method: 'catalog_page' });
    expect(await productsRead(odoo)).toHaveLength(1);
    sim.faults.failNext(1, 'timeout', { method: 'create_subscription' });
    const err = await odoo.rpc('create_subscription', { partner: 'demo', url: 'https://partner.example/slow', event_types: ['order.created'] }, { timeoutMs: 100 }).catch((e: unknown) => e);
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
    const sim = await startOdooFake();
    const url = sim.url;
    await sim.close();
    const odoo = createOdooClient({ url, db: 'x', user: 'u', apiKey: 'k', transport: 'jsonrpc', retry: { attempts: 1 } });
    cleanups.push(() => odoo.close());
    const err = await subscribe(odoo).catch((e: unknown) => e);
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

  it('creates a partner with an oversell policy, and refuses an unknown policy without calling Odoo', async () => {
    const { sim, odoo } = await setup();
    const made = await odoo.rpc('create_partner', { code: 'strict-shop', scopes: ['orders:write'], oversell_policy: 'reject' });
    expect(made.partner.oversell_policy).toBe('reject');
    expect((await odoo.rpc('partners', { codes: ['strict-shop'] })).partners[0]?.oversell_policy).toBe('reject');
    const calls = sim.stats.calls;
    // @ts-expect-error: not a policy
    const err = await odoo.rpc('create_partner', { code: 'loose-shop', scopes: ['orders:write'], oversell_policy: 'refuse' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooContractError);
    expect(sim.stats.calls).toBe(calls);
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
