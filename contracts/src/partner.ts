import { z } from 'zod';
import { PartnerCode, Timestamp, WarehouseCode } from './common.js';
import { EventType } from './events.js';
import { RateLimitTier, Scope } from './scopes.js';

export const InboundProvider = z.enum(['shopify', 'woocommerce', 'stripe', 'standard']);
export type InboundProvider = z.infer<typeof InboundProvider>;

/** A secret value with the deadline after which it stops being accepted (null: no deadline). */
export const SecretVersion = z.strictObject({
  secret: z.string().min(1),
  valid_until: Timestamp.nullable(),
});

export const Subscription = z.strictObject({
  id: z.number().int(),
  partner: PartnerCode,
  url: z.url({ protocol: /^https?$/ }),
  event_types: z.array(EventType).min(1),
  active: z.boolean(),
  consecutive_failures: z.number().int().nonnegative(),
  disabled_at: Timestamp.nullable(),
  created_at: Timestamp,
});
export type Subscription = z.infer<typeof Subscription>;

/** The largest quantity of one order line when the partner record does not say. */
export const DEFAULT_MAX_LINE_QUANTITY = 10_000;

/** What an API order for more than is available to promise gets (the partner form's "Oversell Policy"). */
export const OversellPolicy = z.enum(['reject', 'backorder', 'accept']);
export type OversellPolicy = z.infer<typeof OversellPolicy>;

/** The partner as the gateway caches it: no client-secret hash ever leaves Odoo. */
export const PartnerRecord = z.strictObject({
  code: PartnerCode,
  name: z.string(),
  active: z.boolean(),
  scopes: z.array(Scope),
  tier: RateLimitTier,
  mode: z.enum(['live', 'shadow']),
  oversell_policy: OversellPolicy.optional()
    .describe(
      'An API order for more than is available to promise: `reject` (409 insufficient_stock, nothing queued), `backorder` (accepted, flagged in the receipt) or `accept` (accepted, counted as oversold). Inbound webhooks are never refused. Absent (an older addon): accept',
    ),
  warehouses: z.array(WarehouseCode).describe('Allowed warehouses; empty means all'),
  max_line_quantity: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("The largest quantity one order line may ask for (absent: DEFAULT_MAX_LINE_QUANTITY): the gateway refuses larger lines of the partner's API orders (422 quantity_limit) and Odoo rejects them from any source"),
  company_id: z.number().int(),
  /** Federated partners sign their own tokens. */
  issuer: z.string().nullable(),
  jwks_url: z.url().nullable(),
  subscriptions: z.array(Subscription.extend({ secrets: z.array(SecretVersion).min(1) })),
  inbound_secrets: z.record(InboundProvider, z.array(SecretVersion)),
  updated_at: Timestamp,
});
export type PartnerRecord = z.infer<typeof PartnerRecord>;
