/**
 * The foundation end to end: a whole gateway on the fake Odoo answers health, a catalog read with a
 * real token, and every kind of bad input with the documented error, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../contracts/src/errors.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

let gw: TestGateway;
let token: string;
beforeAll(async () => {
  gw = await startTestGateway();
  token = await gw.token('demo', 'demo-secret');
});
afterAll(async () => {
  await gw?.close();
});

async function errorOf(res: Response) {
  const text = await res.text();
  expect(text).not.toMatch(/\n\s+at /); // no stack trace
  return ErrorBody.parse(JSON.parse(text)).error;
}

describe('a running gateway', () => {
  it('is alive and ready, reporting the store and Odoo', async () => {
    expect(await (await gw.fetch('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await gw.fetch('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', store: { kind: 'sqlite', writable: true } });
  });

  it('serves a catalog read to a partner token', async () => {
    const res = await gw.fetch('/v1/products?limit=3', { token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { sku: string }[] };
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data[0]!.sku).toEqual(expect.any(String));
  });

  it('echoes the caller request id', async () => {
    const res = await gw.fetch('/healthz', { headers: { 'x-request-id': 'trace-me-42' } });
    expect(res.headers.get('x-request-id')).toBe('trace-me-42');
  });

  it('answers an unknown route with 404 not_found', async () => {
    const res = await gw.fetch('/v1/nothing-here', { headers: { 'x-request-id': 'r-404' } });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: 'not_found', request_id: 'r-404' });
  });

  it('answers an oversized body with 413 payload_too_large', async () => {
    const res = await gw.fetch('/v1/orders', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json', 'idempotency-key': 'big-1' },
      body: JSON.stringify({ pad: 'x'.repeat(gw.config.bodyLimitBytes + 10) }),
    });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
  });

  it('answers malformed JSON with 400 malformed_json', async () => {
    const res = await gw.fetch('/v1/orders', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json', 'idempotency-key': 'bad-json-1' },
      body: '{"external_id": ',
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('malformed_json');
  });
});

describe('start-up with a bad configuration', () => {
  it('exits 78 with one line per wrong variable and no stack trace', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts', 'serve'], {
      env: { PATH: process.env.PATH, ODOO_URL: 'nope', GATEWAY_PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('ODOO_URL: must be an http(s) URL (got "nope")');
    expect(run.stderr).toContain('GATEWAY_PORT: must be a whole number (got "eighty")');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
