/**
 * WooCommerce: `X-WC-Webhook-Signature` is the base64 HMAC-SHA256 of the raw body with the
 * webhook's secret; `X-WC-Webhook-Delivery-ID` names the delivery and `X-WC-Webhook-Topic` the
 * topic, neither of them signed, and WooCommerce sends no timestamp. So the body must prove its
 * topic (`wooCommerceBodyProvesTopic`), and the order's `date_modified_gmt` (signed, in the body)
 * orders its updates: an update older than the last one applied, or as old as it, is stale.
 * When a webhook is saved, WooCommerce pings the URL with a form body `webhook_id=N` and no
 * signature: that ping is answered 200 and queues nothing.
 *
 * Topics: `order.created` → Order; `order.updated` → OrderUpdate (and, for status `cancelled`,
 * also an OrderCancellation). Line totals are WooCommerce's, which exclude tax.
 */
import { Order, OrderCancellation, OrderUpdate } from '../../../../contracts/src/order.js';
import { bodyHmacBase64Failure } from './crypto.js';
import { parseProviderJson } from './json.js';
import {
  compact,
  decimal,
  discountPercent,
  fail,
  fromMicros,
  isRecord,
  jsonBody,
  mapping,
  perUnit,
  recordAt,
  requireTopicProof,
  requiredText,
  text,
  timestamp,
  timestampMs,
  toMicros,
  validated,
  type Mapped,
} from './mapping.js';
import type { InboundItem, InboundProviderModule, InboundRequest, MapContext, OrderVersion, TopicProof, VerifyOptions, VerifyResult } from './types.js';

export const WOOCOMMERCE_TOPICS = ['order.created', 'order.updated'] as const;

/** WooCommerce order status → the contract's payment status. */
const paymentStatus: Record<string, string> = {
  pending: 'pending',
  'on-hold': 'pending',
  processing: 'paid',
  completed: 'paid',
  cancelled: 'pending',
  refunded: 'refunded',
  failed: 'failed',
};

const gmt = (v: unknown): number | null => {
  const s = text(v);
  if (!s) return null;
  const at = Date.parse(/(Z|[+-]\d{2}:\d{2})$/i.test(s) ? s : `${s}Z`);
  return Number.isNaN(at) ? null : at;
};

/**
 * What a WooCommerce body proves it is. Both order topics carry the whole order, with
 * `date_created_gmt` and `date_modified_gmt`; an order can never have been modified before it was
 * created, so a body whose dates say so proves nothing.
 *
 * An `order.created` body and an `order.updated` body cannot be told apart by their content:
 * WooCommerce builds the payload when it delivers, so a genuine `order.created` often already
 * carries a later `date_modified_gmt` (payment, status change), and a genuine `order.updated` fired
 * while the order was being created carries the creation's dates. What makes a creation re-sent
 * as an update harmless is the ordering rule: the creation records its `date_modified_gmt` as the
 * order's version, and an update is applied only when strictly newer, so the creation's own body
 * (same version) or any older one is stale.
 */
export const wooCommerceBodyProvesTopic: TopicProof = (topic, body) => {
  if (text(body.id) === undefined || !Array.isArray(body.line_items)) return `an ${topic} body is an order (id and line_items)`;
  const created = gmt(body.date_created_gmt);
  const modified = gmt(body.date_modified_gmt);
  if (created === null) return `an ${topic} body carries the order's date_created_gmt`;
  if (topic === 'order.updated' && modified === null) return "an order.updated body carries the order's date_modified_gmt";
  if (modified !== null && modified < created) return 'the order cannot have been modified before it was created';
  return null;
};

/** The order's place in its history: `date_modified_gmt`, else (a creation) `date_created_gmt`. */
function orderVersion(o: Record<string, unknown>, externalId: string, rule: OrderVersion['rule']): OrderVersion {
  const at = o.date_modified_gmt ? timestampMs(o.date_modified_gmt, 'date_modified_gmt', true) : timestampMs(o.date_created_gmt, 'date_created_gmt', true);
  return { externalId, at, rule };
}

function isPing(req: InboundRequest): boolean {
  return !req.headers.get('x-wc-webhook-signature') && /^webhook_id=\d+$/.test(req.rawBody.toString('latin1').trim());
}

function verify(req: InboundRequest, { secrets }: VerifyOptions): VerifyResult {
  const failure = bodyHmacBase64Failure(req.headers.get('x-wc-webhook-signature'), req.rawBody, secrets);
  if (failure) return { ok: false, reason: failure };
  const deliveryId = req.headers.get('x-wc-webhook-delivery-id')?.trim() ?? '';
  return { ok: true, deliveryId, topic: req.headers.get('x-wc-webhook-topic')?.trim() ?? '' };
}

/** A WooCommerce billing/shipping block; undefined when it carries no street (e.g. no shipping needed). */
function address(v: unknown, path: string) {
  if (!isRecord(v) || !text(v.address_1)) return undefined;
  const name = [text(v.first_name), text(v.last_name)].filter(Boolean).join(' ') || text(v.company);
  return compact({
    name: name ?? fail(`${path}/first_name`, 'is required'),
    company: text(v.company),
    street: requiredText(v.address_1, `${path}/address_1`),
    street2: text(v.address_2),
    city: requiredText(v.city, `${path}/city`),
    zip: text(v.postcode),
    state_code: text(v.state),
    country_code: requiredText(v.country, `${path}/country`),
    phone: text(v.phone),
    email: text(v.email),
  });
}

