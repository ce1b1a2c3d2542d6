/**
 * What every inbound provider module exports: a verifier (signature, replay window, delivery id)
 * and a mapper from the provider's payload to canonical contract objects for the intake queue.
 */
import type { InboundProvider } from '../../../../contracts/src/partner.js';

/** The request as a verifier sees it: lower-case header names and the untouched body bytes. */
export interface InboundRequest {
  headers: Headers;
  rawBody: Buffer;
}

/** Why a delivery was refused before anything was read from it. */
export type VerifyFailure =
  | 'missing_signature'
  | 'malformed_signature'
  | 'signature_mismatch'
  | 'timestamp_outside_window';

export type VerifyResult =
  | {
      ok: true;
      /**
       * The provider's id of this delivery (or event), the de-duplication key; empty when the
       * request carries none (answered 400 once the payload is known to be actionable).
       */
      deliveryId: string;
      /** The topic / event type the provider names. */
      topic: string;
    }
  | { ok: false; reason: VerifyFailure };

export interface VerifyOptions {
  /** The partner's secrets for this provider that are valid now (current and, in a rotation, previous). */
  secrets: readonly string[];
  /** ms since epoch. */
  now: number;
  /** Replay window for this provider, in seconds. */
  toleranceSeconds: number;
}

/** The intake kinds inbound webhooks produce; each becomes one addon batch method. */
export type InboundItemKind = 'order' | 'order_update' | 'cancel' | 'payment' | 'return';

/** One canonical object to accept into the intake queue. */
export interface InboundItem {
  kind: InboundItemKind;
  /** The external id the item is about (the order's, or the return's for a return). */
  externalId: string;
  /** A canonical contract object (Order, OrderUpdate, OrderCancellation, PaymentEvent, Return), already validated. */
  payload: unknown;
}

/**
 * Where a delivery stands in its order's history, read from the signed body: the provider's
 * modification time of the order (WooCommerce `date_modified_gmt`, Shopify `updated_at`) or the
 * event's creation time (Stripe `created`).
 */
export interface OrderVersion {
  /** The order the delivery is about (its external id). */
  externalId: string;
  /** ms since epoch. */
  at: number;
  /**
   * `newer`: a state of the whole order (an update) stamped with its modification time, applied
   * only when strictly newer than the last one applied for the order (the same time is the same
   * state); `not_older`: an event (a payment) stamped with its own time, applied unless older than
   * the last one applied (events of the same second are distinct); `record`: applied whatever came
   * before (a creation, a cancellation, an additive refund), and remembered so that older states
   * arriving after it are stale.
   */
  rule: 'newer' | 'not_older' | 'record';
}

/** Whether a signed body is what its (possibly unsigned) topic claims: null when it is, else why not. */
export type TopicProof = (topic: string, body: Record<string, unknown>) => string | null;

export type MapResult =
  /** A topic the gateway does not act on: acknowledged and counted. */
  | { outcome: 'ignored'; reason: string }
  /** Nothing to do for this payload, but the topic is known (e.g. a refund of nothing). */
  | { outcome: 'mapped'; items: InboundItem[]; version?: OrderVersion }
  /** The payload was authentic but cannot be mapped: answered 422 with these details. */
  | { outcome: 'unprocessable'; details: MappingIssue[] }
  /** The body does not prove the topic it was delivered under: answered 422 `topic_mismatch`. */
  | { outcome: 'topic_mismatch'; reason: string };

export interface MappingIssue {
  path: string;
  message: string;
}

export interface MapContext {
  topic: string;
  /** The payload bytes, already verified. */
  rawBody: Buffer;
  headers: Headers;
  /**
   * Looks up the order a payment reference (e.g. a Stripe PaymentIntent id) was recorded against,
   * for providers whose refund events do not repeat the order reference.
   */
  orderForPaymentRef(ref: string): Promise<string | null>;
}

export interface InboundProviderModule {
  name: InboundProvider;
  /** Default replay window in seconds; null when the provider sends no timestamp to check. */
  defaultToleranceSeconds: number | null;
  /**
   * Whether the signature covers a timestamp checked against the replay window (Stripe, Standard
   * Webhooks). Without one a captured body can be re-sent at any time, so an ordered delivery older
   * than the retention period is stale by age.
   */
  signsTimestamp: boolean;
  /** A request the provider sends to test the endpoint (WooCommerce's ping): answered 200, nothing queued. */
  isPing?(req: InboundRequest): boolean;
  verify(req: InboundRequest, options: VerifyOptions): VerifyResult;
  map(ctx: MapContext): Promise<MapResult>;
  /** Payment references to remember from a mapped delivery ({ ref → order external id }). */
  paymentRefs?(items: InboundItem[], ctx: MapContext): Array<{ ref: string; orderExternalId: string }>;
}
