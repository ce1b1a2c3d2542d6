import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../context.js';
import { lazyChildLogger, parseTraceparent, requestContext } from './request-context.js';

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

describe('the request logger', () => {
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    return { lines, logger };
  };

  it('logs with the request id, as a child logger would', async () => {
    const { lines, logger } = capture();
    const a = new Hono<AppEnv>();
    a.use('*', requestContext({ logger }));
    a.get('/', (c) => {
      c.get('log').info({ n: 1 }, 'hello');
      c.get('log').child({ step: 'inner' }).warn('nested');
      return c.text(String(c.get('log').isLevelEnabled('debug')));
    });
    const res = await a.request('/', { headers: { 'x-request-id': 'req-42' } });
    expect(await res.text()).toBe('true');
    expect(lines).toEqual([
      expect.objectContaining({ request_id: 'req-42', n: 1, msg: 'hello', level: 30 }),
      expect.objectContaining({ request_id: 'req-42', step: 'inner', msg: 'nested', level: 40 }),
    ]);
  });

  it('makes the child only when it is used', () => {
    const { logger } = capture();
    let made = 0;
    const parent = Object.assign(Object.create(logger) as typeof logger, {
      child: (...args: Parameters<typeof logger.child>) => {
        made++;
        return logger.child(...args);
      },
    });
    const log = lazyChildLogger(parent, { request_id: 'r' });
    expect(made).toBe(0);
    log.info('x');
    log.info('y');
    expect(made).toBe(1);
  });
});
