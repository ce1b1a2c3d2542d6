/**
 * Runs the gateway: opens the store, connects to Odoo, serves HTTP and the background workers,
 * and shuts down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight work, flush).
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from './config.js';
import { createApp } from './app.js';
import { OdooMonitor } from './health/odoo-monitor.js';
import { createLogger, type Logger } from './logger.js';
import { createOdooClient, type OdooClient } from './odoo/client.js';
import type { Services } from './services.js';
import { openStore } from './store/open.js';
import { migrations } from './store/migrations.js';

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
}

export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = openStore(config);
  await store.migrate(migrations);
  if (!options.odoo && !config.odoo) throw new Error('ODOO_URL is not set: use `npm run demo` to run against the built-in simulator');
  const odoo = options.odoo ?? createOdooClient({
      url: config.odoo!.url,
      db: config.odoo!.db,
      user: config.odoo!.user,
      apiKey: config.odoo!.apiKey ?? undefined,
      password: config.odoo!.password ?? undefined,
      transport: config.odoo!.transport,
      maxConnections: config.odoo!.maxConnections,
      timeouts: { callMs: config.odoo!.timeoutMs },
      logger,
    });
  const odooMonitor = new OdooMonitor(odoo, logger);
  const services: Services = { config, logger, odoo, store, odooMonitor, now: Date.now };
  const app = createApp(services);

  odooMonitor.start();
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.info({ url, store: store.dialect, odoo: config.odoo?.url ?? 'simulator' }, 'gateway listening');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down: no new connections, finishing in-flight requests');
      odooMonitor.stop();
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
      await odoo.close();
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
