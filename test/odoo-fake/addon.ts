/**
 * The addon's RPC contract (contracts/src/odoo-rpc.ts) as the fake answers it, following the
 * addon's documented behaviour (odoo_addon/retail_gateway): callers must be the service user or an
 * Integration Manager (`whoami` excepted); batch items are checked, then applied, one at a time, so
 * a refused item writes nothing and the others still run; a repeated external id answers
 * `duplicate` with the first record; rejections carry the addon's reason codes and fields.
 * Arguments are parsed with the contract's zod schema (a ValidationError otherwise) and answers are
 * checked against it before they leave.
 */
import type { z } from 'zod';
import type { Address } from '../../contracts/src/common.js';
import { eventTypes } from '../../contracts/src/events.js';
import { rpc, type RpcMethod } from '../../contracts/src/odoo-rpc.js';
import type { PaymentStatus, RejectionReason } from '../../contracts/src/order.js';
import { randomBytes } from 'node:crypto';
import type { Faults } from './faults.js';
import { COMPANY_CURRENCY, COUNTRIES, CURRENCIES, CARRIERS, fixed, stillValid, type FakeState, type GatewayPartner, type LedgerEntry, type Product, type Ref, type SaleOrder, type SecretVersion, type User } from './state.js';
import { PyError, accessError } from './wire.js';

type Args<M extends RpcMethod> = z.output<(typeof rpc)[M]['args']>;
type Result<M extends RpcMethod> = z.input<(typeof rpc)[M]['result']>;
type ItemResult = Result<'submit_orders'>['results'][number];
type Reason = z.input<typeof RejectionReason>;

export interface CallContext {
  state: FakeState;
  faults: Faults;
  user: User;
  requestId: string | null;
}

const userError = (message: string) => new PyError('odoo.exceptions.UserError', message, 422);
const validationError = (message: string) => new PyError('odoo.exceptions.ValidationError', message, 422);

/** An item that cannot be applied, with reasons the channel can act on (the addon's IntakeRejected). */
class Rejected extends Error {
  constructor(readonly reasons: Reason[]) {
    super(reasons.map((r) => r.message).join('; '));
  }
}

const reason = (code: Reason['code'], message: string, field?: string): Reason => ({ code, message, ...(field ? { field } : {}) });
const reject = (code: Reason['code'], message: string, field?: string): never => {
  throw new Rejected([reason(code, message, field)]);
};
const result = (status: ItemResult['status'], record: Ref | null = null, related?: Record<string, Ref | null>): Omit<ItemResult, 'intake_id' | 'external_id'> => ({ status, record, ...(related ? { related } : {}), reasons: [] });

/** Odoo's `float_compare` to the currency's rounding: -1, 0 or 1. */
function compareMoney(a: number, b: number, currency: string): number {
  const scale = 10 ** (CURRENCIES[currency]?.digits ?? 2);
  return Math.sign(Math.round(a * scale) - Math.round(b * scale));
}

/** The payments registered for an order: (paid, refunded). */
function paymentsOf(c: CallContext, partner: GatewayPartner, order: SaleOrder): { paid: number; refunded: number } {
  const payments = [...c.state.ledger.entries()]
    .filter(([k, e]) => k.startsWith(`${partner.code}|payment|`) && e.orderId === order.id)
    .map(([, e]) => e as LedgerEntry & { kind: string; amount: number });
  const sum = (kind: string) => payments.filter((p) => p.kind === kind).reduce((total, p) => total + p.amount, 0);
  return { paid: sum('paid'), refunded: sum('refunded') };
}

/** The addon's `_rg_update_payment_status`: `paid` only once the payments reach the order total. */
function settlePaymentStatus(c: CallContext, partner: GatewayPartner, order: SaleOrder): void {
  const { paid, refunded } = paymentsOf(c, partner, order);
  if (refunded) order.paymentStatus = compareMoney(refunded, paid, order.currency) >= 0 ? 'refunded' : 'partially_refunded';
  else if (paid) order.paymentStatus = compareMoney(paid, c.state.amountOf(order), order.currency) >= 0 ? 'paid' : 'partially_paid';
}

function checkCaller(c: CallContext): void {
  if (!c.user.service && !c.user.manager) throw accessError("This operation is reserved to the retail gateway's service user and Integration Managers.");
}

function partnerOf(c: CallContext, code: string, activeOnly = true): GatewayPartner {
  const p = c.state.partners.get(code);
  if (!p || (activeOnly && !p.active)) throw userError(`Unknown or inactive partner ${code}.`);
  return p;
}

const ledgerKey = (partner: GatewayPartner, kind: string, key: string) => `${partner.code}|${kind}|${key}`;

function orderOf(c: CallContext, partner: GatewayPartner, externalId: string, field = 'external_id'): SaleOrder {
  const entry = c.state.ledger.get(ledgerKey(partner, 'order', externalId));
  const order = entry?.orderId ? c.state.orders.get(entry.orderId) : undefined;
  return order ?? reject('order_not_found', `No order ${externalId} from this partner.`, field);
}

function productOf(c: CallContext, sku: string, field: string, reasons: Reason[], forSale = true): Product | null {
  const p = c.state.productBySku(sku);
  if (!p) {
    reasons.push(reason('unknown_sku', `Unknown SKU ${sku}.`, field));
    return null;
  }
  if (!p.active || (forSale && !p.saleOk)) {
    reasons.push(reason('inactive_product', `The product ${sku} is not sold any more.`, field));
    return null;
  }
  return p;
}

