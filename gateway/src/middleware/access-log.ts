import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../context.js';
import { redactPaths } from '../logger.js';

/**
 * One line per request, at debug for health probes and scrapes so they do not drown the log.
 *
 * The line goes through the root logger with `request_id` as its first field, which prints exactly
 * what the request's child logger would, without making that child on every request (pino
 * serialises a child's bindings when it is made). Nothing is built when the level is off. The
 * default destination is pino's asynchronous one (SonicBoom, `sync: false`, flushed on exit and on
 * shutdown), so a line costs no blocking write on the request's path.
 */
export function accessLog(root: Logger): MiddlewareHandler<AppEnv> {
  // The line holds scalars only (no nested object), so the wildcard-first redaction paths
  // (`*.authorization`…), which only match inside nested objects, can never apply to it; yet pino
  // walks them on every line: measured ≈ 40% of an access line's cost (≈ 8 µs). The line keeps
  // every other redaction path, so a secret-named key added here later is still censored.
  const logger = root.child({}, { redact: { paths: redactPaths.filter((p) => !p.startsWith('*')), censor: '[redacted]' } });
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
