/**
 * Orders: `POST /v1/orders` (durable intake, Idempotency-Key required, `Prefer: wait=N`),
 * `GET /v1/orders/{id}` (the order's journey) and `POST /v1/orders/{id}/cancel`.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { IntakeReceipt, OrderCancelRequest } from '../../../contracts/src/intake.js';
import { Order, OrderStatus } from '../../../contracts/src/order.js';
import type { AppEnv, Principal } from '../context.js';
import {
  acceptOrderOf,
  acceptWrite,
  IdempotencyHeaders,
  intakeOf,
  ownItem,
  ownershipGuard,
  preferWait,
  receipt,
  requireIdempotencyKey,
  respondStored,
  writeRequestOf,
  type OrderWriteAnswer,
  type WriteRequest,
} from '../intake/http.js';
import type { StoredResponse } from '../intake/idempotency.js';
import type { AcceptInput, Accepted } from '../intake/queue.js';
import type { PromisePlan, ShortLine } from '../atp/service.js';
import { overPromised } from '../intake/order-program.js';
import { ApiError } from '../errors.js';
import { orderStatus } from '../intake/order-status.js';
import { assertLineQuantitiesOf } from '../intake/quantity-limit.js';
import type { Services } from '../services.js';
import { apiExample } from '../intake/examples.js';
import { errorResponses, scopedRoute, scopeOf } from './route.js';

const noSuchOrder = [404, "No such order (or another partner's)"] as const;

const IdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'ord_01jdz3m4k5q6r7s8t9v0w1x2' }) });

const submitOrder = scopedRoute('orders:write', {
  method: 'post',
  path: '/v1/orders',
  tags: ['orders'],
  summary: 'Submit an order (queued durably, sent to Odoo exactly once)',
  description:
    'The order is committed durably before the answer. `202` with `Location` to poll; with `Prefer: wait=N`, `201` with the Odoo order when it was created within N seconds. ' +
    'The same `Idempotency-Key` with the same body answers the same response; with another body `422 idempotency_key_reused`; while the first is in progress `409 idempotency_key_in_use`. ' +
    "Stock is promised at acceptance (available-to-promise): an order for more than is available is handled by the partner's oversell policy — `reject`: `409 insufficient_stock` naming the lines and what is available, nothing queued; `backorder`: accepted, the receipt's `backorder` names the units short; `accept`: accepted and counted as oversold (`inventory.oversold` event).",
  middleware: [requireIdempotencyKey(), ownershipGuard('order')],
  request: {
    headers: IdempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: Order, example: apiExample('order') } } },
  },
  responses: {
    201: { description: 'Created in Odoo within the wait', content: { 'application/json': { schema: OrderStatus } } },
    200: { description: 'Settled within the wait without a sale order (rejected: see `reasons`)', content: { 'application/json': { schema: OrderStatus } } },
    202: { description: 'Accepted durably; poll `Location`', content: { 'application/json': { schema: IntakeReceipt } } },
    ...errorResponses(
      400,
      [409, '`insufficient_stock` (partner policy `reject`): `details.lines` names each short line with `sku`, `warehouse`, `requested` and `available`; nothing was queued. Also `idempotency_key_in_use`'],
      415,
      [422, "`validation_failed`, `field_not_writable` or `idempotency_key_reused`; `quantity_limit` when a line asks for more than the partner's `max_line_quantity` (10,000 unless the partner registry says otherwise; `details` names the lines)"],
    ),
  },
});

/** The scope `POST /v1/orders` requires (the order lane checks the same one). */
export const orderRouteScope = scopeOf(submitOrder);

const getOrder = scopedRoute('orders:read', {
  method: 'get',
  path: '/v1/orders/{id}',
  tags: ['orders'],
  summary: "An order's status through intake, Odoo, fulfilment, payment and invoicing",
  request: { params: IdParam },
  responses: { 200: { description: 'The order', content: { 'application/json': { schema: OrderStatus } } }, ...errorResponses(noSuchOrder) },
});

/** The cancel body: contracts/src/intake.ts `OrderCancelRequest`. */
export const CancelBody = OrderCancelRequest;
const cancelOrder = scopedRoute('orders:write', {
  method: 'post',
  path: '/v1/orders/{id}/cancel',
  tags: ['orders'],
  summary: 'Cancel an order (queued; sent to Odoo after the order itself)',
  request: {
    params: IdParam,
    body: { required: false, content: { 'application/json': { schema: CancelBody, example: apiExample('order-cancel-request') } } },
  },
  responses: { 202: { description: 'Cancellation accepted; poll `Location` (the order)', content: { 'application/json': { schema: IntakeReceipt } } }, ...errorResponses(noSuchOrder, 422) },
});

interface OrderPromise {
  /** The promise taken before the accept (a ledger outside the intake's transaction), released if the order is not queued after all. */
  key: string | null;
  oversold?: AcceptInput['oversold'];
  backorder?: IntakeReceipt['backorder'];
  /** The promise to take inside the accept's own transaction (a ledger in the intake's SQL store). */
  plan?: PromisePlan;
}

const insufficientStock = (short: ShortLine[]) => {
  const what = short.map((s) => `${s.sku} in ${s.warehouse}: ${s.requested} asked, ${s.available} available`).join('; ');
  return new ApiError('insufficient_stock', `Not enough stock to promise this order (${what}); nothing was queued.`, { lines: short });
};

/**
 * Promises the order's units (available-to-promise) under the partner's oversell policy; refuses
 * with 409 `insufficient_stock` under `reject` when a line is short, unless the order was accepted
 * before (a repeat is answered as such, not refused). When the ledger lives in the intake's own
 * store the promise is taken in the accept's transaction (`plan` here, the order program then),
 * else just before it.
 */
