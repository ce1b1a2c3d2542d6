/**
 * Shopify: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body with the app's
 * client secret (or the store's webhook signing secret). `X-Shopify-Webhook-Id` names the delivery
 * (retries repeat it) and `X-Shopify-Triggered-At` the moment the event fired (retries keep it).
 *
 * Topics: `orders/create` → Order; `orders/updated` → OrderUpdate; `orders/cancelled` →
 * OrderCancellation; `refunds/create` → PaymentEvent `refunded` for the refund's successful
 * transactions, plus a Return for the lines restocked with `restock_type: "return"` (goods coming
 * back). Everything else is acknowledged.
 *
 * The HMAC covers the body only: the topic header is not signed, so the body must prove the topic
 * (`shopifyBodyProvesTopic`), and an order's `updated_at` orders its updates (an older one is stale).
 */
import { Order, OrderCancellation, OrderUpdate, PaymentEvent } from '../../../../contracts/src/order.js';
import { Return } from '../../../../contracts/src/fulfilment.js';
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

export const SHOPIFY_TOPICS = ['orders/create', 'orders/updated', 'orders/cancelled', 'refunds/create'] as const;

const isTimestamp = (v: unknown) => {
  const s = text(v);
  return s !== undefined && !Number.isNaN(Date.parse(s));
};

/**
 * What a Shopify body proves it is. The order topics carry the order (`id`, `line_items`, no
 * `order_id`); `orders/cancelled` needs the order cancelled (`cancelled_at` set), so a creation or
 * an update re-sent under that topic cancels nothing; `orders/updated` needs an `updated_at` (its
 * place in the order's history); `refunds/create` carries a refund of an order (`order_id`).
 *
 * `orders/create` and `orders/updated` bodies have the same shape: a creation re-sent as an update
 * carries the order's state at creation, which the ordering rule makes stale once the order has
 * been applied at that `updated_at` or later.
 */
export const shopifyBodyProvesTopic: TopicProof = (topic, body) => {
  const isOrder = text(body.id) !== undefined && Array.isArray(body.line_items) && body.order_id === undefined;
  switch (topic) {
    case 'orders/create':
      return isOrder ? null : 'an orders/create body is an order (id and line_items)';
    case 'orders/updated':
      if (!isOrder) return 'an orders/updated body is an order (id and line_items)';
      return isTimestamp(body.updated_at) ? null : 'an orders/updated body carries the order\'s updated_at';
    case 'orders/cancelled':
      if (!isOrder) return 'an orders/cancelled body is an order (id and line_items)';
      return isTimestamp(body.cancelled_at) ? null : 'an orders/cancelled body is a cancelled order: cancelled_at must be set';
    case 'refunds/create':
      return text(body.id) !== undefined && text(body.order_id) !== undefined && body.line_items === undefined
        ? null
        : 'a refunds/create body is a refund of an order (id and order_id)';
    default:
      return `topic ${topic} is not handled`;
  }
};

/** Shopify's financial_status → the contract's payment status. */
const financialStatus: Record<string, string> = {
  pending: 'pending',
  authorized: 'authorized',
  partially_paid: 'pending',
  paid: 'paid',
  partially_refunded: 'partially_refunded',
  refunded: 'refunded',
  voided: 'failed',
};

function verify(req: InboundRequest, { secrets, now, toleranceSeconds }: VerifyOptions): VerifyResult {
  const failure = bodyHmacBase64Failure(req.headers.get('x-shopify-hmac-sha256'), req.rawBody, secrets);
  if (failure) return { ok: false, reason: failure };
  const deliveryId = req.headers.get('x-shopify-webhook-id')?.trim() ?? '';
  const triggeredAt = req.headers.get('x-shopify-triggered-at');
  if (triggeredAt) {
    const at = Date.parse(triggeredAt);
    if (Number.isNaN(at) || Math.abs(now - at) > toleranceSeconds * 1000) return { ok: false, reason: 'timestamp_outside_window' };
  }
  return { ok: true, deliveryId, topic: req.headers.get('x-shopify-topic')?.trim() ?? '' };
}

function address(v: unknown, path: string, email?: string) {
  const a = recordAt(v, path);
  const name = text(a.name) ?? ([text(a.first_name), text(a.last_name)].filter(Boolean).join(' ') || undefined);
  return compact({
    name: name ?? requiredText(a.company, `${path}/name`),
    company: text(a.company),
    street: requiredText(a.address1, `${path}/address1`),
    street2: text(a.address2),
    city: requiredText(a.city, `${path}/city`),
    zip: text(a.zip),
    state_code: text(a.province_code),
    country_code: requiredText(a.country_code, `${path}/country_code`),
    phone: text(a.phone),
    email,
  });
}

