/**
 * The order lane: `POST /v1/orders` (without `Prefer: wait`) answered at the node `http` request
 * handler, in front of Hono, like the cached reads of lane.ts. It is the flash-sale path: every
 * request a new order committed durably before its 202.
 *
 * Through Hono an order costs a WHATWG Request and Headers, a Context, a dozen middleware
 * closures, an asynchronous zod pass and a Response object converted back to node's, around the
 * work that matters (the contract, the stock promise, the durable accept). The lane keeps that
 * work and its order and runs the same functions: the request id and client address rules, the
 * body limit, the verified-token cache, the partner registry, the scope, the rate limiter, the
 * ownership map, the order contract and the caller-input rules, `submitOrderNow` (the line
 * ceiling, available-to-promise, the Idempotency-Key and the accept, as the route calls it), the
 * error bodies, the request metrics with the order funnel, and the access line.
 *
 * It decides from the request line and headers alone, before reading or charging anything: only
 * `POST /v1/orders` with no query, `Content-Type: application/json`, a well-formed Idempotency-Key,
 * no `Prefer`, one `Authorization` whose token is in the verified-token cache, of an active
 * partner holding `orders:write`. Anything else goes on to Hono untouched. Once it has taken a
 * request it answers it, whatever happens: the 202 (or the replay), a 413, a 400 for bad JSON, the
 * 422s, a 409, a 429 and an unexpected error's 500.
 *
 * The order route's suite runs with the lane on and off (`test/fast-lane/orders.test.ts`).
 */
import type { IncomingMessage } from 'node:http';
import { callerInputIssue } from '../../../contracts/src/common.js';
import { Order } from '../../../contracts/src/order.js';
import type { Principal } from '../context.js';
import { callerInputRefusal, validationError } from '../errors.js';
import { assertPartnerWritable } from '../intake/http.js';
import { IDEMPOTENCY_KEY, type StoredResponse } from '../intake/idempotency.js';
import { accessLine } from '../middleware/access-log.js';
import { trustedProxyList } from '../middleware/client-ip.js';
import { bodyText, payloadTooLarge, readLimitedBody } from '../middleware/node-body.js';
import { requestRecorder } from '../metrics/middleware.js';
import { routeClassOf } from '../rate-limit/tiers.js';
import { orderRouteScope, submitOrderNow } from '../routes/orders.js';
import type { Services } from '../services.js';
import { cachedCaller, finish, laneStart, sendError, type Answer, type FastLane } from './lane.js';

const PATH = '/v1/orders';
/**
 * The body types the lane takes, as sent (letter case included: Hono's JSON validator matches the
 * media type case-sensitively); any other goes to Hono, whose validator decides.
 */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json; charset=UTF-8']);

/** Requests each gateway's order lane answered, by its services (the route suite checks the lane by it). */
const taken = new WeakMap<Services, { count: number }>();

/** How many orders the order lane of this gateway has answered (0 when it has none). */
export function orderLaneAnswered(services: Services): number {
  return taken.get(services)?.count ?? 0;
}

export function createOrderLane(services: Services): FastLane {
  const counter = { count: 0 };
  taken.set(services, counter);
  const trusted = trustedProxyList(services.config.trustedProxies);
  const log = accessLine(services.logger);
  const recorder = requestRecorder({ metrics: services.metrics, anomalies: services.anomalies });
  const series = recorder.route('POST', PATH);
  const scopes = [orderRouteScope];
  const routeClass = routeClassOf('POST');
  const maxBody = services.config.bodyLimitBytes;

  return function orderLane(req, res) {
    if (req.method !== 'POST' || req.url !== PATH) return false;
    const headers = req.headers;
    const type = headers['content-type'];
    if (type === undefined || !JSON_TYPES.has(type)) return false;
    if (headers.prefer !== undefined) return false;
    const key = headers['idempotency-key'];
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) return false;
    const caller = cachedCaller(services, req, scopes);
    if (!caller) return false;
    const { principal, partner } = caller;

    // From here the lane answers: nothing above has read, charged or changed anything.
    counter.count++;
    const { started, requestId, ip } = laneStart(req, trusted);
    // As through Hono: until the route's scope check (after the body limit) the request has no partner.
    const answer: Answer = { res, method: 'POST', requestId, ip, started, partner: '-', path: PATH, series, recorder, log, charge: undefined, isOrder: true };
    void take(services, req, answer, maxBody, key, principal, partner.tier, routeClass).catch((err: unknown) => sendError(answer, err, services));
    return true;
  };
}

/** The request the lane took, from its body to its answer; throws what `sendError` answers. */
async function take(
  services: Services,
  req: IncomingMessage,
  a: Answer,
  maxBody: number,
  key: string,
  principal: Principal,
  tier: Parameters<Services['rateLimit']['chargePartner']>[2],
  routeClass: ReturnType<typeof routeClassOf>,
): Promise<void> {
  // The body limit (app.ts, before any route and before the request metrics).
  a.unmetered = true;
  const bytes = await readLimitedBody(req, maxBody);
  if (!bytes) throw payloadTooLarge(maxBody);
  a.unmetered = false;
  const text = bodyText(bytes);
  // The scope check's charge (auth/middleware.ts `requireScope`).
  a.partner = principal.partner;
  const charging = services.rateLimit.chargePartner(principal.partner, routeClass, tier);
  a.charge = charging instanceof Promise ? await charging : charging;
  // The ownership guard, then the contract and the caller-input rules (app.ts `defaultHook`).
  const body: unknown = JSON.parse(text);
  assertPartnerWritable('order', body);
  const parsed = Order.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error, 'request body');
  const issue = callerInputIssue(body);
  if (issue) throw callerInputRefusal('request body', issue);
  const { stored, replayed } = await submitOrderNow(services, { principal, requestId: a.requestId, key, method: 'POST', path: PATH, body: () => text }, parsed.data);
  send(a, stored, replayed);
}

/** The stored answer, as `respondStored` writes it after the request id and rate-limit fields. */
function send(a: Answer, stored: StoredResponse, replayed: boolean): void {
  const out: Record<string, string | number> = { 'x-request-id': a.requestId };
  if (a.charge) {
    out['ratelimit-policy'] = a.charge.policy;
    out.ratelimit = a.charge.limit;
  }
  for (const k in stored.headers) out[k.toLowerCase()] = stored.headers[k]!;
  if (replayed) out['idempotent-replayed'] = 'true';
  const body = JSON.stringify(stored.body);
  out['content-type'] = 'application/json';
  out['content-length'] = Buffer.byteLength(body);
  a.res.writeHead(stored.status, out);
  a.res.end(body);
  finish(a, stored.status);
}