async function promiseOrder(services: Services, principal: Principal, requestId: string, order: Order): Promise<OrderPromise> {
  const record = services.auth.partners.get(principal.partner);
  if (record?.mode === 'shadow') return { key: null };
  const policy = record?.oversell_policy ?? 'accept';
  const opts = { partnerWarehouses: record?.warehouses, requestId };
  if (services.atp.joinsIntake) {
    const plan = await services.atp.plan(principal.partner, order, policy, opts);
    return plan ? { key: null, plan } : { key: null };
  }
  const held = await services.atp.promise(principal.partner, order, policy, opts);
  if (held.state === 'short') {
    if ((await services.intake.findByExternalId(principal.partner, 'order', order.external_id)).length > 0) return { key: null };
    throw insufficientStock(held.short);
  }
  if (held.state !== 'taken') return { key: null };
  if (held.oversold.length === 0) return { key: held.key };
  return { key: held.key, ...overPromised(policy, held.oversold) };
}

const ORDER_LOCATION = '/v1/orders/';
const orderLocation = (id: string) => `${ORDER_LOCATION}${id}`;

/** After the accept: a promise taken before it for an order not queued now (a repeat, a refusal) is dropped. */
function settledOf(services: Services, promise: OrderPromise): (accepted: Accepted | null) => Promise<void> {
  return async (accepted) => {
    if (promise.key && (!accepted || accepted.duplicate)) await services.atp.release(promise.key);
  };
}

/**
 * `POST /v1/orders`, from the order as its contract parsed it: the line ceiling, the stock
 * promise, the durable accept under the Idempotency-Key (order-program.ts). The route and the fast
 * lane (fast-lane/order-lane.ts) both answer with it; refusals are thrown `ApiError`s. With
 * `holdKeyMs` (`Prefer: wait`) the key stays in progress for the route to store its final answer.
 */
export async function submitOrderNow(services: Services, req: WriteRequest, order: Order, holdKeyMs?: number): Promise<OrderWriteAnswer> {
  assertLineQuantitiesOf(services, req.principal.partner, order.lines);
  const promise = await promiseOrder(services, req.principal, req.requestId, order);
  const plan = promise.plan;
  return acceptOrderOf(
    services.intake,
    req,
    {
      externalId: order.external_id,
      payload: order,
      ...(promise.oversold ? { oversold: promise.oversold } : {}),
      ...(promise.backorder ? { backorder: promise.backorder } : {}),
      promise: plan ? services.atp.intakePromise(plan) : null,
      ...(plan ? { promised: (taken: { itemKey: string; units: number }[]) => services.atp.recorded(plan, taken) } : {}),
      refuse: insufficientStock,
      settled: settledOf(services, promise),
      ...(holdKeyMs !== undefined ? { holdKeyMs } : {}),
    },
    ORDER_LOCATION,
  );
}

export function registerOrders(app: OpenAPIHono<AppEnv>, services: Services): void {
  const waitMax = services.config.intake.waitMaxSeconds;

  app.openapi(submitOrder, async (c) => {
    const queue = intakeOf(c);
    const order = c.req.valid('json');
    const wait = preferWait(c.req.header('prefer'), waitMax);
    if (wait === null) {
      const answer = await submitOrderNow(services, writeRequestOf(c), order);
      return respondStored(c, answer.stored, answer.replayed) as never;
    }
    const req = writeRequestOf(c);
    const partner = req.principal.partner;
    const key = req.key!; // the route's middleware requires one
    // The key stays in progress while the order is awaited, and a while after (a crash in between).
    const answer = await submitOrderNow(services, req, order, (wait + 30) * 1000);
    const accepted = answer.accepted;
    if (!accepted) return respondStored(c, answer.stored, answer.replayed) as never;
    let stored: StoredResponse;
    try {
      const item = await queue.waitFor(partner, accepted.id, wait * 1000);
      const headers = { Location: orderLocation(accepted.id), 'Preference-Applied': `wait=${wait}` };
      if (item && (item.status === 'completed' || item.status === 'rejected')) {
        const body = await orderStatus(item, { queue, odoo: services.odoo, requestId: c.get('requestId') });
        stored = { status: item.status === 'completed' ? 201 : 200, headers, body };
      } else {
        const body = receipt({ ...accepted, status: item?.status ?? accepted.status }, order.external_id, orderLocation(accepted.id));
        stored = { status: 202, headers, body: answer.backorder ? { ...body, backorder: answer.backorder } : body };
      }
    } catch (err) {
      await queue.releaseKey(partner, key).catch(() => undefined);
      throw err;
    }
    await queue.completeKey(partner, key, stored);
    return respondStored(c, stored, false) as never;
  });

  app.openapi(getOrder, async (c) => {
    const item = await ownItem(c, c.req.valid('param').id, 'order', 'order');
    const body = await orderStatus(item, { queue: intakeOf(c), odoo: services.odoo, requestId: c.get('requestId') });
    return c.json(body, 200);
  });

  app.openapi(cancelOrder, async (c) => {
    const order = await ownItem(c, c.req.valid('param').id, 'order', 'order');
    const body = (c.req.header('content-type') ? c.req.valid('json') : {}) as z.infer<typeof CancelBody>;
    return acceptWrite(c, intakeOf(c), {
      kind: 'cancel',
      externalId: order.externalId,
      payload: { external_id: order.externalId, ...(body.reason ? { reason: body.reason } : {}) },
      location: () => `/v1/orders/${order.id}`,
    }) as never;
  });
}
