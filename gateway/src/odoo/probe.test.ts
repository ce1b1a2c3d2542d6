import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OdooServerError } from './errors.js';
import { createOdooHttp } from './http.js';
import { parseMajor, probeOdooVersion, transportFor } from './probe.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function serve(handler: (path: string) => { status: number; body: unknown }) {
  server = createServer((req, res) => {
    req.resume().on('end', () => {
      const { status, body } = handler(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return createOdooHttp({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

describe('version probe', () => {
  it('reads the major version, saas versions included', () => {
    expect(parseMajor([18, 0, 0, 'final', 0, ''], '18.0')).toBe(18);
    expect(parseMajor(['saas~17', 4, 0, 'final', 0, ''], 'saas~17.4')).toBe(17);
    expect(parseMajor(undefined, '19.0+e')).toBe(19);
    expect(() => parseMajor([], 'weird')).toThrow(OdooServerError);
  });

  it('maps versions to transports', () => {
    expect([16, 17, 18, 19, 20].map(transportFor)).toEqual(['jsonrpc', 'jsonrpc', 'jsonrpc', 'json2', 'json2']);
  });

  it('falls back to GET /web/version when version_info is hidden', async () => {
    const http = await serve((path) => (path === '/web/version' ? { status: 200, body: { version_info: [19, 0, 0, 'final', 0, ''], version: '19.0' } } : { status: 404, body: 'nope' }));
    expect(await probeOdooVersion(http)).toEqual({ serverVersion: '19.0', major: 19, versionInfo: [19, 0, 0, 'final', 0, ''] });
    await http.close();
  });

  it('says clearly when the server is not an Odoo', async () => {
    const http = await serve(() => ({ status: 404, body: 'nope' }));
    await expect(probeOdooVersion(http)).rejects.toThrow(/does not look like Odoo/);
    await http.close();
  });
});
