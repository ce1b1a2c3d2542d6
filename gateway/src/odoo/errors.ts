/**
 * Typed Odoo errors. Every error keeps Odoo's exception name (`odooName`, e.g.
 * `odoo.exceptions.AccessError`) and message, says whether repeating the call can help
 * (`retryable`), and carries a stable `kind` the gateway maps to its own error codes.
 *
 * Both transports feed the same mapping: JSON-RPC puts the serialized exception in
 * `error.data` ({name, message, arguments, context, debug}); JSON-2 (Odoo 19+) answers a 4xx/5xx
 * with that same object as the body (Odoo 19 `Json2Dispatcher.handle_error`, which calls
 * `serialize_exception`), and later masters answer a bare JSON string, so the HTTP status is the
 * fallback there (UserError 422, AccessDenied/AccessError 403, MissingError 404, bearer failure 401).
 */

export type OdooErrorKind =
  | 'access'
  | 'validation'
  | 'missing'
  | 'unique_violation'
  | 'concurrency'
  | 'auth'
  | 'network'
  | 'timeout'
  | 'server'
  | 'contract';

/** Odoo's serialized exception (`odoo.http.serialize_exception`). */
export interface OdooErrorData {
  name?: string;
  message?: string;
  arguments?: unknown[];
  context?: Record<string, unknown>;
  debug?: string;
}

export interface OdooErrorInit {
  message: string;
  odooName?: string;
  arguments?: unknown[];
  debug?: string;
  httpStatus?: number;
  model?: string;
  method?: string;
  cause?: unknown;
}

/** Base class: never thrown as such by the transports, always one of the subclasses. */
export class OdooError extends Error {
  readonly kind: OdooErrorKind = 'server';
  readonly retryable: boolean = false;
  readonly odooName: string;
  readonly arguments: unknown[];
  readonly debug: string | undefined;
  readonly httpStatus: number | undefined;
  model: string | undefined;
  method: string | undefined;

  constructor(init: OdooErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.odooName = init.odooName ?? 'unknown';
    this.arguments = init.arguments ?? [init.message];
    this.debug = init.debug;
    this.httpStatus = init.httpStatus;
    this.model = init.model;
    this.method = init.method;
  }
}

/** The user may not read or write these records (`odoo.exceptions.AccessError`). */
export class OdooAccessError extends OdooError {
  override readonly kind: OdooErrorKind = 'access';
}

/** A business rule refused the change (`ValidationError`, `UserError`, `RedirectWarning`). */
export class OdooValidationError extends OdooError {
  override readonly kind: OdooErrorKind = 'validation';
}

/** The record does not exist or was deleted (`odoo.exceptions.MissingError`). */
export class OdooMissingError extends OdooError {
  override readonly kind: OdooErrorKind = 'missing';
}

/**
 * A unique constraint refused the row. Odoo 18 wraps PostgreSQL's `UniqueViolation` in a
 * `ValidationError` ("The operation cannot be completed: …"), so this is a validation error too.
 */
export class OdooUniqueViolationError extends OdooValidationError {
  override readonly kind: OdooErrorKind = 'unique_violation';
}

/** Serialization failure, deadlock or lock timeout: the transaction rolled back, a retry can succeed. */
export class OdooConcurrencyError extends OdooError {
  override readonly kind: OdooErrorKind = 'concurrency';
  override readonly retryable = true;
}

/** Wrong login, key or password, an expired session, or a revoked API key. */
export class OdooAuthError extends OdooError {
  override readonly kind: OdooErrorKind = 'auth';
}

export interface OdooNetworkErrorInit extends OdooErrorInit {
  /** True when the request may have reached Odoo, so a write may have been committed. */
  maybeCommitted?: boolean;
}

/** Odoo could not be reached, or the connection broke before the answer was read. */
export class OdooNetworkError extends OdooError {
  override readonly kind: OdooErrorKind = 'network';
  override readonly retryable = true;
  readonly maybeCommitted: boolean;
  constructor(init: OdooNetworkErrorInit) {
    super(init);
    this.maybeCommitted = init.maybeCommitted ?? false;
  }
}

/** No answer within the deadline (connect, headers, body or the call's own timeout). */
export class OdooTimeoutError extends OdooNetworkError {
  override readonly kind: OdooErrorKind = 'timeout';
}

/** Any other server-side failure (a Python exception, an unknown model or method, a 5xx). */
export class OdooServerError extends OdooError {
  override readonly kind: OdooErrorKind = 'server';
}

/** The arguments or the answer of an addon RPC method do not match contracts/src/odoo-rpc.ts. */
export class OdooContractError extends OdooError {
  override readonly kind: OdooErrorKind = 'contract';
}

