/**
 * Metrics fed by other features' own state: the order funnel from the intake queue's signals
 * (accepted or suppressed as a duplicate when committed, created or rejected by reason when Odoo's
 * answer is recorded, retried by cause), the intake gauges from the queue, and the outbox lag
 * from the relay's last claim.
 */
import type { IntakeQueue } from '../intake/queue.js';
import type { GatewayMetrics } from './registry.js';

interface IntakeSignal {
  partner: string;
  kind: string;
  duplicate: boolean;
}

interface OutcomeSignal {
  partner: string;
  kind: string;
  status: string;
  reasons: string[];
}

interface RetrySignal {
  partner: string;
  kind: string;
  cause: string;
}

/** What the intake gauges read from the queue (intake/queue.ts owns the SQL). */
export type IntakeGaugeSource = Pick<IntakeQueue, 'signals' | 'countWaiting' | 'oldestWaitingAt' | 'countFailed' | 'countRetrying' | 'countOverdue'>;

export interface IntakeGaugeOptions {
  now: () => number;
  /** Stock counts not applied within this many seconds count as stale. */
  inventoryFreshnessSeconds: number;
  /** Returns not created in Odoo within this many seconds count as stuck. */
  returnsStuckAfterSeconds: number;
}

export function observeIntake(metrics: GatewayMetrics, queue: IntakeGaugeSource, options: IntakeGaugeOptions): void {
  const { signals } = queue;
  signals.on('intake', (s: IntakeSignal) => {
    if (s.duplicate) metrics.duplicatesSuppressed.inc({ partner: s.partner, kind: s.kind });
    else if (s.kind === 'order') metrics.ordersAccepted.inc({ partner: s.partner });
  });
  signals.on('outcome', (s: OutcomeSignal) => {
    if (s.kind !== 'order') return;
    if (s.status === 'completed') metrics.ordersCreated.inc({ partner: s.partner });
    else if (s.status === 'rejected') metrics.ordersRejected.inc({ partner: s.partner, reason: s.reasons[0] ?? 'unspecified' });
  });
  signals.on('retry', (s: RetrySignal) => metrics.intakeRetries.inc({ kind: s.kind, cause: s.cause }));
  const { now } = options;
  metrics.provide('intakeDepth', () => queue.countWaiting());
  metrics.provide('intakeOldestAge', async () => {
    const at = await queue.oldestWaitingAt();
    return at === null ? 0 : Math.max(0, (now() - at) / 1000);
  });
  metrics.provide('intakeFailed', () => queue.countFailed());
  metrics.provide('intakeRetrying', () => queue.countRetrying());
  metrics.provide('inventoryStale', () => queue.countOverdue('stock_count', ['accepted', 'processing'], now() - options.inventoryFreshnessSeconds * 1000));
  metrics.provide('returnsStuck', () => queue.countOverdue('return', ['accepted', 'processing', 'failed'], now() - options.returnsStuckAfterSeconds * 1000));
}

/**
 * The age of the oldest event waiting in Odoo's outbox, as the relay last saw it: when its last
 * claim returned events, their oldest age (plus the time since); when it returned none, the time
 * since that claim (so a relay that stops claiming shows a growing lag). Null before any claim.
 */
export function outboxLagProvider(pump: { lastClaim: { at: number; oldestEventMs: number | null } | null }, now: () => number): () => number | null {
  return () => {
    const claim = pump.lastClaim;
    if (!claim) return null;
    const since = Math.max(0, now() - claim.at);
    return (claim.oldestEventMs === null ? since : Math.max(0, claim.at - claim.oldestEventMs) + since) / 1000;
  };
}
