/**
 * Scrape-time gauges for state that lives in other services: the Odoo circuit and bulkhead, the
 * rate limiter's backend, and anomaly flags.
 */
import type { Services } from '../services.js';
import { CIRCUIT_STATES, type GatewayMetrics } from './registry.js';

export function registerOpsGauges(metrics: GatewayMetrics, services: Services): void {
  const { odooGuard, rateLimit, anomalies } = services;
  {
    metrics.gauge({
      name: 'gateway_odoo_circuit_state',
      help: 'Odoo circuit breaker state: 1 for the current state (closed, half_open, open)',
      labelNames: ['state'],
      collect() {
        const current = odooGuard.circuit().state;
        for (const s of CIRCUIT_STATES) this.set({ state: s }, s === current ? 1 : 0);
      },
    });
    metrics.gauge({
      name: 'gateway_odoo_in_flight',
      help: 'Odoo calls in flight (bulkhead)',
      collect() {
        this.set(odooGuard.bulkhead().inFlight);
      },
    });
    metrics.gauge({
      name: 'gateway_odoo_queued',
      help: 'Odoo calls waiting for a bulkhead slot',
      collect() {
        this.set(odooGuard.bulkhead().queued);
      },
    });
    metrics.gauge({
      name: 'gateway_odoo_max_in_flight',
      help: 'The bulkhead limit on Odoo calls in flight',
      collect() {
        this.set(odooGuard.limits.maxInFlight);
      },
    });
    metrics.gauge({
      name: 'gateway_odoo_bulkhead_rejected',
      help: 'Odoo calls refused by the bulkhead since start (queue full or wait deadline)',
      labelNames: ['reason'],
      collect() {
        const s = odooGuard.bulkhead();
        this.set({ reason: 'queue_full' }, s.rejectedFull);
        this.set({ reason: 'queue_timeout' }, s.rejectedTimeout);
      },
    });
  }
  {
    metrics.gauge({
      name: 'gateway_rate_limit_backend',
      help: 'Which limiter decides: 1 for the current backend (memory, redis, fallback)',
      labelNames: ['backend'],
      collect() {
        const current = rateLimit.limiter.backend();
        for (const b of ['memory', 'redis', 'fallback']) this.set({ backend: b }, b === current ? 1 : 0);
      },
    });
  }
  {
    metrics.gauge({
      name: 'gateway_anomaly_flag',
      help: 'Anomaly flags raised now, by partner and signal (order_rate, failure_ratio); the value is the deviation in standard deviations',
      labelNames: ['partner', 'signal'],
      collect() {
        this.reset();
        for (const f of anomalies.flags()) this.set({ partner: f.partner, signal: f.signal }, f.score);
      },
    });
  }
}
