/**
 * JSON-2 transport for Odoo 19+: `POST /json/2/<model>/<method>`.
 *
 * Followed:
 * - Odoo documentation, "External JSON-2 API" (developer/reference/external_api.rst, 19.0):
 *   headers `Authorization: bearer <api key>`, `Content-Type: application/json`, `X-Odoo-Database`
 *   when the server hosts several databases, a `User-Agent`; the body is a JSON object with `ids`
 *   (omitted for `@api.model` methods), `context`, and every other parameter by name (there are no
 *   positional arguments); success is `200` with the method's JSON return value as the body; an
 *   error is a 4xx/5xx whose body is `{name, message, arguments, context, debug}`. Each call is its
 *   own transaction.
 * - Odoo 19 source, `addons/web/controllers/json2.py` (`web_json_2_rpc`: unknown model or method →
 *   404 NotFound, ids on an `@api.model` method or bad parameters → 422 UnprocessableEntity, a
 *   recordset result is returned as its ids) and `odoo/http.py` `Json2Dispatcher.handle_error`
 *   (UserError and subclasses answer their `http_status`: 422 for UserError/ValidationError, 403 for
 *   AccessDenied/AccessError, 404 for MissingError; a bad bearer key is 401 "Invalid apikey").
 * Later masters answer a bare JSON string instead of the object: the HTTP status classifies those.
 * There is no session and no uid: the API key identifies the user on every call.
 */
import { odooErrorFromData, type OdooErrorData } from './errors.js';
import type { OdooHttp } from './http.js';
import type { OdooCredentials, OdooTransport } from './transport.js';

export function createJson2Transport(http: OdooHttp, creds: OdooCredentials): OdooTransport {
  return {
    name: 'json2',
    async call(call) {
      // Read per call: the client may swap the key at runtime (Odoo API key rotation).
      const headers = { authorization: `bearer ${creds.secret}`, 'x-odoo-database': creds.db };
      const body: Record<string, unknown> = { ...call.kwargs };
      if (call.ids) body.ids = call.ids;
      if (Object.keys(call.context).length) body.context = call.context;
      const path = `/json/2/${encodeURIComponent(call.model)}/${encodeURIComponent(call.method)}`;
      const res = await http.postJson(path, body, { headers, timeoutMs: call.timeoutMs, model: call.model, method: call.method });
      if (res.status >= 200 && res.status < 300) return res.json ?? null;
      const data: OdooErrorData | undefined =
        res.json && typeof res.json === 'object'
          ? (res.json as OdooErrorData)
          : typeof res.json === 'string'
            ? { message: res.json }
            : undefined;
      throw odooErrorFromData(data, {
        httpStatus: res.status,
        fallbackMessage: `HTTP ${res.status} from ${call.model}.${call.method}: ${res.text.slice(0, 200)}`,
        model: call.model,
        method: call.method,
      });
    },
  };
}
