/**
 * Odoo's wire formats as the fake writes them, and the Python exceptions it raises: the fully
 * qualified name Odoo serializes, the message, the exception lines of the traceback (`debug`) and
 * the HTTP status JSON-2 answers with (UserError 422, AccessDenied/AccessError 403).
 *
 * JSON-RPC (Odoo 18 `JsonRPCDispatcher`): always HTTP 200;
 *   {"jsonrpc":"2.0","id":…,"result":…} or
 *   {"jsonrpc":"2.0","id":…,"error":{"code":200,"message":"Odoo Server Error","data":{name,debug,message,arguments,context}}}
 * JSON-2 (Odoo 19 `Json2Dispatcher`): the result as the body with 200, or the serialized exception
 * `{name, message, arguments, context, debug}` with the exception's HTTP status.
 */

export class PyError extends Error {
  constructor(
    readonly pyName: string,
    message: string,
    readonly httpStatus: number,
    /** Exception lines of the traceback, causes first; the last one is this exception's. */
    readonly chain: string[] = [],
  ) {
    super(message);
  }

  get debug(): string {
    const own = `${this.pyName.replace(/^builtins\./, '')}: ${this.message}`;
    const parts = this.chain.map((c) => `Traceback (most recent call last):\n${c}\nThe above exception was the direct cause of the following exception:\n`);
    return `${parts.join('')}Traceback (most recent call last):\n  (fake)\n${own}`;
  }
}

export const userError = (message: string) => new PyError('odoo.exceptions.UserError', message, 422);
export const validationError = (message: string, chain: string[] = []) => new PyError('odoo.exceptions.ValidationError', message, 422, chain);
export const accessDenied = (message = 'Access Denied') => new PyError('odoo.exceptions.AccessDenied', message, 403);
export const missingError = (model: string, ids: number[], uid: number) =>
  new PyError('odoo.exceptions.MissingError', `Record does not exist or has been deleted.\n(Record: ${model}(${ids.join(', ')},), User: ${uid})`, 404);
export const attributeError = (message: string) => new PyError('builtins.AttributeError', message, 404);
export const typeError = (message: string) => new PyError('builtins.TypeError', message, 422);
export const valueError = (message: string) => new PyError('builtins.ValueError', message, 422);
export const serializationFailure = () =>
  new PyError('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update', 500);

export const accessError = (message: string) => new PyError('odoo.exceptions.AccessError', message, 403);

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

/** Odoo 18 writes `code: 200` in a JSON-RPC error, Odoo 19 `code: 0` (as recorded). */
export function jsonRpcError(id: unknown, err: unknown, serverVersion = '18.0') {
  const code = Number.parseInt(serverVersion, 10) >= 19 ? 0 : 200;
  return { jsonrpc: '2.0', id: id ?? null, error: { code, message: 'Odoo Server Error', data: serializeException(err) } };
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
