/**
 * The simulated outbox, with the addon's semantics: a change registers an *intent* (event type,
 * record, changed fields); just before the commit the intents become outbox rows whose payload
 * reflects the final state of the transaction. Repeated changes of one record in one transaction
 * coalesce into one event (changed fields united); a rolled-back change leaves no event. Every
 * payload is validated against contracts' EventEnvelope before it is stored.
 *
 * Aggregates (and so per-aggregate sequences) follow the addon: orders, their shipments, returns and
 * (single-order) invoices share `sale.order/<id>`; stock and product changes `product.product/<id>`;
 * customers `res.partner/<id>`.
 */
import { randomUUID } from 'node:crypto';
import { eventEnvelopeFor, type EventEnvelope, type EventType, type eventData } from '../../../../contracts/src/events.js';
import type { z } from 'zod';
import { stockLevels } from './models/stock.js';
import type { Env, Row } from './orm.js';

export const OUTBOX_MODEL = 'retail_gateway.outbox.event';

type Data<T extends EventType> = z.input<(typeof eventData)[T]>;

interface Intent {
  type: EventType;
  model: string;
  id: number;
  changed: string[];
  requestId: string | null;
  extra: Record<string, unknown>;
}

/** Odoo's `float_repr`: a fixed number of digits (prices 2, amounts by currency). */
export const fixed = (n: number, digits = 2): string => {
  const s = (Math.round(n * 10 ** digits) / 10 ** digits).toFixed(digits);
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
};
const orNull = <T>(v: T | false | undefined | null | ''): T | null => (v === false || v === undefined || v === null || v === '' ? null : v);

/** The SKU of a variant (`sku_of` in the addon): its internal reference, else `product.product/<id>`. */
export function skuOf(product: Row | undefined): string {
  if (!product) return 'product.product/0';
  const code = typeof product.default_code === 'string' ? product.default_code.trim() : '';
  return code || `product.product/${product.id}`;
}

export const rfc3339FromOdoo = (s: unknown): string => (typeof s === 'string' && s ? new Date(`${s.replace(' ', 'T')}Z`).toISOString() : new Date(0).toISOString());

function intents(env: Env): Map<string, Intent> {
  return (env.ctx.bag.outboxIntents ??= new Map<string, Intent>()) as Map<string, Intent>;
}

/** Registers the intent to publish `type` for a record at commit (`_rg_register`). */
export function registerEvent(env: Env, type: EventType, model: string, id: number, changed: string[] = [], extraKey?: string | number, extra: Record<string, unknown> = {}): void {
  if (env.ctx.bag.seeding || env.context.retail_gateway_mute_events) return;
  const map = intents(env);
  const key = `${type}|${model}|${id}|${extraKey ?? ''}`;
  const requestId = typeof env.context.request_id === 'string' ? env.context.request_id.slice(0, 128) : null;
  const existing = map.get(key);
  if (!existing) {
    map.set(key, { type, model, id, changed: [...new Set(changed)], requestId, extra: { ...extra } });
    env.store.onRollback(() => map.delete(key));
    return;
  }
  const before = { changed: [...existing.changed], requestId: existing.requestId };
  for (const f of changed) if (!existing.changed.includes(f)) existing.changed.push(f);
  if (!existing.requestId && requestId) existing.requestId = requestId;
  env.store.onRollback(() => Object.assign(existing, before));
}

function nextSequence(env: Env, aggregate: string): number {
  const seqs = (env.ctx.bag.outboxSequences ??= new Map<string, number>()) as Map<string, number>;
  const prev = seqs.get(aggregate) ?? 0;
  seqs.set(aggregate, prev + 1);
  env.store.onRollback(() => (prev === 0 ? seqs.delete(aggregate) : seqs.set(aggregate, prev)));
  return prev + 1;
}

/** The CloudEvents envelope of a stored outbox row. */
export function envelopeOf(env: Env, row: Row): EventEnvelope {
  return {
    specversion: '1.0',
    id: String(row.name),
    source: `odoo://${env.ctx.db}/retail_gateway`,
    type: row.event_type,
    time: String(row.event_time),
    subject: `${String(row.aggregate_model)}/${String(row.aggregate_id)}`,
    datacontenttype: 'application/json',
    sequence: Number(row.sequence),
    ...(row.request_id ? { requestid: String(row.request_id) } : {}),
    data: structuredClone(row.payload),
  } as EventEnvelope;
}

