/**
 * The addon's RPC contract (contracts/src/odoo-rpc.ts) as the simulator serves it, following the
 * addon's own behaviour (odoo_addon/retail_gateway): callers must be in the service or manager
 * group; batch items run one savepoint each and are reserved in the intake ledger first, so a
 * repeated external id answers `duplicate` with the first record; rejections carry the addon's
 * reason codes and fields. Arguments are checked with the contract's zod schema (a ValidationError
 * otherwise) and answers are checked against it before they leave.
 */
import { rpc, type RpcMethod } from '../../../../contracts/src/odoo-rpc.js';
import type { RejectionReason } from '../../../../contracts/src/order.js';
import type { z } from 'zod';
import { PyError, userError, validationError } from './exceptions.js';
import { invoicesPaid } from './models/account.js';
import { G } from './models/base.js';
import {
  hashSecret,
  newClientSecret,
  newWebhookSecret,
  partnerByCode,
  secretMatches,
  splitWords,
  stillValid,
  type StoredSecretHash,
} from './models/gateway.js';
import { cancelOrders, confirmOrders } from './models/sale.js';
import { createPicking, setCountedQuantity, stockLevels, validatePicking } from './models/stock.js';
import { OUTBOX_MODEL, envelopeOf, registerCustomerUpdated, rfc3339FromOdoo, skuOf } from './outbox.js';
import { odooDatetime, type Env, type MethodDef, type ModelDef, type Row, type Vals } from './orm.js';

type Args<M extends RpcMethod> = z.output<(typeof rpc)[M]['args']>;
type Result<M extends RpcMethod> = z.input<(typeof rpc)[M]['result']>;
type ItemResult = Result<'submit_orders'>['results'][number];
type Reason = z.input<typeof RejectionReason>;
type Ref = { id: number; name: string } | null;

const iso = (d: Date) => d.toISOString();
const odooFromIso = (s: string) => odooDatetime(new Date(s));

/** An item that cannot be applied, with reasons the channel can act on (the addon's IntakeRejected). */
class Rejected extends Error {
  constructor(readonly reasons: Reason[]) {
    super(reasons.map((r) => r.message).join('; '));
  }
  static single(code: Reason['code'], message: string, field?: string): Rejected {
    return new Rejected([{ code, message, ...(field ? { field } : {}) }]);
  }
}

const reason = (code: Reason['code'], message: string, field?: string): Reason => ({ code, message, ...(field ? { field } : {}) });
const refOf = (env: Env, model: string, row: Row | undefined | null): Ref => (row ? { id: row.id, name: env.displayName(model, row) } : null);

function result(status: ItemResult['status'], record: Ref = null, related?: Record<string, Ref>, reasons: Reason[] = []): ItemResult {
  return { intake_id: '', external_id: '', status, record, ...(related ? { related } : {}), reasons };
}

/** The addon's `check_caller`: the service user and Integration Managers only. */
function checkCaller(env: Env): void {
  if (env.su || env.uid === 1) return;
  const groups = env.userGroups();
  if (!groups.has(G.gatewayService) && !groups.has(G.integrationManager)) {
    throw new PyError('odoo.exceptions.AccessError', "This operation is reserved to the retail gateway's service user and Integration Managers.", 403);
  }
}

function getPartner(env: Env, code: string, activeOnly = true): Row {
  const p = partnerByCode(env, code);
  if (!p || (activeOnly && p.active === false)) throw userError(`Unknown or inactive partner ${code}.`);
  return p;
}

// ---- intake ledger and lookups ---------------------------------------------------------------------

function reserve(env: Env, partner: Row, kind: string, externalId: string, intakeId: string): { intake: Row; created: boolean } {
  const found = findIntake(env, partner, kind, externalId);
  if (found) return { intake: found, created: false };
  const requestId = typeof env.context.request_id === 'string' ? env.context.request_id : false;
  const [id] = env.sudo().create('retail_gateway.intake', [{ partner_id: partner.id, kind, external_id: externalId, intake_id: intakeId, request_id: requestId }]);
  return { intake: env.row('retail_gateway.intake', id!)!, created: true };
}

function intakeRecord(env: Env, intake: Row): Row | undefined {
  return intake.res_model && intake.res_id ? env.row(String(intake.res_model), intake.res_id as number) : undefined;
}

function setRecord(env: Env, intake: Row, model: string, record: Row, extra: Vals = {}): void {
  env.sudo().write('retail_gateway.intake', [intake.id], { ...extra, res_model: model, res_id: record.id, res_name: env.displayName(model, record) });
}

/** The ledger entry of a partner's item, found through the store's index on external id. */
function findIntake(env: Env, partner: Row, kind: string, externalId: string): Row | undefined {
  const table = env.store.table('retail_gateway.intake');
  for (const id of env.store.lookup('retail_gateway.intake', 'external_id', externalId)) {
    const r = table.get(id)!;
    if (r.partner_id === partner.id && r.kind === kind) return r;
  }
  return undefined;
}

function orderOf(env: Env, partner: Row, externalId: string, field = 'external_id'): Row {
  const found = findIntake(env, partner, 'order', externalId);
  const order = found?.sale_order_id ? env.row('sale.order', found.sale_order_id as number) : undefined;
  if (!order) throw Rejected.single('order_not_found', `No order ${externalId} from this partner.`, field);
  return order;
}

function productOf(env: Env, sku: string, field: string, reasons: Reason[], forSale = true): Row | null {
  const all = [...env.store.table('product.product').values()].sort((a, b) => Number(b.active !== false) - Number(a.active !== false) || a.id - b.id);
  const p = all.find((x) => x.default_code === sku) ?? all.find((x) => x.barcode === sku);
  if (!p) {
    reasons.push(reason('unknown_sku', `Unknown SKU ${sku}.`, field));
    return null;
  }
  const t = env.row('product.template', p.product_tmpl_id as number);
  if (p.active === false || t?.active === false || (forSale && t?.sale_ok === false)) {
    reasons.push(reason('inactive_product', `The product ${sku} is not sold any more.`, field));
    return null;
  }
  return p;
}

