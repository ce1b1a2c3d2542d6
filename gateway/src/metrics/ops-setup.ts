/**
 * Builds the operational services the server wires in: the metrics registry, the rate limiter,
 * the Odoo guard (bulkhead + circuit breaker) around the Odoo client, and the anomaly detector.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { OdooClient, OnOdooCall } from '../odoo/client.js';
import { AnomalyDetector } from '../anomaly/detector.js';
import { protectOdooClient, type OdooGuard } from '../protect/protect-client.js';
import { createRateLimitService, type RateLimitService } from '../rate-limit/service.js';
import { GatewayMetrics } from './registry.js';

/** The metrics registry; create it before the Odoo client so the client's `onCall` hook can feed it. */
export function createGatewayMetrics(config: Config, logger: Logger): GatewayMetrics {
  return new GatewayMetrics({ logger, inventoryFreshnessSeconds: config.ops.inventoryFreshnessSeconds });
}

/** The Odoo client's `onCall` hook feeding the metrics. */
export function odooCallHook(metrics: GatewayMetrics): OnOdooCall {
  return (model, method, durationMs, error) => metrics.observeOdooCall(model, method, durationMs, error);
}

export interface OpsServices {
  odoo: OdooClient;
  odooGuard: OdooGuard;
  rateLimit: RateLimitService;
  anomalies: AnomalyDetector;
  close(): Promise<void>;
}

export interface SetupOpsOptions {
  config: Config;
  logger: Logger;
  metrics: GatewayMetrics;
  odoo: OdooClient;
  /** The client was built elsewhere, without the metrics hook: observe calls at the guard instead. */
  observeAtGuard: boolean;
  /** Clock of the circuit breaker (default Date.now). */
  breakerClock?: () => number;
}

export async function setupOps(options: SetupOpsOptions): Promise<OpsServices> {
  const { config, logger, metrics } = options;
  const ops = config.ops;
  const odoo = protectOdooClient(options.odoo, {
    maxInFlight: ops.odooMaxInFlight,
    maxQueue: ops.odooQueueMax,
    queueTimeoutMs: ops.odooQueueTimeoutMs,
    failureThreshold: ops.breakerFailures,
    openMs: ops.breakerOpenMs,
    now: options.breakerClock,
    logger,
    onStateChange: (_from, to) => metrics.circuitTransitions.inc({ to }),
    onCall: options.observeAtGuard ? odooCallHook(metrics) : undefined,
  });
  const rateLimit = await createRateLimitService({
    redisUrl: config.redisUrl,
    keyPrefix: ops.rateLimitPrefix,
    redisTimeoutMs: ops.rateLimitRedisTimeoutMs,
    tiers: ops.rateLimitTiers,
    credentialLimits: { attemptsPerMin: ops.tokenRatePerMinute, failuresPerMin: ops.tokenFailuresPerMinute, clientFailuresPerMin: ops.tokenClientFailuresPerMinute },
    logger,
    onLimited: (partner, policy) => metrics.rateLimited.inc({ partner, policy }),
    onFallback: () => metrics.rateLimitFallback.inc(),
  });
  const anomalies = new AnomalyDetector({ threshold: ops.anomalyThreshold });
  return {
    odoo,
    odooGuard: odoo.guard,
    rateLimit,
    anomalies,
    close: () => rateLimit.close(),
  };
}
