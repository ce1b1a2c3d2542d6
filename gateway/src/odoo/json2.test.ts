import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooAccessError, OdooAuthError, OdooMissingError, OdooServerError, OdooUniqueViolationError, OdooValidationError } from './errors.js';
import { createOdooHttp, type OdooHttp } from './http.js';
import { createJson2Transport } from './json2.js';
import { startOdooFake, type OdooFake } from '../../../test/odoo-fake/index.js';
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
    answer = { status: 404, body: { name: 'odoo.exceptions.MissingError', message: 'Record does not exist or has been deleted.', arguments: [], context: {}, debug: '' } };
    await expect(t.call({ model: 'res.partner', method: 'write', ids: [9], kwargs: {}, context: {} })).rejects.toBeInstanceOf(OdooMissingError);
    answer = {
      status: 422,
      body: { name: 'odoo.exceptions.ValidationError', message: 'The operation cannot be completed: codes must be unique', arguments: [], context: {}, debug: 'psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "x_uniq"\nodoo.exceptions.ValidationError: The operation cannot be completed' },
    };
    await expect(t.call({ model: 'res.partner', method: 'create', kwargs: {}, context: {} })).rejects.toBeInstanceOf(OdooUniqueViolationError);
    answer = { status: 404, body: 'Record does not exist or has been deleted.' };
    await expect(t.call({ model: 'res.partner', method: 'read', ids: [9], kwargs: {}, context: {} })).rejects.toMatchObject({ message: 'Record does not exist or has been deleted.', httpStatus: 404 });
  });
});

describe('JSON-2 against the fake of the addon', () => {
  let sim: OdooFake;
  let http: OdooHttp;
  let t: OdooTransport;
  const api = { model: 'retail_gateway.api', context: {} };

  beforeAll(async () => {
    sim = await startOdooFake({ serverVersion: '19.0' });
    http = createOdooHttp({ url: sim.url });
    t = createJson2Transport(http, { db: sim.db, login: sim.login, secret: sim.apiKey });
  });
  afterAll(async () => {
    await http.close();
    await sim.close();
  });

  it('calls a contract method with named arguments', async () => {
    const page = (await t.call({ ...api, method: 'catalog_page', kwargs: { after: 0, limit: 2 } })) as { items: unknown[]; next_cursor: number };
    expect(page.items).toHaveLength(2);
    expect(page.next_cursor).toEqual(expect.any(Number));
    const registry = (await t.call({ model: 'retail_gateway.partner', method: 'partners', kwargs: { codes: ['demo'] }, context: {} })) as { partners: Array<{ code: string }> };
    expect(registry.partners.map((p) => p.code)).toEqual(['demo']);
  });

  it('answers Odoo exceptions with their HTTP status', async () => {
    const order = { intake_id: 'i-1', item: { external_id: 'J2-1' } };
    await expect(t.call({ ...api, method: 'submit_orders', kwargs: { partner: 'nobody-here', orders: [order] } })).rejects.toMatchObject({
      constructor: OdooValidationError,
      httpStatus: 422,
      odooName: 'odoo.exceptions.ValidationError',
    });
    await expect(t.call({ ...api, method: 'order_status', kwargs: { partner: 'nobody-here', external_ids: ['X'] } })).rejects.toMatchObject({
      constructor: OdooValidationError,
      httpStatus: 422,
      odooName: 'odoo.exceptions.UserError',
    });
  });

  it('refuses a wrong key, an unknown model or method, ids on a model method and unknown arguments', async () => {
    const wrong = createJson2Transport(http, { db: sim.db, login: sim.login, secret: 'nope' });
    await expect(wrong.call({ ...api, method: 'whoami', kwargs: {} })).rejects.toMatchObject({ constructor: OdooAuthError, httpStatus: 401 });
    await expect(t.call({ model: 'no.such.model', method: 'search', kwargs: {}, context: {} })).rejects.toMatchObject({ constructor: OdooServerError, httpStatus: 404 });
    await expect(t.call({ ...api, method: 'nope', kwargs: {} })).rejects.toMatchObject({ httpStatus: 404 });
    await expect(t.call({ ...api, method: 'whoami', ids: [1], kwargs: {} })).rejects.toMatchObject({ constructor: OdooValidationError, httpStatus: 422 });
    await expect(t.call({ ...api, method: 'whoami', kwargs: { bogus: 1 } })).rejects.toMatchObject({ httpStatus: 422 });
  });

  it('answers a user without rights 403', async () => {
    sim.state.setApiKeys('portal', ['portal-key']);
    const portal = createJson2Transport(http, { db: sim.db, login: 'portal', secret: 'portal-key' });
    await expect(portal.call({ ...api, method: 'whoami', kwargs: {} })).rejects.toMatchObject({ constructor: OdooAccessError, httpStatus: 403 });
    await expect(portal.call({ ...api, method: 'availability', kwargs: {} })).rejects.toMatchObject({ constructor: OdooAccessError, httpStatus: 403 });
  });
});
