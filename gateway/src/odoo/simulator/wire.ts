/**
 * Odoo's wire formats, as the simulator writes them.
 *
 * JSON-RPC (Odoo 18 `JsonRPCDispatcher`): always HTTP 200;
 *   {"jsonrpc":"2.0","id":…,"result":…} or
 *   {"jsonrpc":"2.0","id":…,"error":{"code":200,"message":"Odoo Server Error","data":{name,debug,message,arguments,context}}}
 * JSON-2 (Odoo 19 `Json2Dispatcher`): the result as the body with 200, or the serialized exception
 * `{name, message, arguments, context, debug}` with the exception's HTTP status.
 */
import { PyError } from './exceptions.js';

export interface SerializedException {
  name: string;
  debug: string;
  message: string;
  arguments: unknown[];
  context: Record<string, unknown>;
}

/** Any thrown value as Odoo's `serialize_exception` would write it. */
export function serializeException(err: unknown): SerializedException {
  const e = asPyError(err);
  return { name: e.pyName, debug: e.debug, message: e.message, arguments: [e.message], context: {} };
}

export function asPyError(err: unknown): PyError {
  if (err instanceof PyError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PyError('builtins.Exception', message, 500);
}

export function jsonRpcResult(id: unknown, result: unknown) {
  return { jsonrpc: '2.0', id: id ?? null, result };
}

export function jsonRpcError(id: unknown, err: unknown) {
  return { jsonrpc: '2.0', id: id ?? null, error: { code: 200, message: 'Odoo Server Error', data: serializeException(err) } };
}

/** werkzeug exceptions as JSON-2 answers them: the description as message, (description, code) as arguments. */
export function json2HttpError(status: number, name: string, message: string): { status: number; body: SerializedException } {
  return { status, body: { name: `werkzeug.exceptions.${name}`, message, arguments: [message, status], context: {}, debug: `werkzeug.exceptions.${name}: ${status} ${name}: ${message}` } };
}

/**
 * An exception raised while the method ran: Odoo's exceptions carry their `http_status` (UserError
 * and ValidationError 422, AccessDenied and AccessError 403, MissingError 404); anything else is 500.
 */
export function json2Error(err: unknown): { status: number; body: SerializedException } {
  const e = asPyError(err);
  const status = e.pyName.startsWith('odoo.exceptions.') ? e.httpStatus : 500;
  return { status, body: serializeException(e) };
}

export interface VersionInfo {
  server_version: string;
  server_version_info: [number, number, number, string, number, string];
  server_serie: string;
  protocol_version: number;
}

export function versionInfo(serverVersion: string): VersionInfo {
  const [major = 18, minor = 0] = serverVersion.split('.').map((x) => Number(x));
  return { server_version: serverVersion, server_version_info: [major, minor, 0, 'final', 0, ''], server_serie: serverVersion, protocol_version: 1 };
}
