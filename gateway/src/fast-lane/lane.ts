/**
 * The fast lane: the cached reads partners send most (`GET /v1/inventory?sku=…`,
 * `GET /v1/products/{sku}`) answered at the node `http` request handler, in front of Hono.
 *
 * Going through Hono costs a WHATWG Request and Headers per request, a Context, a dozen
 * middleware closures, zod validation of the query and a Response object, for an answer that is
 * already serialised and tagged. The lane skips that machinery, not the gateway's rules: it uses
 * the same request id rule, client address rule, verified-token cache, partner registry, scope
 * check, rate limiter, answer functions, error bodies, request metrics and access line as the
 * routes.
 *
 * It takes a request only when it can answer it completely and exactly as the route would. It
 * looks before it charges anything: a request whose path or query is not the plain form, whose
 * token is not in the verified-token cache, whose partner is unknown or disabled, whose scopes or
 * warehouse do not allow it, goes on to Hono untouched (which answers it, charges the limiter, and
 * caches the token for the next one). Once it has charged the limiter it answers everything
 * itself: the 200/304, a 429, the route's own errors (404, 503) and an unexpected error's 500.
 *
 * The same route suites run with the lane on and off (`test/fast-lane/`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, grantedPrincipal } from '../auth/middleware.js';
import { ifNoneMatchHits, type TaggedJson } from '../catalog/etag.js';
import type { Scope } from '../../../contracts/src/scopes.js';
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { Principal } from '../context.js';
import { apiErrorOf, errorBody, internalError } from '../errors.js';
import { accessLine, type AccessLine } from '../middleware/access-log.js';
import { resolveClientIp, trustedProxyList } from '../middleware/client-ip.js';
import { resolveRequestId } from '../middleware/request-context.js';
import { requestRecorder, type RequestRecorder } from '../metrics/middleware.js';
import type { RouteSeries } from '../metrics/request-series.js';
import type { RateCharge } from '../rate-limit/service.js';
import type { Services } from '../services.js';
import type { LaneRoute, LaneRequest } from './routes.js';

/** Handles the request and returns true, or returns false (having touched nothing) for Hono to handle it. */
export type FastLane = (req: IncomingMessage, res: ServerResponse) => boolean;

interface Prepared {
  route: LaneRoute;
  series: RouteSeries;
}

/** Requests each gateway's lane answered, by its services (what the route suites check the lane by). */
const taken = new WeakMap<Services, { count: number }>();

/** How many requests the lane of this gateway has answered (0 when it has none). */
export function laneAnswered(services: Services): number {
  return taken.get(services)?.count ?? 0;
}

export function createFastLane(services: Services, routes: readonly LaneRoute[]): FastLane {
  const counter = { count: 0 };
  taken.set(services, counter);
  const trusted = trustedProxyList(services.config.trustedProxies);
  const log: AccessLine = accessLine(services.logger);
  const recorder: RequestRecorder = requestRecorder({ metrics: services.metrics, anomalies: services.anomalies });
  const prepared: Prepared[] = routes.map((route) => ({ route, series: recorder.route('GET', route.label) }));

  return function fastLane(req, res) {
    if (req.method !== 'GET') return false;
    const url = req.url ?? '';
    let lane: Prepared | undefined;
    let input: LaneRequest | null = null;
    for (const p of prepared) {
      input = p.route.match(url);
      if (input) {
        lane = p;
        break;
      }
    }
    if (!lane || !input) return false;

    const caller = cachedCaller(services, req, lane.route.scopes);
    if (!caller) return false;
    const { principal, partner } = caller;
    if (!lane.route.admits(services, principal, input)) return false;

    // From here the lane answers: nothing above has charged or changed anything.
    counter.count++;
    const { started, requestId, ip } = laneStart(req, trusted);
    const inm = req.headers['if-none-match'];
    const answer: Answer = { res, method: 'GET', requestId, ip, started, partner: principal.partner, path: input.path, series: lane.series, recorder, log, charge: undefined, isOrder: false };
    const route = lane.route;
    const respond = (): void => {
      try {
        const result = route.answer(services, principal, input, requestId);
        if (result instanceof Promise) {
          result.then(
            (tagged) => sendTagged(answer, tagged, inm),
            (err: unknown) => sendError(answer, err, services),
          );
        } else sendTagged(answer, result, inm);
      } catch (err) {
        sendError(answer, err, services);
      }
    };
    try {
      const charging = services.rateLimit.chargePartner(principal.partner, 'read', partner.tier);
      if (charging instanceof Promise) {
        charging.then(
          (charge) => {
            answer.charge = charge;
            respond();
          },
          (err: unknown) => sendError(answer, err, services),
        );
        return true;
      }
      answer.charge = charging;
    } catch (err) {
      sendError(answer, err, services);
      return true;
    }
    respond();
    return true;
  };
}

/**
 * The caller of a request whose one bearer token is in the verified-token cache, of an active
 * partner, holding `scopes` (token and grant); null otherwise, and the lane leaves the request to
 * Hono (which verifies the token and caches it, or answers the refusal).
 */