interface EventValues {
  data: unknown;
  aggregate: [string, number];
  externalId?: string | null;
}

/** Pre-commit hook: the transaction's intents become outbox rows. */
export function publishIntents(env: Env): void {
  const map = env.ctx.bag.outboxIntents as Map<string, Intent> | undefined;
  if (!map?.size) return;
  const pending = [...map.entries()];
  map.clear();
  env.store.onRollback(() => pending.forEach(([key, intent]) => map.set(key, intent)));
  const su = env.sudo();
  for (const [, intent] of pending) {
    const record = env.row(intent.model, intent.id);
    if (!record) continue;
    const values = eventValues(su, intent, record);
    if (!values) continue;
    const [aggModel, aggId] = values.aggregate;
    const row = {
      name: randomUUID(),
      event_type: intent.type,
      aggregate_model: aggModel,
      aggregate_id: aggId,
      aggregate_external_id: values.externalId ?? false,
      record_model: intent.model,
      record_id: intent.id,
      sequence: nextSequence(env, `${aggModel}/${aggId}`),
      event_time: env.ctx.now().toISOString(),
      request_id: intent.requestId ?? false,
      payload: values.data,
      state: 'pending',
    };
    // Fails the transaction when a payload breaks the contract: a simulator bug, never silent.
    eventEnvelopeFor(intent.type).parse(envelopeOf(env, { id: 0, ...row }));
    su.create(OUTBOX_MODEL, [row]);
  }
}

function eventValues(env: Env, intent: Intent, record: Row): EventValues | null {
  switch (intent.type) {
    case 'product.updated':
      return productUpdated(env, record, intent.changed);
    case 'inventory.changed':
      return inventoryChanged(env, record, intent.extra.warehouse_id as number);
    case 'customer.updated':
      return customerUpdated(env, record, intent.changed);
    case 'order.created':
    case 'order.cancelled':
      return orderEvent(env, intent.type, record);
    case 'shipment.shipped':
    case 'return.received':
      return pickingEvent(env, intent.type, record);
    case 'invoice.posted':
      return invoicePosted(env, record);
    default:
      return null;
  }
}

const ref = (env: Env, model: string, row: Row | undefined | null) => (row ? { id: row.id, name: env.displayName(model, row) } : null);
const currencyCode = (env: Env, currencyId: unknown): string => String(env.row('res.currency', currencyId as number)?.name ?? 'USD');
const gatewayPartnerCode = (env: Env, partnerId: unknown): string | null => orNull(env.row('retail_gateway.partner', partnerId as number)?.code as string);

// ---- products and stock ----------------------------------------------------------------------------

function productUpdated(env: Env, product: Row, changed: string[]): EventValues {
  const tmpl = env.row('product.template', product.product_tmpl_id as number);
  const company = env.row('res.company', 1);
  const name = env.displayName('product.product', product).replace(/^\[[^\]]*\] /, '');
  const data: Data<'product.updated'> = {
    product_id: product.id,
    template_id: tmpl?.id ?? 0,
    sku: orNull(product.default_code as string),
    barcode: orNull(product.barcode as string),
    name,
    list_price: fixed(Number(tmpl?.list_price ?? 0)),
    currency: currencyCode(env, company?.currency_id),
    active: product.active !== false && tmpl?.active !== false,
    safety_stock: Math.max(0, Number(tmpl?.rg_safety_stock ?? 0)),
    changed_fields: changed,
  };
  return { data, aggregate: ['product.product', product.id], externalId: orNull(product.default_code as string) };
}

function inventoryChanged(env: Env, product: Row, warehouseId: number): EventValues | null {
  const warehouse = env.row('stock.warehouse', warehouseId);
  const tmpl = env.row('product.template', product.product_tmpl_id as number);
  if (!warehouse || !tmpl?.is_storable) return null;
  const level = stockLevels(env, product, warehouse);
  const data: Data<'inventory.changed'> = {
    sku: skuOf(product),
    warehouse: String(warehouse.code),
    ...level,
    as_of: env.ctx.now().toISOString(),
    product_id: product.id,
  };
  return { data, aggregate: ['product.product', product.id], externalId: orNull(product.default_code as string) };
}

