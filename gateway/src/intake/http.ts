/**
 * What the write routes share: the ownership guard (a partner body touching an Odoo-owned field is
 * refused, naming the field, before the contract check), the Idempotency-Key and `Prefer: wait`
 * headers, and answering an accepted write (202 + Location, or the stored answer on replay).
 */
import { z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { IntakeItemStatus, IntakeReceipt } from '../../../contracts/src/intake.js';
import type { OversoldLine, ShortLine } from '../atp/service.js';
import { shortLinesOf } from '../atp/ledger.js';
import { odooOwnedFieldsIn, type Domain } from '../../../contracts/src/ownership.js';
import { principalOf } from '../auth/middleware.js';
import type { AppEnv, Principal } from '../context.js';
import type { Services } from '../services.js';
import { ApiError } from '../errors.js';
import { IDEMPOTENCY_KEY, requestFingerprint, type StoredResponse } from './idempotency.js';
import { INTAKE_ID } from './ids.js';
import { acceptedResponse } from './order-program.js';
import type { AcceptInput, Accepted, IdempotentOutcome, IntakeItem, IntakeKind, IntakeQueue, OrderAcceptSpec } from './queue.js';

/**
 * Refuses (422 `field_not_writable`) a body that sets a field the ownership map gives to Odoo.
 * It reads the body once as text and parses it once; both are cached for the contract validator and
 * the idempotency fingerprint (Hono would otherwise rebuild one from the other through a Response).
 */
export function ownershipGuard(domain: Domain): MiddlewareHandler<AppEnv> {
  return async function ownershipGuardMiddleware(c, next) {
    if (c.req.header('content-type')?.toLowerCase().includes('json')) {
      const text = await c.req.text();
      const body: unknown = JSON.parse(text);
      c.req.bodyCache.json = Promise.resolve(body);
      assertPartnerWritable(domain, body);
    }
    await next();
  };
}

/** Throws 422 `field_not_writable` naming the fields of `body` the ownership map gives to Odoo. */
export function assertPartnerWritable(domain: Domain, body: unknown): void {
  const owned = odooOwnedFieldsIn(domain, body);
  if (owned.length === 0) return;
  const list = owned.map((f) => `"${f}"`).join(', ');
  throw new ApiError(
    'field_not_writable',
    `The field${owned.length > 1 ? 's' : ''} ${list} ${owned.length > 1 ? 'are' : 'is'} owned by Odoo and cannot be written by a partner.`,
    { fields: owned },
  );
}

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({ description: 'Required on POST /v1/orders (IETF httpapi Idempotency-Key): the same key with the same body answers the same response', example: '0b8e5c1e-2f5e-4d36-9d6c-6b0f1f6e0a11' }),
  prefer: z.string().optional().openapi({ description: '`wait=N` (seconds): answer 201 with the Odoo order when it is created within N seconds, else 202', example: 'wait=5' }),
});

/** Requires an `Idempotency-Key` (400 `idempotency_key_missing`) and checks its form. */
export function requireIdempotencyKey(): MiddlewareHandler<AppEnv> {
  return async function requireIdempotencyKeyMiddleware(c, next) {
    requiredKey(c.req.header('idempotency-key'));
    await next();
  };
}

/** The request's Idempotency-Key: 400 `idempotency_key_missing` without one, `invalid_request` when malformed. */
function requiredKey(key: string | undefined): string {
  if (key === undefined || key === '') throw new ApiError('idempotency_key_missing', 'This request needs an Idempotency-Key header (a unique value per logical request, e.g. a UUID).');
  checkKey(key);
  return key;
}

function checkKey(key: string): void {
  if (!IDEMPOTENCY_KEY.test(key)) throw new ApiError('invalid_request', 'The Idempotency-Key must be 1 to 255 printable ASCII characters.');
}

/** `Prefer: wait=N` (RFC 7240), capped at `max` seconds; null when absent. */
export function preferWait(header: string | undefined, max: number): number | null {
  if (!header) return null;
  for (const pref of header.split(',')) {
    const m = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*$/i.exec(pref.split(';')[0] ?? '');
    if (m) return Math.min(Number(m[1]), max);
  }
  return null;
}

export { receipt } from './order-program.js';

export function respondStored(c: Context<AppEnv>, stored: StoredResponse, replayed: boolean): Response {
  for (const [k, v] of Object.entries(stored.headers)) c.header(k, v);
  if (replayed) c.header('Idempotent-Replayed', 'true');
  return c.json(stored.body as object, stored.status as ContentfulStatusCode);
}

