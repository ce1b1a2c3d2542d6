import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { observeIntake, outboxLagProvider } from './intake-hooks.js';
import { GatewayMetrics } from './registry.js';

describe('order funnel from intake signals', () => {
  it('counts accepted, duplicates, created and rejected by reason', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    const signals = new EventEmitter();
    observeIntake(metrics, signals);
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