function warehouseOf(c: CallContext, partner: GatewayPartner, code: string | undefined, field: string, reasons: Reason[]) {
  const allowed = partner.warehouses.length ? c.state.warehouses.filter((w) => partner.warehouses.includes(w.code)) : c.state.warehouses;
  if (!code) return allowed[0];
  const wh = allowed.find((w) => w.code === code);
  if (!wh) reasons.push(reason(c.state.warehouse(code) ? 'not_allowed' : 'unknown_warehouse', `Warehouse ${code} is not available to this partner.`, field));
  return wh;
}

function carrierOf(partner: GatewayPartner, method: string | undefined): string | undefined {
  if (!method) return undefined;
  const m = method.toLowerCase();
  const mapped = Object.entries(partner.carriers).find(([k]) => k.toLowerCase() === m)?.[1];
  return mapped ?? CARRIERS.find((name) => name.toLowerCase() === m);
}

function checkAddress(a: Address | undefined, field: string, reasons: Reason[]): void {
  if (!a) reasons.push(reason('invalid_address', 'The address is missing.', field));
  else if (!COUNTRIES.has(a.country_code.toUpperCase())) reasons.push(reason('invalid_address', `Unknown country ${a.country_code}.`, `${field}/country_code`));
}

// ---- intake handlers: check everything, then write ----------------------------------------------------

type OrderIn = Args<'submit_orders'>['orders'][number]['item'];

/** Matches the customer by the partner's external id, then by e-mail; creates it otherwise. Contact data is completed, never overwritten. */
function matchCustomer(c: CallContext, partner: GatewayPartner, data: OrderIn['customer']): number {
  const s = c.state;
  const all = [...s.customers.values()].sort((a, b) => a.id - b.id);
  const email = data.email.trim();
  let customer = data.external_id ? all.find((x) => x.links.get(partner.code) === data.external_id) : undefined;
  customer ??= all.find((x) => x.active && x.email?.toLowerCase() === email.toLowerCase());
  const changed: string[] = [];
  if (!customer) {
    customer = s.insertCustomer({ name: data.name || email, email, phone: data.phone ?? null, city: data.address?.city ?? null, countryCode: data.address?.country_code.toUpperCase() ?? null });
  } else {
    if (!customer.phone && data.phone) {
      customer.phone = data.phone;
      changed.push('phone');
    }
    if (!customer.city && data.address?.city) {
      customer.city = data.address.city;
      changed.push('city');
    }
  }
  const known = customer.links.get(partner.code);
  if (known === undefined || (data.external_id && !known)) {
    customer.links.set(partner.code, data.external_id ?? known ?? null);
    changed.push('external_ids');
  }
  for (const consent of data.consents ?? []) {
    const previous = customer.consents.get(consent.channel);
    if (!previous || (consent.at >= previous.at && (previous.status !== consent.status || previous.source !== consent.source))) {
      customer.consents.set(consent.channel, { channel: consent.channel, status: consent.status, at: consent.at, source: consent.source || 'gateway' });
      changed.push('consents');
    }
  }
  if (changed.length) s.emit('customer.updated', customer.id, changed);
  return customer.id;
}

/** An order submitted as `paid` with an amount: short of the total it is `partially_paid` (above it, `paid`: the addon flags it in the chatter). */
function submittedPaymentStatus(item: OrderIn, total: number): string {
  const { status, amount } = item.payment;
  if (status !== 'paid' || amount === undefined) return status;
  return compareMoney(Number(amount), total, item.currency) < 0 ? 'partially_paid' : status;
}

function submitOrder(c: CallContext, partner: GatewayPartner, item: OrderIn): Omit<ItemResult, 'intake_id' | 'external_id'> {
  const s = c.state;
  const key = ledgerKey(partner, 'order', item.external_id);
  const seen = s.ledger.get(key);
  if (seen) return result('duplicate', seen.record);
  const reasons: Reason[] = [];
  const currency = CURRENCIES[item.currency];
  if (!currency) reasons.push(reason('unknown_currency', `Currency ${item.currency} is not active in Odoo.`, 'currency'));
  else if (!currency.pricelist && item.currency !== COMPANY_CURRENCY) reasons.push(reason('unknown_currency', `No pricelist in ${item.currency}.`, 'currency'));
  const warehouse = warehouseOf(c, partner, item.warehouse, 'warehouse', reasons);
  const lines = item.lines.map((line, i) => ({ product: productOf(c, line.sku, `lines/${i}/sku`, reasons), line }));
  item.lines.forEach((line, i) => {
    if (line.quantity > partner.maxLineQuantity) {
      reasons.push(reason('quantity_limit', `The quantity ${line.quantity} is more than the ${partner.maxLineQuantity} a line may ask for.`, `lines/${i}/quantity`));
    }
  });
  const carrier = item.shipping ? carrierOf(partner, item.shipping.method) : undefined;
  if (item.shipping && !carrier) reasons.push(reason('unknown_carrier', `No carrier for shipping method ${item.shipping.method}.`, 'shipping/method'));
  checkAddress(item.billing_address, 'billing_address', reasons);
  checkAddress(item.shipping_address, 'shipping_address', reasons);
  if (reasons.length) throw new Rejected(reasons);
  const orderLines = lines.map(({ product, line }) => ({ productId: product!.id, quantity: line.quantity, unitPrice: Number(line.unit_price), discount: Number(line.discount_percent) }));
  const shippingPrice = item.shipping ? Number(item.shipping.price) : 0;
  const paymentStatus = submittedPaymentStatus(item, s.amountOf({ lines: orderLines, shippingPrice } as SaleOrder));

  const customerId = matchCustomer(c, partner, item.customer);
  const id = s.nextId('order');
  const order: SaleOrder = {
    id,
    name: `S${String(id).padStart(5, '0')}`,
    partner: partner.code,
    externalId: item.external_id,
    channel: item.channel,
    customerId,
    currency: item.currency,
    warehouseId: warehouse!.id,
    lines: orderLines,
    shippingPrice,
    carrier: carrier ?? null,
    state: 'sale',
    paymentStatus,
    note: item.note ?? null,
    shippingAddress: item.shipping_address,
    billingAddress: item.billing_address,
    invoiceIds: [],
  };
  s.orders.set(id, order);
  const storable = order.lines.filter((l) => s.products.get(l.productId)!.storable);
  const picking = storable.length ? s.newPicking({ kind: 'outgoing', orderId: id, warehouseId: order.warehouseId, moves: storable.map((l) => ({ productId: l.productId, quantity: l.quantity, done: 0 })) }) : null;
  if (picking) picking.carrier = order.carrier;
  s.emit('order.created', id);
  const record = s.orderRef(order);
  s.ledger.set(key, { record, orderId: id });
  return result('created', record, { picking: picking ? { id: picking.id, name: picking.name } : null });
}

