/**
 * Dashboard sessions in the gateway store (so every replica sharing the store knows them). The
 * cookie carries a random id; the store keeps only its SHA-256, the Odoo user, the CSRF token and
 * the expiry.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Migration, SqlExecutor } from '../store/store.js';

export const dashboardMigrations: Migration[] = [
  {
    id: 'dashboard-001-sessions',
    sqlite: `CREATE TABLE dashboard_sessions (
      id_hash TEXT PRIMARY KEY,
      login TEXT NOT NULL,
      uid INTEGER NOT NULL,
      name TEXT NOT NULL,
      csrf TEXT NOT NULL,
      from_ip TEXT,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);`,
    postgres: `CREATE TABLE dashboard_sessions (
      id_hash TEXT PRIMARY KEY,
      login TEXT NOT NULL,
      uid BIGINT NOT NULL,
      name TEXT NOT NULL,
      csrf TEXT NOT NULL,
      from_ip TEXT,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    );
    CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);`,
  },
];

export interface DashboardSession {
  login: string;
  uid: number;
  name: string;
  csrf: string;
  expiresAt: number;
}

const hash = (id: string) => createHash('sha256').update(id).digest('hex');
export const newToken = () => randomBytes(32).toString('base64url');

export function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class DashboardSessions {
  constructor(
    private readonly store: SqlExecutor,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Creates a session; returns the cookie value. */
  async create(user: { login: string; uid: number; name: string }, fromIp: string | null): Promise<string> {
    const id = newToken();
    const now = this.now();
    await this.store.run('DELETE FROM dashboard_sessions WHERE expires_at < ?', [now]);
    await this.store.run(
      'INSERT INTO dashboard_sessions (id_hash, login, uid, name, csrf, from_ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [hash(id), user.login, user.uid, user.name, newToken(), fromIp, now, now + this.ttlMs],
    );
    return id;
  }

  async get(id: string | undefined): Promise<DashboardSession | null> {
    if (!id || id.length > 100) return null;
    const [row] = await this.store.query<{ login: string; uid: number; name: string; csrf: string; expires_at: number }>(
      'SELECT login, uid, name, csrf, expires_at FROM dashboard_sessions WHERE id_hash = ?',
      [hash(id)],
    );
    if (!row || Number(row.expires_at) < this.now()) return null;
    return { login: row.login, uid: Number(row.uid), name: row.name, csrf: row.csrf, expiresAt: Number(row.expires_at) };
  }

  async destroy(id: string | undefined): Promise<void> {
    if (id) await this.store.run('DELETE FROM dashboard_sessions WHERE id_hash = ?', [hash(id)]);
  }
}
