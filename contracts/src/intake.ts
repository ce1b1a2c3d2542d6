import { z } from 'zod';
import { ExternalId, Sku, Timestamp, WarehouseCode } from './common.js';
import { RejectionReason } from './order.js';

/** The optional body of `POST /v1/orders/{id}/cancel` (the order is named by the path). */
export const OrderCancelRequest = z.strictObject({
  reason: z.string().max(256).optional().describe('Why the order is cancelled, kept on the Odoo order'),
});
export type OrderCancelRequest = z.infer<typeof OrderCancelRequest>;

/** Where an accepted write is on its way to Odoo. */
export const IntakeStatus = z.enum(['accepted', 'processing', 'completed', 'rejected', 'failed', 'shadowed']);
export type IntakeStatus = z.infer<typeof IntakeStatus>;

/** The `202 Accepted` body of every queued write (order, return, cancellation, shipment, stock count). */
export const IntakeReceipt = z.strictObject({
  id: z.string().describe("The gateway's id of the accepted item; poll `Location` for its outcome"),
  external_id: ExternalId,
  status: IntakeStatus,
  duplicate: z.boolean().describe('true when this external id was accepted before: the first item is answered'),
  location: z.string().describe('Path of the status resource'),
  backorder: z
    .array(z.strictObject({ sku: Sku, warehouse: WarehouseCode, units: z.number().positive() }))
    .optional()
    .describe('Present when the order was accepted as a backorder (partner policy `backorder`): the units of each line beyond what was available to promise'),
});
export type IntakeReceipt = z.infer<typeof IntakeReceipt>;

const OdooRef = z.strictObject({ id: z.number().int(), name: z.string() });

/** The status of an accepted return, shipment confirmation or stock count. */
export const IntakeItemStatus = z.strictObject({
  id: z.string(),
  external_id: ExternalId,
  order_external_id: ExternalId.nullable(),
  status: IntakeStatus,
  outcome: z.string().nullable().describe("The addon's answer: created, duplicate, confirmed, applied, rejected, …"),
  odoo: OdooRef.nullable(),
  related: z.record(z.string(), OdooRef.nullable()).describe('e.g. { picking, backorder }'),
  reasons: z.array(RejectionReason),
  accepted_at: Timestamp,
  updated_at: Timestamp,
});
export type IntakeItemStatus = z.infer<typeof IntakeItemStatus>;