function cancelOrder(c: CallContext, partner: GatewayPartner, item: Args<'cancel_orders'>['refs'][number]['item']) {
  const s = c.state;
  const order = orderOf(c, partner, item.external_id);
  if (order.state === 'cancel') return result('duplicate', s.orderRef(order));
  const shipped = [...s.pickings.values()].some((p) => p.orderId === order.id && p.kind === 'outgoing' && p.state === 'done');
  if (shipped || order.invoiceIds.length) reject('order_not_cancellable', `Order ${order.name} is already ${shipped ? 'shipped' : 'invoiced'}.`, 'external_id');
  s.cancelOrder(order.id);
  return result('cancelled', s.orderRef(order));
}

function updateOrder(c: CallContext, partner: GatewayPartner, item: Args<'update_orders'>['items'][number]['item']) {
  const s = c.state;
  const order = orderOf(c, partner, item.external_id);
  const reasons: Reason[] = [];
  if (item.shipping_address) {
    checkAddress(item.shipping_address, 'shipping_address', reasons);
    if ([...s.pickings.values()].some((p) => p.orderId === order.id && p.kind === 'outgoing' && p.state === 'done')) {
      reasons.push(reason('not_allowed', 'The order has already been shipped.', 'shipping_address'));
    }
  }
  if (item.billing_address) {
    checkAddress(item.billing_address, 'billing_address', reasons);
    if (order.invoiceIds.length) reasons.push(reason('not_allowed', 'The order has already been invoiced.', 'billing_address'));
  }
  if (reasons.length) throw new Rejected(reasons);
  if (item.shipping_address) order.shippingAddress = item.shipping_address;
  if (item.billing_address) order.billingAddress = item.billing_address;
  if (item.note !== undefined) order.note = item.note || null;
  if (item.payment_status) {
    order.paymentStatus = item.payment_status;
    // Registered payments decide against the order total: a channel's "paid" cannot overrule them.
    if (paymentsOf(c, partner, order).paid || paymentsOf(c, partner, order).refunded) settlePaymentStatus(c, partner, order);
  }
  return result('updated', s.orderRef(order));
}

function registerPayment(c: CallContext, partner: GatewayPartner, item: Args<'register_payments'>['items'][number]['item']) {
  const s = c.state;
  const order = orderOf(c, partner, item.external_id);
  const key = ledgerKey(partner, 'payment', `${item.kind}:${item.transaction_id}`);
  if (s.ledger.has(key)) return result('duplicate', s.orderRef(order));
  if (item.currency !== order.currency) reject('unknown_currency', `The order is in ${order.currency}, not ${item.currency}.`, 'currency');
  const amount = Number(item.amount);
  const payment: Ref | null = item.kind === 'paid' && amount > 0 ? { id: s.nextId('payment'), name: `PAY/${item.transaction_id}`.slice(0, 64) } : null;
  const entry: LedgerEntry & { kind: string; amount: number } = { record: s.orderRef(order), orderId: order.id, kind: item.kind, amount };
  s.ledger.set(key, entry);
  settlePaymentStatus(c, partner, order);
  return { ...result('registered', s.orderRef(order), { payment }), payment_status: order.paymentStatus as PaymentStatus };
}

