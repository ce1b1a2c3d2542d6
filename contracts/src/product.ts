import { z } from 'zod';
import { CurrencyCode, NonNegativeDecimal, Sku, Timestamp } from './common.js';

/** One sellable variant (Odoo `product.product`). */
export const ProductVariant = z.strictObject({
  sku: Sku,
  barcode: z.string().max(64).nullable(),
  name: z.string().min(1),
  attributes: z.record(z.string(), z.string()).default({}),
  list_price: NonNegativeDecimal,
  currency: CurrencyCode,
  active: z.boolean(),
  updated_at: Timestamp,
});
export type ProductVariant = z.infer<typeof ProductVariant>;

/** A product (Odoo `product.template`) with its variants. */
export const Product = z.strictObject({
  id: z.number().int().positive().describe('Odoo product.template id'),
  name: z.string().min(1),
  description: z.string().nullable(),
  category: z.string().nullable(),
  active: z.boolean(),
  updated_at: Timestamp,
  variants: z.array(ProductVariant).min(1),
});
export type Product = z.infer<typeof Product>;