function mapOrder(o: Record<string, unknown>): InboundItem {
  const externalId = requiredText(o.id, 'id');
  const currency = requiredText(o.currency, 'currency');
  const customerRec = isRecord(o.customer) ? o.customer : {};
  const email = text(o.email) ?? text(o.contact_email) ?? text(customerRec.email);
  if (!email) fail('email', 'an order needs a customer e-mail');
  const billingSrc = isRecord(o.billing_address) ? 'billing_address' : isRecord(o.shipping_address) ? 'shipping_address' : null;
  const shippingSrc = isRecord(o.shipping_address) ? 'shipping_address' : billingSrc;
  if (!billingSrc || !shippingSrc) fail('shipping_address', 'an order needs a shipping or billing address');
  const billing = address(o[billingSrc], billingSrc);
  const shipping = address(o[shippingSrc], shippingSrc);
  const customerName = [text(customerRec.first_name), text(customerRec.last_name)].filter(Boolean).join(' ') || billing.name;

  if (!Array.isArray(o.line_items) || o.line_items.length === 0) fail('line_items', 'an order needs at least one line');
  const lines = o.line_items.map((raw, i) => {
    const l = recordAt(raw, `line_items/${i}`);
    const quantity = l.quantity;
    if (typeof quantity !== 'number' || quantity <= 0) fail(`line_items/${i}/quantity`, 'must be a positive number');
    const unit = toMicros(l.price, `line_items/${i}/price`);
    const allocations = Array.isArray(l.discount_allocations) ? l.discount_allocations : [];
    const discount = allocations.length
      ? allocations.reduce<bigint>((sum, d, j) => sum + toMicros(recordAt(d, `line_items/${i}/discount_allocations/${j}`).amount, `line_items/${i}/discount_allocations/${j}/amount`), 0n)
      : l.total_discount === undefined || l.total_discount === null
        ? 0n
        : toMicros(l.total_discount, `line_items/${i}/total_discount`);
    return compact({
      sku: requiredText(l.sku, `line_items/${i}/sku`),
      quantity,
      unit_price: fromMicros(unit),
      discount_percent: discountPercent(unit * BigInt(quantity), discount),
      name: text(l.name) ?? text(l.title),
    });
  });

  const shippingLines = Array.isArray(o.shipping_lines) ? o.shipping_lines.filter(isRecord) : [];
  const shippingLine = shippingLines[0]
    ? {
        method: text(shippingLines[0].code) ?? requiredText(shippingLines[0].title, 'shipping_lines/0/title'),
        price: fromMicros(shippingLines.reduce<bigint>((sum, s, i) => sum + toMicros(s.discounted_price ?? s.price ?? '0', `shipping_lines/${i}/price`), 0n)),
      }
    : undefined;

  const gateways = Array.isArray(o.payment_gateway_names) ? o.payment_gateway_names.map(text).filter(Boolean) : [];
  const order = {
    external_id: externalId,
    channel: 'shopify',
    placed_at: timestamp(o.processed_at ?? o.created_at, o.processed_at ? 'processed_at' : 'created_at'),
    currency,
    taxes_included: o.taxes_included === true,
    customer: compact({
      external_id: text(customerRec.id),
      email,
      name: customerName,
      phone: text(customerRec.phone) ?? text(o.phone),
      consents: [],
    }),
    billing_address: billing,
    shipping_address: shipping,
    lines,
    shipping: shippingLine,
    payment: compact({
      method: gateways[0] ?? 'unknown',
      status: financialStatus[text(o.financial_status) ?? 'pending'] ?? 'pending',
      provider: 'shopify',
      amount: o.total_price === undefined ? undefined : decimal(o.total_price, 'total_price'),
    }),
    note: text(o.note),
  };
  return { kind: 'order', externalId, payload: validated(Order, compact(order)) };
}

/** The order's place in its history: its `updated_at`. */
function orderVersion(o: Record<string, unknown>, externalId: string, rule: OrderVersion['rule']): OrderVersion | undefined {
  if (!isTimestamp(o.updated_at)) return undefined;
  return { externalId, at: timestampMs(o.updated_at, 'updated_at'), rule };
}

