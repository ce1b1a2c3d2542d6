/**
 * Builds the intake queue, the catalog caches and the drainer from the configuration, for
 * server.ts: every replica accepts; replicas with GATEWAY_INTAKE_DRAIN drain.
 */
import { AvailabilityCache } from '../catalog/availability.js';
import { ProductCatalog } from '../catalog/products.js';
import type { Services } from '../services.js';
import { IntakeDrainer } from './drainer.js';
import { IntakeQueue, type PartnerMode } from './queue.js';
import { createShadowEvaluator } from './shadow.js';

export interface IntakeRuntime {
  queue: IntakeQueue;
  drainer: IntakeDrainer | null;
  start(): void;
  /** Stops the drainer (its calls in flight finish and are recorded) and waits for pending commits. */
  close(): Promise<void>;
}

/** Creates the intake services and puts them on `services` (queue, catalog, availability). */
export function setupIntake(services: Services): IntakeRuntime {
  const { config, logger, odoo, store } = services;
  services.catalog ??= new ProductCatalog({ odoo, ttlMs: config.intake.catalogTtlMs, logger });
  services.availability ??= new AvailabilityCache({ odoo, freshnessMs: (config.ops?.inventoryFreshnessSeconds ?? 60) * 1000, logger });
  const partnerMode = async (partner: string): Promise<PartnerMode> => {
    const partners = services.auth?.partners;
    const record = partners?.get(partner) ?? (await partners?.lookup(partner));
    return record?.mode ?? 'live';
  };
  const queue = new IntakeQueue({
    store,
    partnerMode,
    groupCommit: { windowMs: config.intake.commitWindowMs },
    idempotencyTtlMs: config.idempotencyTtlHours * 3600_000,
    now: services.now,
  });
  services.intake = queue;
  const drainer = config.intake.drain
    ? new IntakeDrainer({
        queue,
        odoo,
        logger,
        batchSize: config.intake.batchSize,
        maxInFlight: config.intake.maxInFlight,
        leaseMs: config.intake.leaseMs,
        maxAttempts: config.intake.maxAttempts,
        pollMs: config.intake.pollMs,
        shadow: createShadowEvaluator(services.catalog),
        now: services.now,
      })
    : null;
  return {
    queue,
    drainer,
    start: () => drainer?.start(),
    async close() {
      await queue.idle();
      await drainer?.stop();
    },
  };
}