function partnerWarehouses(env: Env, partner: Row): Row[] {
  const ids = (partner.warehouse_ids as number[]) ?? [];
  const all = [...env.store.table('stock.warehouse').values()].filter((w) => w.active !== false).sort((a, b) => a.id - b.id);
  return ids.length ? all.filter((w) => ids.includes(w.id)) : all;
}

function warehouseOf(env: Env, partner: Row, code: string | undefined, field: string, reasons: Reason[]): Row | undefined {
  const allowed = partnerWarehouses(env, partner);
  if (!code) {
    if (!allowed.length) reasons.push(reason('unknown_warehouse', 'The partner has no warehouse.', field));
    return allowed[0];
  }
  const wh = allowed.find((w) => w.code === code);
  if (!wh) {
    const exists = [...env.store.table('stock.warehouse').values()].some((w) => w.code === code);
    reasons.push(reason(exists ? 'not_allowed' : 'unknown_warehouse', `Warehouse ${code} is not available to this partner.`, field));
  }
  return wh;
}

function carrierOf(env: Env, partner: Row, method: string | undefined): Row | undefined {
  if (!method) return undefined;
  const m = method.toLowerCase();
  const mapping = [...env.store.table('retail_gateway.carrier.map').values()].find((x) => x.partner_id === partner.id && String(x.method).toLowerCase() === m);
  if (mapping) return env.row('delivery.carrier', mapping.carrier_id as number);
  return [...env.store.table('delivery.carrier').values()].find((c) => c.active !== false && String(c.name).toLowerCase() === m);
}

// ---- customers and addresses -----------------------------------------------------------------------

type OrderIn = Args<'submit_orders'>['orders'][number]['item'];
type AddressIn = OrderIn['shipping_address'];

function addressValues(env: Env, a: AddressIn | undefined, field: string, reasons: Reason[]): Vals | null {
  if (!a) {
    reasons.push(reason('invalid_address', 'The address is missing.', field));
    return null;
  }
  const country = [...env.store.table('res.country').values()].find((c) => c.code === a.country_code.toUpperCase());
  if (!country) {
    reasons.push(reason('invalid_address', `Unknown country ${a.country_code}.`, `${field}/country_code`));
    return null;
  }
  return {
    name: a.name,
    company_name: a.company ?? false,
    street: a.street,
    street2: a.street2 ?? false,
    city: a.city,
    zip: a.zip ?? false,
    state_code: a.state_code ?? false,
    country_id: country.id,
    phone: a.phone ?? false,
    email: a.email ?? false,
  };
}

const ADDRESS_KEYS = ['name', 'street', 'street2', 'city', 'zip', 'state_code', 'country_id'];

/** A delivery or invoice contact under the customer, reused when identical; the customer itself when it is its own address. */
function childAddress(env: Env, customer: Row, type: 'invoice' | 'delivery', values: Vals): number {
  const same = (r: Row) => ADDRESS_KEYS.every((k) => (r[k] ?? false) === (values[k] ?? false));
  if (same(customer)) return customer.id;
  const child = [...env.store.table('res.partner').values()].find((c) => c.parent_id === customer.id && c.type === type && same(c));
  if (child) return child.id;
  return env.sudo().create('res.partner', [{ ...values, parent_id: customer.id, type }])[0]!;
}

function applyConsents(env: Env, customerId: number, consents: OrderIn['customer']['consents']): void {
  const su = env.sudo();
  for (const c of consents ?? []) {
    const at = odooFromIso(c.at);
    const existing = [...env.store.table('retail_gateway.consent').values()].find((x) => x.customer_id === customerId && x.channel === c.channel);
    const values = { status: c.status, at, source: c.source || 'gateway' };
    if (!existing) su.create('retail_gateway.consent', [{ ...values, customer_id: customerId, channel: c.channel }]);
    else if (at >= String(existing.at) && (existing.status !== values.status || existing.source !== values.source)) su.write('retail_gateway.consent', [existing.id], values);
  }
}

/** Matches the customer by the partner's external id, then by e-mail; creates it otherwise. Contact data is completed, never overwritten. */
function matchCustomer(env: Env, partner: Row, data: OrderIn['customer']): Row {
  const su = env.sudo();
  const links = [...env.store.table('retail_gateway.customer.link').values()];
  const link = data.external_id ? links.find((l) => l.partner_id === partner.id && l.external_id === data.external_id) : undefined;
  let customer = link ? env.row('res.partner', link.customer_id as number) : undefined;
  const email = data.email.trim();
  if (!customer && email) {
    customer = [...env.store.table('res.partner').values()]
      .filter((p) => !p.parent_id && p.active !== false && typeof p.email === 'string' && p.email.toLowerCase() === email.toLowerCase())
      .sort((a, b) => a.id - b.id)[0];
  }
  const address = data.address ? (addressValues(env, data.address, 'customer/address', []) ?? {}) : {};
  if (!customer) {
    const [id] = su.create('res.partner', [{ ...address, name: data.name || email, email, phone: data.phone ?? false, customer_rank: 1 }]);
    customer = env.row('res.partner', id!)!;
  } else {
    const fill: Vals = {};
    for (const [k, v] of Object.entries({ ...address, phone: data.phone ?? false })) {
      if (v && !customer[k] && k !== 'name' && k !== 'email') fill[k] = v;
    }
    if (Object.keys(fill).length) su.write('res.partner', [customer.id], fill);
  }
  const existing = links.find((l) => l.partner_id === partner.id && l.customer_id === customer!.id);
  if (!existing) {
    su.create('retail_gateway.customer.link', [{ partner_id: partner.id, customer_id: customer.id, external_id: data.external_id ?? false }]);
    registerCustomerUpdated(env, [customer.id], ['external_ids']);
  } else if (data.external_id && !existing.external_id) {
    su.write('retail_gateway.customer.link', [existing.id], { external_id: data.external_id });
    registerCustomerUpdated(env, [customer.id], ['external_ids']);
  }
  applyConsents(env, customer.id, data.consents);
  return env.row('res.partner', customer.id)!;
}

// ---- intake handlers ---------------------------------------------------------------------------------

