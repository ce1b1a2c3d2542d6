/** The operations variables: defaults, overrides, and a clear message for a wrong value. */
import { describe, expect, it } from 'vitest';
import { loadConfig, type ConfigError } from '../../gateway/src/config.js';

describe('operations configuration', () => {
  it('has documented defaults', () => {
    const { ops } = loadConfig({});
    expect(ops).toMatchObject({
      rateLimitPrefix: 'rg:rl:',
      rateLimitRedisTimeoutMs: 250,
      rateLimitTiers: {},
      tokenRatePerMinute: 30,
      tokenFailuresPerMinute: 5,
      tokenClientFailuresPerMinute: 50,
      odooMaxInFlight: 8,
      breakerFailures: 5,
      metricsToken: null,
      inventoryFreshnessSeconds: 60,
      anomalyThreshold: 3,
      retentionDeliveredDays: 30,
    });
  });

  it('takes tier overrides as JSON', () => {
    const { ops } = loadConfig({ GATEWAY_RATE_LIMIT_TIERS: '{"premium":{"rate":800,"burst":1600}}', GATEWAY_ANOMALY_THRESHOLD: '2.5', GATEWAY_RATE_LIMIT_REDIS_TIMEOUT_MS: '2000' });
    expect(ops.rateLimitTiers).toEqual({ premium: { rate: 800, burst: 1600 } });
    expect(ops.rateLimitRedisTimeoutMs).toBe(2000);
    expect(ops.anomalyThreshold).toBe(2.5);
  });

  it('says which variable is wrong, and hides the metrics token', () => {
    const fail = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as ConfigError).problems.join('\n');
      }
      throw new Error('expected a ConfigError');
    };
    expect(fail({ GATEWAY_RATE_LIMIT_TIERS: 'fast' })).toMatch(/^GATEWAY_RATE_LIMIT_TIERS: must be JSON/);
    expect(fail({ GATEWAY_RATE_LIMIT_TIERS: '{"gold":{"rate":1,"burst":1}}' })).toMatch(/GATEWAY_RATE_LIMIT_TIERS/);
    expect(fail({ ODOO_MAX_IN_FLIGHT: '0' })).toMatch(/ODOO_MAX_IN_FLIGHT: must be at least 1/);
    const hidden = fail({ GATEWAY_METRICS_TOKEN: 'short' });
    expect(hidden).toMatch(/GATEWAY_METRICS_TOKEN: .*\(value hidden\)/);
    expect(hidden).not.toContain('short"');
  });
});
