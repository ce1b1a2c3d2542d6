/**
 * Asks an Odoo server its version without credentials, to pick the transport: Odoo 19 and later get
 * JSON-2, earlier ones JSON-RPC.
 *
 * `/web/webclient/version_info` is a JSON-RPC route with `auth='none'` in every supported version;
 * `/web/version` (a plain GET, Odoo 19+) is the fallback when a proxy hides the former.
 */
import { OdooServerError } from './errors.js';
import type { OdooHttp } from './http.js';
import type { TransportName } from './transport.js';

export interface OdooVersion {
  serverVersion: string;
  major: number;
  versionInfo: unknown[];
}

/** Odoo 19 introduced JSON-2 and deprecated `/jsonrpc`. */
export const JSON2_MIN_MAJOR = 19;

export function transportFor(major: number): TransportName {
  return major >= JSON2_MIN_MAJOR ? 'json2' : 'jsonrpc';
}

/** `18`, `"saas~17"` → 18, 17. */
export function parseMajor(info: unknown[] | undefined, serverVersion: string | undefined): number {
  const first = info?.[0];
  if (typeof first === 'number') return first;
  const m = /(\d+)/.exec(typeof first === 'string' ? first : (serverVersion ?? ''));
  if (!m) throw new OdooServerError({ message: `Cannot read the Odoo version from ${JSON.stringify(info ?? serverVersion)}`, odooName: 'probe' });
  return Number(m[1]);
}

export async function probeOdooVersion(http: OdooHttp, timeoutMs?: number): Promise<OdooVersion> {
  const res = await http.postJson('/web/webclient/version_info', { jsonrpc: '2.0', method: 'call', params: {} }, { timeoutMs });
  const result = (res.json as { result?: { server_version?: string; server_version_info?: unknown[] } } | undefined)?.result;
  if (res.status === 200 && result?.server_version) {
    return { serverVersion: result.server_version, major: parseMajor(result.server_version_info, result.server_version), versionInfo: result.server_version_info ?? [] };
  }
  const fallback = await http.getJson('/web/version', { timeoutMs });
  const v = fallback.json as { version?: string; version_info?: unknown[] } | undefined;
  if (fallback.status === 200 && v?.version) {
    return { serverVersion: v.version, major: parseMajor(v.version_info, v.version), versionInfo: v.version_info ?? [] };
  }
  throw new OdooServerError({
    message: `The server does not look like Odoo: /web/webclient/version_info answered HTTP ${res.status}, /web/version HTTP ${fallback.status}`,
    odooName: 'probe',
    httpStatus: res.status,
  });
}