function pricelistOf(env: Env, partner: Row, code: string, reasons: Reason[]): { currency?: Row; pricelist?: Row } {
  const currency = [...env.store.table('res.currency').values()].find((c) => c.name === code);
  if (!currency || currency.active === false) {
    reasons.push(reason('unknown_currency', `Currency ${code} is not active in Odoo.`, 'currency'));
    return { currency };
  }
  const own = ((partner.pricelist_ids as number[]) ?? []).map((id) => env.row('product.pricelist', id)).find((p) => p?.currency_id === currency.id);
  const pricelist = own ?? [...env.store.table('product.pricelist').values()].find((p) => p.active !== false && p.currency_id === currency.id);
  const companyCurrency = env.row('res.company', (partner.company_id as number) || 1)?.currency_id;
  if (!pricelist && currency.id !== companyCurrency) reasons.push(reason('unknown_currency', `No pricelist in ${code}.`, 'currency'));
  return { currency, pricelist };
}

function submitOrder(env: Env, partner: Row, intakeId: string, item: OrderIn): ItemResult {
  const { intake, created } = reserve(env, partner, 'order', item.external_id, intakeId);
  if (!created) return result('duplicate', refOf(env, 'sale.order', env.row('sale.order', intake.sale_order_id as number)) ?? refOf(env, String(intake.res_model), intakeRecord(env, intake)));
  const reasons: Reason[] = [];
  const { currency, pricelist } = pricelistOf(env, partner, item.currency, reasons);
  const warehouse = warehouseOf(env, partner, item.warehouse, 'warehouse', reasons);
  const lines = item.lines.map((line, i) => ({ product: productOf(env, line.sku, `lines/${i}/sku`, reasons), line }));
  const carrier = item.shipping ? carrierOf(env, partner, item.shipping.method) : undefined;
  if (item.shipping && !carrier) reasons.push(reason('unknown_carrier', `No carrier for shipping method ${item.shipping.method}.`, 'shipping/method'));
  const billing = addressValues(env, item.billing_address, 'billing_address', reasons);
  const delivery = addressValues(env, item.shipping_address, 'shipping_address', reasons);
  if (reasons.length) throw new Rejected(reasons);

  const su = env.sudo();
  const customer = matchCustomer(env, partner, item.customer);
  const orderLines: unknown[] = lines.map(({ product, line }, i) => [
    0,
    0,
    { sequence: 10 + i, product_id: product!.id, product_uom_qty: line.quantity, price_unit: Number(line.unit_price), discount: Number(line.discount_percent), ...(line.name ? { name: line.name } : {}) },
  ]);
  if (carrier && item.shipping) {
    orderLines.push([0, 0, { sequence: 10_000, product_id: carrier.product_id, name: String(carrier.name), product_uom_qty: 1, price_unit: Number(item.shipping.price), is_delivery: true }]);
  }
  const [orderId] = su.create('sale.order', [
    {
      partner_id: customer.id,
      partner_invoice_id: childAddress(env, customer, 'invoice', billing!),
      partner_shipping_id: childAddress(env, customer, 'delivery', delivery!),
      company_id: partner.company_id || 1,
      warehouse_id: warehouse!.id,
      pricelist_id: pricelist?.id ?? false,
      currency_id: currency!.id,
      carrier_id: carrier?.id ?? false,
      client_order_ref: item.external_id,
      origin: `${String(partner.code)}/${item.channel}`,
      note: item.note ?? false,
      rg_partner_id: partner.id,
      rg_external_id: item.external_id,
      rg_channel: item.channel,
      rg_intake_ref: intakeId,
      rg_placed_at: odooFromIso(item.placed_at),
      rg_payment_method: item.payment.method,
      rg_payment_status: item.payment.status,
      rg_payment_provider: item.payment.provider ?? false,
      rg_payment_transaction: item.payment.transaction_id ?? false,
      order_line: orderLines,
    },
  ]);
  confirmOrders(su, [orderId!]);
  const order = env.row('sale.order', orderId!)!;
  setRecord(env, intake, 'sale.order', order, { sale_order_id: order.id, amount: su.value('sale.order', order, 'amount_total'), currency_code: currency!.name });
  const picking = su.searchRows('stock.picking', [['sale_id', '=', order.id], ['picking_type_code', '=', 'outgoing']], { order: 'id', limit: 1 })[0];
  return result('created', refOf(env, 'sale.order', order), { picking: refOf(env, 'stock.picking', picking) });
}

function cancelOrder(env: Env, partner: Row, _intakeId: string, item: Args<'cancel_orders'>['refs'][number]['item']): ItemResult {
  const order = orderOf(env, partner, item.external_id);
  if (order.state === 'cancel') return result('duplicate', refOf(env, 'sale.order', order));
  const su = env.sudo();
  const shipped = su.searchRows('stock.picking', [['sale_id', '=', order.id], ['picking_type_code', '=', 'outgoing'], ['state', '=', 'done']]).length > 0;
  const invoiced = (su.value('sale.order', order, 'invoice_ids') as number[]).some((id) => env.row('account.move', id)?.state === 'posted');
  if (shipped || invoiced) throw Rejected.single('order_not_cancellable', `Order ${String(order.name)} is already ${shipped ? 'shipped' : 'invoiced'}.`, 'external_id');
  cancelOrders(su, [order.id]);
  return result('cancelled', refOf(env, 'sale.order', env.row('sale.order', order.id)));
}

