import { z } from 'zod';

/**
 * The closed set of error codes the gateway answers with, and their HTTP status.
 * Every 4xx is the caller's to fix; a 5xx is never caused by the request's content.
 */
export const errorStatus = {
  invalid_request: 400,
  malformed_json: 400,
  idempotency_key_missing: 400,
  unauthorized: 401,
  invalid_token: 401,
  invalid_signature: 401,
  insufficient_scope: 403,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_key_in_use: 409,
  conflict: 409,
  insufficient_stock: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  topic_mismatch: 422,
  field_not_writable: 422,
  idempotency_key_reused: 422,
  quantity_limit: 422,
  rate_limited: 429,
  internal_error: 500,
  upstream_error: 502,
  upstream_unavailable: 503,
  not_ready: 503,
  upstream_timeout: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export const ErrorCode = z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]);

export const ErrorBody = z.strictObject({
  error: z.strictObject({
    code: ErrorCode,
    message: z.string(),
    request_id: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** RFC 6749 §5.2 error body, the one documented exception (answered by `/oauth/token`). */
export const OAuthErrorBody = z.strictObject({
  error: z.enum(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']),
  error_description: z.string().optional(),
});
