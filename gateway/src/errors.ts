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

/** Zod issues as `details`: a path and a message each, never the offending value. */
export function zodDetails(error: ZodError) {
  return error.issues.map((i) => ({ path: i.path.join('/'), message: i.message, code: i.code }));
}

export function validationError(error: ZodError, what = 'request body'): ApiError {
  return new ApiError('validation_failed', `The ${what} does not match the contract.`, zodDetails(error));
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
      return new ApiError('unsupported_media_type', err.message || 'Unsupported media type.');
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
  const known = apiErrorOf(err);
  if (known) return respondError(c, known);
  c.get('log')?.error({ err }, 'unhandled error');
  return respondError(c, internalError());
}

export function notFound(c: Context<AppEnv>) {
  return respondError(c, new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}.`));
}
