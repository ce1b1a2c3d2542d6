/**
 * How a route module declares a route: `scopedRoute(scope, …)` names the scope once, and it is
 * both the OpenAPI security requirement and the `requireScope` middleware that enforces it (with
 * the 401 and 403 answers documented); `errorResponses(…)` is the one set of error responses, in
 * the gateway's error shape, that every route documents.
 */
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ErrorBody } from '../../../contracts/src/errors.js';
import type { Scope } from '../../../contracts/src/scopes.js';
import { requireScope } from '../auth/middleware.js';
import type { AppEnv } from '../context.js';
import { requiresScope } from './security.js';

/** What each error status means wherever a route does not say more. */
const errorMeaning = {
  400: 'Bad request (`invalid_request`, `idempotency_key_missing`)',
  401: 'Missing or invalid token (`unauthorized`, `invalid_token`)',
  403: 'The token lacks the scope (`insufficient_scope`), or the resource is not the partner\'s to write (`forbidden`)',
  404: "No such resource (another partner's answers the same)",
  409: '`idempotency_key_in_use`: a request with this key is still in progress',
  413: 'The body is too large (`payload_too_large`)',
  415: 'Not JSON (`unsupported_media_type`)',
  422: '`validation_failed`, `field_not_writable` or `idempotency_key_reused`; `details` says where',
  429: 'Rate limited (`rate_limited`); see `Retry-After`',
  502: 'Odoo refused the change (`upstream_error`)',
  503: 'Odoo is unavailable (`upstream_unavailable`); retry later',
} as const;
export type ErrorStatus = keyof typeof errorMeaning;

type ErrorResponse = { description: string; content: { 'application/json': { schema: typeof ErrorBody } } };

/**
 * The error responses of a route: each status with its shared meaning, or `[status, meaning]`
 * where this route's meaning is more precise.
 */
export function errorResponses<S extends ErrorStatus>(...statuses: (S | readonly [S, string])[]): { [K in S]: ErrorResponse } {
  const out: Partial<Record<ErrorStatus, ErrorResponse>> = {};
  for (const s of statuses) {
    const [status, description] = typeof s === 'number' ? [s, errorMeaning[s]] : s;
    out[status] = { description, content: { 'application/json': { schema: ErrorBody } } };
  }
  return out as { [K in S]: ErrorResponse };
}

type ScopedConfig = Omit<RouteConfig, 'security' | 'middleware'> & {
  /** Middleware that runs after the scope check (it may rely on `c.var.principal`). */
  middleware?: readonly MiddlewareHandler<AppEnv>[];
};

/**
 * A route for partner tokens holding `scope` (an `admin` token holds them all): the scope is
 * declared here once, for the document and for the check, and 401/403 are documented.
 */
export function scopedRoute<const R extends ScopedConfig>(scope: Scope, config: R) {
  const { middleware = [], ...rest } = config;
  const route = createRoute({
    ...rest,
    security: requiresScope(scope),
    middleware: [requireScope(scope), ...middleware],
    responses: { ...errorResponses(401, 403), ...rest.responses },
  });
  routeScopes.set(route, scope);
  return route;
}

/** The scope of each route declared with `scopedRoute` (kept beside the route: the document must not carry it). */
const routeScopes = new WeakMap<object, Scope>();

/** The scope a `scopedRoute` declared (the fast lane checks the same one). */
export function scopeOf(route: object): Scope {
  const scope = routeScopes.get(route);
  if (!scope) throw new Error('scopeOf: not a route declared with scopedRoute');
  return scope;
}
