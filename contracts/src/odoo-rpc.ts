/**
 * The RPC contract between the gateway and the `retail_gateway` addon.
 *
 * Every method is an `@api.model` method called with `execute_kw(model, method, [], kwargs)` over
 * JSON-RPC (Odoo 16–18) or `POST /json/2/<model>/<method>` with the kwargs as the body (Odoo 19+).
 * Batch methods answer one result per item, in input order, and never fail the batch for one item:
 * each item runs in its own savepoint. Every write is idempotent: a repeated item answers `duplicate`
 * with the record it created the first time.
 */
import { z } from 'zod';
import { Availability } from './availability.js';
import { CurrencyCode, Decimal, ExternalId, PartnerCode, Sku, Timestamp } from './common.js';
import { EventEnvelope, EventType } from './events.js';
import { FulfilmentState, InvoicingState, Order, OrderCancellation, OrderUpdate, PaymentEvent, PaymentStatus, RejectionReason } from './order.js';
import { Return, Shipment, ShipmentConfirmation, StockCount } from './fulfilment.js';
import { ProductVariant } from './product.js';
import { InboundProvider, OversellPolicy, PartnerRecord, Subscription } from './partner.js';
import { RateLimitTier, Scope } from './scopes.js';

export const OUTBOX_MODEL = 'retail_gateway.outbox.event';
export const API_MODEL = 'retail_gateway.api';
export const PARTNER_MODEL = 'retail_gateway.partner';
export const SUBSCRIPTION_MODEL = 'retail_gateway.subscription';

const OdooRef = z.strictObject({ id: z.number().int(), name: z.string() });
const IntakeId = z.string().min(1).max(64).describe("The gateway's intake item id, echoed in the result");

/**
 * One result per submitted item. `rejected` is a business refusal meant for the partner (final);
 * `retry` means the item was rolled back for a reason that is not the partner's (a serialization
 * conflict, a lock timeout, a bug): the gateway retries it with backoff and the detail stays in
 * Odoo's log, never in `reasons`.
 */
export const ItemResult = z.strictObject({
  intake_id: IntakeId,
  external_id: ExternalId,
  status: z.enum(['created', 'duplicate', 'rejected', 'retry', 'updated', 'cancelled', 'applied', 'confirmed', 'registered']),
  record: OdooRef.nullable().describe('The Odoo record created (or found, for a duplicate)'),
  related: z.record(z.string(), OdooRef.nullable()).optional().describe('e.g. { picking, backorder, invoice }'),
  reasons: z.array(RejectionReason).default([]),
  payment_status: PaymentStatus.optional().describe("register_payments: the order's payment status after the payment"),
});
export type ItemResult = z.infer<typeof ItemResult>;

const batch = <T extends z.ZodType>(item: T) =>
  z.array(z.strictObject({ intake_id: IntakeId, item })).min(1).max(200);
const BatchResult = z.strictObject({ results: z.array(ItemResult) });

const ClaimedEvent = z.strictObject({
  event_id: z.string(),
  cursor: z
    .number()
    .int()
    .describe('Increasing: the outbox row id in claim; in changes_since the commit-ordered position to resume from'),
  envelope: EventEnvelope,
  recipients: z
    .array(PartnerCode)
    .describe("The partners this event is for, decided by the addon when the event was written (tenant and warehouse rules); the relay delivers to these partners' subscriptions that list the type"),
  replay: z
    .boolean()
    .default(false)
    .describe('An Odoo user asked for this event to be delivered again (Replay): the relay sends a new attempt to each subscription at once, whether it was delivered, failed or waiting for a retry, under the same event id'),
});

const method = <A extends z.ZodType, R extends z.ZodType>(model: string, args: A, result: R, doc: string) => ({ model, args, result, doc });