const AUTH_NAMES = new Set([
  'odoo.exceptions.AccessDenied',
  'werkzeug.exceptions.Unauthorized',
  'odoo.http.SessionExpiredException',
]);
const VALIDATION_NAMES = new Set([
  'odoo.exceptions.ValidationError',
  'odoo.exceptions.UserError',
  'odoo.exceptions.RedirectWarning',
  'odoo.exceptions.except_orm',
  'odoo.exceptions.Warning',
  'werkzeug.exceptions.UnprocessableEntity',
]);
const CONCURRENCY_NAME = /SerializationFailure|TransactionRollbackError|LockNotAvailable|DeadlockDetected|ConcurrencyError/;
const CONCURRENCY_MESSAGE = /could not serialize access|could not obtain lock|deadlock detected|concurrent update/i;
const UNIQUE_NAME = /UniqueViolation/;
const UNIQUE_TEXT = /duplicate key value violates unique constraint|psycopg2\.errors\.UniqueViolation/;

/**
 * Maps Odoo's serialized exception to a typed error.
 *
 * The `debug` traceback is read as well as the name: Odoo 18 turns a PostgreSQL unique violation
 * into a `ValidationError` raised `from` the `UniqueViolation`, and the chained traceback is the only
 * place that still says so.
 */
export function odooErrorFromData(
  data: OdooErrorData | undefined,
  extra: { httpStatus?: number; fallbackMessage?: string; model?: string; method?: string } = {},
): OdooError {
  const name = typeof data?.name === 'string' ? data.name : undefined;
  const message =
    (typeof data?.message === 'string' && data.message) ||
    extra.fallbackMessage ||
    (name ? name : `Odoo error${extra.httpStatus ? ` (HTTP ${extra.httpStatus})` : ''}`);
  const init: OdooErrorInit = {
    message,
    odooName: name ?? (extra.httpStatus ? `http.${extra.httpStatus}` : 'unknown'),
    arguments: Array.isArray(data?.arguments) ? data.arguments : [message],
    debug: typeof data?.debug === 'string' ? data.debug : undefined,
    httpStatus: extra.httpStatus,
    model: extra.model,
    method: extra.method,
  };
  const debug = init.debug ?? '';

  if (name) {
    if (AUTH_NAMES.has(name)) return new OdooAuthError(init);
    if (name === 'odoo.exceptions.AccessError') return new OdooAccessError(init);
    if (name === 'odoo.exceptions.MissingError') return new OdooMissingError(init);
    if (UNIQUE_NAME.test(name) || UNIQUE_TEXT.test(message)) return new OdooUniqueViolationError(init);
    if (CONCURRENCY_NAME.test(name) || CONCURRENCY_MESSAGE.test(message)) return new OdooConcurrencyError(init);
    if (VALIDATION_NAMES.has(name)) {
      return UNIQUE_TEXT.test(debug) ? new OdooUniqueViolationError(init) : new OdooValidationError(init);
    }
    if (/IntegrityError|NotNullViolation|CheckViolation|ForeignKeyViolation/.test(name)) return new OdooValidationError(init);
  } else if (UNIQUE_TEXT.test(message)) {
    return new OdooUniqueViolationError(init);
  } else if (CONCURRENCY_MESSAGE.test(message)) {
    return new OdooConcurrencyError(init);
  }
  return errorFromStatus(extra.httpStatus, init);
}

function errorFromStatus(status: number | undefined, init: OdooErrorInit): OdooError {
  switch (status) {
    case 401:
      return new OdooAuthError(init);
    case 403:
      return new OdooAccessError(init);
    case 409:
      return new OdooConcurrencyError(init);
    case 422:
      return new OdooValidationError(init);
    case 408:
    case 504:
      return new OdooTimeoutError({ ...init, maybeCommitted: true });
    case 429:
    case 502:
    case 503:
      // A proxy or a restarting Odoo answered: the request did not reach the worker.
      return new OdooNetworkError({ ...init, maybeCommitted: false });
    default:
      return new OdooServerError(init);
  }
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/**
 * Maps a failure of the HTTP layer (undici error, abort) to a network or timeout error.
 * `maybeCommitted` is false only when the request certainly never left (refused, no route,
 * connect timeout).
 */
export function odooErrorFromTransport(err: unknown, ctx: { model?: string; method?: string; timedOut?: boolean } = {}): OdooError {
  if (err instanceof OdooError) return err;
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  const notSent = code !== undefined && NOT_SENT_CODES.has(code);
  const base = { model: ctx.model, method: ctx.method, cause: err, maybeCommitted: !notSent };
  if (ctx.timedOut || (code !== undefined && TIMEOUT_CODES.has(code)) || e?.name === 'TimeoutError') {
    return new OdooTimeoutError({ ...base, message: `Odoo did not answer in time (${code ?? 'deadline'})`, odooName: code ?? 'timeout' });
  }
  return new OdooNetworkError({
    ...base,
    message: `Odoo is unreachable: ${e?.message ?? String(err)}`,
    odooName: code ?? 'network',
  });
}
