import { describe, expect, it } from 'vitest';
import { GatewayMetrics, LATENCY_BUCKETS } from './registry.js';
import { RequestSeries } from './request-series.js';

type Obs = [method: string, route: string, partner: string, status: number, seconds: number];

const observations: Obs[] = [
  ['GET', '/v1/inventory', 'acme', 200, 0.0004],
  ['GET', '/v1/inventory', 'acme', 200, 0.003],
  ['GET', '/v1/inventory', 'acme', 304, 0.0001],
  ['GET', '/v1/inventory', 'globex', 200, 0.02],
  ['GET', '/v1/inventory', '-', 401, 0.0002],
  ['POST', '/v1/orders', 'acme', 202, 0.4],
  ['POST', '/v1/orders', 'acme', 422, 12], // past the last bucket: only +Inf
  ['GET', '/v1/products/:sku', 'acme', 404, 0.001], // exactly on a bound
];

/** The request metrics' lines of an exposition. */
async function requestLines(m: GatewayMetrics): Promise<string[]> {
  return (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('gateway_http_request')).sort();
}

describe('request series', () => {
  it('exposes exactly what direct prom-client calls would, folded at each scrape', async () => {
    const direct = new GatewayMetrics({ processMetrics: false });
    const bound = new GatewayMetrics({ processMetrics: false });
    const series = new RequestSeries(bound.httpRequests, bound.httpDuration, LATENCY_BUCKETS);
    const record = (list: Obs[]) => {
      for (const [method, route, partner, status, seconds] of list) {
        direct.httpRequests.inc({ method, route, partner, status: String(status) });
        direct.httpDuration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
        series.route(method, route).record(partner, status, seconds);
      }
    };
    record(observations);
    const first = await requestLines(direct);
    expect(first.length).toBeGreaterThan(20);
    expect(await requestLines(bound)).toEqual(first);
    // A second scrape with nothing new folds nothing twice; new requests add to the same series.
    expect(await requestLines(bound)).toEqual(first);
    record(observations.slice(0, 3));
    expect(await requestLines(bound)).toEqual(await requestLines(direct));
  });

  it('keeps counting after the metrics are reset', async () => {
    const direct = new GatewayMetrics({ processMetrics: false });
    const bound = new GatewayMetrics({ processMetrics: false });
    const series = new RequestSeries(bound.httpRequests, bound.httpDuration, LATENCY_BUCKETS);
    series.route('GET', '/v1/inventory').record('acme', 200, 0.002);
    await bound.registry.metrics();
    bound.registry.resetMetrics();
    series.route('GET', '/v1/inventory').record('acme', 200, 0.002);
    direct.httpRequests.inc({ method: 'GET', route: '/v1/inventory', partner: 'acme', status: '200' });
    direct.httpDuration.observe({ method: 'GET', route: '/v1/inventory', status_class: '2xx' }, 0.002);
    expect(await requestLines(bound)).toEqual(await requestLines(direct));
  });
});
