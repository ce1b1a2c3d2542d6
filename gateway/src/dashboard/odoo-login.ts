/**
 * Checks dashboard credentials against Odoo itself: `common.authenticate` with the user's login
 * and password, then `res.users.has_group` (as that user) for the addon's Integration Manager
 * group. The gateway never stores these credentials.
 */
import { request } from 'undici';

export const INTEGRATION_MANAGER_GROUP = 'retail_gateway.group_integration_manager';

export type LoginResult = { ok: true; uid: number; name: string } | { ok: false; reason: 'bad_credentials' | 'not_manager' | 'odoo_unavailable' };

export interface OdooLoginVerifier {
  verify(login: string, password: string): Promise<LoginResult>;
}

export interface OdooLoginOptions {
  url: string;
  db: string;
  timeoutMs?: number;
}

export function createOdooLoginVerifier(options: OdooLoginOptions): OdooLoginVerifier {
  let id = 0;
  const rpc = async (service: string, method: string, args: unknown[]): Promise<unknown> => {
    const res = await request(`${options.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: ++id, params: { service, method, args } }),
      headersTimeout: options.timeoutMs ?? 10_000,
      bodyTimeout: options.timeoutMs ?? 10_000,
    });
    const body = (await res.body.json()) as { result?: unknown; error?: { data?: { name?: string; message?: string } } };
    if (body.error) {
      const err = new Error(body.error.data?.message ?? 'Odoo error');
      err.name = body.error.data?.name ?? 'OdooError';
      throw err;
    }
    return body.result;
  };
  return {
    async verify(login, password) {
      let uid: unknown;
      try {
        uid = await rpc('common', 'authenticate', [options.db, login, password, {}]);
      } catch (err) {
        if (/AccessDenied/.test((err as Error).name)) return { ok: false, reason: 'bad_credentials' };
        return { ok: false, reason: 'odoo_unavailable' };
      }
      if (typeof uid !== 'number' || uid <= 0) return { ok: false, reason: 'bad_credentials' };
      try {
        const isManager = await rpc('object', 'execute_kw', [options.db, uid, password, 'res.users', 'has_group', [[uid], INTEGRATION_MANAGER_GROUP]]);
        if (isManager !== true) return { ok: false, reason: 'not_manager' };
        const rows = (await rpc('object', 'execute_kw', [options.db, uid, password, 'res.users', 'read', [[uid], ['name']]])) as { name?: string }[];
        return { ok: true, uid, name: rows[0]?.name ?? login };
      } catch {
        return { ok: false, reason: 'odoo_unavailable' };
      }
    },
  };
}