function updateOrder(env: Env, partner: Row, _intakeId: string, item: Args<'update_orders'>['items'][number]['item']): ItemResult {
  const order = orderOf(env, partner, item.external_id);
  const su = env.sudo();
  const reasons: Reason[] = [];
  const vals: Vals = {};
  const customer = env.row('res.partner', order.partner_id as number)!;
  if (item.shipping_address) {
    const address = addressValues(env, item.shipping_address, 'shipping_address', reasons);
    if (su.searchRows('stock.picking', [['sale_id', '=', order.id], ['picking_type_code', '=', 'outgoing'], ['state', '=', 'done']]).length) {
      reasons.push(reason('not_allowed', 'The order has already been shipped.', 'shipping_address'));
    } else if (address) vals.partner_shipping_id = childAddress(env, customer, 'delivery', address);
  }
  if (item.billing_address) {
    const address = addressValues(env, item.billing_address, 'billing_address', reasons);
    if ((su.value('sale.order', order, 'invoice_ids') as number[]).some((id) => env.row('account.move', id)?.state === 'posted')) {
      reasons.push(reason('not_allowed', 'The order has already been invoiced.', 'billing_address'));
    } else if (address) vals.partner_invoice_id = childAddress(env, customer, 'invoice', address);
  }
  if (item.note !== undefined) vals.note = item.note || false;
  if (item.payment_status) vals.rg_payment_status = item.payment_status;
  if (reasons.length) throw new Rejected(reasons);
  if (Object.keys(vals).length) {
    su.write('sale.order', [order.id], vals);
    if (vals.partner_shipping_id) {
      const open = su.searchRows('stock.picking', [['sale_id', '=', order.id], ['state', 'not in', ['done', 'cancel']]]).map((p) => p.id);
      if (open.length) su.write('stock.picking', open, { partner_id: vals.partner_shipping_id });
    }
  }
  return result('updated', refOf(env, 'sale.order', env.row('sale.order', order.id)));
}

function registerPayment(env: Env, partner: Row, intakeId: string, item: Args<'register_payments'>['items'][number]['item']): ItemResult {
  const order = orderOf(env, partner, item.external_id);
  const { intake, created } = reserve(env, partner, 'payment', `${item.kind}:${item.transaction_id}`, intakeId);
  if (!created) return result('duplicate', refOf(env, 'sale.order', order));
  const currency = String(env.row('res.currency', order.currency_id as number)?.name ?? '');
  if (item.currency !== currency) throw Rejected.single('unknown_currency', `The order is in ${currency}, not ${item.currency}.`, 'currency');
  const su = env.sudo();
  const amount = Number(item.amount);
  let payment: Row | undefined;
  if (item.kind === 'paid' && amount > 0) payment = invoicesPaid(env, order, amount, item.transaction_id, item.at.slice(0, 10));
  su.write('retail_gateway.intake', [intake.id], { amount, currency_code: item.currency, note: item.kind });
  setRecord(env, intake, payment ? 'account.payment' : 'sale.order', payment ?? order, { sale_order_id: order.id });
  const payments = [...env.store.table('retail_gateway.intake').values()].filter((i) => i.sale_order_id === order.id && i.kind === 'payment');
  const paid = payments.filter((i) => i.note === 'paid').reduce((s, i) => s + Number(i.amount), 0);
  const refunded = payments.filter((i) => i.note === 'refunded').reduce((s, i) => s + Number(i.amount), 0);
  const status = refunded ? (refunded >= paid - 0.005 ? 'refunded' : 'partially_refunded') : paid ? 'paid' : order.rg_payment_status;
  su.write('sale.order', [order.id], { rg_payment_status: status });
  return result('registered', refOf(env, 'sale.order', env.row('sale.order', order.id)), { payment: refOf(env, 'account.payment', payment) });
}

function submitReturn(env: Env, partner: Row, intakeId: string, item: Args<'submit_returns'>['returns'][number]['item']): ItemResult {
  const { intake, created } = reserve(env, partner, 'return', item.external_id, intakeId);
  if (!created) return result('duplicate', refOf(env, String(intake.res_model), intakeRecord(env, intake)));
  const order = orderOf(env, partner, item.order_external_id, 'order_external_id');
  const su = env.sudo();
  const delivered = su
    .searchRows('stock.picking', [['sale_id', '=', order.id], ['picking_type_code', '=', 'outgoing'], ['state', '=', 'done']], { order: 'id' })
    .flatMap((p) => su.searchRows('stock.move', [['picking_id', '=', p.id], ['state', '=', 'done']], { order: 'id' }));
  const returnedOf = (move: Row) =>
    [...env.store.table('stock.move').values()].filter((m) => m.origin_returned_move_id === move.id && m.state !== 'cancel').reduce((s, m) => s + Number(m.product_uom_qty), 0);
  const reasons: Reason[] = [];
  const allocation = new Map<number, Map<Row, number>>(); // picking id → move → quantity
  item.lines.forEach((line, i) => {
    const product = productOf(env, line.sku, `lines/${i}/sku`, reasons, false);
    if (!product) return;
    const moves = delivered.filter((m) => m.product_id === product.id);
    if (!moves.length) {
      reasons.push(reason('unknown_sku', `${line.sku} was not delivered in this order.`, `lines/${i}/sku`));
      return;
    }
    let quantity = line.quantity;
    for (const move of moves) {
      const perPicking = allocation.get(move.picking_id as number) ?? new Map<Row, number>();
      const returnable = Number(move.quantity) - returnedOf(move) - (perPicking.get(move) ?? 0);
      const take = Math.min(returnable, quantity);
      if (take > 0) {
        perPicking.set(move, (perPicking.get(move) ?? 0) + take);
        allocation.set(move.picking_id as number, perPicking);
        quantity -= take;
      }
      if (quantity <= 1e-9) break;
    }
    if (quantity > 1e-9) reasons.push(reason('invalid_quantity', 'More than was delivered and not yet returned.', `lines/${i}/quantity`));
  });
  if (reasons.length) throw new Rejected(reasons);
  const returns: Row[] = [];
  for (const [pickingId, quantities] of allocation) {
    const source = env.row('stock.picking', pickingId)!;
    const warehouse = env.row('stock.warehouse', (env.row('stock.location', source.location_id as number)?.warehouse_id as number) ?? 0)!;
    returns.push(
      createPicking(env, {
        code: 'incoming',
        warehouse,
        partnerId: source.partner_id as number,
        origin: `Return of ${String(source.name)}`,
        saleId: order.id,
        returnOf: source.id,
        lines: [...quantities].map(([move, q]) => ({ productId: move.product_id as number, quantity: q, saleLineId: (move.sale_line_id as number) || undefined, originReturnedMoveId: move.id })),
        extra: { rg_partner_id: partner.id, rg_external_id: item.external_id, note: item.note ?? false },
      }),
    );
  }
  setRecord(env, intake, 'stock.picking', returns[0]!, { sale_order_id: order.id });
  const related: Record<string, Ref> = { order: refOf(env, 'sale.order', order) };
  returns.slice(1).forEach((p, i) => (related[`picking_${i + 2}`] = refOf(env, 'stock.picking', p)));
  return result('created', refOf(env, 'stock.picking', returns[0]), related);
}

