/**
 * The audit log: who did what to which credential or resource, when, and from where. Secrets are
 * never written here; callers put only identifiers and deadlines in `details`.
 */
import type { Migration, SqlExecutor } from '../store/store.js';

export interface AuditEntry {
  /** The actor: `partner/client_id` for a token holder, `cli:<user>` for the command line. */
  who: string;
  /** What happened, dotted: `rotate.signing_key`, `rotate.client_secret`… */
  action: string;
  /** What it happened to: a key id, a partner code, `partner/subscription id`… */
  target: string;
  fromIp?: string | null;
  details?: Record<string, unknown>;
  /** Defaults to now. */
  at?: Date;
}

export interface AuditRecord {
  id: number;
  who: string;
  at: string;
  action: string;
  target: string;
  from_ip: string | null;
  details: Record<string, unknown>;
}

export const auditMigrations: Migration[] = [
  {
    id: 'audit-001-log',
    sqlite: `CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      who TEXT NOT NULL,
      at TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      from_ip TEXT,
      details TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_at ON audit_log (at);`,
    postgres: `CREATE TABLE audit_log (
      id BIGSERIAL PRIMARY KEY,
      who TEXT NOT NULL,
      at TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      from_ip TEXT,
      details TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_at ON audit_log (at);`,
  },
];

/** Keys whose values must never land in the log, whatever a caller passes. */
const SECRET_KEY = /secret|password|api_?key|private|token|master/i;

function scrub(details: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(details).map(([k, v]) => [k, SECRET_KEY.test(k) && !/(_id|_kid|_valid_until|_at)$/.test(k) ? '[redacted]' : v]));
}

/** Appends one entry (`at` is an ISO 8601 UTC string, so it sorts as text in both dialects). */
export async function recordAudit(store: SqlExecutor, entry: AuditEntry): Promise<void> {
  await store.run('INSERT INTO audit_log (who, at, action, target, from_ip, details) VALUES (?, ?, ?, ?, ?, ?)', [
    entry.who,
    (entry.at ?? new Date()).toISOString(),
    entry.action,
    entry.target,
    entry.fromIp ?? null,
    JSON.stringify(scrub(entry.details ?? {})),
  ]);
}

/** The newest entries first. */
export async function listAudit(store: SqlExecutor, options: { limit?: number; action?: string } = {}): Promise<AuditRecord[]> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
  const rows = options.action
    ? await store.query<Omit<AuditRecord, 'details'> & { details: string }>(
        'SELECT id, who, at, action, target, from_ip, details FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT ?',
        [options.action, limit],
      )
    : await store.query<Omit<AuditRecord, 'details'> & { details: string }>(
        'SELECT id, who, at, action, target, from_ip, details FROM audit_log ORDER BY id DESC LIMIT ?',
        [limit],
      );
  return rows.map((r) => ({ ...r, id: Number(r.id), details: JSON.parse(r.details) as Record<string, unknown> }));
}

/** The latest rotation per target (`rotate.*` entries), for the dashboard. */
export async function lastRotations(store: SqlExecutor): Promise<{ target: string; at: string }[]> {
  return store.query<{ target: string; at: string }>("SELECT target, MAX(at) AS at FROM audit_log WHERE action LIKE 'rotate.%' GROUP BY target");
}

/** The newest `limit` entries of one action with their details (e.g. client-secret rotations and their grace deadlines). */
export async function auditDetails(store: SqlExecutor, action: string, limit: number): Promise<{ target: string; details: Record<string, unknown> }[]> {
  const rows = await store.query<{ target: string; details: string }>('SELECT target, details FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT ?', [action, limit]);
  return rows.map((r) => ({ target: r.target, details: JSON.parse(r.details) as Record<string, unknown> }));
}