export interface WriteSpec {
  kind: IntakeKind;
  externalId: string;
  payload: unknown;
  /** Status path of an accepted item. */
  location: (id: string) => string;
  dedupeKey?: string;
  /** The payload is the output of its contract schema already (validated by the route). */
  prevalidated?: boolean;
  /** Units promised beyond availability (ATP): recorded as `inventory.oversold` with the item. */
  oversold?: AcceptInput['oversold'];
  /** Lines accepted as a backorder, named in the receipt of a new item (read when the receipt is built). */
  backorder?: () => IntakeReceipt['backorder'] | undefined;
  /** Told whether a new item was queued (its `Accepted`) or not (null: a replay, a refusal, an error). */
  settled?: (accepted: Accepted | null) => Promise<void>;
}

/** A write's answer: the response to send, and whether it replays an earlier one (`Idempotent-Replayed`). */
export interface WriteAnswer {
  stored: StoredResponse;
  replayed: boolean;
}

/** Who writes, and the request as the idempotency fingerprint reads it. */
export interface WriteRequest {
  principal: Principal;
  requestId: string;
  /** The Idempotency-Key header, when there is one. */
  key: string | undefined;
  method: string;
  path: string;
  /** The body as sent (text), fingerprinted with the key. */
  body: () => Promise<string> | string;
}

/**
 * Accepts a write: with an Idempotency-Key (when given), the key, the item and the response are
 * committed together; without one, the partner + external id de-duplication alone applies.
 */
export async function acceptWrite(c: Context<AppEnv>, queue: IntakeQueue, spec: WriteSpec): Promise<Response> {
  const answer = await acceptWriteOf(queue, writeRequestOf(c), spec);
  return respondStored(c, answer.stored, answer.replayed);
}

/** The request as `acceptWriteOf` reads it, from a Hono context. */
export function writeRequestOf(c: Context<AppEnv>): WriteRequest {
  return { principal: principalOf(c), requestId: c.get('requestId'), key: c.req.header('idempotency-key'), method: c.req.method, path: c.req.path, body: () => c.req.text() };
}

/** `acceptWrite` without a request context (the fast lane calls it too); refusals are thrown `ApiError`s. */
export async function acceptWriteOf(queue: IntakeQueue, req: WriteRequest, spec: WriteSpec): Promise<WriteAnswer> {
  const input = {
    partner: req.principal.partner,
    kind: spec.kind,
    externalId: spec.externalId,
    payload: spec.payload,
    requestId: req.requestId,
    source: 'api' as const,
    dedupeKey: spec.dedupeKey,
    prevalidated: spec.prevalidated ?? false,
    ...(spec.oversold ? { oversold: spec.oversold } : {}),
  };
  const build = (a: Accepted): StoredResponse => acceptedResponse(a, spec.externalId, spec.location(a.id), a.duplicate ? undefined : spec.backorder?.());
  const key = req.key;
  let accepted: Accepted | null = null;
  try {
    if (!key) {
      accepted = await queue.accept(input);
      return { stored: build(accepted), replayed: false };
    }
    checkKey(key);
    const fingerprint = requestFingerprint(req.method, req.path, await req.body());
    const outcome = await queue.acceptIdempotent(input, { key, fingerprint, lockMs: 30_000, respond: build });
    if (outcome.state === 'accepted') accepted = outcome.accepted;
    return answerOf(outcome);
  } finally {
    await spec.settled?.(accepted);
  }
}

/** An order's write: `acceptWriteOf` for an order whose accept is a write program (order-program.ts). */
export interface OrderWriteSpec {
  externalId: string;
  payload: unknown;
  /** Units promised beyond availability by a promise taken before the accept (a ledger outside the store). */
  oversold?: AcceptInput['oversold'];
  backorder?: OrderAcceptSpec['backorder'];
  /** The promise to take in the accept's transaction, and what to do as it is recorded. */
  promise: OrderAcceptSpec['promise'];
  promised?: OrderAcceptSpec['promised'];
  /** The refusal of an order short of stock (policy `reject`). */
  refuse: (short: ShortLine[]) => ApiError;
  settled?: (accepted: Accepted | null) => Promise<void>;
  /**
   * `Prefer: wait`: the key stays in progress this long (ms) and no response is stored with the
   * item; the caller stores the final one (`IntakeQueue.completeKey`) or forgets the key.
   */
  holdKeyMs?: number;
}

/** An order's answer: the 202 (stored, unless the key is held), and the item it accepted when new or a duplicate. */
export interface OrderWriteAnswer extends WriteAnswer {
  accepted?: Accepted;
  /** The lines accepted as a backorder, named in the receipt (a new item only). */
  backorder?: OversoldLine[];
}