function submitReturn(c: CallContext, partner: GatewayPartner, item: Args<'submit_returns'>['returns'][number]['item']) {
  const s = c.state;
  const key = ledgerKey(partner, 'return', item.external_id);
  const seen = s.ledger.get(key);
  if (seen) return result('duplicate', seen.record, seen.related);
  const order = orderOf(c, partner, item.order_external_id, 'order_external_id');
  const delivered = [...s.pickings.values()].filter((p) => p.orderId === order.id && p.kind === 'outgoing' && p.state === 'done').sort((a, b) => a.id - b.id);
  const returned = (pickingId: number, index: number) =>
    [...s.pickings.values()].filter((p) => p.kind === 'incoming' && p.state !== 'cancel').flatMap((p) => p.moves).filter((m) => m.returns?.pickingId === pickingId && m.returns.index === index).reduce((sum, m) => sum + m.quantity, 0);
  const reasons: Reason[] = [];
  const allocation = new Map<number, Array<{ index: number; productId: number; quantity: number }>>();
  item.lines.forEach((line, i) => {
    const product = productOf(c, line.sku, `lines/${i}/sku`, reasons, false);
    if (!product) return;
    const moves = delivered.flatMap((p) => p.moves.map((m, index) => ({ picking: p, m, index }))).filter((x) => x.m.productId === product.id);
    if (!moves.length) return void reasons.push(reason('unknown_sku', `${line.sku} was not delivered in this order.`, `lines/${i}/sku`));
    let quantity = line.quantity;
    for (const { picking, m, index } of moves) {
      const planned = (allocation.get(picking.id) ?? []).filter((a) => a.index === index).reduce((sum, a) => sum + a.quantity, 0);
      const take = Math.min(m.done - returned(picking.id, index) - planned, quantity);
      if (take > 0) {
        allocation.set(picking.id, [...(allocation.get(picking.id) ?? []), { index, productId: product.id, quantity: take }]);
        quantity -= take;
      }
      if (quantity <= 1e-9) break;
    }
    if (quantity > 1e-9) reasons.push(reason('invalid_quantity', 'More than was delivered and not yet returned.', `lines/${i}/quantity`));
  });
  if (reasons.length) throw new Rejected(reasons);
  const pickings = [...allocation].map(([pickingId, lines]) =>
    s.newPicking({
      kind: 'incoming',
      orderId: order.id,
      warehouseId: s.pickings.get(pickingId)!.warehouseId,
      moves: lines.map((l) => ({ productId: l.productId, quantity: l.quantity, done: 0, returns: { pickingId, index: l.index } })),
      partner: partner.code,
      externalId: item.external_id,
    }),
  );
  const related: Record<string, Ref | null> = { order: s.orderRef(order) };
  pickings.slice(1).forEach((p, i) => (related[`picking_${i + 2}`] = { id: p.id, name: p.name }));
  const record = { id: pickings[0]!.id, name: pickings[0]!.name };
  s.ledger.set(key, { record, related, orderId: order.id });
  return result('created', record, related);
}

function confirmShipment(c: CallContext, partner: GatewayPartner, item: Args<'confirm_shipments'>['items'][number]['item']) {
  const s = c.state;
  const key = ledgerKey(partner, 'shipment', item.external_id);
  const seen = s.ledger.get(key);
  if (seen) return result('duplicate', seen.record, seen.related);
  const order = orderOf(c, partner, item.order_external_id, 'order_external_id');
  const open = [...s.pickings.values()].filter((p) => p.orderId === order.id && p.kind === 'outgoing' && p.state === 'assigned');
  if (!open.length) reject('not_allowed', `Order ${order.name} has nothing left to ship.`, 'order_external_id');
  const reasons: Reason[] = [];
  const quantities: Record<string, number> = {};
  item.lines.forEach((line, i) => {
    const product = productOf(c, line.sku, `lines/${i}/sku`, reasons, false);
    if (!product) return;
    const moves = open.flatMap((p) => p.moves).filter((m) => m.productId === product.id);
    const sku = product.sku ?? line.sku;
    const remaining = moves.reduce((sum, m) => sum + m.quantity, 0) - (quantities[sku] ?? 0);
    if (!moves.length) reasons.push(reason('unknown_sku', `${line.sku} is not to be shipped in this order.`, `lines/${i}/sku`));
    else if (line.quantity > remaining + 1e-9) reasons.push(reason('invalid_quantity', 'More than is left to ship.', `lines/${i}/quantity`));
    else quantities[sku] = (quantities[sku] ?? 0) + line.quantity;
  });
  if (reasons.length) throw new Rejected(reasons);
  const shipped = s.shipOrder(order.id, quantities, { carrier: carrierOf(partner, item.carrier) ?? item.carrier, trackingNumber: item.tracking_number, partner: partner.code, externalId: item.external_id, at: new Date(item.shipped_at).toISOString() });
  const related = { backorder: shipped.backorder };
  s.ledger.set(key, { record: shipped.picking, related, orderId: order.id });
  return result('confirmed', shipped.picking, related);
}

function applyStockCount(c: CallContext, partner: GatewayPartner, item: Args<'apply_stock_counts'>['items'][number]['item']) {
  const s = c.state;
  const key = ledgerKey(partner, 'stock_count', item.external_id);
  const seen = s.ledger.get(key);
  if (seen) return result('duplicate', seen.record);
  const reasons: Reason[] = [];
  const warehouse = warehouseOf(c, partner, item.warehouse, 'warehouse', reasons);
  const counted: Array<[Product, number]> = [];
  item.lines.forEach((line, i) => {
    const product = productOf(c, line.sku, `lines/${i}/sku`, reasons, false);
    if (product && !product.storable) reasons.push(reason('validation_error', `${line.sku} is not tracked in stock.`, `lines/${i}/sku`));
    else if (product) counted.push([product, line.quantity]);
  });
  if (reasons.length) throw new Rejected(reasons);
  for (const [product, quantity] of counted) {
    s.onHand.set(`${product.id}/${warehouse!.id}`, quantity);
    s.touchStock(product.id, warehouse!.id);
  }
  const record = { id: s.nextId('count'), name: `${warehouse!.code} count ${item.external_id}` };
  s.ledger.set(key, { record });
  return result('applied', record);
}

type Handler<I> = (c: CallContext, partner: GatewayPartner, item: I) => Omit<ItemResult, 'intake_id' | 'external_id'>;

/** The addon's `_rg_batch`: one item at a time; a refusal rejects the item alone, a rolled-back item answers `retry`. */
function runBatch<I extends { external_id: string }>(c: CallContext, method: RpcMethod, partnerCode: string, items: Array<{ intake_id: string; item: I }>, handler: Handler<I>): { results: ItemResult[] } {
  checkCaller(c);
  const partner = partnerOf(c, partnerCode);
  const results = items.map(({ intake_id, item }): ItemResult => {
    const ids = { intake_id, external_id: item.external_id || '-' };
    if (c.faults.takeItemRetry(method)) return { ...ids, status: 'retry', record: null, reasons: [] };
    try {
      if (partner.mode === 'shadow') reject('not_allowed', 'The partner is in shadow mode: nothing is written to Odoo.');
      return { ...handler(c, partner, item), ...ids };
    } catch (err) {
      if (err instanceof Rejected) return { ...ids, status: 'rejected', record: null, reasons: err.reasons };
      if (err instanceof PyError && err.pyName.startsWith('odoo.exceptions.')) return { ...ids, status: 'rejected', record: null, reasons: [reason('validation_error', err.message)] };
      throw err;
    }
  });
  return { results };
}

