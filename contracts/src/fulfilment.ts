import { z } from 'zod';
import { ExternalId, Quantity, Sku, Timestamp, WarehouseCode } from './common.js';

export const ReturnLine = z.strictObject({
  sku: Sku,
  quantity: Quantity,
  reason: z.string().max(256).optional(),
});

/** A return announced by a channel or a 3PL for an order placed through the gateway. */
export const Return = z.strictObject({
  external_id: ExternalId.describe("The return's id in the partner's system, unique per partner"),
  order_external_id: ExternalId,
  lines: z.array(ReturnLine).min(1).max(500),
  requested_at: Timestamp,
  note: z.string().max(2000).optional(),
});
export type Return = z.infer<typeof Return>;

export const ShipmentLine = z.strictObject({ sku: Sku, quantity: Quantity });

/** A 3PL's confirmation that (part of) an order left the warehouse. */
export const ShipmentConfirmation = z.strictObject({
  external_id: ExternalId.describe("The shipment's id in the 3PL's system, unique per partner"),
  order_external_id: ExternalId,
  carrier: z
    .string()
    .min(1)
    .max(64)
    .describe(
      "The carrier that took the parcel. It replaces the carrier planned on the order: the Odoo carrier it maps to (the partner's shipping method mapping, else an Odoo carrier of that name); a carrier Odoo does not know is kept as reported.",
    ),
  tracking_number: z.string().min(1).max(128),
  lines: z.array(ShipmentLine).min(1).max(500),
  shipped_at: Timestamp.describe('When the parcel left the warehouse; it becomes the date of the transfer in Odoo.'),
});
export type ShipmentConfirmation = z.infer<typeof ShipmentConfirmation>;

/** What `GET /v1/shipments` answers. */
export const Shipment = z.strictObject({
  id: z.number().int().describe('Odoo stock.picking id'),
  name: z.string(),
  order_external_id: ExternalId.nullable(),
  state: z.enum(['waiting', 'ready', 'shipped', 'cancelled']),
  carrier: z
    .string()
    .nullable()
    .describe("The carrier that shipped it: the Odoo carrier's name, or the carrier as the 3PL reported it when it maps to none; before shipping, the carrier planned on the order."),
  tracking_number: z.string().nullable(),
  lines: z.array(z.strictObject({ sku: Sku, ordered: z.number(), shipped: z.number() })),
  shipped_at: Timestamp.nullable().describe('When it left the warehouse, as the 3PL confirmed it (else when Odoo validated the transfer); null before.'),
});
export type Shipment = z.infer<typeof Shipment>;

/** Counted quantities from a 3PL; they become an inventory adjustment in Odoo. */
export const StockCount = z.strictObject({
  external_id: ExternalId.describe("The count's id in the 3PL's system, unique per partner"),
  warehouse: WarehouseCode,
  counted_at: Timestamp,
  lines: z.array(z.strictObject({ sku: Sku, quantity: z.number().nonnegative().max(1_000_000) })).min(1).max(5000),
});
export type StockCount = z.infer<typeof StockCount>;
