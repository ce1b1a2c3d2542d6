/**
 * The relay's background work inside a gateway process: the relay itself (when `GATEWAY_RELAY`),
 * the cache tailer (always: every replica keeps its own caches current) and the scheduled
 * availability reconciliation.
 */
import { CacheTailer } from '../cache-tailer/tailer.js';
import { reconcileAvailability, ReconcileScheduler } from '../reconcile/availability.js';
import type { Services } from '../services.js';
import { createPartnerCacheDirectory } from './directory.js';
import { Relay } from './relay.js';

export interface RelayWorkers {
  relay: Relay;
  tailer: CacheTailer;
  reconciler: ReconcileScheduler;
  stop(): Promise<void>;
}

export function startRelayWorkers(services: Services): RelayWorkers {
  const { config, odoo, store, logger } = services;
  // One registry for tokens and deliveries: a secret rotated through the gateway signs the next delivery.
  const directory = services.auth ? createPartnerCacheDirectory(services.auth.partners) : undefined;
  const relay = new Relay({ config, odoo, store, logger, directory });
  services.relay = relay;
  if (config.relayEnabled) relay.start();
  const tailer = new CacheTailer({ odoo, logger, sinks: () => [services.catalog, services.availability] });
  tailer.start();
  const reconciler = new ReconcileScheduler(
    async () => {
      const served = services.availability;
      const now = new Date(services.now()).toISOString();
      // Nothing cached yet: nothing this replica serves can have drifted.
      if (!served || served.size === 0) return { started_at: now, finished_at: now, checked: 0, cached: 0, drifted: 0, repaired: 0, drift: [] };
      return reconcileAvailability({ odoo, served });
    },
    config.reconcileIntervalMinutes * 60_000,
    (r) => (r.drifted > 0 ? logger.warn : logger.info).call(logger, { ...r, drift: r.drift.slice(0, 10) }, 'reconcile: availability compared with Odoo'),
    (err) => logger.warn({ err }, 'reconcile: failed; next run at the next interval'),
  );
  reconciler.start();
  return {
    relay,
    tailer,
    reconciler,
    async stop() {
      await reconciler.stop();
      await tailer.stop();
      await relay.stop();
    },
  };
}
