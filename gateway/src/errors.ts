/**
 * One error model for the whole gateway: a closed set of codes (contracts/src/errors.ts) mapped to
 * HTTP status, one body shape, one handler. Bad input is always a 4xx with a stable code.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import type { CallerInputIssue } from '../../contracts/src/common.js';
import { errorStatus, type ErrorBody, type ErrorCode } from '../../contracts/src/errors.js';
import type { AppEnv } from './context.js';
import { fieldMessage } from './validation-messages.js';

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = errorStatus[code] as ContentfulStatusCode;
  }
}

/**
 * Zod issues as `details`: the field's path, a message naming the field in the caller's terms
 * (`validation-messages.ts`) and zod's stable issue code; never the offending value.
 */
export function zodDetails(error: ZodError, whole = 'request body') {
  return error.issues.map((i) => ({ path: i.path.join('/'), message: fieldMessage(i.path, i.message, whole), code: i.code }));
}

export function validationError(error: ZodError, what = 'request body'): ApiError {
  const details = zodDetails(error, what);
  // The first problem in the message itself, so a caller reading only `message` knows what to fix.
  const first = details[0]?.message;
  const more = details.length > 1 ? ` (and ${details.length - 1} more in details)` : '';
  return new ApiError('validation_failed', first ? `The ${what} does not match the contract: ${first}${more}.` : `The ${what} does not match the contract.`, details);
}

/** The content type the gateway's bodies take (every route with a validated body declares JSON). */
export const EXPECTED_BODY_TYPE = 'application/json';

/** 415 naming the expected type, and the one received (cut short: it is the caller's string). */
export function unsupportedMediaType(received: string | undefined): ApiError {
  return new ApiError(
    'unsupported_media_type',
    `The request body must be sent as ${EXPECTED_BODY_TYPE}: add the header "Content-Type: ${EXPECTED_BODY_TYPE}"` +
      (received ? ` (it was "${received.slice(0, 100)}").` : ' (there was none).'),
    { expected: EXPECTED_BODY_TYPE, received: received ? received.slice(0, 100) : null },
  );
}

/**
 * Caller input that breaks the rules every caller string follows (`callerInputIssue`): 422
 * `validation_failed`, the detail's code `nul_character` or `prototype_key`.
 */
export function callerInputRefusal(what: string, issue: CallerInputIssue): ApiError {
  const why = issue.code === 'nul_character' ? 'a NUL character (U+0000)' : 'a prototype key';
  return new ApiError('validation_failed', `The ${what} contains ${why}.`, [issue]);
}

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message, request_id: requestId } : { code, message, request_id: requestId, details } };
}

/** Answers an error in the gateway's shape. */
export function respondError(c: Context<AppEnv>, err: ApiError) {
  const requestId = c.get('requestId') ?? 'unknown';
  for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
  return c.json(errorBody(err.code, err.message, requestId, err.details), err.status);
}

function fromHttpException(err: HTTPException): ApiError {
  switch (err.status) {
    case 400:
      return /json/i.test(err.message)
        ? new ApiError('malformed_json', 'The request body is not valid JSON.')
        : new ApiError('invalid_request', err.message || 'The request is not valid.');
    case 401:
      return new ApiError('unauthorized', err.message || 'Authentication is required.');
    case 403:
      return new ApiError('forbidden', err.message || 'Forbidden.');
    case 404:
      return new ApiError('not_found', err.message || 'Not found.');
    case 405:
      return new ApiError('method_not_allowed', 'Method not allowed.');
    case 413:
      return new ApiError('payload_too_large', 'The request body is too large.');
    case 415:
      return unsupportedMediaType(undefined);
    case 429:
      return new ApiError('rate_limited', 'Too many requests.');
    default:
      return err.status >= 500 ? new ApiError('internal_error', 'Internal error.') : new ApiError('invalid_request', err.message || 'The request is not valid.');
  }
}

/** The app's `onError`: typed errors answer as they are; anything unexpected is logged and answers 500. */
/** The typed error an error answers as; undefined for an unexpected one (logged, then 500). */
export function apiErrorOf(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) return fromHttpException(err);
  if (err instanceof ZodError) return validationError(err);
  if (err instanceof SyntaxError && /JSON/i.test(err.message)) return new ApiError('malformed_json', 'The request body is not valid JSON.');
  const mapped = (err as { toApiError?: () => ApiError } | null)?.toApiError?.();
  return mapped instanceof ApiError ? mapped : undefined;
}

/** The answer to an unexpected error. */
export const internalError = () => new ApiError('internal_error', 'Internal error. Quote the request id when you report it.');

export function handleError(err: Error, c: Context<AppEnv>) {
  if (err instanceof HTTPException && err.status === 415) return respondError(c, unsupportedMediaType(c.req.header('content-type')));
  const known = apiErrorOf(err);
  if (known) return respondError(c, known);
  c.get('log')?.error({ err }, 'unhandled error');
  return respondError(c, internalError());
}

export function notFound(c: Context<AppEnv>) {
  return respondError(c, new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}.`));
}

/** 405 for a known path called with a method it does not take; `allow` becomes the `Allow` header. */
export function methodNotAllowed(c: Context<AppEnv>, allow: readonly string[]) {
  return respondError(
    c,
    new ApiError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(' or ')}.`, { allow }, { Allow: allow.join(', ') }),
  );
}