function confirmShipment(env: Env, partner: Row, intakeId: string, item: Args<'confirm_shipments'>['items'][number]['item']): ItemResult {
  const backorderOf = (p: Row | undefined) => (p ? env.sudo().searchRows('stock.picking', [['backorder_id', '=', p.id]], { order: 'id', limit: 1 })[0] : undefined);
  const { intake, created } = reserve(env, partner, 'shipment', item.external_id, intakeId);
  if (!created) {
    const picking = intakeRecord(env, intake);
    return result('duplicate', refOf(env, 'stock.picking', picking), { backorder: refOf(env, 'stock.picking', backorderOf(picking)) });
  }
  const order = orderOf(env, partner, item.order_external_id, 'order_external_id');
  const su = env.sudo();
  const open = su.searchRows('stock.picking', [['sale_id', '=', order.id], ['picking_type_code', '=', 'outgoing'], ['state', 'not in', ['done', 'cancel', 'draft']]], { order: 'id' });
  if (!open.length) throw Rejected.single('not_allowed', `Order ${String(order.name)} has nothing left to ship.`, 'order_external_id');
  const openMoves = open.flatMap((p) => su.searchRows('stock.move', [['picking_id', '=', p.id], ['state', '!=', 'cancel']]));
  const reasons: Reason[] = [];
  const shipped = new Map<number, number>();
  item.lines.forEach((line, i) => {
    const product = productOf(env, line.sku, `lines/${i}/sku`, reasons, false);
    if (!product) return;
    const moves = openMoves.filter((m) => m.product_id === product.id && m.state !== 'done');
    const remaining = moves.reduce((s, m) => s + Number(m.product_uom_qty), 0) - (shipped.get(product.id) ?? 0);
    if (!moves.length) reasons.push(reason('unknown_sku', `${line.sku} is not to be shipped in this order.`, `lines/${i}/sku`));
    else if (line.quantity > remaining + 1e-9) reasons.push(reason('invalid_quantity', 'More than is left to ship.', `lines/${i}/quantity`));
    else shipped.set(product.id, (shipped.get(product.id) ?? 0) + line.quantity);
  });
  const carrier = carrierOf(env, partner, item.carrier);
  if (reasons.length) throw new Rejected(reasons);
  const validated: Row[] = [];
  for (const picking of open) {
    const quantities = new Map<number, number>();
    for (const m of su.searchRows('stock.move', [['picking_id', '=', picking.id], ['state', 'not in', ['done', 'cancel']]], { order: 'id' })) {
      const take = Math.min(Number(m.product_uom_qty), shipped.get(m.product_id as number) ?? 0);
      if (take > 0) {
        quantities.set(m.product_id as number, (quantities.get(m.product_id as number) ?? 0) + take);
        shipped.set(m.product_id as number, (shipped.get(m.product_id as number) ?? 0) - take);
      }
    }
    if (!quantities.size) continue;
    su.write('stock.picking', [picking.id], {
      carrier_tracking_ref: item.tracking_number,
      rg_carrier_name: item.carrier,
      rg_partner_id: partner.id,
      rg_external_id: item.external_id,
      rg_shipped_at: odooFromIso(item.shipped_at),
      ...(carrier ? { carrier_id: carrier.id } : {}),
    });
    validatePicking(env, env.row('stock.picking', picking.id)!, quantities);
    validated.push(picking);
  }
  if (!validated.length) throw Rejected.single('invalid_quantity', 'Nothing to ship.', 'lines');
  const first = env.row('stock.picking', validated[0]!.id)!;
  setRecord(env, intake, 'stock.picking', first, { sale_order_id: order.id });
  return result('confirmed', refOf(env, 'stock.picking', first), { backorder: refOf(env, 'stock.picking', validated.map(backorderOf).find(Boolean)) });
}

function applyStockCount(env: Env, partner: Row, intakeId: string, item: Args<'apply_stock_counts'>['items'][number]['item']): ItemResult {
  const { intake, created } = reserve(env, partner, 'stock_count', item.external_id, intakeId);
  if (!created) return result('duplicate', refOf(env, 'retail_gateway.intake', intake));
  const reasons: Reason[] = [];
  const warehouse = warehouseOf(env, partner, item.warehouse, 'warehouse', reasons);
  const counted = new Map<number, number>();
  item.lines.forEach((line, i) => {
    const product = productOf(env, line.sku, `lines/${i}/sku`, reasons, false);
    if (product && !env.row('product.template', product.product_tmpl_id as number)?.is_storable) {
      reasons.push(reason('validation_error', `${line.sku} is not tracked in stock.`, `lines/${i}/sku`));
    } else if (product) counted.set(product.id, line.quantity);
  });
  if (reasons.length) throw new Rejected(reasons);
  for (const [productId, quantity] of counted) setCountedQuantity(env, productId, warehouse!, quantity);
  env.sudo().write('retail_gateway.intake', [intake.id], { res_model: 'retail_gateway.intake', res_id: intake.id, res_name: `${String(warehouse!.code)} count ${item.external_id}` });
  return result('applied', refOf(env, 'retail_gateway.intake', env.row('retail_gateway.intake', intake.id)));
}

// ---- batches ------------------------------------------------------------------------------------------

type Handler<I> = (env: Env, partner: Row, intakeId: string, item: I) => ItemResult;

