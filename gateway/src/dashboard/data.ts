/**
 * What the dashboard shows, gathered in one pass from the services and the gateway store.
 */
import { auditDetails, lastRotations, listAudit, type AuditRecord } from '../audit/log.js';
import { oldestUnpublishedAt } from '../intake/events.js';
import type { DeliveryRow } from '../relay/deliveries.js';
import type { AnomalyFlag, MinuteBucket } from '../anomaly/detector.js';
import type { OdooState } from '../health/odoo-monitor.js';
import type { BulkheadStats } from '../protect/bulkhead.js';
import type { CircuitSnapshot } from '../protect/breaker.js';
import type { OdooGuard } from '../protect/protect-client.js';
import type { RateLimitSnapshot } from '../rate-limit/service.js';
import type { Services } from '../services.js';

export interface PartnerRow {
  code: string;
  name: string;
  tier: string;
  active: boolean;
  mode: string;
  /** When a credential of this partner was last rotated (audit log), ISO; null when never. */
  lastRotationAt: string | null;
  /** Secrets in their overlap period (old and new both accepted until `valid_until`). */
  pendingRotations: { what: string; validUntil: string }[];
  timeline: MinuteBucket[];
}

export interface DeliveryRowView {
  id: number;
  partner: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  replays: number;
  last_status: number | null;
  last_error: string | null;
  updated_at: number;
}

/** An intake item waiting again after a failed attempt: failing (transiently or not yet for good). */
export interface RetryingItemView {
  id: string;
  partner: string;
  kind: string;
  externalId: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number;
}

export interface DashboardData {
  now: number;
  odoo: OdooState;
  circuit: CircuitSnapshot | null;
  bulkhead: (BulkheadStats & { limits: OdooGuard['limits'] }) | null;
  rateLimit: RateLimitSnapshot | null;
  partners: PartnerRow[];
  queues: {
    intake: Record<string, number>;
    intakeOldestAgeS: number | null;
    /** Items waiting again after a failed attempt (the addon's `retry` and transient failures included). */
    intakeRetrying: number;
    /** The drainer's calls-in-flight limit and batch size now (null: this replica does not drain). */
    drain: { limit: number; batchSize: number } | null;
    outboxLagS: number | null;
    deliveryLagS: number | null;
    deliveries: Record<string, number>;
  };
  deadLetters: DeliveryRowView[];
  replayed: DeliveryRowView[];
  retrying: RetryingItemView[];
  anomalies: AnomalyFlag[];
  audit: AuditRecord[];
}

const toView = (r: DeliveryRow): DeliveryRowView => ({
  id: Number(r.id),
  partner: r.partner,
  event_id: r.event_id,
  event_type: r.event_type,
  status: r.status,
  attempts: Number(r.attempts),
  replays: Number(r.replays),
  last_status: r.last_status === null ? null : Number(r.last_status),
  last_error: r.last_error,
  updated_at: Number(r.updated_at),
});

export async function gatherDashboard(s: Services): Promise<DashboardData> {
  const now = s.now();
  const age = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Math.max(0, (now - Number(v)) / 1000));

  const deliveries = s.relay.queue;
  const intakeCounts = await s.intake.depth();
  const oldest = await s.intake.oldestWaitingAt();
  const outbox = await oldestUnpublishedAt(s.store);
  const pending = await deliveries.oldestPendingEventTime();
  const deliveryCounts = await deliveries.counts();
  const deadLetters = (await deliveries.listDead(50)).map(toView);
  const replayed = (await deliveries.listReplayed(20)).map(toView);
  const retryingCount = await s.intake.countRetrying();
  const retrying = (await s.intake.listRetrying(20)).map((i) => ({
    id: i.id,
    partner: i.partner,
    kind: i.kind,
    externalId: i.externalId,
    attempts: i.attempts,
    lastError: i.lastError,
    nextAttemptAt: i.nextAttemptAt,
  }));
  const audit = await listAudit(s.store, { limit: 50 });

  const rotations = await lastRotations(s.store);
  const lastRotation = (code: string) =>
    rotations
      .filter((r) => r.target === code || r.target.startsWith(`${code}/`))
      .map((r) => r.at)
      .sort()
      .pop() ?? null;

  // Client secrets live hashed in Odoo; their overlap deadlines are known from the rotation entries.
  const clientRotations = await auditDetails(s.store, 'rotate.client_secret', 500);
  const clientGrace = new Map<string, string>();
  for (const r of clientRotations) {
    if (clientGrace.has(r.target)) continue;
    const until = r.details.previous_valid_until;
    if (typeof until === 'string') clientGrace.set(r.target, until);
  }

  const registry = s.auth.partners.all();
  const codes = new Set([...registry.map((p) => p.code), ...s.anomalies.partnerCodes()]);
  const partners: PartnerRow[] = [...codes].sort().map((code) => {
    const p = registry.find((x) => x.code === code);
    const pendingRotations: PartnerRow['pendingRotations'] = [];
    const clientUntil = clientGrace.get(code);
    if (clientUntil && Date.parse(clientUntil) > now) pendingRotations.push({ what: 'client secret', validUntil: clientUntil });
    if (p) {
      for (const sub of p.subscriptions) {
        for (const v of sub.secrets) if (v.valid_until && Date.parse(v.valid_until) > now) pendingRotations.push({ what: `webhook secret of subscription ${sub.id}`, validUntil: v.valid_until });
      }
      for (const [provider, versions] of Object.entries(p.inbound_secrets)) {
        for (const v of versions ?? []) if (v.valid_until && Date.parse(v.valid_until) > now) pendingRotations.push({ what: `${provider} inbound secret`, validUntil: v.valid_until });
      }
    }
    return {
      code,
      name: p?.name ?? code,
      tier: p?.tier ?? 'standard',
      active: p?.active ?? true,
      mode: p?.mode ?? 'live',
      lastRotationAt: lastRotation(code),
      pendingRotations,
      timeline: s.anomalies.timeline(code),
    };
  });

  return {
    now,
    odoo: s.odooMonitor.current(),
    circuit: s.odooGuard.circuit(),
    bulkhead: { ...s.odooGuard.bulkhead(), limits: s.odooGuard.limits },
    rateLimit: s.rateLimit.snapshot(),
    partners,
    queues: {
      // Statuses with items only, as the page lists them.
      intake: Object.fromEntries(Object.entries(intakeCounts).filter(([, n]) => n > 0)),
      intakeOldestAgeS: age(oldest),
      intakeRetrying: retryingCount,
      drain: drainLimitView(s.drainLimit()),
      outboxLagS: age(outbox),
      deliveryLagS: age(pending),
      deliveries: Object.fromEntries(Object.entries(deliveryCounts).filter(([, n]) => n > 0)),
    },
    deadLetters,
    replayed,
    retrying,
    anomalies: s.anomalies.flags(),
    audit,
  };
}

function drainLimitView(snapshot: { limit: number; batchSize: number } | null): DashboardData['queues']['drain'] {
  return snapshot ? { limit: snapshot.limit, batchSize: snapshot.batchSize } : null;
}
