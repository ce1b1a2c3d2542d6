import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../context.js';
import { nodeBodyLimit } from './node-body.js';

const MAX = 64;

function buildApp() {
  const app = new Hono<AppEnv>();
  app.use('*', nodeBodyLimit({ maxSize: MAX, onError: (c) => c.json({ error: 'too large' }, 413) }));
  app.post('/text', async (c) => c.json({ text: await c.req.text() }));
  app.post('/json', async (c) => c.json({ json: (await c.req.json()) as unknown }));
  app.post('/bytes', async (c) => c.json({ length: (await c.req.arrayBuffer()).byteLength }));
  app.post('/form', async (c) => c.json({ form: await c.req.parseBody() }));
  return app;
}

let server: ServerType;
let base: string;
const app = buildApp();

beforeAll(async () => {
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

/** A chunked request (no Content-Length), written in pieces. */
function chunked(path: string, pieces: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const p of pieces) req.write(p);
    req.end();
  });
}

describe('nodeBodyLimit on @hono/node-server', () => {
  it('hands the body to text(), json(), arrayBuffer() and parseBody()', async () => {
    const text = await fetch(`${base}/text`, { method: 'POST', body: 'héllo' });
    expect(await text.json()).toEqual({ text: 'héllo' });
    const json = await fetch(`${base}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
    expect(await json.json()).toEqual({ json: { a: [1, 2] } });
    const bytes = await fetch(`${base}/bytes`, { method: 'POST', body: new Uint8Array([0, 255, 1]) });
    expect(await bytes.json()).toEqual({ length: 3 });
    const form = await fetch(`${base}/form`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=two' });
    expect(await form.json()).toEqual({ form: { a: '1', b: 'two' } });
  });

  it('decodes text as WHATWG text() does: a leading BOM dropped', async () => {
    const res = await fetch(`${base}/text`, { method: 'POST', body: new Uint8Array([0xef, 0xbb, 0xbf, 0x61]) });
    expect(await res.json()).toEqual({ text: 'a' });
  });

  it('accepts a body of exactly the limit and an empty one', async () => {
    const at = await fetch(`${base}/bytes`, { method: 'POST', body: 'x'.repeat(MAX) });
    expect(await at.json()).toEqual({ length: MAX });
    const empty = await fetch(`${base}/text`, { method: 'POST', body: '' });
    expect(await empty.json()).toEqual({ text: '' });
  });

  it('refuses a declared Content-Length over the limit', async () => {
    const res = await fetch(`${base}/text`, { method: 'POST', body: 'x'.repeat(MAX + 1) });
    expect(res.status).toBe(413);
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const over = await chunked('/text', ['x'.repeat(40), 'y'.repeat(40)]);
    expect(over.status).toBe(413);
    const under = await chunked('/text', ['x'.repeat(30), 'y'.repeat(30)]);
    expect(under.status).toBe(200);
    expect(JSON.parse(under.body)).toEqual({ text: `${'x'.repeat(30)}${'y'.repeat(30)}` });
  });

  it('falls back to Hono’s limit outside Node (app.request)', async () => {
    const ok = await app.request('/text', { method: 'POST', body: 'abc' });
    expect(await ok.json()).toEqual({ text: 'abc' });
    const over = await app.request('/text', { method: 'POST', body: 'x'.repeat(MAX + 1) });
    expect(over.status).toBe(413);
  });
});