/** The addon's `_rg_batch`: one savepoint per item; a rejection or an Odoo error rejects the item alone. */
function runBatch<I extends { external_id: string }>(env: Env, partnerCode: string, items: Array<{ intake_id: string; item: I }>, handler: Handler<I>): { results: ItemResult[] } {
  checkCaller(env);
  const partner = getPartner(env, partnerCode);
  const results = items.map(({ intake_id: intakeId, item }) => {
    let r: ItemResult;
    try {
      if (partner.mode === 'shadow') throw Rejected.single('not_allowed', 'The partner is in shadow mode: nothing is written to Odoo.');
      r = env.savepoint(() => handler(env, partner, intakeId, item));
    } catch (err) {
      if (err instanceof Rejected) r = result('rejected', null, undefined, err.reasons);
      else if (err instanceof PyError && err.pyName.startsWith('odoo.exceptions.')) r = result('rejected', null, undefined, [reason('validation_error', err.message)]);
      else if (err instanceof PyError && /SerializationFailure|LockNotAvailable|DeadlockDetected/.test(err.pyName)) throw err;
      else r = result('rejected', null, undefined, [reason('validation_error', `Odoo could not apply the item: ${err instanceof Error ? err.message : String(err)}`)]);
    }
    return { ...r, intake_id: intakeId, external_id: item.external_id || '-' };
  });
  return { results };
}

// ---- outbox ---------------------------------------------------------------------------------------------

function outboxRows(env: Env): Row[] {
  return [...env.store.table(OUTBOX_MODEL).values()];
}

const leaseLive = (r: Row, now: Date) => r.state === 'leased' && typeof r.lease_until === 'string' && rfc3339FromOdoo(r.lease_until) >= now.toISOString();

/**
 * Leases pending (or lease-expired) events, oldest first; an event leaves only when every earlier
 * undispatched event of its aggregate leaves in the same batch.
 */
function claim(env: Env, a: Args<'claim'>): Result<'claim'> {
  checkCaller(env);
  const now = env.ctx.now();
  const leaseUntil = new Date(now.getTime() + a.lease_seconds * 1000);
  const rows = outboxRows(env);
  const liveBySubject = new Map<string, number>();
  for (const r of rows) if (leaseLive(r, now)) liveBySubject.set(`${String(r.aggregate_model)}/${String(r.aggregate_id)}`, Math.min(liveBySubject.get(`${String(r.aggregate_model)}/${String(r.aggregate_id)}`) ?? Infinity, Number(r.sequence)));
  const candidates = rows
    .filter((r) => (r.state === 'pending' || (r.state === 'leased' && !leaseLive(r, now))) && !(Number(r.sequence) > (liveBySubject.get(`${String(r.aggregate_model)}/${String(r.aggregate_id)}`) ?? Infinity)))
    .slice(0, a.limit);
  const candidateIds = new Set(candidates.map((r) => r.id));
  const blocked = new Set<string>();
  const eligible = new Set<number>();
  const bySubject = rows.filter((r) => r.state !== 'dispatched').sort((x, y) => Number(x.sequence) - Number(y.sequence));
  const subjects = new Set(candidates.map((r) => `${String(r.aggregate_model)}/${String(r.aggregate_id)}`));
  for (const r of bySubject) {
    const subject = `${String(r.aggregate_model)}/${String(r.aggregate_id)}`;
    if (!subjects.has(subject) || blocked.has(subject)) continue;
    if (candidateIds.has(r.id)) eligible.add(r.id);
    else blocked.add(subject);
  }
  const su = env.sudo();
  const events: Result<'claim'>['events'] = [];
  for (const r of candidates) {
    if (!eligible.has(r.id)) continue;
    su.write(OUTBOX_MODEL, [r.id], { state: 'leased', lease_until: odooDatetime(leaseUntil), consumer: a.consumer, claim_count: Number(r.claim_count ?? 0) + 1 });
    events.push({ event_id: String(r.name), cursor: r.id, envelope: envelopeOf(env, r) as Result<'claim'>['events'][number]['envelope'] });
  }
  return { events, lease_until: iso(leaseUntil) };
}

function ack(env: Env, a: Args<'ack'>): Result<'ack'> {
  checkCaller(env);
  const byName = new Map(outboxRows(env).map((r) => [String(r.name), r]));
  const acked: string[] = [];
  const notLeased: string[] = [];
  const dispatch: number[] = [];
  for (const id of a.event_ids) {
    const r = byName.get(id);
    if (r?.state === 'dispatched') acked.push(id);
    else if (r?.state === 'leased' && r.consumer === a.consumer) {
      acked.push(id);
      dispatch.push(r.id);
    } else notLeased.push(id);
  }
  if (dispatch.length) env.sudo().write(OUTBOX_MODEL, dispatch, { state: 'dispatched', dispatched_at: odooDatetime(env.ctx.now()), lease_until: false });
  return { acked, not_leased: notLeased };
}

function reportDeliveries(env: Env, a: Args<'report_deliveries'>): Result<'report_deliveries'> {
  checkCaller(env);
  const su = env.sudo();
  const byName = new Map(outboxRows(env).map((r) => [String(r.name), r]));
  let recorded = 0;
  const unknown: string[] = [];
  for (const r of a.results) {
    const event = byName.get(r.event_id);
    const partner = partnerByCode(env, r.partner);
    if (!event || !partner) {
      if (!unknown.includes(r.event_id)) unknown.push(r.event_id);
      continue;
    }
    const vals = { status: r.status, attempts: r.attempts, last_error: r.last_error ?? false, at: odooFromIso(r.at) };
    const existing = [...env.store.table('retail_gateway.delivery').values()].find(
      (d) => d.event_id === event.id && d.partner_id === partner.id && (d.subscription_ref || null) === r.subscription_id,
    );
    if (existing) su.write('retail_gateway.delivery', [existing.id], vals);
    else {
      const sub = r.subscription_id ? env.row('retail_gateway.subscription', r.subscription_id) : undefined;
      su.create('retail_gateway.delivery', [{ ...vals, event_id: event.id, partner_id: partner.id, subscription_id: sub?.id ?? false, subscription_ref: r.subscription_id ?? 0 }]);
    }
    recorded++;
  }
  return { recorded, unknown_events: unknown };
}

