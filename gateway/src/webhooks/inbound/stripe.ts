/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each v1 the hex HMAC-SHA256
 * of `${t}.${rawBody}` with the endpoint's signing secret (`whsec_…`, used as is). Several v1
 * values appear while Stripe rolls a secret. The timestamp must be within the tolerance (300 s).
 * The event id (`evt_…`) is the de-duplication key.
 *
 * Events: `payment_intent.succeeded` → PaymentEvent `paid`; `charge.refunded` → PaymentEvent
 * `refunded`. The order is named by `metadata.order_id` (the partner's order external id) on the
 * PaymentIntent; a Charge without it is matched through the PaymentIntent recorded when its
 * payment arrived.
 *
 * The event type is read from the signed body (never from a header), and the object it carries
 * must be what that type says (`stripeBodyProvesTopic`). The event's `created` orders the payment
 * events of an order: a payment older than the last event applied for the order is stale, so a
 * late `payment_intent.succeeded` cannot undo a refund; a refund is a movement of its own
 * (de-duplicated by its id) and is always applied.
 */
import { PaymentEvent } from '../../../../contracts/src/order.js';
import { anyDigestMatches, decodeHexDigest, hmacSha256 } from './crypto.js';
import {
  compact,
  fail,
  fromMicros,
  fromMinorUnits,
  fromUnixSeconds,
  isRecord,
  jsonBody,
  mapping,
  recordAt,
  requireTopicProof,
  requiredText,
  text,
  toMicros,
  validated,
  type Mapped,
} from './mapping.js';
import type { InboundItem, InboundProviderModule, InboundRequest, MapContext, TopicProof, VerifyOptions, VerifyResult } from './types.js';

export const STRIPE_EVENTS = ['payment_intent.succeeded', 'charge.refunded'] as const;
/** The metadata key that carries the order's external id on a PaymentIntent or Charge. */
export const STRIPE_ORDER_METADATA_KEY = 'order_id';

/**
 * What a Stripe event proves it is: the type the gateway acts on is the body's own `type` (signed),
 * and the object must be of that type's kind and state: a succeeded PaymentIntent for
 * `payment_intent.succeeded`, a refunded Charge for `charge.refunded`.
 */
export const stripeBodyProvesTopic: TopicProof = (topic, event) => {
  if (text(event.type) !== topic) return 'the event type is the one in the signed body';
  if (typeof event.created !== 'number') return "an event carries its created time";
  const object = isRecord(event.data) && isRecord(event.data.object) ? event.data.object : {};
  if (topic === 'payment_intent.succeeded') {
    return text(object.object) === 'payment_intent' && text(object.status) === 'succeeded' ? null : 'a payment_intent.succeeded event carries a succeeded PaymentIntent';
  }
  if (topic === 'charge.refunded') {
    return text(object.object) === 'charge' && (object.refunded === true || (typeof object.amount_refunded === 'number' && object.amount_refunded > 0))
      ? null
      : 'a charge.refunded event carries a refunded Charge';
  }
  return `event ${topic} is not handled`;
};

function parseHeader(header: string): { t: number; v1: string[] } | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1') v1.push(value);
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
}

function eventHead(raw: Buffer): { id: string; type: string } {
  try {
    const body: unknown = JSON.parse(raw.toString('utf8'));
    if (isRecord(body)) return { id: text(body.id) ?? '', type: text(body.type) ?? '' };
  } catch {
    // A signed body that is not JSON is the mapper's to refuse (422).
  }
  return { id: '', type: '' };
}

function verify(req: InboundRequest, { secrets, now, toleranceSeconds }: VerifyOptions): VerifyResult {
  const header = req.headers.get('stripe-signature');
  if (!header) return { ok: false, reason: 'missing_signature' };
  const parsed = parseHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed_signature' };
  const given = parsed.v1.map(decodeHexDigest);
  const matches = secrets.map((s) => anyDigestMatches(hmacSha256(s, `${parsed.t}.`, req.rawBody), given));
  if (!matches.includes(true)) return { ok: false, reason: 'signature_mismatch' };
  if (Math.abs(now / 1000 - parsed.t) > toleranceSeconds) return { ok: false, reason: 'timestamp_outside_window' };
  const { id, type } = eventHead(req.rawBody);
  return { ok: true, deliveryId: id, topic: type };
}

function orderIdFrom(metadata: unknown): string | undefined {
  return isRecord(metadata) ? text(metadata[STRIPE_ORDER_METADATA_KEY]) : undefined;
}