/** Registers `inventory.changed` for a product in the warehouse of an internal location. */
export function registerInventoryChanged(env: Env, productId: number, locationId: number): void {
  const loc = env.row('stock.location', locationId);
  if (!loc || loc.usage !== 'internal' || !loc.warehouse_id) return;
  registerEvent(env, 'inventory.changed', 'product.product', productId, [], loc.warehouse_id as number, { warehouse_id: loc.warehouse_id });
}

// ---- customers ---------------------------------------------------------------------------------------

function customerUpdated(env: Env, customer: Row, changed: string[]): EventValues | null {
  const links = [...env.store.table('retail_gateway.customer.link').values()].filter((l) => l.customer_id === customer.id);
  if (!links.length) return null;
  const consents = [...env.store.table('retail_gateway.consent').values()]
    .filter((c) => c.customer_id === customer.id)
    .sort((a, b) => String(a.channel).localeCompare(String(b.channel)));
  const country = customer.country_id ? env.row('res.country', customer.country_id as number) : undefined;
  const data: Data<'customer.updated'> = {
    customer_id: customer.id,
    external_ids: Object.fromEntries(links.filter((l) => l.external_id).map((l) => [String(env.row('retail_gateway.partner', l.partner_id as number)?.code), String(l.external_id)])),
    name: String(customer.name || ''),
    email: orNull(customer.email as string),
    phone: orNull((customer.phone as string) || (customer.mobile as string)),
    city: orNull(customer.city as string),
    country_code: orNull(country?.code as string),
    consents: consents.map((c) => ({ channel: c.channel as 'email', status: c.status as 'opted_in', at: rfc3339FromOdoo(c.at), source: String(c.source) })),
    changed_fields: changed,
  };
  return { data, aggregate: ['res.partner', customer.id], externalId: null };
}

/** Registers `customer.updated` for the customers among `ids` that a gateway partner knows. */
export function registerCustomerUpdated(env: Env, ids: number[], changed: string[]): void {
  const known = new Set([...env.store.table('retail_gateway.customer.link').values()].map((l) => l.customer_id as number));
  for (const id of ids) if (known.has(id)) registerEvent(env, 'customer.updated', 'res.partner', id, changed);
}

// ---- orders ------------------------------------------------------------------------------------------

function orderEvent(env: Env, type: 'order.created' | 'order.cancelled', order: Row): EventValues | null {
  const common = {
    order: ref(env, 'sale.order', order)!,
    partner: gatewayPartnerCode(env, order.rg_partner_id),
    external_id: orNull(order.rg_external_id as string),
    channel: orNull(order.rg_channel as string),
  };
  let data: unknown = common;
  if (type === 'order.created') {
    const currency = env.row('res.currency', order.currency_id as number);
    const lines = env.searchRows('sale.order.line', [['order_id', '=', order.id]], { order: 'sequence, id' });
    data = {
      ...common,
      currency: String(currency?.name ?? 'USD'),
      amount_untaxed: fixed(Number(env.value('sale.order', order, 'amount_untaxed')), Number(currency?.decimal_places ?? 2)),
      amount_total: fixed(Number(env.value('sale.order', order, 'amount_total')), Number(currency?.decimal_places ?? 2)),
      customer_id: order.partner_id as number,
      lines: lines.map((l) => ({
        sku: l.product_id ? skuOf(env.row('product.product', l.product_id as number)) : null,
        quantity: Number(l.product_uom_qty),
        unit_price: fixed(Number(l.price_unit)),
        discount_percent: fixed(Number(l.discount ?? 0)),
      })),
    } satisfies Data<'order.created'>;
  }
  return { data, aggregate: ['sale.order', order.id], externalId: orNull(order.rg_external_id as string) };
}

// ---- pickings ----------------------------------------------------------------------------------------

