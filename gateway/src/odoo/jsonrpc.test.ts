import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooAuthError, OdooValidationError } from './errors.js';
import { createOdooHttp, type OdooHttp } from './http.js';
import { createJsonRpcTransport } from './jsonrpc.js';

interface Seen {
  service: string;
  method: string;
  args: unknown[];
}

/** A stand-in Odoo answering JSON-RPC from a script, recording what it was sent. */
describe('JSON-RPC wire format (Odoo 16–18)', () => {
  let server: Server;
  let http: OdooHttp;
  const seen: Seen[] = [];
  let uid: number | false = 7;
  let executeAnswers: unknown[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c)).on('end', () => {
        const { id, params } = JSON.parse(raw) as { id: number; params: Seen };
        seen.push(params);
        const result = params.service === 'common' ? uid : executeAnswers.shift();
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(result && typeof result === 'object' && 'error' in result ? { jsonrpc: '2.0', id, ...result } : { jsonrpc: '2.0', id, result }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    http = createOdooHttp({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  afterAll(async () => {
    await http.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const accessDenied = { error: { code: 200, message: 'Odoo Server Error', data: { name: 'odoo.exceptions.AccessDenied', message: 'Access Denied', arguments: ['Access Denied'], context: {}, debug: '' } } };

  it('authenticates once, then sends execute_kw with ids as the first positional argument and the context in kwargs', async () => {
    seen.length = 0;
    uid = 7;
    const t = createJsonRpcTransport(http, { db: 'rg', login: 'gateway', secret: 'key' });
    executeAnswers = [[{ id: 1 }], 5];
    await t.call({ model: 'res.partner', method: 'read', ids: [1], kwargs: { fields: ['name'] }, context: { request_id: 'r1' } });
    await t.call({ model: 'res.partner', method: 'search_count', kwargs: { domain: [] }, context: {} });
    expect(seen).toEqual([
      { service: 'common', method: 'authenticate', args: ['rg', 'gateway', 'key', {}] },
      { service: 'object', method: 'execute_kw', args: ['rg', 7, 'key', 'res.partner', 'read', [[1]], { fields: ['name'], context: { request_id: 'r1' } }] },
      { service: 'object', method: 'execute_kw', args: ['rg', 7, 'key', 'res.partner', 'search_count', [], { domain: [] }] },
    ]);
  });

  it('sends create\'s values positionally, as Odoo ≤ 18 requires', async () => {
    seen.length = 0;
    uid = 7;
    const t = createJsonRpcTransport(http, { db: 'rg', login: 'gateway', secret: 'key' });
    executeAnswers = [12];
    expect(await t.call({ model: 'res.partner', method: 'create', kwargs: { vals_list: { name: 'x' } }, context: {} })).toBe(12);
    expect(seen[1]!.args.slice(3)).toEqual(['res.partner', 'create', [{ name: 'x' }], {}]);
  });

  it('sends write\'s values positionally, since mail.thread names the parameter `values`', async () => {
    seen.length = 0;
    uid = 7;
    const t = createJsonRpcTransport(http, { db: 'rg', login: 'gateway', secret: 'key' });
    executeAnswers = [true];
    expect(await t.call({ model: 'retail_gateway.partner', method: 'write', ids: [3], kwargs: { vals: { active: false } }, context: {} })).toBe(true);
    expect(seen[1]!.args.slice(3)).toEqual(['retail_gateway.partner', 'write', [[3], { active: false }], {}]);
  });

  it('turns authenticate answering false into an authentication error', async () => {
    uid = false;
    const t = createJsonRpcTransport(http, { db: 'rg', login: 'gateway', secret: 'wrong' });
    await expect(t.uid()).rejects.toBeInstanceOf(OdooAuthError);
    uid = 7;
    expect(await t.uid()).toBe(7);
  });

  it('authenticates again once when execute_kw is refused, and gives up the second time', async () => {
    seen.length = 0;
    uid = 7;
    const t = createJsonRpcTransport(http, { db: 'rg', login: 'gateway', secret: 'key' });
    executeAnswers = [accessDenied, 42];
    expect(await t.call({ model: 'res.partner', method: 'create', kwargs: { vals_list: { name: 'x' } }, context: {} })).toBe(42);
    expect(seen.map((s) => `${s.service}.${s.method}`)).toEqual(['common.authenticate', 'object.execute_kw', 'common.authenticate', 'object.execute_kw']);
    executeAnswers = [accessDenied, accessDenied];
    await expect(t.call({ model: 'res.partner', method: 'search', kwargs: {}, context: {} })).rejects.toBeInstanceOf(OdooAuthError);
  });

  it('maps the error payload', async () => {
    const t = createJsonRpcTransport(http, { db: 'rg', login: 'gateway', secret: 'key' });
    executeAnswers = [{ error: { code: 200, message: 'Odoo Server Error', data: { name: 'odoo.exceptions.UserError', message: 'Nope', arguments: ['Nope'], context: {}, debug: '' } } }];
    await expect(t.call({ model: 'sale.order', method: 'unlink', ids: [1], kwargs: {}, context: {} })).rejects.toMatchObject({ constructor: OdooValidationError, message: 'Nope', model: 'sale.order', method: 'unlink' });
  });
});
