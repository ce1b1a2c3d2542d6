import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';

/** One line per request, at debug for health probes so they do not drown the log. */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async function accessLogMiddleware(c, next) {
    const started = performance.now();
    await next();
    const path = c.req.path;
    const line = {
      method: c.req.method,
      path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ip: c.get('clientIp'),
    };
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') c.get('log').debug(line, 'request');
    else c.get('log').info(line, 'request');
  };
}
