import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooAccessError, OdooAuthError, OdooMissingError, OdooServerError, OdooUniqueViolationError, OdooValidationError } from './errors.js';
import { createOdooHttp, type OdooHttp } from './http.js';
import { createJson2Transport } from './json2.js';
import { startOdooSimulator, type OdooSimulator } from './simulator/index.js';
import type { OdooTransport } from './transport.js';

describe('JSON-2 wire format (as documented for Odoo 19)', () => {
  let server: Server;
  let http: OdooHttp;
  const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: unknown }> = [];
  let answer: { status: number; body: unknown } = { status: 200, body: [] };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c)).on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(raw) });
        res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    http = createOdooHttp({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/odoo/` });
  });
  afterAll(async () => {
    await http.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('posts named arguments, ids and context to /json/2/<model>/<method> with a bearer key and the database', async () => {
    const t = createJson2Transport(http, { db: 'shop', login: 'gateway', secret: 'the-key' });
    answer = { status: 200, body: [{ id: 3, name: 'Deco Addict' }] };
    const result = await t.call({ model: 'res.partner', method: 'read', ids: [3], kwargs: { fields: ['name'] }, context: { lang: 'en_US', request_id: 'r1' } });
    expect(result).toEqual([{ id: 3, name: 'Deco Addict' }]);
    const req = seen.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/odoo/json/2/res.partner/read');
    expect(req.headers.authorization).toBe('bearer the-key');
    expect(req.headers['x-odoo-database']).toBe('shop');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.headers['user-agent']).toBe('retail-gateway');
    expect(req.body).toEqual({ ids: [3], fields: ['name'], context: { lang: 'en_US', request_id: 'r1' } });
  });

  it('leaves ids out for model methods', async () => {
    const t = createJson2Transport(http, { db: 'shop', login: 'gateway', secret: 'k' });
    answer = { status: 200, body: 7 };
    await t.call({ model: 'res.partner', method: 'search_count', kwargs: { domain: [] }, context: {} });
    expect(seen.at(-1)!.body).toEqual({ domain: [] });
  });

  it('reads errors from the status and the serialized exception, or from a bare string body', async () => {
    const t = createJson2Transport(http, { db: 'shop', login: 'gateway', secret: 'k' });
    answer = { status: 401, body: { name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey', arguments: ['Invalid apikey', 401], context: {}, debug: '' } };
    await expect(t.call({ model: 'res.partner', method: 'search', kwargs: {}, context: {} })).rejects.toBeInstanceOf(OdooAuthError);
    answer = { status: 404, body: 'Record does not exist or has been deleted.' };
    await expect(t.call({ model: 'res.partner', method: 'read', ids: [9], kwargs: {}, context: {} })).rejects.toMatchObject({ message: 'Record does not exist or has been deleted.', httpStatus: 404 });
  });
});

describe('JSON-2 against the simulator', () => {
  let sim: OdooSimulator;
  let http: OdooHttp;
  let t: OdooTransport;

  beforeAll(async () => {
    sim = await startOdooSimulator({ serverVersion: '19.0' });
    http = createOdooHttp({ url: sim.url });
    t = createJson2Transport(http, { db: sim.db, login: sim.login, secret: sim.apiKey });
  });
  afterAll(async () => {
    await http.close();
    await sim.close();
  });

  it('reads and writes', async () => {
    const ids = (await t.call({ model: 'res.partner', method: 'create', kwargs: { vals_list: [{ name: 'Json Two' }] }, context: {} })) as number[];
    expect(ids).toEqual([expect.any(Number)]);
    await t.call({ model: 'res.partner', method: 'write', ids, kwargs: { vals: { city: 'Ghent' } }, context: {} });
    const rows = await t.call({ model: 'res.partner', method: 'search_read', kwargs: { domain: [['id', 'in', ids]], fields: ['name', 'city'] }, context: {} });
    expect(rows).toEqual([{ id: ids[0], name: 'Json Two', city: 'Ghent' }]);
  });

  it('answers Odoo exceptions with their HTTP status', async () => {
    await expect(t.call({ model: 'res.partner', method: 'write', ids: [999999], kwargs: { vals: { name: 'x' } }, context: {} })).rejects.toMatchObject({
      constructor: OdooMissingError,
      httpStatus: 404,
      odooName: 'odoo.exceptions.MissingError',
    });
    await expect(t.call({ model: 'res.users', method: 'create', kwargs: { vals_list: [{ name: 'x', login: 'admin' }] }, context: {} })).rejects.toMatchObject({
      constructor: OdooUniqueViolationError,
      httpStatus: 422,
    });
    await expect(t.call({ model: 'sale.order', method: 'create', kwargs: { vals_list: [{}] }, context: {} })).rejects.toBeInstanceOf(OdooValidationError);
  });

  it('refuses a wrong key, an unknown model or method, ids on a model method and unknown arguments', async () => {
    const wrong = createJson2Transport(http, { db: sim.db, login: sim.login, secret: 'nope' });
    await expect(wrong.call({ model: 'res.partner', method: 'search', kwargs: {}, context: {} })).rejects.toMatchObject({ constructor: OdooAuthError, httpStatus: 401 });
    await expect(t.call({ model: 'no.such.model', method: 'search', kwargs: {}, context: {} })).rejects.toMatchObject({ constructor: OdooServerError, httpStatus: 404 });
    await expect(t.call({ model: 'res.partner', method: 'nope', kwargs: {}, context: {} })).rejects.toMatchObject({ httpStatus: 404 });
    await expect(t.call({ model: 'res.partner', method: 'search_count', ids: [1], kwargs: { domain: [] }, context: {} })).rejects.toMatchObject({ constructor: OdooValidationError, httpStatus: 422 });
    await expect(t.call({ model: 'res.partner', method: 'search_count', kwargs: { domain: [], bogus: 1 }, context: {} })).rejects.toMatchObject({ httpStatus: 422 });
  });

  it('answers a user without rights 403', async () => {
    sim.state.transaction((env) => env.write('res.users', [sim.state.users.portal.uid], { api_keys: ['portal-key'] }));
    const portal = createJson2Transport(http, { db: sim.db, login: 'portal', secret: 'portal-key' });
    await expect(portal.call({ model: 'stock.quant', method: 'search_read', kwargs: { domain: [] }, context: {} })).rejects.toMatchObject({ constructor: OdooAccessError, httpStatus: 403 });
  });
});
