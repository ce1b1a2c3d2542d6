import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../context.js';
import { accessLog } from './access-log.js';
import { requestContext } from './request-context.js';

function appLogging(level: 'info' | 'debug') {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level, base: { service: 'retail-gateway' } }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const app = new Hono<AppEnv>();
  app.use('*', requestContext({ logger }));
  app.use('*', async (c, next) => {
    c.set('clientIp', '192.0.2.9');
    await next();
  });
  app.use('*', accessLog(logger));
  app.get('/v1/things', (c) => c.json({ ok: true }));
  app.get('/healthz', (c) => c.text('ok'));
  return { app, lines };
}

describe('access log', () => {
  it('writes one line per request with the request id first, as the request logger would', async () => {
    const { app, lines } = appLogging('info');
    await app.request('/v1/things', { headers: { 'x-request-id': 'req-7' } });
    await app.request('/nowhere', { headers: { 'x-request-id': 'req-8' } });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 30, service: 'retail-gateway', request_id: 'req-7', method: 'GET', path: '/v1/things', status: 200, ip: '192.0.2.9', msg: 'request' });
    expect(Object.keys(lines[0]!).slice(0, 4)).toEqual(['level', 'time', 'service', 'request_id']);
    expect(lines[1]).toMatchObject({ request_id: 'req-8', status: 404 });
    expect(typeof lines[0]!.ms).toBe('number');
  });

  it('logs health probes at debug only', async () => {
    const info = appLogging('info');
    await info.app.request('/healthz');
    expect(info.lines).toHaveLength(0);
    const debug = appLogging('debug');
    await debug.app.request('/healthz');
    expect(debug.lines).toEqual([expect.objectContaining({ level: 20, path: '/healthz', status: 200 })]);
  });
});
