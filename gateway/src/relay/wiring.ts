/**
 * The relay's background work inside a gateway process: the relay's workers (when `GATEWAY_RELAY`),
 * the cache tailer (always: every replica keeps its own caches current) and the scheduled
 * availability reconciliation. The services themselves come built (services.ts).
 */
import { CacheTailer } from '../cache-tailer/tailer.js';
import { reconcileAvailability, ReconcileScheduler } from '../reconcile/availability.js';
import type { Services } from '../services.js';
import type { Relay } from './relay.js';

export interface RelayWorkers {
  relay: Relay;
  tailer: CacheTailer;
  reconciler: ReconcileScheduler;
  stop(): Promise<void>;
}

export function startRelayWorkers(services: Services): RelayWorkers {
  const { config, odoo, logger, relay, availability } = services;
  if (config.relayEnabled) relay.start();
  const tailer = new CacheTailer({ odoo, logger, sinks: () => [services.catalog, services.availability] });
  tailer.start();
  const reconciler = new ReconcileScheduler(
    async () => {
      const served = availability;
      const now = new Date(services.now()).toISOString();
      // Nothing cached yet: nothing this replica serves can have drifted.
      if (served.size === 0) return { started_at: now, finished_at: now, checked: 0, cached: 0, drifted: 0, repaired: 0, drift: [] };
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
