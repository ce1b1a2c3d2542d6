import { z } from 'zod';
import { Sku, Timestamp, WarehouseCode } from './common.js';

/**
 * Availability of one SKU in one warehouse.
 *
 * Definition: `available = max(0, on_hand - reserved - safety_stock)`, where
 * - `on_hand` is the quantity in the warehouse's internal locations (Odoo `stock.quant.quantity`),
 * - `reserved` is the part of it already promised to outgoing moves (`stock.quant.reserved_quantity`),
 * - `safety_stock` is the per-product buffer the retailer never sells (the addon's field on the product).
 * `as_of` is the time Odoo computed the figures; a cache serving them marks `stale` when it could not
 * refresh them within the freshness target.
 */
export const Availability = z.strictObject({
  sku: Sku,
  warehouse: WarehouseCode,
  on_hand: z.number(),
  reserved: z.number().nonnegative(),
  safety_stock: z.number().nonnegative(),
  available: z.number().nonnegative(),
  as_of: Timestamp,
  stale: z.boolean().default(false),
});
export type Availability = z.infer<typeof Availability>;

/** The one formula, shared by the addon's tests (through the golden files) and the gateway. */
export function computeAvailable(onHand: number, reserved: number, safetyStock: number): number {
  return Math.max(0, onHand - reserved - safetyStock);
}