/** Non-claiming read after a cursor: the position is the row id here, commit order in a one-threaded server. */
function changesSince(env: Env, a: Args<'changes_since'>): Result<'changes_since'> {
  checkCaller(env);
  const types = a.types ? new Set<string>(a.types) : null;
  const rows = outboxRows(env).sort((x, y) => x.id - y.id);
  const matching = rows.filter((r) => r.id > a.cursor && (!types || types.has(String(r.event_type))));
  const page = matching.slice(0, a.limit);
  const hasMore = matching.length > a.limit;
  let cursor = page.length ? page[page.length - 1]!.id : a.cursor;
  if (!hasMore) cursor = Math.max(cursor, rows.length ? rows[rows.length - 1]!.id : 0);
  return { events: page.map((r) => ({ cursor: r.id, envelope: envelopeOf(env, r) as Result<'changes_since'>['events'][number]['envelope'] })), cursor, has_more: hasMore };
}

// ---- partner registry ----------------------------------------------------------------------------------

type SecretVersion = { secret: string; valid_until: string | null };
const live = (list: SecretVersion[] | undefined, now: Date) => (list ?? []).filter((s) => stillValid(s.valid_until, now));

function subscriptionOut(env: Env, s: Row) {
  return {
    id: s.id,
    partner: String(env.row('retail_gateway.partner', s.partner_id as number)?.code),
    url: String(s.url),
    event_types: splitWords(s.event_types) as Result<'create_subscription'>['subscription']['event_types'],
    active: s.active !== false,
    consecutive_failures: Number(s.consecutive_failures ?? 0),
    disabled_at: s.disabled_at ? rfc3339FromOdoo(s.disabled_at) : null,
    created_at: rfc3339FromOdoo(s.create_date),
  };
}

export function partnerRecord(env: Env, p: Row): Result<'partners'>['partners'][number] {
  const now = env.ctx.now();
  const subs = [...env.store.table('retail_gateway.subscription').values()].filter((s) => s.partner_id === p.id).sort((a, b) => a.id - b.id);
  const stored = (p.inbound_secrets as Record<string, SecretVersion[]>) ?? {};
  const dates = [p.write_date, ...subs.map((s) => s.write_date)].filter((d): d is string => typeof d === 'string').sort();
  return {
    code: String(p.code),
    name: String(p.name),
    active: p.active !== false,
    scopes: splitWords(p.scopes) as Result<'partners'>['partners'][number]['scopes'],
    tier: p.tier as 'standard',
    mode: p.mode as 'live',
    warehouses: ((p.warehouse_ids as number[]) ?? []).map((id) => String(env.row('stock.warehouse', id)?.code)),
    company_id: (p.company_id as number) || 1,
    issuer: (p.issuer as string) || null,
    jwks_url: (p.jwks_url as string) || null,
    subscriptions: subs.map((s) => ({ ...subscriptionOut(env, s), secrets: live(s.secrets as SecretVersion[], now) })).filter((s) => s.secrets.length > 0),
    inbound_secrets: { shopify: live(stored.shopify, now), woocommerce: live(stored.woocommerce, now), stripe: live(stored.stripe, now), standard: live(stored.standard, now) },
    updated_at: rfc3339FromOdoo(dates[dates.length - 1]),
  };
}

/** The addon's `_rg_rotate`: the new version is current; the current ones get min(their deadline, now + grace). */
function rotate<T extends { valid_until: string | null }>(list: T[], fresh: T, now: Date, graceSeconds: number): { list: T[]; previousValidUntil: string | null } {
  const deadline = iso(new Date(now.getTime() + graceSeconds * 1000));
  let previous: string | null = null;
  const aged = list.map((s) => {
    if (!stillValid(s.valid_until, now)) return s;
    const until = s.valid_until && s.valid_until < deadline ? s.valid_until : deadline;
    previous = previous && previous > until ? previous : until;
    return { ...s, valid_until: until };
  });
  return { list: [fresh, ...aged.filter((s) => stillValid(s.valid_until, now))], previousValidUntil: previous };
}

function ownSubscription(env: Env, partner: Row, id: number): Row | undefined {
  const s = env.row('retail_gateway.subscription', id);
  return s && s.partner_id === partner.id ? s : undefined;
}

// ---- the contract ---------------------------------------------------------------------------------------

type Impl<M extends RpcMethod> = (env: Env, args: Args<M>) => Result<M>;

