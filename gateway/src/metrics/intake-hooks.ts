/**
 * Metrics fed by other features' own state: the order funnel from the intake queue's signals
 * (accepted or suppressed as a duplicate when committed, created or rejected by reason when Odoo's
 * answer is recorded), and the outbox lag from the relay's last claim.
 */
import type { EventEmitter } from 'node:events';
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

export function observeIntake(metrics: GatewayMetrics, signals: EventEmitter): void {
  signals.on('intake', (s: IntakeSignal) => {
    if (s.duplicate) metrics.duplicatesSuppressed.inc({ partner: s.partner, kind: s.kind });
    else if (s.kind === 'order') metrics.ordersAccepted.inc({ partner: s.partner });
  });
  signals.on('outcome', (s: OutcomeSignal) => {
    if (s.kind !== 'order') return;
    if (s.status === 'completed') metrics.ordersCreated.inc({ partner: s.partner });
    else if (s.status === 'rejected') metrics.ordersRejected.inc({ partner: s.partner, reason: s.reasons[0] ?? 'unspecified' });
  });
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