// ---- outbox ---------------------------------------------------------------------------------------------

function claim(c: CallContext, a: Args<'claim'>): Result<'claim'> {
  checkCaller(c);
  const now = c.state.now().getTime();
  const leaseUntil = now + a.lease_seconds * 1000;
  const blocked = new Set<string>();
  const events: Result<'claim'>['events'] = [];
  for (const e of c.state.events) {
    if (events.length >= a.limit) break;
    if (e.state === 'dispatched' || blocked.has(e.aggregate)) continue;
    if (e.state === 'leased' && (e.leaseUntil ?? 0) >= now) {
      blocked.add(e.aggregate); // never an aggregate's next event while an earlier one is out
      continue;
    }
    Object.assign(e, { state: 'leased', leaseUntil, consumer: a.consumer });
    events.push({ event_id: e.eventId, cursor: e.cursor, envelope: e.envelope as Result<'claim'>['events'][number]['envelope'], recipients: [...e.recipients], replay: e.replayRequested === true });
  }
  return { events, lease_until: new Date(leaseUntil).toISOString() };
}

function ack(c: CallContext, a: Args<'ack'>): Result<'ack'> {
  checkCaller(c);
  const byId = new Map(c.state.events.map((e) => [e.eventId, e]));
  const acked: string[] = [];
  const notLeased: string[] = [];
  for (const id of a.event_ids) {
    const e = byId.get(id);
    if (e?.state === 'dispatched') acked.push(id);
    else if (e?.state === 'leased' && e.consumer === a.consumer) {
      Object.assign(e, { state: 'dispatched', leaseUntil: null, replayRequested: false });
      acked.push(id);
    } else notLeased.push(id);
  }
  return { acked, not_leased: notLeased };
}

function reportDeliveries(c: CallContext, a: Args<'report_deliveries'>): Result<'report_deliveries'> {
  checkCaller(c);
  const s = c.state;
  const known = new Set(s.events.map((e) => e.eventId));
  let recorded = 0;
  const unknown: string[] = [];
  for (const r of a.results) {
    if (!known.has(r.event_id) || !s.partners.has(r.partner)) {
      if (!unknown.includes(r.event_id)) unknown.push(r.event_id);
      continue;
    }
    const values = { status: r.status, attempts: r.attempts, lastError: r.last_error, at: r.at, nextAttemptAt: r.next_attempt_at ?? null };
    const existing = s.deliveryReports.find((d) => d.eventId === r.event_id && d.partner === r.partner && d.subscriptionId === r.subscription_id);
    if (existing) Object.assign(existing, values);
    else s.deliveryReports.push({ eventId: r.event_id, partner: r.partner, subscriptionId: r.subscription_id, ...values });
    recorded++;
  }
  return { recorded, unknown_events: unknown };
}

/** Non-claiming read after a cursor: the position is the outbox row, commit order in a one-threaded fake. */
function changesSince(c: CallContext, a: Args<'changes_since'>): Result<'changes_since'> {
  checkCaller(c);
  const all = c.state.events;
  const types = a.types ? new Set<string>(a.types) : null;
  const matching = all.filter((e) => e.cursor > a.cursor && (!types || types.has(e.envelope.type)));
  const page = matching.slice(0, a.limit);
  const hasMore = matching.length > a.limit;
  let cursor = page.length ? page[page.length - 1]!.cursor : a.cursor;
  if (!hasMore) cursor = Math.max(cursor, all.length ? all[all.length - 1]!.cursor : 0);
  return { events: page.map((e) => ({ cursor: e.cursor, envelope: e.envelope as Result<'changes_since'>['events'][number]['envelope'] })), cursor, has_more: hasMore };
}

// ---- partner registry ------------------------------------------------------------------------------------

/** The addon's `_rg_rotate`: the new version is current; the current ones get min(their deadline, now + grace). */
function rotate(list: SecretVersion[], fresh: SecretVersion, now: Date, graceSeconds: number): { list: SecretVersion[]; previousValidUntil: string | null } {
  const deadline = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  let previous: string | null = null;
  const aged = list.map((s) => {
    if (!stillValid(s.valid_until, now)) return s;
    const until = s.valid_until && s.valid_until < deadline ? s.valid_until : deadline;
    previous = previous && previous > until ? previous : until;
    return { ...s, valid_until: until };
  });
  return { list: [fresh, ...aged.filter((s) => stillValid(s.valid_until, now))], previousValidUntil: previous };
}

const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

function ownSubscription(c: CallContext, partner: GatewayPartner, id: number) {
  const s = c.state.subscriptions.get(id);
  return s && s.partner === partner.code ? s : undefined;
}

function touch(c: CallContext, p: GatewayPartner): void {
  p.updatedAt = c.state.now().toISOString();
}

// ---- reads: catalog, orders, shipments, customers, the caller --------------------------------------------

