/**
 * Request metrics: count and time every request by route (the matched pattern, never the raw
 * path, so ids do not explode the series), partner and status; feed the anomaly detector; and
 * count the order funnel's first step (received, or refused by the contract before the queue).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../context.js';
import type { GatewayMetrics } from './registry.js';
import type { AnomalyDetector } from '../anomaly/detector.js';

/** The route pattern that handled the request (`unmatched` for a 404 with no route). */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (r.method !== 'ALL') return r.path;
  }
  return 'unmatched';
}

const ORDER_PATH = /^\/v1\/orders\/?$/;
/** Refusals before the queue, as order rejection reasons. */
const CONTRACT_REFUSALS: Record<number, string> = { 400: 'invalid_request', 413: 'payload_too_large', 415: 'unsupported_media_type', 422: 'validation_failed' };

export interface RequestMetricsOptions {
  metrics?: GatewayMetrics;
  anomalies?: AnomalyDetector;
}

export function requestMetrics(options: RequestMetricsOptions): MiddlewareHandler<AppEnv> {
  const { metrics, anomalies } = options;
  return async function requestMetricsMiddleware(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const status = c.res.status;
      const partner = c.get('principal')?.partner ?? '-';
      const route = routeLabel(c);
      const method = c.req.method;
      const isOrder = method === 'POST' && ORDER_PATH.test(c.req.path);
      if (metrics) {
        metrics.httpRequests.inc({ method, route, partner, status: String(status) });
        metrics.httpDuration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, (performance.now() - started) / 1000);
        if (isOrder && partner !== '-') {
          // Accepted, duplicates, created and Odoo's rejections come from the intake queue (intake-hooks.ts).
          metrics.ordersReceived.inc({ partner });
          const refused = CONTRACT_REFUSALS[status];
          if (refused) metrics.ordersRejected.inc({ partner, reason: refused });
        }
      }
      if (anomalies && partner !== '-') anomalies.record(partner, { status, order: isOrder });
    }
  };
}
