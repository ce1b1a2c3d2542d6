/**
 * Rate limiting as the routes use it: the partner's tier and the route class pick a policy, the
 * limiter decides, the response carries the draft's fields, and a refusal is a 429 `rate_limited`
 * with `Retry-After`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { RateLimitTier } from '../../../contracts/src/scopes.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { CredentialThrottle, type CredentialRealm } from './credentials.js';
import type { RateDecision, RatePolicy } from './gcra.js';
import { formatLimit, formatPolicy, rateLimitHeaders } from './headers.js';
import type { LimiterBackend, RateLimiter } from './limiter.js';
import { MemoryRateLimiter } from './memory.js';
import { RedisRateLimiter } from './redis.js';
import { buildPolicies, routeClassOf, type CredentialLimits, type RatePolicies, type RouteClass, type TierLimit } from './tiers.js';

/** `RateLimit-Policy` of one policy, formatted once (policies are built once, at start-up). */
const policyHeaders = new WeakMap<RatePolicy, string>();
function policyHeader(policy: RatePolicy): string {
  let v = policyHeaders.get(policy);
  if (v === undefined) policyHeaders.set(policy, (v = formatPolicy(policy)));
  return v;
}

/** An admitted request's `RateLimit-Policy` and `RateLimit` field values. */
export interface RateCharge {
  policy: string;
  limit: string;
}

function setCharge(c: Context<AppEnv>, charge: RateCharge): void {
  c.header('RateLimit-Policy', charge.policy);
  c.header('RateLimit', charge.limit);
}

export interface RateLimitServiceOptions {
  limiter: RateLimiter;
  policies: RatePolicies;
  /** The partner's tier from the partner registry; unknown partners get `standard`. */
  tierOf?: (partner: string) => RateLimitTier | undefined;
  /**
   * Called for every refused request (metrics), with a verified partner code or `unverified`
   * (credential checks: the caller has not proven who it is).
   */
  onLimited?: (partner: string, policy: string) => void;
}

/** The label of refusals of callers that have not authenticated (never a claimed client id or login). */
export const UNVERIFIED = 'unverified';

/**
 * Entries of the refusal counts at most. Keys are a verified partner or `unverified` with a policy
 * name, so the real number is partners × policies; past the cap new pairs count under `other`.
 */
export const MAX_LIMITED_KEYS = 1_000;

export interface RateLimitSnapshot {
  backend: LimiterBackend;
  limited: Record<string, number>;
}

export class RateLimitService {
  readonly limiter: RateLimiter;
  readonly policies: RatePolicies;
  /** Replaceable once the partner registry is loaded. */
  tierOf: (partner: string) => RateLimitTier | undefined;
  private readonly onLimited?: (partner: string, policy: string) => void;
  /** Requests already charged: a route that adds `partnerRateLimit` behind the auth middleware is charged once. */
  private readonly charged = new WeakSet<object>();
  /** Refusals per `partner policy` since start, for the dashboard (bounded: `MAX_LIMITED_KEYS`). */
  private readonly limited = new Map<string, number>();
  /** Budgets of credential checks (token endpoint, dashboard sign-in). */
  readonly credentials: CredentialThrottle;

  constructor(options: RateLimitServiceOptions) {
    this.limiter = options.limiter;
    this.policies = options.policies;
    this.tierOf = options.tierOf ?? (() => undefined);
    this.onLimited = options.onLimited;
    this.credentials = new CredentialThrottle(this.limiter, this.policies);
  }

  /**
   * Charges the calling partner's budget for this route class (by default from the method) and
   * tier (by default `tierOf`); throws 429 `rate_limited` when it is spent.
   *
   * With the in-memory limiter the decision is taken synchronously and nothing is returned (no
   * promise to make and await on the hot path); with Redis a promise is returned. Either way
   * `await service.enforcePartner(…)` works.
   */
  enforcePartner(c: Context<AppEnv>, routeClass: RouteClass = routeClassOf(c.req.method), tier?: RateLimitTier): Promise<void> | void {
    const partner = c.get('principal')?.partner;
    if (!partner || this.charged.has(c)) return;
    this.charged.add(c);
    const charge = this.chargePartner(partner, routeClass, tier);
    if (!(charge instanceof Promise)) return setCharge(c, charge);
    return charge.then((granted) => setCharge(c, granted));
  }

  /**
   * The decision behind `enforcePartner`, without a request context (the fast lane calls it): the
   * two response fields when admitted, synchronously with the in-memory limiter; throws 429
   * `rate_limited` (counted, with its headers) when the budget is spent.
   */
  chargePartner(partner: string, routeClass: RouteClass, tier?: RateLimitTier): RateCharge | Promise<RateCharge> {
    const policy = this.policies.partner(tier ?? this.tierOf(partner) ?? 'standard', routeClass);
    const limiter = this.limiter;
    if (limiter instanceof MemoryRateLimiter) return this.admitOne(partner, policy, limiter.decide(partner, policy));
    return limiter.consume(partner, policy).then((decision) => this.admitOne(partner, policy, decision));
  }