function catalogPage(c: CallContext, a: Args<'catalog_page'>): Result<'catalog_page'> {
  checkCaller(c);
  const since = a.updated_since ? Date.parse(a.updated_since) : null;
  const rows = [...c.state.products.values()]
    .filter((p) => p.id > a.after && p.active && p.saleOk && p.sku)
    .filter((p) => (!a.skus || a.skus.includes(p.sku!)) && (since === null || Date.parse(p.updatedAt) >= since))
    .sort((x, y) => x.id - y.id);
  const page = rows.slice(0, a.limit);
  const items = page.map((p) => ({
    cursor: p.id,
    variant: {
      sku: p.sku!,
      barcode: p.barcode,
      name: Object.keys(p.attributes).length ? `${p.name} (${Object.values(p.attributes).join(', ')})` : p.name,
      attributes: { ...p.attributes },
      list_price: fixed(p.listPrice, CURRENCIES[COMPANY_CURRENCY]!.digits),
      currency: COMPANY_CURRENCY,
      active: p.active,
      updated_at: p.updatedAt,
    },
  }));
  return { items, next_cursor: rows.length > a.limit ? page[page.length - 1]!.id : null };
}

function orderStatus(c: CallContext, a: Args<'order_status'>): Result<'order_status'> {
  checkCaller(c);
  const s = c.state;
  const partner = partnerOf(c, a.partner, false);
  const orders: Result<'order_status'>['orders'] = [];
  for (const externalId of a.external_ids) {
    const entry = s.ledger.get(ledgerKey(partner, 'order', externalId));
    const o = entry?.orderId ? s.orders.get(entry.orderId) : undefined;
    if (!o) continue;
    const live = [...s.pickings.values()].filter((p) => p.orderId === o.id && p.kind === 'outgoing' && p.state !== 'cancel');
    const done = live.filter((p) => p.state === 'done').length;
    orders.push({
      external_id: externalId,
      order: s.orderRef(o),
      state: o.state === 'cancel' ? 'cancelled' : 'confirmed',
      amount_total: fixed(s.amountOf(o), CURRENCIES[o.currency]?.digits ?? 2),
      currency: o.currency,
      fulfilment: done === 0 ? 'unfulfilled' : done === live.length ? 'shipped' : 'partially_shipped',
      invoicing: o.invoiceIds.length ? 'invoiced' : o.state === 'cancel' ? 'not_invoiced' : 'to_invoice',
      payment: (o.paymentStatus as PaymentStatus | undefined) || null,
    });
  }
  return { orders };
}

function orderShipments(c: CallContext, a: Args<'order_shipments'>): Result<'order_shipments'> {
  checkCaller(c);
  const s = c.state;
  const entry = s.ledger.get(ledgerKey(partnerOf(c, a.partner, false), 'order', a.external_id));
  const o = entry?.orderId ? s.orders.get(entry.orderId) : undefined;
  if (!o) return { found: false, shipments: [] };
  const state = { assigned: 'ready', done: 'shipped', cancel: 'cancelled' } as const;
  const shipments = [...s.pickings.values()]
    .filter((p) => p.orderId === o.id && p.kind === 'outgoing')
    .sort((x, y) => x.id - y.id)
    .map((p) => ({
      id: p.id,
      name: p.name,
      order_external_id: o.externalId,
      state: state[p.state],
      carrier: p.carrier,
      tracking_number: p.trackingNumber,
      lines: p.moves.map((m) => ({ sku: s.skuOf(s.products.get(m.productId)!), ordered: m.quantity, shipped: m.done })),
      shipped_at: p.doneAt,
    }));
  return { found: true, shipments };
}

function customerRecords(c: CallContext, a: Args<'customer_records'>): Result<'customer_records'> {
  checkCaller(c);
  const s = c.state;
  const ident = a.identifier.trim();
  if (!ident) throw validationError('identifier must be an e-mail address or a customer reference.');
  const customers = [...s.customers.values()].filter((x) => (ident.includes('@') ? x.email?.toLowerCase() === ident.toLowerCase() : x.ref === ident || [...x.links.values()].includes(ident)));
  const ids = new Set(customers.map((x) => x.id));
  const orders = [...s.orders.values()].filter((o) => ids.has(o.customerId));
  return {
    records: [...customers.map((x) => ({ kind: 'customer' as const, id: x.id, name: x.name })), ...orders.map((o) => ({ kind: 'order' as const, id: o.id, name: o.name }))],
  };
}

// ---- the contract ---------------------------------------------------------------------------------------

type Impl<M extends RpcMethod> = (c: CallContext, args: Args<M>) => Result<M>;

