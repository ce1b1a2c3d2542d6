import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorBody } from '../../contracts/src/errors.js';
import type { AppEnv } from './context.js';
import { ApiError, handleError, notFound } from './errors.js';
import { requestContext } from './middleware/request-context.js';

function app() {
  const a = new OpenAPIHono<AppEnv>();
  a.use('*', requestContext({ logger: pino({ level: 'silent' }) }));
  a.use('*', bodyLimit({ maxSize: 64, onError: () => { throw new ApiError('payload_too_large', 'too large'); } }));
  a.post('/json', async (c) => c.json(await c.req.json()));
  a.get('/zod', () => { z.object({ a: z.string() }).parse({ a: 1 }); return new Response(); });
  a.get('/boom', () => { throw new Error('secret internals'); });
  a.get('/api', () => { throw new ApiError('insufficient_scope', 'needs orders:write', undefined, { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' }); });
  a.notFound(notFound);
  a.onError(handleError);
  return a;
}

async function body(res: Response) {
  const json = await res.json();
  return ErrorBody.parse(json).error;
}

describe('error model', () => {
  it('answers malformed JSON with 400 malformed_json and the request id', async () => {
    const res = await app().request('/json', { method: 'POST', body: '{"a":', headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' } });
    expect(res.status).toBe(400);
    expect(await body(res)).toMatchObject({ code: 'malformed_json', request_id: 'req-1' });
  });

  it('answers an oversized body with 413 payload_too_large', async () => {
    const res = await app().request('/json', { method: 'POST', body: JSON.stringify({ a: 'x'.repeat(200) }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect((await body(res)).code).toBe('payload_too_large');
  });

  it('answers an unknown route with 404 not_found', async () => {
    const res = await app().request('/nope');
    expect(res.status).toBe(404);
    expect((await body(res)).code).toBe('not_found');
  });

  it('turns a zod error into 422 validation_failed with paths', async () => {
    const res = await app().request('/zod');
    expect(res.status).toBe(422);
    const e = await body(res);
    expect(e.code).toBe('validation_failed');
    expect(e.details).toEqual([expect.objectContaining({ path: 'a' })]);
  });

  it('hides an unexpected error behind 500 internal_error without its message or stack', async () => {
    const res = await app().request('/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret internals');
    expect(text).not.toContain('at ');
    expect(JSON.parse(text).error.code).toBe('internal_error');
  });

  it('keeps the headers an ApiError carries', async () => {
    const res = await app().request('/api');
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('insufficient_scope');
  });
});
