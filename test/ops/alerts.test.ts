/**
 * The alert rules ship with a runbook entry each, and every metric they name is one the gateway
 * exports (a renamed metric would silently disable an alert).
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AnomalyDetector } from '../../gateway/src/anomaly/detector.js';
import { registerOpsGauges } from '../../gateway/src/metrics/ops-gauges.js';
import { GatewayMetrics } from '../../gateway/src/metrics/registry.js';
import { protectOdooClient } from '../../gateway/src/protect/protect-client.js';
import { MemoryRateLimiter } from '../../gateway/src/rate-limit/memory.js';
import { RateLimitService } from '../../gateway/src/rate-limit/service.js';
import { buildPolicies } from '../../gateway/src/rate-limit/tiers.js';
import type { OdooClient } from '../../gateway/src/odoo/client.js';
import type { Services } from '../../gateway/src/services.js';

interface Rule {
  alert: string;
  expr: string;
  annotations: { summary: string; runbook_url: string };
}

const rules = (parse(readFileSync('ops/alerts.yml', 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const runbook = readFileSync('docs/runbook.md', 'utf8');

describe('alert rules', () => {
  it('have a runbook entry each', () => {
    expect(rules.length).toBeGreaterThanOrEqual(15);
    const headings = new Set([...runbook.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));
    for (const r of rules) {
      expect(r.annotations.runbook_url, r.alert).toBe(`docs/runbook.md#${r.alert.toLowerCase()}`);
      expect(headings.has(r.alert.toLowerCase()), `runbook entry for ${r.alert}`).toBe(true);
    }
    expect(headings.size).toBe(rules.length);
  });

  it('name only metrics the gateway exports', async () => {
    const metrics = new GatewayMetrics({ processMetrics: true });
    const odoo = protectOdooClient({} as OdooClient, { maxInFlight: 1, maxQueue: 1, queueTimeoutMs: 1, failureThreshold: 1, openMs: 100 });
    const services = {
      odooGuard: odoo.guard,
      rateLimit: new RateLimitService({ limiter: new MemoryRateLimiter(), policies: buildPolicies() }),
      anomalies: new AnomalyDetector({ threshold: 3 }),
      logger: pino({ level: 'silent' }),
    } as unknown as Services;
    registerOpsGauges(metrics, services);
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    for (const r of rules) {
      for (const [name] of r.expr.matchAll(/\bgateway_[a-z_]+/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        expect(exported.has(base) || exported.has(name), `${r.alert} uses ${name}`).toBe(true);
      }
    }
    await services.rateLimit!.close();
  });
});