function mapOrder(o: Record<string, unknown>): InboundItem {
  const externalId = requiredText(o.id, 'id');
  const billing = address(o.billing, 'billing');
  const shipping = address(o.shipping, 'shipping') ?? billing;
  if (!billing || !shipping) fail('billing/address_1', 'an order needs a billing address');
  const email = text(recordAt(o.billing, 'billing').email);
  if (!email) fail('billing/email', 'an order needs a customer e-mail');

  if (!Array.isArray(o.line_items) || o.line_items.length === 0) fail('line_items', 'an order needs at least one line');
  const lines = o.line_items.map((raw, i) => {
    const l = recordAt(raw, `line_items/${i}`);
    const quantity = l.quantity;
    if (typeof quantity !== 'number' || quantity <= 0) fail(`line_items/${i}/quantity`, 'must be a positive number');
    const subtotal = toMicros(l.subtotal, `line_items/${i}/subtotal`);
    const total = toMicros(l.total, `line_items/${i}/total`);
    return compact({
      sku: requiredText(l.sku, `line_items/${i}/sku`),
      quantity,
      unit_price: fromMicros(perUnit(subtotal, quantity, `line_items/${i}/quantity`)),
      discount_percent: discountPercent(subtotal, subtotal - total),
      name: text(l.name),
    });
  });

  const shippingLines = Array.isArray(o.shipping_lines) ? o.shipping_lines.filter(isRecord) : [];
  const shippingLine = shippingLines[0]
    ? {
        method: text(shippingLines[0].method_id) ?? requiredText(shippingLines[0].method_title, 'shipping_lines/0/method_title'),
        price: fromMicros(shippingLines.reduce<bigint>((sum, s, i) => sum + toMicros(s.total ?? '0', `shipping_lines/${i}/total`), 0n)),
      }
    : undefined;

  const status = text(o.status) ?? 'pending';
  const order = {
    external_id: externalId,
    channel: 'woocommerce',
    placed_at: timestamp(o.date_created_gmt, 'date_created_gmt', true),
    currency: requiredText(o.currency, 'currency'),
    // Line subtotals and totals in WooCommerce exclude tax whatever the shop displays.
    taxes_included: false,
    customer: compact({
      external_id: typeof o.customer_id === 'number' && o.customer_id > 0 ? String(o.customer_id) : undefined,
      email,
      name: billing.name,
      phone: billing.phone,
      consents: [],
    }),
    billing_address: billing,
    shipping_address: shipping,
    lines,
    shipping: shippingLine,
    payment: compact({
      method: text(o.payment_method) ?? 'unknown',
      status: text(o.date_paid_gmt) || text(o.date_paid) ? (status === 'refunded' ? 'refunded' : 'paid') : (paymentStatus[status] ?? 'pending'),
      provider: 'woocommerce',
      transaction_id: text(o.transaction_id),
      amount: o.total === undefined ? undefined : decimal(o.total, 'total'),
    }),
    note: text(o.customer_note),
  };
  return { kind: 'order', externalId, payload: validated(Order, compact(order)) };
}

function mapUpdate(o: Record<string, unknown>): InboundItem[] {
  const externalId = requiredText(o.id, 'id');
  const status = text(o.status);
  const update = compact({
    external_id: externalId,
    shipping_address: address(o.shipping, 'shipping'),
    billing_address: address(o.billing, 'billing'),
    note: text(o.customer_note),
    payment_status: status ? paymentStatus[status] : undefined,
  });
  const items: InboundItem[] = [{ kind: 'order_update', externalId, payload: validated(OrderUpdate, update) }];
  if (status === 'cancelled') {
    items.push({ kind: 'cancel', externalId, payload: validated(OrderCancellation, { external_id: externalId, reason: 'cancelled in WooCommerce' }) });
  }
  return items;
}

async function map(ctx: MapContext) {
  if (!(WOOCOMMERCE_TOPICS as readonly string[]).includes(ctx.topic)) return { outcome: 'ignored' as const, reason: `topic ${ctx.topic || '(none)'} is not handled` };
  return mapping((): Mapped => {
    const body = jsonBody(parseProviderJson, ctx.rawBody);
    requireTopicProof(wooCommerceBodyProvesTopic(ctx.topic, body));
    const externalId = requiredText(body.id, 'id');
    // A creation is applied whatever came before (it may arrive after an update); an update only when newer.
    return ctx.topic === 'order.created'
      ? { items: [mapOrder(body)], version: orderVersion(body, externalId, 'record') }
      : { items: mapUpdate(body), version: orderVersion(body, externalId, 'newer') };
  });
}

export const woocommerce: InboundProviderModule = {
  name: 'woocommerce',
  defaultToleranceSeconds: null,
  signsTimestamp: false,
  isPing,
  verify,
  map,
};