function mapPaymentIntent(event: Record<string, unknown>): InboundItem {
  const pi = recordAt(recordAt(event.data, 'data').object, 'data/object');
  const orderId = orderIdFrom(pi.metadata) ?? fail(`data/object/metadata/${STRIPE_ORDER_METADATA_KEY}`, 'names the order and is required');
  const currency = requiredText(pi.currency, 'data/object/currency').toUpperCase();
  const amount = fromMinorUnits(pi.amount_received ?? pi.amount, currency, 'data/object/amount_received');
  return {
    kind: 'payment',
    externalId: orderId,
    payload: validated(PaymentEvent, {
      external_id: orderId,
      kind: 'paid',
      amount,
      currency,
      provider: 'stripe',
      transaction_id: requiredText(pi.id, 'data/object/id'),
      at: fromUnixSeconds(event.created, 'created'),
    }),
  };
}

async function mapChargeRefunded(event: Record<string, unknown>, ctx: MapContext): Promise<InboundItem> {
  const data = recordAt(event.data, 'data');
  const charge = recordAt(data.object, 'data/object');
  const chargeId = requiredText(charge.id, 'data/object/id');
  const paymentIntent = text(charge.payment_intent);
  const orderId =
    orderIdFrom(charge.metadata) ??
    (paymentIntent ? await ctx.orderForPaymentRef(paymentIntent) : null) ??
    (await ctx.orderForPaymentRef(chargeId)) ??
    fail(`data/object/metadata/${STRIPE_ORDER_METADATA_KEY}`, 'names the order; it is missing and the payment intent was never seen with one');
  const currency = requiredText(charge.currency, 'data/object/currency').toUpperCase();
  const refundedTotal = charge.amount_refunded;
  if (typeof refundedTotal !== 'number') fail('data/object/amount_refunded', 'must be an integer amount');
  const previous = isRecord(data.previous_attributes) ? data.previous_attributes.amount_refunded : undefined;
  const delta = typeof previous === 'number' && previous <= refundedTotal ? refundedTotal - previous : refundedTotal;
  const refunds = isRecord(charge.refunds) && Array.isArray(charge.refunds.data) ? charge.refunds.data.filter(isRecord) : [];
  const refundId = text(refunds[0]?.id) ?? `${chargeId}:refunded:${refundedTotal}`;
  const amount = fromMinorUnits(delta, currency, 'data/object/amount_refunded');
  return {
    kind: 'payment',
    externalId: orderId,
    payload: validated(
      PaymentEvent,
      compact({
        external_id: orderId,
        kind: 'refunded',
        amount: fromMicros(toMicros(amount, 'data/object/amount_refunded')),
        currency,
        provider: 'stripe',
        transaction_id: refundId,
        at: fromUnixSeconds(event.created, 'created'),
      }),
    ),
  };
}

async function map(ctx: MapContext) {
  if (!(STRIPE_EVENTS as readonly string[]).includes(ctx.topic)) return { outcome: 'ignored' as const, reason: `event ${ctx.topic || '(none)'} is not handled` };
  return mapping(async (): Promise<Mapped> => {
    const event = jsonBody((t) => JSON.parse(t), ctx.rawBody);
    requireTopicProof(stripeBodyProvesTopic(ctx.topic, event));
    const item = ctx.topic === 'payment_intent.succeeded' ? mapPaymentIntent(event) : await mapChargeRefunded(event, ctx);
    const at = (event.created as number) * 1000;
    // Events of one second are distinct events, not the same state: a payment is stale only when strictly older.
    return { items: [item], version: { externalId: item.externalId, at, rule: ctx.topic === 'payment_intent.succeeded' ? 'not_older' : 'record' } };
  });
}

/** A PaymentIntent (and its latest charge) remembered against the order it paid, for later refunds. */
function paymentRefs(items: InboundItem[], ctx: MapContext) {
  if (ctx.topic !== 'payment_intent.succeeded' || items.length === 0) return [];
  const event = jsonBody((t) => JSON.parse(t), ctx.rawBody);
  const pi = recordAt(recordAt(event.data, 'data').object, 'data/object');
  const orderExternalId = items[0]!.externalId;
  return [text(pi.id), text(pi.latest_charge)].filter((ref): ref is string => !!ref).map((ref) => ({ ref, orderExternalId }));
}

export const stripe: InboundProviderModule = {
  name: 'stripe',
  defaultToleranceSeconds: 300,
  signsTimestamp: true,
  verify,
  map,
  paymentRefs,
};
