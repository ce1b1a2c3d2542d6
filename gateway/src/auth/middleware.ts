/**
 * Route protection: `requireScope(...)` verifies the bearer token (cached until it expires),
 * checks the partner is active against the partner cache on every request, checks the scopes,
 * and sets `c.var.principal`. Failures answer in the gateway's error shape with an RFC 6750
 * `WWW-Authenticate` challenge: 401 `unauthorized` (no credentials), 401 `invalid_token`
 * (bad, expired or revoked token, or a disabled partner), 403 `insufficient_scope`.
 *
 * Helpers for routes: `principalOf(c)`, `hasScope`, `ownsResource` (tenant isolation: another
 * partner's resource answers 404).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { scopes as allScopes, type Scope } from '../../../contracts/src/scopes.js';
import type { AppEnv, Principal } from '../context.js';
import { ApiError } from '../errors.js';
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import { TokenError, type VerifiedToken } from './verifier.js';

const REALM = 'retail-gateway';

function quote(v: string): string {
  return `"${v.replace(/["\\]/g, '')}"`;
}

/** The RFC 6750 §3 challenge. */
export function bearerChallenge(error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope', description?: string, scope?: readonly string[]): string {
  const parts = [`realm=${quote(REALM)}`];
  if (error) parts.push(`error=${quote(error)}`);
  if (description) parts.push(`error_description=${quote(description)}`);
  if (scope?.length) parts.push(`scope=${quote(scope.join(' '))}`);
  return `Bearer ${parts.join(', ')}`;
}

function unauthorized(): ApiError {
  return new ApiError('unauthorized', 'A bearer access token is required (POST /oauth/token).', undefined, { 'WWW-Authenticate': bearerChallenge() });
}

/** Odoo was unreachable since start-up: no partner can be checked yet (not the caller's fault). */
export function registryNotLoaded(): ApiError {
  return new ApiError('upstream_unavailable', 'The partner registry is not loaded yet; retry shortly.', undefined, { 'Retry-After': '1' });
}

function invalidToken(message: string, reason?: string): ApiError {
  return new ApiError('invalid_token', message, reason ? { reason } : undefined, { 'WWW-Authenticate': bearerChallenge('invalid_token', message) });
}

/** Whether the principal holds the scope (`admin` holds every scope). */
export function hasScope(principal: Pick<Principal, 'scopes'>, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}

/** The token of an `Authorization: Bearer …` header; null when there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') return null;
  return header.slice(space + 1).trim() || null;
}

type Grant = Pick<PartnerRecord, 'scopes'>;

/**
 * Both the token and the partner's current grant must hold each scope: narrowing a partner's
 * scopes in Odoo takes effect on its live tokens within one partner refresh.
 */
function missingScopes(verified: VerifiedToken, partner: Grant, required: readonly Scope[]): Scope[] {
  const granted = partner.scopes;
  return required.filter(
    (s) => !(verified.scopes.includes(s) || verified.scopes.includes('admin')) || !(granted.includes(s) || granted.includes('admin')),
  );
}

/**
 * The principal of a verified token of an active partner when the token and the partner's grant
 * hold every required scope; null when a scope is missing. Used by `requireScope` and the fast lane.
 */
export function grantedPrincipal(verified: VerifiedToken, partner: Grant, required: readonly Scope[]): Principal | null {
  if (required.length > 0 && missingScopes(verified, partner, required).length > 0) return null;
  const granted = partner.scopes;
  return {
    partner: verified.partner,
    clientId: verified.clientId,
    scopes: verified.scopes.filter((s) => granted.includes(s) || granted.includes('admin')),
    tokenId: verified.tokenId,
    expiresAt: verified.expiresAt,
  };
}

/**
 * Protects a route: the caller needs a valid token of an active partner holding every listed
 * scope (an `admin` token holds them all). With no scope listed, any valid token passes.
 */
export function requireScope(...required: Scope[]): MiddlewareHandler<AppEnv> {
  for (const s of required) if (!allScopes.includes(s)) throw new TypeError(`requireScope: unknown scope ${JSON.stringify(s)}`);
  return async function requireScopeMiddleware(c, next) {
    // `c.get`, not `c.var`: `c.var` copies every variable into a new object on each access.
    const services = c.get('services');
    const auth = services.auth;
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw unauthorized();

    let verified = auth.verifier.cached(token);
    if (!verified) {
      try {
        verified = await auth.verifier.verify(token);
      } catch (err) {
        if (err instanceof TokenError) throw invalidToken(err.message, err.reason);
        throw err;
      }
    }

    const partner = auth.partners.get(verified.partner) ?? (await auth.partners.lookup(verified.partner));
    if (!partner && auth.partners.loadedAt === 0) throw registryNotLoaded();
    if (!partner || !partner.active) throw invalidToken('The partner of this token is disabled.', 'partner_disabled');

    const principal = grantedPrincipal(verified, partner, required);
    if (!principal) {
      const missing = missingScopes(verified, partner, required);
      const message = `This route needs the scope ${required.join(' ')}.`;
      throw new ApiError('insufficient_scope', message, { required, missing }, { 'WWW-Authenticate': bearerChallenge('insufficient_scope', message, required) });
    }
    c.set('principal', principal);
    // Rate limits (ops): charge the partner's budget for this route class at its registry tier.
    // Synchronous with the in-memory limiter (no promise to await), a promise with Redis.
    const charging = services.rateLimit.enforcePartner(c, undefined, partner.tier);
    if (charging) await charging;
    await next();
  };
}

/** The caller, behind `requireScope`; answers 401 when a route forgot the middleware. */
export function principalOf(c: Context<AppEnv>): Principal {
  const p = c.get('principal');
  if (!p) throw unauthorized();
  return p;
}

/** Tenant isolation: whether the caller may see a resource owned by `owner` (admin sees all). */
export function ownsResource(principal: Principal, owner: string | null | undefined): boolean {
  return owner === principal.partner || principal.scopes.includes('admin');
}

/** A 403 `forbidden` for routes that refuse a valid principal for another reason than scope (e.g. a warehouse not allowed). */
export function forbidden(message: string): ApiError {
  return new ApiError('forbidden', message);
}