const methods: { [M in RpcMethod]: Impl<M> } = {
  claim,
  ack,
  report_deliveries: reportDeliveries,
  changes_since: changesSince,
  authenticate_client: (c, a) => {
    checkCaller(c);
    const p = [...c.state.partners.values()].find((x) => x.clientId === a.client_id && x.active);
    const match = p?.clientSecrets.find((s) => stillValid(s.valid_until, c.state.now()) && s.secret === a.client_secret);
    return p && match ? { ok: true, partner: p.code, scopes: [...p.scopes], valid_until: match.valid_until } : { ok: false };
  },
  partners: (c, a) => {
    checkCaller(c);
    const all = [...c.state.partners.values()].sort((x, y) => x.code.localeCompare(y.code));
    return { partners: all.filter((p) => !a.codes || a.codes.includes(p.code)).map((p) => c.state.partnerRecord(p)) };
  },
  create_partner: (c, a) => {
    checkCaller(c);
    const taken = [...c.state.partners.values()].some((p) => p.code === a.code || p.clientId === a.code);
    if (taken) throw userError(`A partner with the code or client id ${a.code} exists already.`);
    const created = c.state.addPartner({
      code: a.code,
      name: (a.name ?? a.code).trim(),
      scopes: a.scopes,
      tier: a.tier ?? 'standard',
      mode: a.mode ?? 'live',
      oversellPolicy: a.oversell_policy ?? 'accept',
      clientSecret: randomBytes(32).toString('base64url'),
    });
    return { partner: c.state.partnerRecord(c.state.partners.get(a.code)!), client_id: created.clientId, client_secret: created.clientSecret };
  },
  rotate_client_secret: (c, a) => {
    checkCaller(c);
    const p = partnerOf(c, a.partner, false);
    const secret = randomBytes(32).toString('base64url');
    const { list, previousValidUntil } = rotate(p.clientSecrets, { secret, valid_until: null }, c.state.now(), a.grace_seconds);
    p.clientSecrets = list;
    touch(c, p);
    return { client_id: p.clientId, client_secret: secret, previous_valid_until: previousValidUntil };
  },
  rotate_inbound_secret: (c, a) => {
    checkCaller(c);
    const p = partnerOf(c, a.partner, false);
    const { list, previousValidUntil } = rotate(p.inbound[a.provider], { secret: a.secret, valid_until: null }, c.state.now(), a.grace_seconds);
    p.inbound[a.provider] = list;
    touch(c, p);
    return { previous_valid_until: previousValidUntil };
  },
  create_subscription: (c, a) => {
    checkCaller(c);
    const p = partnerOf(c, a.partner);
    const secret = newWebhookSecret();
    const at = c.state.now().toISOString();
    const id = c.state.nextId('subscription');
    const sub = { id, partner: p.code, url: a.url, eventTypes: [...new Set(a.event_types)], active: a.active, consecutiveFailures: 0, disabledAt: null, createdAt: at, updatedAt: at, secrets: [{ secret, valid_until: null }] };
    c.state.subscriptions.set(id, sub);
    return { subscription: c.state.subscriptionOut(sub), secret };
  },
  update_subscription: (c, a) => {
    checkCaller(c);
    const s = ownSubscription(c, partnerOf(c, a.partner, false), a.id);
    if (!s) return { subscription: null };
    if (a.url !== undefined) s.url = a.url;
    if (a.event_types !== undefined) s.eventTypes = [...new Set(a.event_types)];
    if (a.active !== undefined) s.active = a.active;
    if (a.consecutive_failures !== undefined) s.consecutiveFailures = a.consecutive_failures;
    if (a.disabled === true && !s.disabledAt) s.disabledAt = c.state.now().toISOString();
    else if (a.disabled === false) Object.assign(s, { disabledAt: null, consecutiveFailures: a.consecutive_failures ?? 0 });
    s.updatedAt = c.state.now().toISOString();
    return { subscription: c.state.subscriptionOut(s) };
  },
  delete_subscription: (c, a) => {
    checkCaller(c);
    const s = ownSubscription(c, partnerOf(c, a.partner, false), a.id);
    if (!s) return { deleted: false };
    c.state.subscriptions.delete(s.id);
    touch(c, partnerOf(c, a.partner, false));
    return { deleted: true };
  },
  rotate_subscription_secret: (c, a) => {
    checkCaller(c);
    const s = ownSubscription(c, partnerOf(c, a.partner, false), a.id);
    if (!s) throw validationError(`No subscription ${a.id} for this partner.`);
    const secret = newWebhookSecret();
    const { list, previousValidUntil } = rotate(s.secrets, { secret, valid_until: null }, c.state.now(), a.grace_seconds);
    s.secrets = list;
    s.updatedAt = c.state.now().toISOString();
    return { secret, previous_valid_until: previousValidUntil };
  },
  submit_orders: (c, a) => runBatch(c, 'submit_orders', a.partner, a.orders, submitOrder),
  submit_returns: (c, a) => runBatch(c, 'submit_returns', a.partner, a.returns, submitReturn),
  cancel_orders: (c, a) => runBatch(c, 'cancel_orders', a.partner, a.refs, cancelOrder),
  register_payments: (c, a) => runBatch(c, 'register_payments', a.partner, a.items, registerPayment),
  update_orders: (c, a) => runBatch(c, 'update_orders', a.partner, a.items, updateOrder),
  confirm_shipments: (c, a) => runBatch(c, 'confirm_shipments', a.partner, a.items, confirmShipment),
  apply_stock_counts: (c, a) => runBatch(c, 'apply_stock_counts', a.partner, a.items, applyStockCount),
  availability: (c, a) => {
    checkCaller(c);
    const s = c.state;
    const warehouses = s.warehouses.filter((w) => !a.warehouses || a.warehouses.includes(w.code)).sort((x, y) => x.code.localeCompare(y.code));
    const products = [...s.products.values()]
      .filter((p) => p.active && p.storable && p.sku && (!a.skus || a.skus.includes(p.sku)))
      .sort((x, y) => (x.sku! < y.sku! ? -1 : x.sku! > y.sku! ? 1 : x.id - y.id));
    const combos = products.flatMap((p) => warehouses.map((w) => [p, w] as const));
    const asOf = s.now().toISOString();
    const items = combos.slice(a.offset, a.offset + a.limit).map(([p, w]) => ({ sku: p.sku!, warehouse: w.code, ...s.stockLevels(p, w), as_of: asOf }));
    return { items, has_more: combos.length > a.offset + a.limit };
  },
  catalog_page: catalogPage,
  order_status: orderStatus,
  order_shipments: orderShipments,
  customer_records: customerRecords,
  whoami: (c) => {
    if (!c.user.internal) throw accessError("Only internal users can use the retail gateway's dashboard.");
    return { name: c.user.name, integration_manager: c.user.manager };
  },
};

