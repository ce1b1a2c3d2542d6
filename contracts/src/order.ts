import { z } from 'zod';
import { Address, CurrencyCode, Decimal, ExternalId, NonNegativeDecimal, Quantity, Sku, Timestamp, WarehouseCode } from './common.js';
import { Customer } from './customer.js';

export const OrderLine = z.strictObject({
  sku: Sku,
  quantity: Quantity,
  unit_price: NonNegativeDecimal.describe('The unit price the channel charged, in the order currency'),
  discount_percent: z
    .string()
    .regex(/^\d{1,3}(?:\.\d{1,4})?$/)
    .refine((v) => Number(v) <= 100, 'must be between 0 and 100')
    .default('0'),
  name: z.string().max(256).optional().describe('Line description; the product name when absent'),
});
export type OrderLine = z.infer<typeof OrderLine>;

export const ShippingLine = z.strictObject({
  method: z.string().min(1).max(64).describe('The channel\'s shipping method, mapped to an Odoo carrier'),
  price: NonNegativeDecimal,
});

/**
 * `paid` means the payments reached the order total; Odoo decides it (the order total is Odoo's):
 * a payment short of the total leaves the order `partially_paid`.
 */
export const PaymentStatus = z
  .enum(['pending', 'authorized', 'paid', 'partially_paid', 'partially_refunded', 'refunded', 'failed'])
  .describe("Odoo's payment status of the order: `paid` only when the payments reach the order total (in the order currency, to its rounding); `partially_paid` when they fall short");
export type PaymentStatus = z.infer<typeof PaymentStatus>;
export const Payment = z.strictObject({
  method: z.string().min(1).max(64).describe('e.g. "card", "paypal", "cash_on_delivery"'),
  status: PaymentStatus,
  provider: z.string().max(64).optional(),
  transaction_id: z.string().max(128).optional(),
  amount: NonNegativeDecimal.optional().describe(
    'The amount paid, in the order currency. With status `paid`, an amount short of the order total Odoo computes makes the order `partially_paid`; an amount above it keeps `paid` and is flagged on the order for a person',
  ),
});

/** An order as a channel (storefront, marketplace) submits it. */
export const Order = z.strictObject({
  external_id: ExternalId.describe("The order's id in the channel, unique per partner"),
  channel: z.string().min(1).max(64),
  placed_at: Timestamp,
  currency: CurrencyCode,
  taxes_included: z.boolean().describe('Whether unit prices include taxes'),
  customer: Customer,
  billing_address: Address,
  shipping_address: Address,
  lines: z.array(OrderLine).min(1).max(500),
  shipping: ShippingLine.optional(),
  payment: Payment,
  warehouse: WarehouseCode.optional(),
  note: z.string().max(2000).optional(),
});
export type Order = z.infer<typeof Order>;

export const RejectionReason = z.strictObject({
  code: z.enum([
    'unknown_sku',
    'inactive_product',
    'invalid_address',
    'unknown_currency',
    'unknown_warehouse',
    'unknown_carrier',
    'invalid_quantity',
    'quantity_limit',
    'order_not_found',
    'order_not_cancellable',
    'not_allowed',
    'validation_error',
  ]),
  message: z.string(),
  field: z.string().optional().describe('JSON pointer-like path of the offending field, e.g. "lines/2/sku"'),
});
export type RejectionReason = z.infer<typeof RejectionReason>;

export const OrderState = z.enum(['accepted', 'created', 'rejected', 'cancelled']);
export const FulfilmentState = z.enum(['unfulfilled', 'partially_shipped', 'shipped']);
export const InvoicingState = z.enum(['not_invoiced', 'to_invoice', 'invoiced']);

/** What `GET /v1/orders/{id}` answers: the order's journey through intake, Odoo, fulfilment and invoicing. */
export const OrderStatus = z.strictObject({
  id: z.string().describe("The gateway's order id (the intake id)"),
  external_id: ExternalId,
  channel: z.string(),
  state: OrderState,
  odoo: z.strictObject({ id: z.number().int(), name: z.string() }).nullable(),
  fulfilment: FulfilmentState,
  payment: PaymentStatus,
  invoicing: InvoicingState,
  amount_total: Decimal.nullable(),
  currency: CurrencyCode,
  reasons: z.array(RejectionReason).default([]),
  accepted_at: Timestamp,
  updated_at: Timestamp,
});
export type OrderStatus = z.infer<typeof OrderStatus>;

/** Status and address changes a channel may send after the order was submitted. */
export const OrderUpdate = z.strictObject({
  external_id: ExternalId,
  shipping_address: Address.optional(),
  billing_address: Address.optional(),
  note: z.string().max(2000).optional(),
  payment_status: PaymentStatus.optional(),
});
export type OrderUpdate = z.infer<typeof OrderUpdate>;

export const OrderCancellation = z.strictObject({
  external_id: ExternalId,
  reason: z.string().max(256).optional(),
});

/** A payment or refund reported by a payment provider. */
export const PaymentEvent = z.strictObject({
  external_id: ExternalId.describe('The order the payment belongs to'),
  kind: z.enum(['paid', 'refunded']),
  amount: NonNegativeDecimal.describe(
    "In the order currency (another currency is rejected, `unknown_currency`). The order is `paid` once the payments reach its total (Odoo's, to the currency's rounding), `partially_paid` before; payments above the total are kept and flagged on the order for a person",
  ),
  currency: CurrencyCode,
  provider: z.string().min(1).max(64),
  transaction_id: z.string().min(1).max(128),
  at: Timestamp,
});
export type PaymentEvent = z.infer<typeof PaymentEvent>;
