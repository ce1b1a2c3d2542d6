/**
 * `GET /metrics`: the Prometheus text format, for `Authorization: Bearer <GATEWAY_METRICS_TOKEN>`
 * only. The series name partners, routes and volumes, so without a configured token nobody reads
 * them (401); `npm run demo` makes one up and prints it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import type { Services } from '../services.js';
import { requestMetrics } from './middleware.js';
import { registerOpsGauges } from './ops-gauges.js';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Registers the request metrics middleware (first, so it sees every route) and `/metrics`. */
export function registerMetrics(app: OpenAPIHono<AppEnv>, services: Services): void {
  const { metrics, anomalies } = services;
  app.use('*', requestMetrics({ metrics, anomalies }));
  registerOpsGauges(metrics, services);
  const token = services.config.ops.metricsToken;
  app.get('/metrics', async (c) => {
    const auth = c.req.header('authorization') ?? '';
    if (!token || !/^bearer /i.test(auth) || !sameSecret(auth.slice(7), token)) {
      const why = token ? 'The metrics endpoint wants its bearer token.' : 'The metrics endpoint is closed until GATEWAY_METRICS_TOKEN is configured.';
      throw new ApiError('unauthorized', why, undefined, { 'WWW-Authenticate': 'Bearer realm="metrics"' });
    }
    const { contentType, body } = await metrics.expose();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
}
