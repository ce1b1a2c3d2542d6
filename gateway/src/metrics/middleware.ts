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
import { requestSeries, type RequestSeries, type RouteSeries } from './request-series.js';

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
  metrics: GatewayMetrics;
  anomalies: AnomalyDetector;
}

/**
 * Records one finished request: the request series, the order funnel's first step, the anomaly
 * detector. The middleware and the fast lane both end here.
 */
export class RequestRecorder {
  private readonly series: RequestSeries;

  constructor(private readonly options: RequestMetricsOptions) {
    this.series = requestSeries(options.metrics);
  }

  /** The series of one route, to hold on to (the fast lane); `record` finds it by name. */
  route(method: string, route: string): RouteSeries {
    return this.series.route(method, route);
  }

  record(series: RouteSeries, partner: string, status: number, seconds: number, isOrder = false): void {
    const { metrics, anomalies } = this.options;
    series.record(partner, status, seconds);
    if (isOrder && partner !== '-') {
      // Accepted, duplicates, created and Odoo's rejections come from the intake queue (intake-hooks.ts).
      metrics.ordersReceived.inc({ partner });
      const refused = CONTRACT_REFUSALS[status];
      if (refused) metrics.ordersRejected.inc({ partner, reason: refused });
    }
    if (partner !== '-') anomalies.record(partner, { status, order: isOrder });
  }
}

const recorders = new WeakMap<object, RequestRecorder>();

/** The recorder of a gateway's metrics and anomaly detector (one each; shared by the middleware and the fast lane). */
export function requestRecorder(options: RequestMetricsOptions): RequestRecorder {
  let recorder = recorders.get(options.metrics);
  if (!recorder) recorders.set(options.metrics, (recorder = new RequestRecorder(options)));
  return recorder;
}

export function requestMetrics(options: RequestMetricsOptions): MiddlewareHandler<AppEnv> {
  const recorder = requestRecorder(options);
  return async function requestMetricsMiddleware(c, next) {
    const started = performance.now();
    try {
      await next();
    } finally {
      const method = c.req.method;
      recorder.record(
        recorder.route(method, routeLabel(c)),
        c.get('principal')?.partner ?? '-',
        c.res.status,
        (performance.now() - started) / 1000,
        method === 'POST' && ORDER_PATH.test(c.req.path),
      );
    }
  };
}
