import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../context.js';
import { parseTraceparent, requestContext } from './request-context.js';

const app = new Hono<AppEnv>();
app.use('*', requestContext({ logger: pino({ level: 'silent' }) }));
app.get('/', (c) => c.json({ id: c.get('requestId'), tp: c.get('traceparent') ?? null }));

describe('request context', () => {
  it('keeps a sane X-Request-Id and echoes it', async () => {
    const res = await app.request('/', { headers: { 'x-request-id': 'order-123' } });
    expect(res.headers.get('x-request-id')).toBe('order-123');
    expect(((await res.json()) as { id: string }).id).toBe('order-123');
  });

  it('uses the trace id of a valid traceparent', async () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await app.request('/', { headers: { traceparent: tp } });
    expect(await res.json()).toEqual({ id: '4bf92f3577b34da6a3ce929d0e0e4736', tp });
  });

  it('replaces an unsafe id with a new one', async () => {
    const res = await app.request('/', { headers: { 'x-request-id': 'a b<script>' } });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects all-zero and version ff trace contexts', () => {
    expect(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
    expect(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBeNull();
  });
});
