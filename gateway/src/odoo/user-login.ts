/**
 * Checks a person's dashboard credentials against Odoo itself: they sign in to Odoo with their own
 * login and password (`common.authenticate` over JSON-RPC, which accepts passwords on every
 * version the gateway supports), then ask the addon `whoami` as themselves: their name and whether
 * they are an Integration Manager. The gateway never stores these credentials.
 */
import { rpc } from '../../../contracts/src/odoo-rpc.js';
import { OdooAccessError, OdooAuthError } from './errors.js';
import { createOdooHttp } from './http.js';
import { createJsonRpcTransport } from './jsonrpc.js';

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
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async verify(login, password) {
      if (!login || !password) return { ok: false, reason: 'bad_credentials' };
      // One short-lived connection as this person: their credentials never reach the gateway's own client.
      const http = createOdooHttp({ url: options.url, maxConnections: 1, timeouts: { headersMs: timeoutMs, bodyMs: timeoutMs, callMs: timeoutMs } });
      try {
        const user = createJsonRpcTransport(http, { db: options.db, login, secret: password });
        let uid: number;
        try {
          uid = await user.uid();
        } catch (err) {
          return { ok: false, reason: err instanceof OdooAuthError ? 'bad_credentials' : 'odoo_unavailable' };
        }
        let answer: unknown;
        try {
          answer = await user.call({ model: rpc.whoami.model, method: 'whoami', kwargs: {}, context: {}, timeoutMs });
        } catch (err) {
          // Portal and other non-internal users may not call the addon at all.
          return { ok: false, reason: err instanceof OdooAccessError ? 'not_manager' : 'odoo_unavailable' };
        }
        const me = rpc.whoami.result.safeParse(answer);
        if (!me.success) return { ok: false, reason: 'odoo_unavailable' };
        if (!me.data.integration_manager) return { ok: false, reason: 'not_manager' };
        return { ok: true, uid, name: me.data.name || login };
      } finally {
        await http.close();
      }
    },
  };
}
