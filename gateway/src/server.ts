/**
 * Runs the gateway: opens the store, connects to Odoo, serves HTTP and the background workers,
 * and shuts down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight work, flush).
 */
import { serve, type ServerType } from '@hono/node-server';
import { urlHost, type Config } from './config.js';
import { createApp } from './app.js';
import { fastLaneServer } from './fast-lane/server.js';
import { createLogger, logPseudonymKey, type Logger } from './logger.js';
import { listenFailure } from './startup-error.js';
import type { OdooClient } from './odoo/client.js';
import { buildServices, type ServiceOverrides, type Services } from './services.js';

export interface RunningGateway {
  url: string;
  /** The address the listener is bound to (`127.0.0.1` unless GATEWAY_HOST says otherwise). */
  address: string;
  services: Services;
  /** Stops accepting, drains in-flight requests and workers, closes the store. Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger?: Logger;
  /** An Odoo client to use instead of the configured one (the demo passes one on its fake Odoo). */
  odoo?: OdooClient;
  /** Services to use instead of the ones built from the configuration (tests pass fakes). */
  overrides?: ServiceOverrides;
  /** Install SIGTERM/SIGINT handlers (the CLI does; tests do not). */
  handleSignals?: boolean;
}

export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const { config } = options;
  const logger = options.logger ?? options.overrides?.logger ?? createLogger(config.logLevel, undefined, { pseudonymKey: logPseudonymKey(config.masterKey) });
  const built = await buildServices(config, { ...options.overrides, logger, ...(options.odoo ? { odoo: options.odoo } : {}) });
  const { services } = built;
  const { store } = services;
  const app = createApp(services);

  let server: ServerType;
  try {
    server = await new Promise((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port, createServer: fastLaneServer(services, config.fastLane) }, () => {
        s.off('error', reject);
        resolve(s);
      });
      // A port in use or not permitted is an 'error' event, not an exception: without a listener it crashes the process.
      s.once('error', reject);
    });
  } catch (err) {
    // Nothing was started yet: close what was opened (the store), then report the address problem.
    await built.close();
    await options.odoo?.close();
    throw listenFailure(err, config.host, config.port) ?? err;
  }
  (server as { keepAliveTimeout?: number }).keepAliveTimeout = config.keepAliveTimeoutMs;
  built.start();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '[::1]' : urlHost(config.host)}:${port}`;
  const bound = typeof address === 'object' && address ? address.address : config.host;
  logger.info({ url, address: bound, store: store.dialect, odoo: config.odoo?.url ?? 'demo' }, 'gateway listening');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down: no new connections, finishing in-flight requests');
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
      await built.close();
      await options.odoo?.close(); // the gateway owns the client it was given
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
  return { url, address: bound, services, close };
}
