import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../context.js';

/**
 * One line per request, at debug for health probes and scrapes so they do not drown the log.
 *
 * The line goes through the root logger with `request_id` as its first field, which prints exactly
 * what the request's child logger would, without making that child on every request (pino
 * serialises a child's bindings when it is made). Nothing is built when the level is off. The
 * default destination is pino's asynchronous one (SonicBoom, `sync: false`, flushed on exit and on
 * shutdown), so a line costs no blocking write on the request's path.
 */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async function accessLogMiddleware(c, next) {
    const started = performance.now();
    await next();
    const path = c.req.path;
    const level = path === '/healthz' || path === '/readyz' || path === '/metrics' ? 'debug' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        request_id: c.get('requestId'),
        method: c.req.method,
        path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ip: c.get('clientIp'),
      },
      'request',
    );
  };
}