export const rpc = {
  claim: method(
    OUTBOX_MODEL,
    z.strictObject({
      limit: z.number().int().min(1).max(1000),
      lease_seconds: z.number().int().min(5).max(3600),
      consumer: z.string().min(1).max(128),
    }),
    z.strictObject({ events: z.array(ClaimedEvent), lease_until: Timestamp }),
    'Leases pending events (FOR UPDATE SKIP LOCKED), oldest first, never an aggregate\'s next event while an earlier one is unacknowledged.',
  ),
  ack: method(
    OUTBOX_MODEL,
    z.strictObject({ event_ids: z.array(z.string()).min(1).max(1000), consumer: z.string().min(1).max(128) }),
    z.strictObject({ acked: z.array(z.string()), not_leased: z.array(z.string()) }),
    'Marks events dispatched: the gateway has stored one durable delivery per subscription. Idempotent.',
  ),
  report_deliveries: method(
    OUTBOX_MODEL,
    z.strictObject({
      results: z
        .array(
          z.strictObject({
            event_id: z.string(),
            partner: PartnerCode,
            subscription_id: z.number().int().nullable(),
            status: z.enum(['delivered', 'failed', 'dead']),
            attempts: z.number().int().nonnegative(),
            last_error: z.string().max(1000).nullable(),
            at: Timestamp,
            next_attempt_at: Timestamp.nullable()
              .optional()
              .describe('When the relay tries again (status `failed`, still retrying); null or absent otherwise'),
          }),
        )
        .min(1)
        .max(1000),
    }),
    z.strictObject({ recorded: z.number().int(), unknown_events: z.array(z.string()) }),
    'Per-event, per-partner delivery outcomes; feeds the sync status on records.',
  ),
  changes_since: method(
    OUTBOX_MODEL,
    z.strictObject({
      cursor: z.number().int().nonnegative(),
      types: z.array(EventType).optional(),
      limit: z.number().int().min(1).max(1000),
    }),
    z.strictObject({ events: z.array(ClaimedEvent.omit({ event_id: true, recipients: true, replay: true })), cursor: z.number().int(), has_more: z.boolean() }),
    'Non-claiming read of events after the cursor, for cache tailing by every replica. Cursors are commit-ordered positions, so an event whose transaction committed late is never skipped.',
  ),
  authenticate_client: method(
    PARTNER_MODEL,
    z.strictObject({ client_id: z.string().min(1).max(128), client_secret: z.string().min(1).max(512) }),
    z.discriminatedUnion('ok', [
      z.strictObject({ ok: z.literal(true), partner: PartnerCode, scopes: z.array(Scope), valid_until: Timestamp.nullable() }),
      z.strictObject({ ok: z.literal(false) }),
    ]),
    'Checks a client secret against the stored hashes (current, and previous within its grace). valid_until is the grace deadline of the secret that matched.',
  ),
  partners: method(
    PARTNER_MODEL,
    z.strictObject({ codes: z.array(PartnerCode).optional() }),
    z.strictObject({ partners: z.array(PartnerRecord) }),
    'The registry as the gateway caches it, with webhook signing and inbound secrets, never client-secret hashes.',
  ),
  create_partner: method(
    PARTNER_MODEL,
    z.strictObject({
      code: PartnerCode,
      scopes: z.array(Scope).min(1),
      name: z.string().min(1).max(128).optional().describe('Display name; the code when absent'),
      tier: RateLimitTier.optional(),
      mode: z.enum(['live', 'shadow']).optional(),
      oversell_policy: OversellPolicy.optional().describe('What an API order for more than is available to promise gets; accept when absent, as on the partner form'),
    }),
    z.strictObject({ partner: PartnerRecord, client_id: z.string(), client_secret: z.string() }),
    'Registers a partner and issues its first client secret, shown once; a code (or client id) already in use is refused, never overwritten.',
  ),
  rotate_client_secret: method(
    PARTNER_MODEL,
    z.strictObject({ partner: PartnerCode, grace_seconds: z.number().int().min(0).max(30 * 86400) }),
    z.strictObject({ client_id: z.string(), client_secret: z.string(), previous_valid_until: Timestamp.nullable() }),
    'Issues a new client secret, shown once; the previous one stays valid for grace_seconds.',
  ),
  rotate_inbound_secret: method(
    PARTNER_MODEL,
    z.strictObject({ partner: PartnerCode, provider: InboundProvider, secret: z.string().min(8).max(512), grace_seconds: z.number().int().min(0).max(30 * 86400) }),
    z.strictObject({ previous_valid_until: Timestamp.nullable() }),
    "Sets a partner's new inbound secret for a provider; the previous one stays accepted for grace_seconds.",
  ),
  create_subscription: method(
    SUBSCRIPTION_MODEL,
    z.strictObject({ partner: PartnerCode, url: z.url(), event_types: z.array(EventType).min(1), active: z.boolean().default(true) }),
    z.strictObject({ subscription: Subscription, secret: z.string().regex(/^whsec_/) }),
    'Creates a subscription; its signing secret is returned once.',
  ),
  update_subscription: method(
    SUBSCRIPTION_MODEL,
    z.strictObject({
      partner: PartnerCode,
      id: z.number().int(),
      url: z.url().optional(),
      event_types: z.array(EventType).min(1).optional(),
      active: z.boolean().optional(),
      consecutive_failures: z.number().int().nonnegative().optional(),
      disabled: z.boolean().optional().describe('true disables and leaves an activity for the integration managers'),
    }),
    z.strictObject({ subscription: Subscription.nullable() }),
    "Updates one of the partner's subscriptions; null when it is not the partner's.",
  ),
  delete_subscription: method(
    SUBSCRIPTION_MODEL,
    z.strictObject({ partner: PartnerCode, id: z.number().int() }),
    z.strictObject({ deleted: z.boolean() }),
    "Deletes one of the partner's subscriptions.",
  ),
  rotate_subscription_secret: method(
    SUBSCRIPTION_MODEL,
    z.strictObject({ partner: PartnerCode, id: z.number().int(), grace_seconds: z.number().int().min(0).max(30 * 86400) }),
    z.strictObject({ secret: z.string().regex(/^whsec_/), previous_valid_until: Timestamp.nullable() }),
    "Issues a new signing secret; deliveries carry signatures for both until the previous one's deadline.",
  ),
  submit_orders: method(API_MODEL, z.strictObject({ partner: PartnerCode, orders: batch(Order) }), BatchResult,
    "Creates and confirms sale orders; duplicate on the same partner + external id. A line above the partner's max_line_quantity is rejected (quantity_limit)."),
  submit_returns: method(API_MODEL, z.strictObject({ partner: PartnerCode, returns: batch(Return) }), BatchResult,
    'Creates return pickings for delivered orders.'),
  cancel_orders: method(API_MODEL, z.strictObject({ partner: PartnerCode, refs: batch(OrderCancellation) }), BatchResult,
    'Cancels orders by external id.'),
  register_payments: method(API_MODEL, z.strictObject({ partner: PartnerCode, items: batch(PaymentEvent) }), BatchResult,
    "Records payments and refunds; duplicate on the same transaction id. Odoo compares the payments with the order total in the order currency (to its rounding): `paid` when they reach it, `partially_paid` before (payment_status); payments above it are kept and flagged on the order (chatter); another currency is rejected (unknown_currency)."),
  update_orders: method(API_MODEL, z.strictObject({ partner: PartnerCode, items: batch(OrderUpdate) }), BatchResult,
    'Applies address, note and payment-status changes.'),
  confirm_shipments: method(API_MODEL, z.strictObject({ partner: PartnerCode, items: batch(ShipmentConfirmation) }), BatchResult,
    "Validates the outgoing picking with tracking and shipped quantities; a partial quantity leaves a backorder. The reported carrier replaces the order's (the mapped Odoo carrier, else none with the name kept as reported) and shipped_at becomes the transfer's date."),
  apply_stock_counts: method(API_MODEL, z.strictObject({ partner: PartnerCode, items: batch(StockCount) }), BatchResult,
    'Turns counted quantities into an applied inventory adjustment.'),
  availability: method(
    API_MODEL,
    z.strictObject({ skus: z.array(z.string()).max(1000).optional(), warehouses: z.array(z.string()).optional(), offset: z.number().int().nonnegative().default(0), limit: z.number().int().min(1).max(5000).default(1000) }),
    z.strictObject({ items: z.array(Availability.omit({ stale: true })), has_more: z.boolean() }),
    'Availability by the contract definition, per SKU and warehouse.',
  ),
  catalog_page: method(
    API_MODEL,
    z.strictObject({
      after: z.number().int().nonnegative().default(0).describe('Resume after this cursor (0: from the start)'),
      limit: z.number().int().min(1).max(1000).default(500),
      updated_since: Timestamp.optional(),
      skus: z.array(Sku).max(1000).optional().describe('Only these SKUs (cursor and updated_since still apply)'),
    }),
    z.strictObject({
      items: z.array(z.strictObject({ cursor: z.number().int().positive(), variant: ProductVariant })),
      next_cursor: z.number().int().positive().nullable().describe('null: the last page'),
    }),
    "Sellable variants in a stable order. A variant's SKU is its internal reference: variants without one are not offered (here, in availability and in events) and cannot be ordered. list_price is formatted with the currency's precision, in the product's currency.",
  ),
  order_status: method(
    API_MODEL,
    z.strictObject({ partner: PartnerCode, external_ids: z.array(ExternalId).min(1).max(200) }),
    z.strictObject({
      orders: z.array(
        z.strictObject({
          external_id: ExternalId,
          order: OdooRef,
          state: z.enum(['draft', 'confirmed', 'done', 'cancelled']),
          amount_total: Decimal,
          currency: CurrencyCode,
          fulfilment: FulfilmentState,
          invoicing: InvoicingState,
          payment: PaymentStatus.nullable().default(null).describe("Odoo's payment status (null: none recorded)"),
        }),
      ),
    }),
    "The partner's orders in Odoo by external id; an order that is not the partner's (or does not exist) is absent.",
  ),
  order_shipments: method(
    API_MODEL,
    z.strictObject({ partner: PartnerCode, external_id: ExternalId }),
    z.strictObject({ found: z.boolean(), shipments: z.array(Shipment) }),
    "The outgoing shipments of one of the partner's orders, SKUs by the catalog's rule; found=false when the order is not the partner's.",
  ),
  customer_records: method(
    API_MODEL,
    z.strictObject({ identifier: z.string().min(1).max(254).describe('An e-mail address or a customer reference') }),
    z.strictObject({ records: z.array(z.strictObject({ kind: z.enum(['customer', 'order']), id: z.number().int(), name: z.string() })) }),
    "Odoo records holding a customer's personal data (archived customers included), for an erasure request's report.",
  ),
  whoami: method(
    API_MODEL,
    z.strictObject({}),
    z.strictObject({ name: z.string(), integration_manager: z.boolean() }),
    'The calling user: its name and whether it is an Integration Manager (the dashboard signs in people with their own Odoo credentials).',
  ),
} as const;

export type RpcMethod = keyof typeof rpc;
export type RpcArgs<M extends RpcMethod> = z.input<(typeof rpc)[M]['args']>;
export type RpcResult<M extends RpcMethod> = z.output<(typeof rpc)[M]['result']>;