/** `orders/updated`: the addresses, note and payment status as they now are. */
function mapUpdate(o: Record<string, unknown>): Mapped {
  const externalId = requiredText(o.id, 'id');
  const update = compact({
    external_id: externalId,
    shipping_address: isRecord(o.shipping_address) ? address(o.shipping_address, 'shipping_address') : undefined,
    billing_address: isRecord(o.billing_address) ? address(o.billing_address, 'billing_address') : undefined,
    note: text(o.note),
    payment_status: text(o.financial_status) ? financialStatus[text(o.financial_status)!] : undefined,
  });
  return {
    items: [{ kind: 'order_update', externalId, payload: validated(OrderUpdate, update) }],
    version: { externalId, at: timestampMs(o.updated_at, 'updated_at'), rule: 'newer' },
  };
}

function mapCancellation(o: Record<string, unknown>): InboundItem {
  const externalId = requiredText(o.id, 'id');
  return { kind: 'cancel', externalId, payload: validated(OrderCancellation, compact({ external_id: externalId, reason: text(o.cancel_reason) })) };
}

function mapRefund(r: Record<string, unknown>): InboundItem[] {
  const refundId = requiredText(r.id, 'id');
  const orderId = requiredText(r.order_id, 'order_id');
  const at = timestamp(r.processed_at ?? r.created_at, r.processed_at ? 'processed_at' : 'created_at');
  const items: InboundItem[] = [];

  const transactions = (Array.isArray(r.transactions) ? r.transactions : []).map((t, i) => ({ t: recordAt(t, `transactions/${i}`), i }));
  const refunded = transactions.filter(({ t }) => text(t.kind) === 'refund' && text(t.status) === 'success');
  if (refunded.length > 0) {
    const amount = refunded.reduce<bigint>((sum, { t, i }) => sum + toMicros(t.amount, `transactions/${i}/amount`), 0n);
    const lineCurrency = (Array.isArray(r.refund_line_items) ? r.refund_line_items : [])
      .map((l) => (isRecord(l) && isRecord(l.subtotal_set) && isRecord(l.subtotal_set.shop_money) ? text(l.subtotal_set.shop_money.currency_code) : undefined))
      .find(Boolean);
    const currency = text(refunded[0]!.t.currency) ?? lineCurrency;
    if (!currency) fail('transactions/0/currency', 'the refund currency is missing');
    items.push({
      kind: 'payment',
      externalId: orderId,
      payload: validated(PaymentEvent, {
        external_id: orderId,
        kind: 'refunded',
        amount: fromMicros(amount),
        currency,
        provider: 'shopify',
        transaction_id: refundId,
        at,
      }),
    });
  }

  const returned = (Array.isArray(r.refund_line_items) ? r.refund_line_items : [])
    .map((l, i) => ({ l: recordAt(l, `refund_line_items/${i}`), i }))
    .filter(({ l }) => text(l.restock_type) === 'return');
  if (returned.length > 0) {
    const lines = returned.map(({ l, i }) => {
      const item = recordAt(l.line_item, `refund_line_items/${i}/line_item`);
      return compact({ sku: requiredText(item.sku, `refund_line_items/${i}/line_item/sku`), quantity: l.quantity as number, reason: text(r.note) });
    });
    items.push({
      kind: 'return',
      externalId: refundId,
      payload: validated(Return, compact({ external_id: refundId, order_external_id: orderId, lines, requested_at: at, note: text(r.note) })),
    });
  }
  return items;
}

async function map(ctx: MapContext) {
  if (!(SHOPIFY_TOPICS as readonly string[]).includes(ctx.topic)) return { outcome: 'ignored' as const, reason: `topic ${ctx.topic || '(none)'} is not handled` };
  return mapping((): Mapped => {
    const body = jsonBody(parseProviderJson, ctx.rawBody);
    requireTopicProof(shopifyBodyProvesTopic(ctx.topic, body));
    const externalId = requiredText(body.id, 'id');
    // A creation and a cancellation are applied whatever came before; their updated_at makes older updates stale.
    if (ctx.topic === 'orders/create') return { items: [mapOrder(body)], version: orderVersion(body, externalId, 'record') };
    if (ctx.topic === 'orders/updated') return mapUpdate(body);
    if (ctx.topic === 'orders/cancelled') return { items: [mapCancellation(body)], version: orderVersion(body, externalId, 'record') };
    return mapRefund(body);
  });
}

export const shopify: InboundProviderModule = {
  name: 'shopify',
  // Shopify retries for up to 48 hours with the original X-Shopify-Triggered-At.
  defaultToleranceSeconds: 48 * 3600,
  // X-Shopify-Triggered-At is not signed.
  signsTimestamp: false,
  verify,
  map,
};