function pickingEvent(env: Env, type: 'shipment.shipped' | 'return.received', picking: Row): EventValues | null {
  const order = picking.sale_id ? env.row('sale.order', picking.sale_id as number) : undefined;
  const partnerCode = gatewayPartnerCode(env, picking.rg_partner_id) ?? gatewayPartnerCode(env, order?.rg_partner_id);
  const quantities = new Map<string, number>();
  for (const m of env.searchRows('stock.move', [['picking_id', '=', picking.id]], { order: 'id' })) {
    if (m.state !== 'done' || !(Number(m.quantity) > 0)) continue;
    const sku = skuOf(env.row('product.product', m.product_id as number));
    quantities.set(sku, (quantities.get(sku) ?? 0) + Number(m.quantity));
  }
  const lines = [...quantities].map(([sku, quantity]) => ({ sku, quantity }));
  const loc = picking.picking_type_code === 'incoming' ? picking.location_dest_id : picking.location_id;
  const warehouse = env.row('stock.warehouse', (env.row('stock.location', loc as number)?.warehouse_id as number) ?? 0);
  const base = {
    picking: ref(env, 'stock.picking', picking)!,
    order: ref(env, 'sale.order', order),
    partner: partnerCode,
    order_external_id: orNull(order?.rg_external_id as string),
    warehouse: String(warehouse?.code ?? ''),
  };
  let data: unknown;
  if (type === 'shipment.shipped') {
    const carrier = picking.carrier_id ? env.row('delivery.carrier', picking.carrier_id as number) : undefined;
    const backorder = env.searchRows('stock.picking', [['backorder_id', '=', picking.id]], { order: 'id', limit: 1 })[0];
    data = {
      ...base,
      carrier: orNull((carrier?.name as string) || (picking.rg_carrier_name as string)),
      tracking_number: orNull(picking.carrier_tracking_ref as string),
      lines,
      backorder: ref(env, 'stock.picking', backorder),
      shipped_at: rfc3339FromOdoo(picking.rg_shipped_at || picking.date_done),
    } satisfies Data<'shipment.shipped'>;
  } else {
    data = { ...base, return_external_id: orNull(picking.rg_external_id as string), lines, received_at: rfc3339FromOdoo(picking.date_done) } satisfies Data<'return.received'>;
  }
  return {
    data,
    aggregate: order ? ['sale.order', order.id] : ['stock.picking', picking.id],
    externalId: orNull((order?.rg_external_id as string) || (picking.rg_external_id as string)),
  };
}

// ---- invoices ----------------------------------------------------------------------------------------

/** The sale orders an invoice bills, through its lines' sale lines (`line_ids.sale_line_ids.order_id`). */
export function ordersOfInvoice(env: Env, move: Row): Row[] {
  const ids = new Set<number>();
  for (const l of env.store.table('account.move.line').values()) {
    if (l.move_id !== move.id) continue;
    for (const sl of (l.sale_line_ids as number[]) ?? []) {
      const line = env.row('sale.order.line', sl);
      if (line) ids.add(line.order_id as number);
    }
  }
  return [...ids].sort((a, b) => a - b).map((id) => env.row('sale.order', id)!).filter(Boolean);
}

function invoicePosted(env: Env, move: Row): EventValues | null {
  if (move.state !== 'posted') return null;
  const orders = ordersOfInvoice(env, move);
  const currency = env.row('res.currency', move.currency_id as number);
  const digits = Number(currency?.decimal_places ?? 2);
  const partner = orders.map((o) => gatewayPartnerCode(env, o.rg_partner_id)).find((c) => c) ?? null;
  const data: Data<'invoice.posted'> = {
    invoice: ref(env, 'account.move', move)!,
    orders: orders.map((o) => ref(env, 'sale.order', o)!),
    partner,
    order_external_ids: orders.map((o) => o.rg_external_id).filter((x): x is string => typeof x === 'string' && x.length > 0),
    currency: String(currency?.name ?? 'USD'),
    amount_untaxed: fixed(Number(env.value('account.move', move, 'amount_untaxed')), digits),
    amount_tax: fixed(Number(env.value('account.move', move, 'amount_tax')), digits),
    amount_total: fixed(Number(env.value('account.move', move, 'amount_total')), digits),
    invoice_date: String(move.invoice_date),
    payment_state: String(move.payment_state || 'not_paid'),
  };
  const single = orders.length === 1 ? orders[0]! : undefined;
  return { data, aggregate: single ? ['sale.order', single.id] : ['account.move', move.id], externalId: single ? orNull(single.rg_external_id as string) : null };
}
