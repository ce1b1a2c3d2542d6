/**
 * Runs the gateway: opens the store, connects to Odoo, serves HTTP and the background workers,
 * and shuts down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight work, flush).
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from './config.js';
import { createApp } from './app.js';
import { OdooMonitor } from './health/odoo-monitor.js';
import { createLogger, type Logger } from './logger.js';
import type { OdooClient } from './odoo/client.js';
import { odooClientFromConfig } from './odoo/from-config.js';
import { createGatewayMetrics, odooCallHook, setupOps } from './metrics/ops-setup.js';
import { observeIntake, outboxLagProvider } from './metrics/intake-hooks.js';
import type { Services } from './services.js';
import { openStore } from './store/open.js';
import { migrations } from './store/migrations.js';
import { setupIntake } from './intake/setup.js';
import { createAuthService } from './auth/service.js';
import { Rotations } from './auth/rotation.js';
import { startRelayWorkers } from './relay/wiring.js';

export interface RunningGateway {
  url: string;
  services: Services;
  /** Stops accepting, drains in-flight requests and workers, closes the store. Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger?: Logger;
  /** An Odoo client to use instead of the configured one (the demo passes the simulator's). */
  odoo?: OdooClient;
  /** Install SIGTERM/SIGINT handlers (the CLI does; tests do not). */
  handleSignals?: boolean;
  /** Clock of the Odoo circuit breaker (ms since epoch; tests inject one they control). */
  breakerClock?: () => number;
}

export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = openStore(config);
  await store.migrate(migrations);
  if (!options.odoo && !config.odoo) throw new Error('ODOO_URL is not set: use `npm run demo` to run against the built-in simulator');
  // Ops: metrics first, so the Odoo client's onCall hook can feed them.
  const metrics = createGatewayMetrics(config, store, logger);
  const rawOdoo = options.odoo ?? odooClientFromConfig(config.odoo!, logger, { onCall: odooCallHook(metrics) });
  // Ops: the bulkhead and circuit breaker around Odoo, rate limits, anomaly flags.
  const ops = await setupOps({ config, logger, metrics, odoo: rawOdoo, observeAtGuard: Boolean(options.odoo), store, breakerClock: options.breakerClock });
  const odoo = ops.odoo;
  const odooMonitor = new OdooMonitor(odoo, logger);
  const services: Services = { config, logger, odoo, store, odooMonitor, now: Date.now };
  Object.assign(services, { metrics, rateLimit: ops.rateLimit, odooGuard: ops.odooGuard, anomalies: ops.anomalies } satisfies Partial<Services>);
  // Auth: signing keys from the store, the partner registry from Odoo, the rotated Odoo key.
  // The raw client's secret is the one a rotated Odoo key swaps.
  const auth = await createAuthService({ config, store, odoo, keyClient: rawOdoo, logger });
  services.auth = auth;
  services.rotations = new Rotations({ auth, store, odoo, logger });
  if (ops.rateLimit) ops.rateLimit.tierOf = (partner) => auth.partners.get(partner)?.tier;
  auth.start();
  // Relay: outbound webhooks and the event bus, the cache tailer, availability reconciliation.
  const relayWorkers = startRelayWorkers(services);
  if (services.relay) metrics.provide('outboxLag', outboxLagProvider(services.relay.pump, Date.now)); // ops: outbox lag metric
  // Intake: the durable queue (every replica accepts), the catalog caches and the drainer.
  const intake = setupIntake(services);
  observeIntake(metrics, intake.queue.signals); // ops: the order funnel in metrics
  const app = createApp(services);

  odooMonitor.start();
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  (server as { keepAliveTimeout?: number }).keepAliveTimeout = config.keepAliveTimeoutMs;
  intake.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info({ url, store: store.dialect, odoo: config.odoo?.url ?? 'simulator' }, 'gateway listening');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down: no new connections, finishing in-flight requests');
      odooMonitor.stop();
      auth.stop();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn('shutdown timeout: closing remaining connections');
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          resolve();
        }, config.shutdownTimeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await relayWorkers.stop();
      await intake.close();
      await odoo.close();
      await ops.close();
      await store.close();
      logger.info('shutdown complete');
      logger.flush();
    })());

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'signal received');
      void close().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { url, services, close };
}