/**
 * Accepts an order under its Idempotency-Key (`IntakeQueue.acceptOrder`): the key, the item, its
 * promise and the receipt in one transaction, which may run on the writer thread. A request
 * without a key is refused as the route's middleware would (the order route requires one).
 */
export async function acceptOrderOf(queue: IntakeQueue, req: WriteRequest, spec: OrderWriteSpec, locationPrefix: string): Promise<OrderWriteAnswer> {
  let accepted: Accepted | null = null;
  try {
    const key = requiredKey(req.key);
    const fingerprint = requestFingerprint(req.method, req.path, await req.body());
    const input: AcceptInput = {
      partner: req.principal.partner,
      kind: 'order',
      externalId: spec.externalId,
      payload: spec.payload,
      requestId: req.requestId,
      source: 'api',
      prevalidated: true,
      ...(spec.oversold ? { oversold: spec.oversold } : {}),
    };
    const outcome = await queue.acceptOrder(input, {
      key,
      fingerprint,
      lockMs: spec.holdKeyMs ?? 30_000,
      ...(spec.holdKeyMs !== undefined ? { holdKey: true } : {}),
      promise: spec.promise,
      locationPrefix,
      ...(spec.backorder ? { backorder: spec.backorder } : {}),
      ...(spec.promised ? { promised: spec.promised } : {}),
    });
    switch (outcome.state) {
      case 'short':
        throw spec.refuse(shortLinesOf(outcome.short));
      case 'accepted':
        accepted = outcome.accepted;
        return { stored: outcome.response, replayed: false, accepted, ...(outcome.backorder ? { backorder: outcome.backorder } : {}) };
      default:
        return answerOf(outcome);
    }
  } finally {
    await spec.settled?.(accepted);
  }
}

/** The answer to an idempotent accept's outcome; its refusals are thrown. */
export function answerOf(outcome: IdempotentOutcome): WriteAnswer {
  switch (outcome.state) {
    case 'mismatch':
      throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body; use a new key for a new request.');
    case 'in_use':
      throw new ApiError('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry shortly.', undefined, { 'Retry-After': '1' });
    case 'replay':
      return { stored: outcome.response, replayed: true };
    case 'accepted':
      return { stored: outcome.response, replayed: false };
  }
}

/** The intake queue. */
export function intakeOf(c: Context<AppEnv>): IntakeQueue {
  return c.get('services').intake;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** The status body of an accepted return, shipment confirmation or stock count. */
export function itemStatus(item: IntakeItem): IntakeItemStatus {
  const p = item.payload as { order_external_id?: string };
  return {
    id: item.id,
    external_id: item.externalId,
    order_external_id: p.order_external_id ?? null,
    status: item.status,
    outcome: item.outcome,
    odoo: item.odoo,
    related: item.related ?? {},
    reasons: item.reasons,
    accepted_at: iso(item.acceptedAt),
    updated_at: iso(item.updatedAt),
  };
}

/** An item of the caller (admin: of anyone) of the given kind; 404 otherwise, another partner's included. */
export async function ownItem(c: Context<AppEnv>, id: string, kind: IntakeKind, what: string): Promise<IntakeItem> {
  const principal = principalOf(c);
  const queue = intakeOf(c);
  if (!INTAKE_ID.test(id)) throw new ApiError('not_found', `No such ${what}.`);
  const item = (await queue.get(principal.partner, id)) ?? (principal.scopes.includes('admin') ? await queue.getById(id) : null);
  if (!item || item.kind !== kind) throw new ApiError('not_found', `No such ${what}.`);
  return item;
}

/** Warehouses the caller may see and write (empty: all), from the partner registry. */
export function allowedWarehouses(c: Context<AppEnv>): readonly string[] {
  return warehousesOf(c.get('services'), principalOf(c));
}

/** `allowedWarehouses` without a request context (the fast lane). */
export function warehousesOf(services: Pick<Services, 'auth'>, principal: Principal): readonly string[] {
  if (principal.scopes.includes('admin')) return [];
  return services.auth.partners.get(principal.partner)?.warehouses ?? [];
}

export function assertWarehouseAllowed(c: Context<AppEnv>, warehouse: string): void {
  const allowed = allowedWarehouses(c);
  if (allowed.length > 0 && !allowed.includes(warehouse)) throw new ApiError('forbidden', `Warehouse ${JSON.stringify(warehouse)} is not one of this partner's warehouses.`);
}
