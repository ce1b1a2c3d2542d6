/**
 * 3PL shipments: `GET /v1/shipments?order_id=` (the order's outgoing shipments, from the addon),
 * `POST /v1/shipments` (confirm a shipment: carrier, tracking, quantities; a partial quantity
 * leaves a backorder) and `GET /v1/shipments/confirmations/{id}`.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { Shipment, ShipmentConfirmation } from '../../../contracts/src/fulfilment.js';
import { IntakeItemStatus, IntakeReceipt } from '../../../contracts/src/intake.js';
import { principalOf } from '../auth/middleware.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { apiExample } from '../intake/examples.js';
import { acceptWrite, IdempotencyHeaders, intakeOf, itemStatus, ownItem, ownershipGuard } from '../intake/http.js';
import type { IntakeItem } from '../intake/queue.js';
import type { OdooClient } from '../odoo/client.js';
import type { Services } from '../services.js';
import { errorResponses, scopedRoute } from './route.js';


const ListQuery = z
  .object({
    order_id: z.string().min(1).max(64).optional().openapi({ description: "The gateway's order id (from POST /v1/orders)", example: 'ord_01jdz3m4k5q6r7s8t9v0w1x2' }),
    order_external_id: z.string().min(1).max(128).optional().openapi({ description: "Or the order's external id", example: 'WEB-100234' }),
  })
  .refine((q) => q.order_id || q.order_external_id, 'order_id or order_external_id is required');

const listShipments = scopedRoute('shipments:read', {
  method: 'get',
  path: '/v1/shipments',
  tags: ['shipments'],
  summary: "An order's delivery pickings with their shipped quantities",
  request: { query: ListQuery },
  responses: {
    200: { description: 'The shipments (empty while the order is not in Odoo yet)', content: { 'application/json': { schema: z.object({ data: z.array(Shipment) }) } } },
    ...errorResponses([404, "No such order (or another partner's)"], [422, 'Bad query'], [503, 'Odoo could not be read']),
  },
});

const postShipment = scopedRoute('shipments:write', {
  method: 'post',
  path: '/v1/shipments',
  tags: ['shipments'],
  summary: 'Confirm that (part of) an order left the warehouse',
  middleware: [ownershipGuard('shipment')],
  request: {
    headers: IdempotencyHeaders.pick({ 'idempotency-key': true }),
    body: { required: true, content: { 'application/json': { schema: ShipmentConfirmation, example: apiExample('shipment-confirmation') } } },
  },
  responses: {
    202: { description: 'Accepted durably; poll `Location`', content: { 'application/json': { schema: IntakeReceipt } } },
    ...errorResponses(409, 422),
  },
});

const getConfirmation = scopedRoute('shipments:read', {
  method: 'get',
  path: '/v1/shipments/confirmations/{id}',
  tags: ['shipments'],
  summary: 'The outcome of a shipment confirmation (`related.backorder` when quantities were partial)',
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The confirmation', content: { 'application/json': { schema: IntakeItemStatus } } },
    ...errorResponses([404, 'No such confirmation']),
  },
});

/** The order's outgoing shipments as the addon describes them; none while the order is not in Odoo yet. */
async function shipmentsOf(odoo: Pick<OdooClient, 'rpc'>, order: IntakeItem, requestId: string): Promise<Shipment[]> {
  if (!order.odoo) return [];
  const { shipments } = await odoo.rpc('order_shipments', { partner: order.partner, external_id: order.externalId }, { requestId, timeoutMs: 10_000 });
  return shipments;
}

export function registerShipments(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openapi(listShipments, async (c) => {
    const q = c.req.valid('query');
    let order: IntakeItem | undefined;
    if (q.order_id) order = await ownItem(c, q.order_id, 'order', 'order');
    else {
      const found = await intakeOf(c).findByExternalId(principalOf(c).partner, 'order', q.order_external_id!);
      order = found[0];
      if (!order) throw new ApiError('not_found', 'No such order.');
    }
    const data = await shipmentsOf(services.odoo, order, c.get('requestId')).catch((e: unknown) => {
      throw new ApiError('upstream_unavailable', 'Shipments could not be read from Odoo.', { odoo: e instanceof Error ? e.name : 'error' });
    });
    return c.json({ data }, 200);
  });

  app.openapi(postShipment, async (c) => {
    const shipment = c.req.valid('json');
    return acceptWrite(c, intakeOf(c), {
      kind: 'shipment',
      externalId: shipment.external_id,
      payload: shipment,
      prevalidated: true,
      location: (id) => `/v1/shipments/confirmations/${id}`,
    }) as never;
  });

  app.openapi(getConfirmation, async (c) => {
    const item = await ownItem(c, c.req.valid('param').id, 'shipment', 'shipment confirmation');
    return c.json(itemStatus(item), 200);
  });
}