  /** One decision: the common case, without the list and record `refuse` builds. */
  private admitOne(who: string, policy: RatePolicy, decision: RateDecision): RateCharge {
    if (!decision.allowed) this.refuse(who, [{ policy, decision }]);
    return { policy: policyHeader(policy), limit: formatLimit(policy, decision) };
  }

  /** Charges one credential attempt to the caller's address; throws 429 when its budget is spent. */
  async enforceAttempt(c: Context<AppEnv>, realm: CredentialRealm): Promise<void> {
    this.apply(c, UNVERIFIED, [await this.credentials.attempt(realm, c.get('clientIp') ?? 'unknown')]);
  }

  /**
   * Before a secret or password is checked for `subject` (a client id, a login): throws 429 when
   * this address has failed too often for it (see `CredentialThrottle.gate`).
   */
  async gateCredential(c: Context<AppEnv>, realm: CredentialRealm, subject: string): Promise<void> {
    const refused = await this.credentials.gate(realm, subject, c.get('clientIp') ?? 'unknown');
    if (refused) this.refuse(UNVERIFIED, [refused]);
  }

  /** Records the outcome of a credential check from the caller's address. */
  credentialChecked(c: Context<AppEnv>, realm: CredentialRealm, subject: string, ok: boolean): Promise<void> {
    const ip = c.get('clientIp') ?? 'unknown';
    return ok ? this.credentials.succeeded(realm, subject, ip) : this.credentials.failed(realm, subject, ip);
  }

  private apply(c: Context<AppEnv>, who: string, decisions: { policy: RatePolicy; decision: RateDecision }[]): void {
    if (decisions.some((d) => !d.decision.allowed)) this.refuse(who, decisions);
    for (const [k, v] of Object.entries(rateLimitHeaders(decisions))) c.header(k, v);
  }

  /** Counts a refusal and throws its 429 with the draft's fields and `Retry-After`. */
  private refuse(who: string, decisions: { policy: RatePolicy; decision: RateDecision }[]): never {
    const headers = rateLimitHeaders(decisions);
    const refused = decisions.find((d) => !d.decision.allowed)!;
    let key = `${who} ${refused.policy.name}`;
    if (!this.limited.has(key) && this.limited.size >= MAX_LIMITED_KEYS) key = `other ${refused.policy.name}`;
    this.limited.set(key, (this.limited.get(key) ?? 0) + 1);
    this.onLimited?.(who, refused.policy.name);
    throw new ApiError('rate_limited', `Rate limit "${refused.policy.name}" exceeded; retry after ${headers['Retry-After']} s.`, { policy: refused.policy.name }, headers);
  }

  snapshot(): RateLimitSnapshot {
    return { backend: this.limiter.backend(), limited: Object.fromEntries(this.limited) };
  }

  close(): Promise<void> {
    return this.limiter.close();
  }
}

export interface CreateRateLimitOptions {
  redisUrl: string | null;
  keyPrefix: string;
  /** Deadline of one Redis decision (default 250 ms); start-up waits at least 1 s for Redis. */
  redisTimeoutMs?: number;
  tiers?: Partial<Record<RateLimitTier, TierLimit>>;
  credentialLimits?: Partial<CredentialLimits>;
  logger: Logger;
  tierOf?: (partner: string) => RateLimitTier | undefined;
  onLimited?: (partner: string, policy: string) => void;
  onFallback?: () => void;
}

/** In memory by default; in Redis (shared by replicas) when a Redis URL is configured. */
export async function createRateLimitService(options: CreateRateLimitOptions): Promise<RateLimitService> {
  const policies = buildPolicies(options.tiers, options.credentialLimits);
  let limiter: RateLimiter;
  if (options.redisUrl) {
    const redis = new RedisRateLimiter({ url: options.redisUrl, keyPrefix: options.keyPrefix, logger: options.logger, onFallback: options.onFallback, commandTimeoutMs: options.redisTimeoutMs });
    if (!(await redis.ready(Math.max(1_000, options.redisTimeoutMs ?? 0)))) options.logger.warn('rate limiter: Redis not reachable at start-up; using local limits until it is');
    limiter = redis;
  } else {
    limiter = new MemoryRateLimiter();
  }
  return new RateLimitService({ limiter, policies, tierOf: options.tierOf, onLimited: options.onLimited });
}

/**
 * Middleware charging the partner's budget; place it after the auth middleware (it needs
 * `c.var.principal`).
 */
export function partnerRateLimit(routeClass?: RouteClass): MiddlewareHandler<AppEnv> {
  return async function partnerRateLimitMiddleware(c, next) {
    await c.get('services').rateLimit.enforcePartner(c, routeClass);
    await next();
  };
}

/**
 * Middleware for `POST /oauth/token`: charges the attempt to the caller's address. The route
 * itself gates and records the client's credential check (it has parsed the credentials).
 */
export function tokenRateLimit(): MiddlewareHandler<AppEnv> {
  return async function tokenRateLimitMiddleware(c, next) {
    if (c.req.method === 'POST') await c.get('services').rateLimit.enforceAttempt(c, 'token');
    await next();
  };
}