export const addonMethods: { [M in RpcMethod]: Impl<M> } = {
  claim,
  ack,
  report_deliveries: reportDeliveries,
  changes_since: changesSince,
  authenticate_client: (env, a) => {
    checkCaller(env);
    const p = [...env.store.table('retail_gateway.partner').values()].find((x) => x.client_id === a.client_id && x.active !== false);
    if (!p) return { ok: false };
    const now = env.ctx.now();
    const match = ((p.client_secrets as StoredSecretHash[]) ?? []).find((s) => stillValid(s.valid_until, now) && secretMatches(s, a.client_secret));
    if (!match) return { ok: false };
    return { ok: true, partner: String(p.code), scopes: splitWords(p.scopes) as Result<'partners'>['partners'][number]['scopes'], valid_until: match.valid_until };
  },
  partners: (env, a) => {
    checkCaller(env);
    const all = [...env.store.table('retail_gateway.partner').values()].sort((x, y) => String(x.code).localeCompare(String(y.code)));
    return { partners: all.filter((p) => !a.codes || a.codes.includes(String(p.code))).map((p) => partnerRecord(env, p)) };
  },
  create_partner: (env, a) => {
    checkCaller(env);
    const taken = [...env.store.table('retail_gateway.partner').values()].some((p) => p.code === a.code || p.client_id === a.code);
    if (taken) throw userError(`A partner with the code or client id ${a.code} exists already.`);
    const secret = newClientSecret();
    const [id] = env.sudo().create('retail_gateway.partner', [{
      code: a.code, name: (a.name ?? a.code).trim(), scopes: a.scopes.join(' '), tier: a.tier ?? 'standard', mode: a.mode ?? 'live',
      active: true, client_id: a.code, client_secrets: [hashSecret(secret)],
    }]);
    return { partner: partnerRecord(env, env.row('retail_gateway.partner', id!)!), client_id: a.code, client_secret: secret };
  },
  rotate_client_secret: (env, a) => {
    checkCaller(env);
    const p = getPartner(env, a.partner, false);
    const secret = newClientSecret();
    const { list, previousValidUntil } = rotate((p.client_secrets as StoredSecretHash[]) ?? [], hashSecret(secret), env.ctx.now(), a.grace_seconds);
    env.sudo().write('retail_gateway.partner', [p.id], { client_secrets: list });
    return { client_id: String(p.client_id), client_secret: secret, previous_valid_until: previousValidUntil };
  },
  rotate_inbound_secret: (env, a) => {
    checkCaller(env);
    const p = getPartner(env, a.partner, false);
    const all = { ...((p.inbound_secrets as Record<string, SecretVersion[]>) ?? {}) };
    const { list, previousValidUntil } = rotate(all[a.provider] ?? [], { secret: a.secret, valid_until: null }, env.ctx.now(), a.grace_seconds);
    all[a.provider] = list;
    env.sudo().write('retail_gateway.partner', [p.id], { inbound_secrets: all });
    return { previous_valid_until: previousValidUntil };
  },
  create_subscription: (env, a) => {
    checkCaller(env);
    const p = getPartner(env, a.partner);
    const secret = newWebhookSecret();
    const [id] = env.sudo().create('retail_gateway.subscription', [
      { partner_id: p.id, url: a.url, event_types: [...new Set(a.event_types)].join(' '), active: a.active, secrets: [{ secret, valid_until: null }] },
    ]);
    return { subscription: subscriptionOut(env, env.row('retail_gateway.subscription', id!)!), secret };
  },
  update_subscription: (env, a) => {
    checkCaller(env);
    const s = ownSubscription(env, getPartner(env, a.partner, false), a.id);
    if (!s) return { subscription: null };
    const vals: Vals = {};
    if (a.url !== undefined) vals.url = a.url;
    if (a.event_types !== undefined) vals.event_types = [...new Set(a.event_types)].join(' ');
    if (a.active !== undefined) vals.active = a.active;
    if (a.consecutive_failures !== undefined) vals.consecutive_failures = a.consecutive_failures;
    if (a.disabled === true && !s.disabled_at) vals.disabled_at = odooDatetime(env.ctx.now());
    else if (a.disabled === false) Object.assign(vals, { disabled_at: false, consecutive_failures: vals.consecutive_failures ?? 0 });
    if (Object.keys(vals).length) env.sudo().write('retail_gateway.subscription', [s.id], vals);
    return { subscription: subscriptionOut(env, env.row('retail_gateway.subscription', s.id)!) };
  },
  delete_subscription: (env, a) => {
    checkCaller(env);
    const s = ownSubscription(env, getPartner(env, a.partner, false), a.id);
    if (!s) return { deleted: false };
    env.sudo().unlink('retail_gateway.subscription', [s.id]);
    return { deleted: true };
  },
  rotate_subscription_secret: (env, a) => {
    checkCaller(env);
    const s = ownSubscription(env, getPartner(env, a.partner, false), a.id);
    if (!s) throw validationError(`No subscription ${a.id} for this partner.`);
    const secret = newWebhookSecret();
    const { list, previousValidUntil } = rotate((s.secrets as SecretVersion[]) ?? [], { secret, valid_until: null }, env.ctx.now(), a.grace_seconds);
    env.sudo().write('retail_gateway.subscription', [s.id], { secrets: list });
    return { secret, previous_valid_until: previousValidUntil };
  },
  submit_orders: (env, a) => runBatch(env, a.partner, a.orders, submitOrder),
  submit_returns: (env, a) => runBatch(env, a.partner, a.returns, submitReturn),
  cancel_orders: (env, a) => runBatch(env, a.partner, a.refs, cancelOrder),
  register_payments: (env, a) => runBatch(env, a.partner, a.items, registerPayment),
  update_orders: (env, a) => runBatch(env, a.partner, a.items, updateOrder),
  confirm_shipments: (env, a) => runBatch(env, a.partner, a.items, confirmShipment),
  apply_stock_counts: (env, a) => runBatch(env, a.partner, a.items, applyStockCount),
  availability: (env, a) => {
    checkCaller(env);
    const warehouses = [...env.store.table('stock.warehouse').values()]
      .filter((w) => w.active !== false && (!a.warehouses || a.warehouses.includes(String(w.code))))
      .sort((x, y) => String(x.code).localeCompare(String(y.code)) || x.id - y.id);
    const products = [...env.store.table('product.product').values()]
      .filter((p) => p.active !== false && env.row('product.template', p.product_tmpl_id as number)?.is_storable)
      .filter((p) => !a.skus || a.skus.includes(String(p.default_code)))
      .sort((x, y) => (skuOf(x) < skuOf(y) ? -1 : skuOf(x) > skuOf(y) ? 1 : x.id - y.id));
    const combos = products.flatMap((p) => warehouses.map((w) => [p, w] as const));
    const asOf = iso(env.ctx.now());
    const items = combos.slice(a.offset, a.offset + a.limit).map(([p, w]) => ({ sku: skuOf(p), warehouse: String(w.code), ...stockLevels(env, p, w), as_of: asOf }));
    return { items, has_more: combos.length > a.offset + a.limit };
  },
};

/** Adds the contract's methods to the addon models, checking arguments in and answers out. */
export function registerAddonMethods(models: Map<string, ModelDef>): void {
  for (const name of Object.keys(rpc) as RpcMethod[]) {
    const def = rpc[name];
    const model = models.get(def.model);
    if (!model) throw new Error(`simulator: model ${def.model} for ${name} is missing`);
    const method: MethodDef = {
      api: 'model',
      params: Object.keys((def.args as unknown as { shape: Record<string, unknown> }).shape),
      run: (env, _ids, kwargs) => {
        const parsed = def.args.safeParse(kwargs);
        if (!parsed.success) {
          throw validationError(`Invalid arguments for ${def.model}.${name}: ${parsed.error.issues.map((i) => `${i.path.join('/')}: ${i.message}`).join('; ')}`);
        }
        const answer = (addonMethods[name] as (env: Env, a: unknown) => unknown)(env, parsed.data);
        const checked = def.result.safeParse(answer);
        if (!checked.success) throw new Error(`simulator answer of ${name} breaks the contract: ${checked.error.message}`);
        return answer;
      },
    };
    model.methods = { ...model.methods, [name]: method };
  }
}