export function cachedCaller(services: Services, req: IncomingMessage, scopes: readonly Scope[]): { principal: Principal; partner: PartnerRecord } | null {
  const token = bearerToken(req.headers.authorization);
  if (!token || !singleAuthorization(req.rawHeaders)) return null;
  const verified = services.auth.verifier.cached(token);
  if (!verified) return null;
  const partner = services.auth.partners.get(verified.partner);
  if (!partner || !partner.active) return null;
  const principal = grantedPrincipal(verified, partner, scopes);
  return principal ? { principal, partner } : null;
}

/** When a request the lane takes started, its request id and its client address, by the app's rules. */
export function laneStart(req: IncomingMessage, trusted: ReturnType<typeof trustedProxyList>): { started: number; requestId: string; ip: string } {
  const started = performance.now();
  const headers = req.headers;
  const given = headers['x-request-id'];
  const { requestId } = resolveRequestId(typeof given === 'string' ? given : undefined, typeof headers.traceparent === 'string' ? headers.traceparent : undefined);
  const forwarded = headers['x-forwarded-for'];
  const ip = resolveClientIp(req.socket.remoteAddress ?? '0.0.0.0', Array.isArray(forwarded) ? forwarded.join(', ') : forwarded, trusted);
  return { started, requestId, ip };
}

/**
 * Node keeps the first of several `Authorization` fields where the WHATWG `Headers` Hono reads
 * joins them (which then fails as a token): such a request goes to Hono.
 */
function singleAuthorization(raw: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1) return false;
  }
  return true;
}

/** What a lane answer needs to write its response, its metrics and its access line. */
export interface Answer {
  res: ServerResponse;
  method: string;
  requestId: string;
  ip: string;
  started: number;
  partner: Principal['partner'];
  path: string;
  series: RouteSeries;
  recorder: RequestRecorder;
  log: AccessLine;
  charge: RateCharge | undefined;
  /** `POST /v1/orders`: counted in the order funnel. */
  isOrder: boolean;
  /**
   * Not in the request metrics: refused by the body limit, which runs before the metrics
   * middleware in the app (app.ts, routes/index.ts), so Hono does not count it either.
   */
  unmetered?: boolean;
}

export function finish(a: Answer, status: number): void {
  if (!a.unmetered) a.recorder.record(a.series, a.partner, status, (performance.now() - a.started) / 1000, a.isOrder);
  a.log.write(a.requestId, a.method, a.path, status, a.started, a.ip);
}

/** The route's answer, as `sendTaggedJson` writes it after the request id and rate-limit fields. */
function sendTagged(a: Answer, { body, etag }: TaggedJson, ifNoneMatch: string | undefined): void {
  const res = a.res;
  const charge = a.charge;
  if (ifNoneMatchHits(ifNoneMatch, etag)) {
    // Hono's null-body response carries @hono/node-server's default content type; so does this one.
    res.writeHead(
      304,
      charge
        ? { 'x-request-id': a.requestId, 'ratelimit-policy': charge.policy, ratelimit: charge.limit, etag, 'cache-control': 'private, no-cache', 'content-type': 'text/plain; charset=UTF-8' }
        : { 'x-request-id': a.requestId, etag, 'cache-control': 'private, no-cache', 'content-type': 'text/plain; charset=UTF-8' },
    );
    res.end();
    finish(a, 304);
    return;
  }
  const length = Buffer.byteLength(body);
  res.writeHead(
    200,
    charge
      ? { 'x-request-id': a.requestId, 'ratelimit-policy': charge.policy, ratelimit: charge.limit, etag, 'cache-control': 'private, no-cache', 'content-type': 'application/json', 'content-length': length }
      : { 'x-request-id': a.requestId, etag, 'cache-control': 'private, no-cache', 'content-type': 'application/json', 'content-length': length },
  );
  res.end(body);
  finish(a, 200);
}

/** An error as the app's `onError` answers it (`apiErrorOf`, `respondError`), unexpected ones logged and 500. */
export function sendError(a: Answer, err: unknown, services: Services): void {
  let e = apiErrorOf(err);
  if (!e) {
    services.logger.child({ request_id: a.requestId }).error({ err }, 'unhandled error');
    e = internalError();
  }
  const headers: Record<string, string | number> = { 'x-request-id': a.requestId };
  if (a.charge) {
    headers['ratelimit-policy'] = a.charge.policy;
    headers.ratelimit = a.charge.limit;
  }
  for (const [k, v] of Object.entries(e.headers ?? {})) headers[k.toLowerCase()] = v;
  const body = JSON.stringify(errorBody(e.code, e.message, a.requestId, e.details));
  headers['content-type'] = 'application/json';
  headers['content-length'] = Buffer.byteLength(body);
  const res = a.res;
  if (res.headersSent) res.destroy();
  else {
    res.writeHead(e.status, headers);
    res.end(body);
  }
  finish(a, e.status);
}
