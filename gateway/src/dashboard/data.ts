/**
 * What the dashboard shows, gathered in one pass from the services and the gateway store.
 */
import { listAudit, type AuditRecord } from '../audit/log.js';
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

const missingTable = (err: unknown) => /no such table|does not exist/i.test((err as Error).message);

async function rows<T>(s: Services, sql: string, params: (string | number)[] = []): Promise<T[]> {
  try {
    return await s.store.query<T>(sql, params);
  } catch (err) {
    if (missingTable(err)) return [];
    throw err;
  }
}

const DELIVERY_COLUMNS = 'id, partner, event_id, event_type, status, attempts, replays, last_status, last_error, updated_at';
const toView = (r: DeliveryRowView): DeliveryRowView => ({
  ...r,
  id: Number(r.id),
  attempts: Number(r.attempts),
  replays: Number(r.replays),
  last_status: r.last_status === null ? null : Number(r.last_status),
  updated_at: Number(r.updated_at),
});

export async function gatherDashboard(s: Services): Promise<DashboardData> {
  const now = s.now();
  const age = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Math.max(0, (now - Number(v)) / 1000));

  const intakeRows = await rows<{ status: string; n: number }>(s, 'SELECT status, COUNT(*) AS n FROM intake_items GROUP BY status');
  const [oldest] = await rows<{ v: number | null }>(s, "SELECT MIN(accepted_at) AS v FROM intake_items WHERE status IN ('accepted', 'processing')");
  const [outbox] = await rows<{ v: number | null }>(s, 'SELECT MIN(created_at) AS v FROM gateway_events WHERE published_at IS NULL');
  const [pending] = await rows<{ v: number | null }>(s, "SELECT MIN(event_time) AS v FROM webhook_deliveries WHERE status = 'pending'");
  const deliveryRows = await rows<{ status: string; n: number }>(s, 'SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status');
  const deadLetters = (await rows<DeliveryRowView>(s, `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status = 'dead' ORDER BY updated_at DESC LIMIT 50`)).map(toView);
  const replayed = (await rows<DeliveryRowView>(s, `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE replays > 0 ORDER BY updated_at DESC LIMIT 20`)).map(toView);
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
  const audit = await listAudit(s.store, { limit: 50 }).catch((err: unknown) => {
    if (missingTable(err)) return [] as AuditRecord[];
    throw err;
  });

  const rotations = await rows<{ target: string; at: string }>(s, "SELECT target, MAX(at) AS at FROM audit_log WHERE action LIKE 'rotate.%' GROUP BY target");
  const lastRotation = (code: string) =>
    rotations
      .filter((r) => r.target === code || r.target.startsWith(`${code}/`))
      .map((r) => r.at)
      .sort()
      .pop() ?? null;

  // Client secrets live hashed in Odoo; their overlap deadlines are known from the rotation entries.
  const clientRotations = await rows<{ target: string; details: string }>(
    s,
    "SELECT target, details FROM audit_log WHERE action = 'rotate.client_secret' ORDER BY id DESC LIMIT 500",
  );
  const clientGrace = new Map<string, string>();
  for (const r of clientRotations) {
    if (clientGrace.has(r.target)) continue;
    const until = (JSON.parse(r.details) as { previous_valid_until?: unknown }).previous_valid_until;
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
      intake: Object.fromEntries(intakeRows.map((r) => [r.status, Number(r.n)])),
      intakeOldestAgeS: age(oldest?.v),
      intakeRetrying: retryingCount,
      outboxLagS: age(outbox?.v),
      deliveryLagS: age(pending?.v),
      deliveries: Object.fromEntries(deliveryRows.map((r) => [r.status, Number(r.n)])),
    },
    deadLetters,
    replayed,
    retrying,
    anomalies: s.anomalies.flags(),
    audit,
  };
}