/** The contract's method of this model, or undefined. */
export function addonMethod(model: string, method: string): RpcMethod | undefined {
  const def = (rpc as Record<string, { model: string } | undefined>)[method];
  return def && def.model === model && Object.hasOwn(rpc, method) ? (method as RpcMethod) : undefined;
}

/** The models the addon's methods live on. */
export const ADDON_MODELS: ReadonlySet<string> = new Set(Object.values(rpc).map((d) => d.model));

/** The addon's batch size limit (`MAX_BATCH`) and the most external ids `order_status` takes (`MAX_EXTERNAL_IDS`). */
const MAX_BATCH = 200;
const MAX_EXTERNAL_IDS = 200;
const isInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
/** `_rg_int_arg`: the type first, then the range. */
const intArg = (name: string, v: unknown) => (isInteger(v) ? `${name} is out of range.` : `${name} must be an integer.`);
const batchArg = (name: string) => `${name} must be a list of 1 to ${MAX_BATCH} items.`;

/**
 * The addon's own wording of an invalid argument (its ValidationError), by argument name: what
 * `_rg_int_arg`, `_rg_batch`, `_grace` and the methods' own checks raise.
 */
const ARGUMENT_ERRORS: Record<string, (name: string, value: unknown) => string> = {
  after: intArg,
  limit: intArg,
  offset: intArg,
  cursor: intArg,
  lease_seconds: intArg,
  orders: batchArg,
  returns: batchArg,
  refs: batchArg,
  items: batchArg,
  external_ids: () => `external_ids must be a list of 1 to ${MAX_EXTERNAL_IDS} external ids.`,
  external_id: () => 'external_id must be a non-empty string.',
  updated_since: () => 'updated_since must be an RFC 3339 timestamp.',
  skus: () => 'skus must be a list of at most 1000 SKUs.',
  identifier: () => 'identifier must be an e-mail address or a customer reference.',
  codes: () => 'codes must be a list of partner codes.',
  partner: () => 'partner must be a partner code.',
  id: () => 'id must be an integer.',
  grace_seconds: (_n, v) => (isInteger(v) ? 'grace_seconds must be between 0 and 30 days.' : 'grace_seconds must be an integer.'),
  event_types: (_n, v) =>
    Array.isArray(v) && v.length ? `Unknown event types: ${[...new Set(v.map(String))].filter((t) => !(eventTypes as readonly string[]).includes(t)).sort().join(', ')}` : 'event_types must be a non-empty list.',
};

/** Runs one contract method as one transaction: arguments parsed in, the answer checked out. */
export function callAddon(c: CallContext, method: RpcMethod, kwargs: Record<string, unknown>): unknown {
  const def = rpc[method];
  const parsed = def.args.safeParse(kwargs);
  if (!parsed.success) {
    const argument = parsed.error.issues.map((i) => i.path[0]).find((k): k is string => typeof k === 'string');
    const wording = argument ? ARGUMENT_ERRORS[argument] : undefined;
    if (wording) throw validationError(wording(argument!, kwargs[argument!]));
    throw validationError(`Invalid arguments for ${def.model}.${method}: ${parsed.error.issues.map((i) => `${i.path.join('/')}: ${i.message}`).join('; ')}`);
  }
  const answer = c.state.tx(() => (methods[method] as (c: CallContext, a: unknown) => unknown)(c, parsed.data), c.requestId);
  const checked = def.result.safeParse(answer);
  if (!checked.success) throw new Error(`odoo-fake: the answer of ${method} breaks the contract: ${checked.error.message}`);
  return answer;
}

/**
 * `retail_gateway.partner.create`, the one generic call the fake answers besides authentication:
 * how a partner is registered in Odoo's back office (the recordings use it).
 */
export function createPartnerRecord(c: CallContext, vals: unknown): number {
  if (!c.user.manager) throw accessError("You are not allowed to create 'Retail Gateway Partner' (retail_gateway.partner) records.");
  const v = (Array.isArray(vals) ? vals[0] : vals) as { code?: unknown; name?: unknown; scopes?: unknown } | undefined;
  if (!v || typeof v.code !== 'string' || !v.code) throw validationError('The operation cannot be completed: a partner needs a code.');
  if (c.state.partners.has(v.code)) throw validationError('The operation cannot be completed: Partner codes must be unique.');
  const scopes = typeof v.scopes === 'string' ? v.scopes.split(/\s+/).filter(Boolean) : [];
  c.state.addPartner({ code: v.code, name: typeof v.name === 'string' ? v.name : v.code, scopes: scopes as never });
  return c.state.partners.get(v.code)!.id;
}

/**
 * `product.product.create` from the back office (as a user with inventory rights would): the
 * recordings make their product this way. Only the fields the recorder sets are read; the answer
 * is the new variant's id, as Odoo's `create` of one dict answers.
 */
export function createProductRecord(c: CallContext, vals: unknown): number {
  if (!c.user.internal) throw accessError("You are not allowed to create 'Product Variant' (product.product) records.");
  const v = (Array.isArray(vals) ? vals[0] : vals) as { name?: unknown; default_code?: unknown; barcode?: unknown; list_price?: unknown; is_storable?: unknown; sale_ok?: unknown } | undefined;
  if (!v || typeof v.name !== 'string' || !v.name) throw validationError('The operation cannot be completed: a product needs a name.');
  const sku = typeof v.default_code === 'string' && v.default_code ? v.default_code : null;
  const barcode = typeof v.barcode === 'string' && v.barcode ? v.barcode : undefined;
  const product = c.state.addProduct({
    sku,
    name: v.name,
    barcode,
    listPrice: typeof v.list_price === 'number' ? v.list_price : 1,
    storable: v.is_storable === true,
    saleOk: v.sale_ok !== false,
  });
  return product.id;
}
