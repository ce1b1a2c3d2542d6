/**
 * JSON-RPC transport for Odoo 16–18 (deprecated in 19, removed in 22): `POST /jsonrpc` with the
 * `common` service to authenticate once and the `object` service's `execute_kw` for every call.
 *
 * Wire format (Odoo 18 `odoo/http.py` JsonRPCDispatcher, `odoo/service/model.py`):
 *   request  {"jsonrpc":"2.0","method":"call","id":n,"params":{"service":"object","method":"execute_kw",
 *             "args":[db, uid, key, model, method, args, kwargs]}}
 *   success  {"jsonrpc":"2.0","id":n,"result":…}
 *   failure  {"jsonrpc":"2.0","id":n,"error":{"code":200,"message":"Odoo Server Error","data":{name,message,arguments,context,debug}}}
 * The HTTP status is 200 either way; `common.authenticate` answers `false` for wrong credentials.
 */
import type { Logger } from 'pino';
import { OdooAuthError, odooErrorFromData, type OdooErrorData } from './errors.js';
import type { OdooHttp } from './http.js';
import type { OdooCredentials, OdooTransport, TransportCall } from './transport.js';

interface JsonRpcAnswer {
  result?: unknown;
  error?: { code?: number; message?: string; data?: OdooErrorData };
}

export interface JsonRpcTransport extends OdooTransport {
  /** The user id, authenticating on first use. */
  uid(): Promise<number>;
  /** Calls any service method (`common.version`, `db.list`…). */
  service(service: string, method: string, args: unknown[], timeoutMs?: number): Promise<unknown>;
}

export function createJsonRpcTransport(http: OdooHttp, creds: OdooCredentials, logger?: Logger): JsonRpcTransport {
  let nextId = 1;
  let uidPromise: Promise<number> | undefined;

  async function service(svc: string, method: string, args: unknown[], timeoutMs?: number, model?: string, modelMethod?: string): Promise<unknown> {
    const id = nextId++;
    const res = await http.postJson(
      '/jsonrpc',
      { jsonrpc: '2.0', method: 'call', id, params: { service: svc, method, args } },
      { timeoutMs, model, method: modelMethod },
    );
    const answer = res.json as JsonRpcAnswer | undefined;
    if (answer && typeof answer === 'object' && ('result' in answer || 'error' in answer)) {
      if (answer.error) {
        const err = answer.error;
        // code 100 is "Odoo Session Expired": a session-based route, i.e. credentials no longer valid.
        if (err.code === 100) {
          throw new OdooAuthError({ message: err.message ?? 'Odoo session expired', odooName: err.data?.name ?? 'odoo.http.SessionExpiredException', model, method: modelMethod });
        }
        throw odooErrorFromData(err.data, { httpStatus: res.status, fallbackMessage: err.message, model, method: modelMethod });
      }
      return answer.result;
    }
    throw odooErrorFromData(undefined, {
      httpStatus: res.status,
      fallbackMessage: `Unexpected answer from ${svc}.${method} (HTTP ${res.status}): ${res.text.slice(0, 200)}`,
      model,
      method: modelMethod,
    });
  }

  async function authenticate(): Promise<number> {
    const uid = await service('common', 'authenticate', [creds.db, creds.login, creds.secret, {}]);
    if (typeof uid !== 'number' || uid <= 0) {
      throw new OdooAuthError({
        message: `Odoo refused the credentials of ${JSON.stringify(creds.login)} on database ${JSON.stringify(creds.db)}`,
        odooName: 'odoo.exceptions.AccessDenied',
      });
    }
    logger?.debug({ uid, db: creds.db }, 'odoo: authenticated over JSON-RPC');
    return uid;
  }

  function uid(): Promise<number> {
    if (!uidPromise) {
      uidPromise = authenticate();
      uidPromise.catch(() => {
        uidPromise = undefined;
      });
    }
    return uidPromise;
  }

  async function executeKw(userId: number, call: TransportCall): Promise<unknown> {
    const named: Record<string, unknown> = { ...call.kwargs };
    const args: unknown[] = call.ids ? [call.ids] : [];
    // Odoo ≤ 18 reads `create`'s values positionally (`_call_kw_model_create` looks at args[0]:
    // a dict answers an id, a list answers ids); passed by name they fail with an IndexError.
    if (call.method === 'create' && !call.ids && 'vals_list' in named) {
      args.push(named.vals_list);
      delete named.vals_list;
    }
    // `write`'s parameter is `vals` on BaseModel but `values` on mail.thread (and so on every model
    // with a chatter): passed positionally it reaches either.
    if (call.method === 'write' && call.ids && 'vals' in named) {
      args.push(named.vals);
      delete named.vals;
    }
    const kwargs = Object.keys(call.context).length ? { ...named, context: call.context } : named;
    return service('object', 'execute_kw', [creds.db, userId, creds.secret, call.model, call.method, args, kwargs], call.timeoutMs, call.model, call.method);
  }

  return {
    name: 'jsonrpc',
    uid,
    service: (svc, method, args, timeoutMs) => service(svc, method, args, timeoutMs),
    async call(call) {
      const first = await uid();
      try {
        return await executeKw(first, call);
      } catch (err) {
        // Odoo checks the credentials before running anything (`security.check` in
        // `service/model.py:dispatch`), so a refusal means nothing ran and one re-authentication is safe:
        // the key may have been rotated or the user recreated with another id.
        if (!(err instanceof OdooAuthError)) throw err;
        if (uidPromise) uidPromise = undefined;
        logger?.warn({ model: call.model, method: call.method }, 'odoo: credentials refused, authenticating again');
        const second = await uid();
        return executeKw(second, call);
      }
    },
  };
}

