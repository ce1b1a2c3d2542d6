import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { observeIntake, outboxLagProvider, type IntakeGaugeSource } from './intake-hooks.js';
import { GatewayMetrics } from './registry.js';

/** A queue as the gauges see it: its signals and fixed counts. */
function queueWith(counts: { waiting?: number; oldestAt?: number | null; failed?: number; retrying?: number; overdue?: number } = {}) {
  const signals = new EventEmitter();
  const source: IntakeGaugeSource = {
    signals,
    countWaiting: async () => counts.waiting ?? 0,
    oldestWaitingAt: async () => counts.oldestAt ?? null,
    countFailed: async () => counts.failed ?? 0,
    countRetrying: async () => counts.retrying ?? 0,
    countOverdue: async () => counts.overdue ?? 0,
  };
  return { signals, source };
}
const gaugeOptions = { now: () => 100_000, inventoryFreshnessSeconds: 60, returnsStuckAfterSeconds: 900 };

describe('order funnel from intake signals', () => {
  it('counts accepted, duplicates, created and rejected by reason', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const { signals, source } = queueWith();
    observeIntake(metrics, source, gaugeOptions);
    signals.emit('intake', { partner: 'acme', kind: 'order', duplicate: false });
    signals.emit('intake', { partner: 'acme', kind: 'order', duplicate: true });
    signals.emit('intake', { partner: 'acme', kind: 'return', duplicate: false });
    signals.emit('outcome', { partner: 'acme', kind: 'order', status: 'completed', reasons: [] });
    signals.emit('outcome', { partner: 'acme', kind: 'order', status: 'rejected', reasons: ['unknown_sku', 'invalid_quantity'] });
    signals.emit('outcome', { partner: 'acme', kind: 'return', status: 'completed', reasons: [] });
    const text = (await metrics.expose()).body;
    expect(text).toMatch(/^gateway_orders_accepted_total\{partner="acme"\} 1$/m);
    expect(text).toMatch(/^gateway_duplicates_suppressed_total\{partner="acme",kind="order"\} 1$/m);
    expect(text).toMatch(/^gateway_orders_created_total\{partner="acme"\} 1$/m);
    expect(text).toMatch(/^gateway_orders_rejected_total\{partner="acme",reason="unknown_sku"\} 1$/m);
  });
});

describe('intake retries', () => {
  it('count retried attempts by cause and show the items failing transiently, apart from failed ones', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const { signals, source } = queueWith({ waiting: 4, oldestAt: 70_000, failed: 1, retrying: 3 });
    observeIntake(metrics, source, gaugeOptions);
    signals.emit('retry', { partner: 'acme', kind: 'order', cause: 'odoo_retry' });
    signals.emit('retry', { partner: 'acme', kind: 'order', cause: 'odoo_retry' });
    signals.emit('retry', { partner: 'acme', kind: 'return', cause: 'transient' });
    const text = (await metrics.expose()).body;
    expect(text).toMatch(/^gateway_intake_retries_total\{kind="order",cause="odoo_retry"\} 2$/m);
    expect(text).toMatch(/^gateway_intake_retries_total\{kind="return",cause="transient"\} 1$/m);
    expect(text).toMatch(/^gateway_intake_retrying 3$/m);
    expect(text).toMatch(/^gateway_intake_failed 1$/m);
    expect(text).toMatch(/^gateway_intake_queue_depth 4$/m);
    expect(text).toMatch(/^gateway_intake_oldest_age_seconds 30$/m);
  });
});

describe('outbox lag', () => {
  it('is unknown before a claim, the oldest claimed event age after one, and grows when claims stop', () => {
    const pump: { lastClaim: { at: number; oldestEventMs: number | null } | null } = { lastClaim: null };
    let now = 100_000;
    const lag = outboxLagProvider(pump, () => now);
    expect(lag()).toBeNull();
    pump.lastClaim = { at: 100_000, oldestEventMs: 70_000 };
    expect(lag()).toBe(30);
    pump.lastClaim = { at: 100_000, oldestEventMs: null };
    now = 105_000;
    expect(lag()).toBe(5);
  });
});
