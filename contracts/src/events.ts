import { z } from 'zod';
import { CurrencyCode, Decimal, ExternalId, PartnerCode, Quantity, Sku, Timestamp, WarehouseCode } from './common.js';
import { Availability } from './availability.js';
import { MarketingConsent } from './customer.js';
import { RejectionReason } from './order.js';

const Ref = z.strictObject({ id: z.number().int(), name: z.string() });
const SkuQty = z.strictObject({ sku: Sku, quantity: Quantity });

/**
 * One data schema per event type. The addon writes the first eight; the gateway's intake the next
 * two; `webhook.test` is the ping a partner sends itself (`POST /v1/webhooks/{id}/test`).
 */
export const eventData = {
  'product.updated': z.strictObject({
    product_id: z.number().int().describe('product.product id'),
    template_id: z.number().int(),
    sku: Sku.nullable(),
    barcode: z.string().nullable(),
    name: z.string(),
    list_price: Decimal,
    currency: CurrencyCode,
    active: z.boolean(),
    safety_stock: z.number().nonnegative(),
    changed_fields: z.array(z.string()),
  }),
  'inventory.changed': Availability.omit({ stale: true }).extend({ product_id: z.number().int() }),
  'customer.updated': z.strictObject({
    customer_id: z.number().int().describe('res.partner id'),
    external_ids: z.record(PartnerCode, ExternalId).describe('Partner code → the customer id in that partner'),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    city: z.string().nullable(),
    country_code: z.string().nullable(),
    consents: z.array(MarketingConsent),
    changed_fields: z.array(z.string()),
  }),
  'order.created': z.strictObject({
    order: Ref,
    partner: PartnerCode.nullable().describe('The gateway partner the order came from, if any'),
    external_id: ExternalId.nullable(),
    channel: z.string().nullable(),
    currency: CurrencyCode,
    amount_untaxed: Decimal,
    amount_total: Decimal,
    customer_id: z.number().int(),
    lines: z.array(z.strictObject({ sku: Sku.nullable(), quantity: z.number(), unit_price: Decimal, discount_percent: Decimal })),
  }),
  'order.cancelled': z.strictObject({
    order: Ref,
    partner: PartnerCode.nullable(),
    external_id: ExternalId.nullable(),
    channel: z.string().nullable(),
  }),
  'shipment.shipped': z.strictObject({
    picking: Ref,
    order: Ref.nullable(),
    partner: PartnerCode.nullable(),
    order_external_id: ExternalId.nullable(),
    warehouse: WarehouseCode,
    carrier: z.string().nullable().describe("The carrier that shipped it: the Odoo carrier's name, or the carrier as a 3PL reported it when it maps to none."),
    tracking_number: z.string().nullable(),
    lines: z.array(SkuQty),
    backorder: Ref.nullable(),
    shipped_at: Timestamp.describe('When it left the warehouse: as a 3PL confirmed it, else when Odoo validated the transfer.'),
  }),
  'return.received': z.strictObject({
    picking: Ref,
    order: Ref.nullable(),
    partner: PartnerCode.nullable(),
    order_external_id: ExternalId.nullable(),
    return_external_id: ExternalId.nullable(),
    warehouse: WarehouseCode,
    lines: z.array(SkuQty),
    received_at: Timestamp,
  }),
  'invoice.posted': z.strictObject({
    invoice: Ref,
    orders: z.array(Ref),
    partner: PartnerCode.nullable(),
    order_external_ids: z.array(ExternalId),
    currency: CurrencyCode,
    amount_untaxed: Decimal,
    amount_tax: Decimal,
    amount_total: Decimal,
    invoice_date: z.iso.date(),
    payment_state: z.string(),
  }),
  'order.accepted': z.strictObject({
    intake_id: z.string(),
    partner: PartnerCode,
    external_id: ExternalId,
    channel: z.string(),
    accepted_at: Timestamp,
  }),
  'inventory.oversold': z.strictObject({
    intake_id: z.string(),
    partner: PartnerCode,
    external_id: ExternalId,
    policy: z.enum(['accept', 'backorder']).describe("The partner's oversell policy (inbound webhooks: accept whatever the policy)"),
    lines: z.array(z.strictObject({ sku: z.string(), warehouse: z.string(), units: z.number().positive() })).min(1).describe('Units promised beyond what was available'),
  }),
  'order.rejected': z.strictObject({
    intake_id: z.string(),
    partner: PartnerCode,
    external_id: ExternalId,
    channel: z.string(),
    reasons: z.array(RejectionReason).min(1),
  }),
  'webhook.test': z.strictObject({
    subscription_id: z.number().int(),
    partner: PartnerCode,
    message: z.string(),
  }),
} as const;

export type EventType = keyof typeof eventData;
export const eventTypes = Object.keys(eventData) as EventType[];
export const EventType = z.enum(eventTypes as [EventType, ...EventType[]]);
export const addonEventTypes: readonly EventType[] = [
  'product.updated',
  'inventory.changed',
  'customer.updated',
  'order.created',
  'order.cancelled',
  'shipment.shipped',
  'return.received',
  'invoice.posted',
];

/**
 * CloudEvents 1.0 envelope (structured JSON mode) with the project's extension attributes:
 * `sequence` (per aggregate, starting at 1) and `requestid` (the gateway request that caused it).
 * `subject` names the aggregate as `<odoo model>/<id>`, e.g. `sale.order/42`. The events of one order's
 * life (`order.*`, and `shipment.shipped`, `return.received`, `invoice.posted` of that order) share the
 * order as aggregate, so their sequence orders them; other events name the record itself.
 */
const envelopeBase = {
  id: z.string().min(1).max(64),
  source: z.string().min(1).describe('URI reference of the producer, e.g. "odoo://rg18/retail_gateway"'),
  specversion: z.literal('1.0'),
  time: Timestamp,
  subject: z.string().regex(/^[a-z_.]+\/\d+$/, 'must be "<model>/<id>"'),
  datacontenttype: z.literal('application/json'),
  sequence: z.number().int().positive(),
  requestid: z.string().max(128).optional(),
};

export const eventEnvelopeFor = <T extends EventType>(type: T) =>
  z.strictObject({ ...envelopeBase, type: z.literal(type), data: eventData[type] });

/** Any event, discriminated by `type`. */
export const EventEnvelope = z.discriminatedUnion(
  'type',
  eventTypes.map((t) => eventEnvelopeFor(t)) as unknown as [
    ReturnType<typeof eventEnvelopeFor<EventType>>,
    ...ReturnType<typeof eventEnvelopeFor<EventType>>[],
  ],
);
export type EventEnvelope = {
  [T in EventType]: z.infer<ReturnType<typeof eventEnvelopeFor<T>>>;
}[EventType];
