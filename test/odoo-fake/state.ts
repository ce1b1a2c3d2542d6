/**
 * The fake's data, in plain records (no ORM): users, a catalog with stock in two warehouses,
 * customers, orders with their pickings and invoices, the partner registry with subscriptions, the
 * intake ledger, delivery reports and the outbox. What tests, benchmarks and the demo may do with it
 * directly is the typed API at the end of the class: register partners, add products and stock,
 * ship, cancel and invoice orders as the warehouse or an accountant would in Odoo, read the outbox.
 *
 * Every change runs in `tx()`: the events it causes are written when it ends, one per record and
 * type (changes of one record coalesce), with the payload of the final state and the recipients the
 * addon would name (`_rg_event_targets`: tenant, then warehouse rule), as the addon's outbox does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { computeAvailable } from '../../contracts/src/availability.js';
import { eventEnvelopeFor, type EventEnvelope, type EventType } from '../../contracts/src/events.js';
import type { Address } from '../../contracts/src/common.js';
import { DEFAULT_MAX_LINE_QUANTITY, type InboundProvider, type PartnerRecord } from '../../contracts/src/partner.js';
import { scopes as allScopes, type Scope } from '../../contracts/src/scopes.js';
import { PyError } from './wire.js';

export type Ref = { id: number; name: string };
export type SecretVersion = { secret: string; valid_until: string | null };

export interface User {
  uid: number;
  login: string;
  name: string;
  password: string;
  apiKeys: string[];
  active: boolean;
  /** An internal user (not portal). */
  internal: boolean;
  /** In the addon's Integration Manager group. */
  manager: boolean;
  /** In the addon's service group (the gateway's technical user). */
  service: boolean;
}

export interface Product {
  id: number;
  templateId: number;
  sku: string | null;
  barcode: string | null;
  name: string;
  attributes: Record<string, string>;
  listPrice: number;
  active: boolean;
  saleOk: boolean;
  storable: boolean;
  safetyStock: number;
  updatedAt: string;
}

export interface Warehouse {
  id: number;
  code: string;
  name: string;
}

export interface Customer {
  id: number;
  name: string;
  email: string | null;
  phone: string | null;
  city: string | null;
  countryCode: string | null;
  ref: string | null;
  active: boolean;
  /** Partner code → the customer's id in that partner (null: known without an id). */
  links: Map<string, string | null>;
  consents: Map<string, { channel: string; status: string; at: string; source: string }>;
}

export interface OrderLine {
  productId: number;
  quantity: number;
  unitPrice: number;
  discount: number;
}

export interface SaleOrder {
  id: number;
  name: string;
  /** The gateway partner it came from (null: made in Odoo itself). */
  partner: string | null;
  externalId: string | null;
  channel: string | null;
  customerId: number;
  currency: string;
  warehouseId: number;
  lines: OrderLine[];
  shippingPrice: number;
  carrier: string | null;
  state: 'sale' | 'cancel';
  paymentStatus: string;
  note: string | null;
  shippingAddress: Address | null;
  billingAddress: Address | null;
  invoiceIds: number[];
}

export interface PickingMove {
  productId: number;
  /** Demanded. */
  quantity: number;
  /** Done (validated). */
  done: number;
  /** For a return: the outgoing picking's move it returns (index in that picking). */
  returns?: { pickingId: number; index: number };
}

export interface Picking {
  id: number;
  name: string;
  kind: 'outgoing' | 'incoming';
  orderId: number | null;
  warehouseId: number;
  state: 'assigned' | 'done' | 'cancel';
  moves: PickingMove[];
  backorderOf: number | null;
  carrier: string | null;
  trackingNumber: string | null;
  /** The partner that confirmed (shipment) or announced (return) it. */
  partner: string | null;
  externalId: string | null;
  doneAt: string | null;
}

export interface Invoice {
  id: number;
  name: string;
  orderIds: number[];
  currency: string;
  amount: number;
  date: string;
  paymentState: string;
}

export interface Subscription {
  id: number;
  partner: string;
  url: string;
  eventTypes: string[];
  active: boolean;
  consecutiveFailures: number;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
  secrets: SecretVersion[];
}

export interface GatewayPartner {
  id: number;
  code: string;
  name: string;
  active: boolean;
  scopes: Scope[];
  tier: PartnerRecord['tier'];
  mode: PartnerRecord['mode'];
  oversellPolicy: NonNullable<PartnerRecord['oversell_policy']>;
  warehouses: string[];
  /** The largest quantity of one order line (the addon's partner field, default DEFAULT_MAX_LINE_QUANTITY). */
  maxLineQuantity: number;
  clientId: string;
  clientSecrets: SecretVersion[];
  issuer: string | null;
  jwksUrl: string | null;
  inbound: Record<InboundProvider, SecretVersion[]>;
  /** Channel shipping method → carrier name. */
  carriers: Record<string, string>;
  updatedAt: string;
}

export interface OutboxEvent {
  cursor: number;
  eventId: string;
  aggregate: string;
  envelope: EventEnvelope;
  recipients: string[];
  state: 'pending' | 'leased' | 'dispatched';
  leaseUntil: number | null;
  consumer: string | null;
  /** An Odoo user pressed Replay; cleared by the acknowledgement. */
  replayRequested?: boolean;
}

export interface DeliveryReport {
  eventId: string;
  partner: string;
  subscriptionId: number | null;
  status: 'delivered' | 'failed' | 'dead';
  attempts: number;
  lastError: string | null;
  at: string;
  /** When the relay tries again (a failed delivery still retrying). */
  nextAttemptAt: string | null;
}

export interface LedgerEntry {
  record: Ref | null;
  related?: Record<string, Ref | null>;
  orderId?: number;
}

export interface AddPartnerOptions {
  code: string;
  name?: string;
  scopes?: Scope[];
  tier?: PartnerRecord['tier'];
  mode?: PartnerRecord['mode'];
  oversellPolicy?: NonNullable<PartnerRecord['oversell_policy']>;
  warehouses?: string[];
  /** Default: DEFAULT_MAX_LINE_QUANTITY. */
  maxLineQuantity?: number;
  active?: boolean;
  /** Default: the code. */
  clientId?: string;
  /** Default: `<code>-secret`. */
  clientSecret?: string;
  issuer?: string;
  jwksUrl?: string;
  inboundSecrets?: Partial<Record<InboundProvider, string>>;
}

export interface AddProductOptions {
  sku: string | null;
  name: string;
  listPrice: number;
  barcode?: string;
  attributes?: Record<string, string>;
  storable?: boolean;
  saleOk?: boolean;
  active?: boolean;
  safetyStock?: number;
  /** On-hand quantity per warehouse code. */
  stock?: Record<string, number>;
}

/** Fields of a product a user may change in Odoo (`sku` is the internal reference). */
export type ProductChanges = Partial<Pick<Product, 'sku' | 'barcode' | 'name' | 'listPrice' | 'active' | 'saleOk' | 'safetyStock'>>;

export const CATALOG_EVENT_TYPES: ReadonlySet<string> = new Set(['product.updated', 'inventory.changed']);
export const CARRIERS = ['Standard delivery', 'Express delivery', 'Store pickup'];
const CHANNEL_SHIPPING_METHODS: Record<string, string> = { standard: 'Standard delivery', express: 'Express delivery', pickup: 'Store pickup' };
export const COMPANY_CURRENCY = 'USD';
/** Active currencies and whether a pricelist sells in them. */
export const CURRENCIES: Record<string, { pricelist: boolean; digits: number }> = { USD: { pricelist: true, digits: 2 }, EUR: { pricelist: true, digits: 2 }, GBP: { pricelist: true, digits: 2 }, CAD: { pricelist: false, digits: 2 } };
export const COUNTRIES = new Set('US CA MX BR AR GB IE FR BE NL LU DE AT CH IT ES PT DK SE NO FI PL CZ GR RO HU AU NZ JP CN IN SG HK KR ZA AE IL TR MA EG'.split(' '));

/** Odoo's `float_repr`: a fixed number of digits. */
export const fixed = (n: number, digits = 2): string => {
  const s = (Math.round(n * 10 ** digits) / 10 ** digits).toFixed(digits);
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
};
const round2 = (n: number) => Math.round(n * 100) / 100;
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
export const stillValid = (validUntil: string | null, now: Date) => !validUntil || Date.parse(validUntil) > now.getTime();

interface Intent {
  type: EventType;
  id: number;
  warehouseId?: number;
  changed: Set<string>;
  requestId: string | null;
}

// Names, internal references and prices from Odoo 18's demo data.
const CATALOG: Array<Omit<AddProductOptions, 'stock'> & { wh?: number; eu?: number }> = [
  { sku: 'FURN_7777', name: 'Office Chair', listPrice: 70, eu: 12 },
  { sku: 'FURN_8888', name: 'Office Lamp', listPrice: 40, wh: 35, eu: 10 },
  { sku: 'FURN_7800', name: 'Desk Combination', listPrice: 450, wh: 60, eu: 8, safetyStock: 5 },
  { sku: 'FURN_0096', name: 'Customizable Desk', listPrice: 750, attributes: { Legs: 'Steel', Color: 'White' }, wh: 45 },
  { sku: 'FURN_0097', name: 'Customizable Desk', listPrice: 750, attributes: { Legs: 'Steel', Color: 'Black' }, wh: 50 },
  { sku: 'FURN_0098', name: 'Customizable Desk', listPrice: 750, attributes: { Legs: 'Aluminium', Color: 'White' }, wh: 55, eu: 6 },
  { sku: 'E-COM07', name: 'Large Cabinet', listPrice: 320, wh: 500, eu: 40 },
  { sku: 'E-COM08', name: 'Storage Box', listPrice: 15.8, wh: 18, eu: 30 },
  { sku: 'E-COM10', name: 'Pedal Bin', listPrice: 47, wh: 22 },
  { sku: 'E-COM11', name: 'Cabinet with Doors', listPrice: 140, wh: 33 },
  { sku: 'E-COM12', name: 'Conference Chair', listPrice: 33, attributes: { Legs: 'Steel' }, wh: 26, eu: 14 },
  { sku: 'E-COM13', name: 'Conference Chair', listPrice: 33, attributes: { Legs: 'Aluminium' }, wh: 30 },
  { sku: 'FURN_0269', name: 'Office Chair Black', listPrice: 120.5, wh: 10 },
  { sku: 'FURN_8855', name: 'Drawer', listPrice: 110.5, wh: 80, eu: 20, safetyStock: 10 },
  { sku: 'FURN_5555', name: 'Cable Management Box', listPrice: 100, wh: 90 },
  { sku: 'FURN_0001', name: 'Desk Organizer', listPrice: 5.1, barcode: '2300001000008', wh: 120, eu: 60 },
  { sku: 'FURN_8900', name: 'Drawer Black', listPrice: 25, wh: 4, active: false },
  { sku: null, name: 'Virtual Interior Design', listPrice: 30.75, storable: false },
];

const SEED_CUSTOMERS: Array<[string, string, string, string]> = [
  ['Wood Corner', 'wood.corner26@example.com', 'Turlock', 'US'],
  ['Deco Addict', 'deco_addict@yourcompany.example.com', 'Pleasant Hill', 'US'],
  ['Gemini Furniture', 'gemini_furniture@fake.geminifurniture.com', 'Fairfield', 'US'],
  ['Ready Mat', 'ready.mat28@example.com', 'Tracy', 'US'],
  ['Azure Interior', 'azure.Interior24@example.com', 'Fremont', 'US'],
  ['OpenWood', 'wow@example.com', 'Florenville', 'BE'],
];

export class FakeState {
  readonly db: string;
  readonly users: { admin: User & { apiKey: string }; demo: User; portal: User };
  readonly products = new Map<number, Product>();
  readonly warehouses: Warehouse[] = [
    { id: 1, code: 'WH', name: 'San Francisco' },
    { id: 2, code: 'EU', name: 'Brussels' },
  ];
  /** `${productId}/${warehouseId}` → on hand. */
  readonly onHand = new Map<string, number>();
  readonly customers = new Map<number, Customer>();
  readonly orders = new Map<number, SaleOrder>();
  readonly pickings = new Map<number, Picking>();
  readonly invoices = new Map<number, Invoice>();
  readonly partners = new Map<string, GatewayPartner>();
  readonly subscriptions = new Map<number, Subscription>();
  /** `${partner}|${kind}|${key}` → what the item made. */
  readonly ledger = new Map<string, LedgerEntry>();
  readonly deliveryReports: DeliveryReport[] = [];
  readonly events: OutboxEvent[] = [];
  private readonly allUsers: User[] = [];
  private readonly ids = new Map<string, number>();
  private readonly sequences = new Map<string, number>();
  private intents: Map<string, Intent> | null = null;
  private clockOffsetMs = 0;
  private readonly baseNow: () => Date;

  constructor(opts: { db: string; apiKey?: string; now?: () => Date }) {
    this.db = opts.db;
    this.baseNow = opts.now ?? (() => new Date());
    const apiKey = opts.apiKey ?? randomBytes(20).toString('hex');
    const user = (u: Omit<User, 'active' | 'apiKeys'> & { apiKeys?: string[] }): User => {
      const full = { active: true, apiKeys: [], ...u };
      this.allUsers.push(full);
      return full;
    };
    const admin = user({ uid: 2, login: 'admin', name: 'Mitchell Admin', password: 'admin', apiKeys: [apiKey], internal: true, manager: true, service: true });
    this.users = {
      admin: Object.assign(admin, { apiKey }),
      demo: user({ uid: 6, login: 'demo', name: 'Marc Demo', password: 'demo', internal: true, manager: false, service: false }),
      portal: user({ uid: 7, login: 'portal', name: 'Joel Willis', password: 'portal', internal: false, manager: false, service: false }),
    };
    for (const p of CATALOG) this.insertProduct({ ...p, stock: { ...(p.wh ? { WH: p.wh } : {}), ...(p.eu ? { EU: p.eu } : {}) } });
    for (const [name, email, city, country] of SEED_CUSTOMERS) this.insertCustomer({ name, email, city, countryCode: country });
    // Every scope but `admin`: its credentials are published (the demo prints them).
    this.insertPartner({ code: 'demo', name: 'Demo Partner', clientId: 'demo', clientSecret: 'demo-secret', scopes: allScopes.filter((s) => s !== 'admin') });
  }

  // ---- clock, ids, users ---------------------------------------------------------------------------

  now(): Date {
    return new Date(this.baseNow().getTime() + this.clockOffsetMs);
  }

  nextId(kind: string): number {
    const id = (this.ids.get(kind) ?? 0) + 1;
    this.ids.set(kind, id);
    return id;
  }

  /** `common.authenticate`: the uid for a login and a password or API key, or null. */
  authenticate(login: string, secret: string): number | null {
    const u = this.allUsers.find((x) => x.login === login && x.active);
    return u && (u.password === secret || u.apiKeys.includes(secret)) ? u.uid : null;
  }

  /** The user an API key belongs to (JSON-2's bearer authentication). */
  userForApiKey(key: string): User | null {
    return this.allUsers.find((u) => u.active && u.apiKeys.includes(key)) ?? null;
  }

  /** `execute_kw`'s credential check. */
  checkUid(uid: unknown, secret: unknown): User | null {
    const u = this.allUsers.find((x) => x.uid === uid && x.active);
    return u && typeof secret === 'string' && (u.password === secret || u.apiKeys.includes(secret)) ? u : null;
  }

  user(uid: number): User | undefined {
    return this.allUsers.find((u) => u.uid === uid);
  }

  // ---- transactions and events ---------------------------------------------------------------------

  /** Runs `fn` as one Odoo transaction: the events it caused are written when it returns. */
  tx<T>(fn: () => T, requestId: string | null = null): T {
    if (this.intents) return fn();
    this.intents = new Map();
    this.requestId = requestId;
    try {
      const result = fn();
      this.publish();
      return result;
    } finally {
      this.intents = null;
      this.requestId = null;
    }
  }

  private requestId: string | null = null;

  /** Registers the intent to publish `type` for a record when the transaction ends. */
  emit(type: EventType, id: number, changed: string[] = [], warehouseId?: number): void {
    const intents = this.intents;
    if (!intents) throw new Error('odoo-fake: an event outside a transaction');
    const key = `${type}|${id}|${warehouseId ?? ''}`;
    const intent = intents.get(key) ?? { type, id, warehouseId, changed: new Set<string>(), requestId: this.requestId };
    for (const f of changed) intent.changed.add(f);
    intents.set(key, intent);
  }

  private publish(): void {
    for (const intent of this.intents!.values()) {
      const built = this.eventOf(intent);
      if (!built) continue;
      const sequence = (this.sequences.get(built.aggregate) ?? 0) + 1;
      this.sequences.set(built.aggregate, sequence);
      const eventId = randomUUID();
      const envelope = eventEnvelopeFor(intent.type).parse({
        specversion: '1.0',
        id: eventId,
        source: `odoo://${this.db}/retail_gateway`,
        type: intent.type,
        time: this.now().toISOString(),
        subject: built.aggregate,
        datacontenttype: 'application/json',
        sequence,
        ...(intent.requestId ? { requestid: intent.requestId.slice(0, 128) } : {}),
        data: built.data,
      }) as EventEnvelope;
      this.events.push({ cursor: this.events.length + 1, eventId, aggregate: built.aggregate, envelope, recipients: this.eventTargets(envelope), state: 'pending', leaseUntil: null, consumer: null });
    }
  }

  /** The addon's `_rg_event_targets`: active subscribers to the type, narrowed by tenant, then by warehouse. */
  eventTargets(envelope: Pick<EventEnvelope, 'type' | 'data'>): string[] {
    const data = (envelope.data ?? {}) as Record<string, unknown>;
    const subscribers = new Set([...this.subscriptions.values()].filter((s) => s.active && s.eventTypes.includes(envelope.type)).map((s) => s.partner));
    const isAdmin = (p: GatewayPartner) => p.scopes.includes('admin');
    return [...subscribers]
      .map((code) => this.partners.get(code)!)
      .filter((p) => p && p.active)
      .filter((p) => {
        if (envelope.type === 'customer.updated') return Object.hasOwn((data.external_ids ?? {}) as object, p.code) || isAdmin(p);
        if (CATALOG_EVENT_TYPES.has(envelope.type)) return true;
        const owner = typeof data.partner === 'string' && data.partner ? data.partner : null;
        return owner ? owner === p.code : isAdmin(p);
      })
      .filter((p) => typeof data.warehouse !== 'string' || !data.warehouse || !p.warehouses.length || p.warehouses.includes(data.warehouse))
      .map((p) => p.code)
      .sort();
  }

  private eventOf(intent: Intent): { aggregate: string; data: unknown } | null {
    switch (intent.type) {
      case 'product.updated': {
        const p = this.products.get(intent.id)!;
        const data = { product_id: p.id, template_id: p.templateId, sku: p.sku, barcode: p.barcode, name: p.name, list_price: fixed(p.listPrice), currency: COMPANY_CURRENCY, active: p.active, safety_stock: p.safetyStock, changed_fields: [...intent.changed] };
        return { aggregate: `product.product/${p.id}`, data };
      }
      case 'inventory.changed': {
        const p = this.products.get(intent.id)!;
        const wh = this.warehouses.find((w) => w.id === intent.warehouseId)!;
        if (!p.storable) return null;
        return { aggregate: `product.product/${p.id}`, data: { sku: this.skuOf(p), warehouse: wh.code, ...this.stockLevels(p, wh), as_of: this.now().toISOString(), product_id: p.id } };
      }
      case 'customer.updated': {
        const c = this.customers.get(intent.id)!;
        if (!c.links.size) return null;
        const data = {
          customer_id: c.id,
          external_ids: Object.fromEntries([...c.links].filter(([, v]) => v).sort(([a], [b]) => a.localeCompare(b))),
          name: c.name,
          email: c.email,
          phone: c.phone,
          city: c.city,
          country_code: c.countryCode,
          consents: [...c.consents.values()].sort((a, b) => a.channel.localeCompare(b.channel)),
          changed_fields: [...intent.changed],
        };
        return { aggregate: `res.partner/${c.id}`, data };
      }
      case 'order.created':
      case 'order.cancelled': {
        const o = this.orders.get(intent.id)!;
        const common = { order: this.orderRef(o), partner: o.partner, external_id: o.externalId, channel: o.channel };
        if (intent.type === 'order.cancelled') return { aggregate: `sale.order/${o.id}`, data: common };
        const digits = CURRENCIES[o.currency]?.digits ?? 2;
        const data = {
          ...common,
          currency: o.currency,
          amount_untaxed: fixed(this.amountOf(o), digits),
          amount_total: fixed(this.amountOf(o), digits),
          customer_id: o.customerId,
          lines: o.lines.map((l) => ({ sku: this.skuOf(this.products.get(l.productId)!), quantity: l.quantity, unit_price: fixed(l.unitPrice), discount_percent: fixed(l.discount) })),
        };
        return { aggregate: `sale.order/${o.id}`, data };
      }
      case 'shipment.shipped':
      case 'return.received': {
        const p = this.pickings.get(intent.id)!;
        const o = p.orderId ? this.orders.get(p.orderId) : undefined;
        const quantities = new Map<string, number>();
        for (const m of p.moves) if (m.done > 0) quantities.set(this.skuOf(this.products.get(m.productId)!), (quantities.get(this.skuOf(this.products.get(m.productId)!)) ?? 0) + m.done);
        const base = {
          picking: { id: p.id, name: p.name },
          order: o ? this.orderRef(o) : null,
          partner: p.partner ?? o?.partner ?? null,
          order_external_id: o?.externalId ?? null,
          warehouse: this.warehouses.find((w) => w.id === p.warehouseId)!.code,
        };
        const lines = [...quantities].map(([sku, quantity]) => ({ sku, quantity }));
        const aggregate = o ? `sale.order/${o.id}` : `stock.picking/${p.id}`;
        if (intent.type === 'return.received') return { aggregate, data: { ...base, return_external_id: p.externalId, lines, received_at: p.doneAt! } };
        const backorder = [...this.pickings.values()].find((b) => b.backorderOf === p.id);
        const data = { ...base, carrier: p.carrier, tracking_number: p.trackingNumber, lines, backorder: backorder ? { id: backorder.id, name: backorder.name } : null, shipped_at: p.doneAt! };
        return { aggregate, data };
      }
      case 'invoice.posted': {
        const inv = this.invoices.get(intent.id)!;
        const orders = inv.orderIds.map((id) => this.orders.get(id)!);
        const single = orders.length === 1 ? orders[0] : undefined;
        const data = {
          invoice: { id: inv.id, name: inv.name },
          orders: orders.map((o) => this.orderRef(o)),
          partner: orders.map((o) => o.partner).find((p) => p) ?? null,
          order_external_ids: orders.map((o) => o.externalId).filter((x): x is string => !!x),
          currency: inv.currency,
          amount_untaxed: fixed(inv.amount),
          amount_tax: '0.00',
          amount_total: fixed(inv.amount),
          invoice_date: inv.date,
          payment_state: inv.paymentState,
        };
        return { aggregate: single ? `sale.order/${single.id}` : `account.move/${inv.id}`, data };
      }
      default:
        return null;
    }
  }

  // ---- reads the addon's methods share ---------------------------------------------------------------

  /** The SKU of a variant as the addon names it in events and shipments: its internal reference. */
  skuOf(p: Product): string {
    return p.sku ?? `product.product/${p.id}`;
  }

  /** A variant's SKU is its internal reference (a barcode is not a SKU); an active variant first. */
  productBySku(sku: string): Product | undefined {
    const all = [...this.products.values()].sort((a, b) => Number(b.active) - Number(a.active) || a.id - b.id);
    return all.find((p) => p.sku === sku);
  }

  warehouse(code: string): Warehouse | undefined {
    return this.warehouses.find((w) => w.code === code);
  }

  /** The quantity promised to open outgoing pickings of a product in a warehouse. */
  reserved(productId: number, warehouseId: number): number {
    let n = 0;
    for (const p of this.pickings.values()) {
      if (p.kind !== 'outgoing' || p.state !== 'assigned' || p.warehouseId !== warehouseId) continue;
      for (const m of p.moves) if (m.productId === productId) n += m.quantity;
    }
    return n;
  }

  stockLevels(p: Product, wh: Warehouse): { on_hand: number; reserved: number; safety_stock: number; available: number } {
    const onHand = this.onHand.get(`${p.id}/${wh.id}`) ?? 0;
    const reserved = Math.max(0, Math.min(this.reserved(p.id, wh.id), Math.max(onHand, 0)));
    return { on_hand: round6(onHand), reserved: round6(reserved), safety_stock: p.safetyStock, available: round6(computeAvailable(onHand, reserved, p.safetyStock)) };
  }

  amountOf(o: SaleOrder): number {
    return round2(o.lines.reduce((s, l) => s + round2(l.quantity * l.unitPrice * (1 - l.discount / 100)), 0) + o.shippingPrice);
  }

  orderRef(o: SaleOrder): Ref {
    return { id: o.id, name: o.name };
  }

  /** Outgoing pickings changed for a product/warehouse: its availability changed. */
  touchStock(productId: number, warehouseId: number): void {
    this.emit('inventory.changed', productId, [], warehouseId);
  }

  partnerRecord(p: GatewayPartner): PartnerRecord {
    const now = this.now();
    const live = (list: SecretVersion[]) => list.filter((s) => stillValid(s.valid_until, now));
    const subs = [...this.subscriptions.values()].filter((s) => s.partner === p.code).sort((a, b) => a.id - b.id);
    const updated = [p.updatedAt, ...subs.map((s) => s.updatedAt)].sort().at(-1)!;
    return {
      code: p.code,
      name: p.name,
      active: p.active,
      scopes: [...p.scopes],
      tier: p.tier,
      mode: p.mode,
      oversell_policy: p.oversellPolicy,
      warehouses: [...p.warehouses],
      max_line_quantity: p.maxLineQuantity,
      company_id: 1,
      issuer: p.issuer,
      jwks_url: p.jwksUrl,
      subscriptions: subs.map((s) => ({ ...this.subscriptionOut(s), secrets: live(s.secrets) })).filter((s) => s.secrets.length > 0),
      inbound_secrets: { shopify: live(p.inbound.shopify), woocommerce: live(p.inbound.woocommerce), stripe: live(p.inbound.stripe), standard: live(p.inbound.standard) },
      updated_at: updated,
    };
  }

  subscriptionOut(s: Subscription): Omit<PartnerRecord['subscriptions'][number], 'secrets'> {
    return {
      id: s.id,
      partner: s.partner,
      url: s.url,
      event_types: [...s.eventTypes] as PartnerRecord['subscriptions'][number]['event_types'],
      active: s.active,
      consecutive_failures: s.consecutiveFailures,
      disabled_at: s.disabledAt,
      created_at: s.createdAt,
    };
  }

  // ---- inserts (no events: the seed, and the helpers below that emit their own) ----------------------

  private insertProduct(o: AddProductOptions): Product {
    const p: Product = {
      id: this.nextId('product'),
      templateId: this.nextId('template'),
      sku: o.sku,
      barcode: o.barcode ?? null,
      name: o.name,
      attributes: o.attributes ?? {},
      listPrice: o.listPrice,
      active: o.active ?? true,
      saleOk: o.saleOk ?? true,
      storable: o.storable ?? true,
      safetyStock: o.safetyStock ?? 0,
      updatedAt: this.now().toISOString(),
    };
    this.products.set(p.id, p);
    for (const [code, q] of Object.entries(o.stock ?? {})) {
      const wh = this.warehouse(code);
      if (!wh) throw new PyError('odoo.exceptions.UserError', `Unknown warehouse ${code}.`, 422);
      this.onHand.set(`${p.id}/${wh.id}`, q);
    }
    return p;
  }

  insertCustomer(o: { name: string; email: string | null; phone?: string | null; city?: string | null; countryCode?: string | null; ref?: string | null }): Customer {
    const c: Customer = { id: this.nextId('customer'), name: o.name, email: o.email, phone: o.phone ?? null, city: o.city ?? null, countryCode: o.countryCode ?? null, ref: o.ref ?? null, active: true, links: new Map(), consents: new Map() };
    this.customers.set(c.id, c);
    return c;
  }

  private insertPartner(o: AddPartnerOptions): GatewayPartner {
    for (const code of o.warehouses ?? []) if (!this.warehouse(code)) throw new PyError('odoo.exceptions.UserError', `Unknown warehouse ${code}.`, 422);
    const existing = this.partners.get(o.code);
    const secrets = (v?: string): SecretVersion[] => (v ? [{ secret: v, valid_until: null }] : []);
    const p: GatewayPartner = {
      id: existing?.id ?? this.nextId('partner'),
      code: o.code,
      name: o.name ?? o.code,
      active: o.active ?? true,
      scopes: [...(o.scopes ?? allScopes)],
      tier: o.tier ?? 'standard',
      mode: o.mode ?? 'live',
      oversellPolicy: o.oversellPolicy ?? 'accept',
      warehouses: [...(o.warehouses ?? [])],
      maxLineQuantity: o.maxLineQuantity ?? DEFAULT_MAX_LINE_QUANTITY,
      clientId: o.clientId ?? o.code,
      clientSecrets: secrets(o.clientSecret ?? `${o.code}-secret`),
      issuer: o.issuer ?? null,
      jwksUrl: o.jwksUrl ?? null,
      inbound: { shopify: secrets(o.inboundSecrets?.shopify), woocommerce: secrets(o.inboundSecrets?.woocommerce), stripe: secrets(o.inboundSecrets?.stripe), standard: secrets(o.inboundSecrets?.standard) },
      carriers: { ...CHANNEL_SHIPPING_METHODS },
      updatedAt: this.now().toISOString(),
    };
    this.partners.set(p.code, p);
    return p;
  }

  // ---- the typed API for tests, benchmarks and the demo ----------------------------------------------

  /** Registers (or replaces) a gateway partner; answers its client credentials. */
  addPartner(o: AddPartnerOptions): { code: string; clientId: string; clientSecret: string } {
    const p = this.insertPartner(o);
    return { code: p.code, clientId: p.clientId, clientSecret: p.clientSecrets[0]!.secret };
  }

  /** Archives or restores a gateway partner. */
  setPartnerActive(code: string, active: boolean): void {
    const p = this.partners.get(code);
    if (!p) throw new PyError('odoo.exceptions.UserError', `Unknown gateway partner "${code}".`, 422);
    p.active = active;
    p.updatedAt = this.now().toISOString();
  }

  /** Adds a product variant, with its on-hand stock per warehouse (a `product.updated` event). */
  addProduct(o: AddProductOptions): Product {
    return this.tx(() => {
      const p = this.insertProduct(o);
      this.emit('product.updated', p.id, ['name', 'default_code', 'list_price']);
      for (const code of Object.keys(o.stock ?? {})) this.touchStock(p.id, this.warehouse(code)!.id);
      return p;
    });
  }

  /** Changes a product as a user would in Odoo (a `product.updated` event). */
  updateProduct(sku: string, changes: ProductChanges): void {
    this.tx(() => {
      const p = this.productBySku(sku);
      if (!p) throw new PyError('odoo.exceptions.UserError', `Unknown SKU ${sku}.`, 422);
      const fields = { sku: 'default_code', barcode: 'barcode', name: 'name', listPrice: 'list_price', active: 'active', saleOk: 'sale_ok', safetyStock: 'rg_safety_stock' } as const;
      const changed = (Object.keys(changes) as Array<keyof ProductChanges>).filter((k) => changes[k] !== undefined && changes[k] !== p[k]);
      Object.assign(p, changes);
      p.updatedAt = this.now().toISOString();
      if (changed.length) this.emit('product.updated', p.id, changed.map((k) => fields[k]));
      if (changed.includes('safetyStock')) for (const wh of this.warehouses) this.touchStock(p.id, wh.id);
    });
  }

  /** Sets the on-hand quantity of a SKU in a warehouse (an applied inventory adjustment). */
  setStock(sku: string, warehouseCode: string, quantity: number): void {
    this.tx(() => {
      const p = this.productBySku(sku);
      const wh = this.warehouse(warehouseCode);
      if (!p || !wh) throw new PyError('odoo.exceptions.UserError', `Unknown SKU ${sku} or warehouse ${warehouseCode}.`, 422);
      this.onHand.set(`${p.id}/${wh.id}`, quantity);
      this.touchStock(p.id, wh.id);
    });
  }

  /** Availability of a SKU in a warehouse, by the contract's definition. */
  stock(sku: string, warehouseCode: string): { on_hand: number; reserved: number; safety_stock: number; available: number } {
    return this.stockLevels(this.productBySku(sku)!, this.warehouse(warehouseCode)!);
  }

  /** The SKUs the catalog offers, in catalog order. */
  skus(): string[] {
    return [...this.products.values()].filter((p) => p.active && p.saleOk && p.sku).sort((a, b) => a.id - b.id).map((p) => p.sku!);
  }

  /** Sale orders, oldest first; `externalId` ending with `*` matches a prefix. */
  saleOrders(filter: { externalId?: string; partner?: string } = {}): SaleOrder[] {
    const match = (v: string | null) =>
      !filter.externalId || (filter.externalId.endsWith('*') ? (v ?? '').startsWith(filter.externalId.slice(0, -1)) : v === filter.externalId);
    return [...this.orders.values()].filter((o) => match(o.externalId) && (!filter.partner || o.partner === filter.partner)).sort((a, b) => a.id - b.id);
  }

  /** Validates an order's open delivery (fully, or the given quantities per SKU, leaving a backorder), as the warehouse does in Odoo. */
  shipOrder(orderId: number, quantities?: Record<string, number>, details: { carrier?: string; trackingNumber?: string; partner?: string; externalId?: string; at?: string } = {}): { picking: Ref; backorder: Ref | null } {
    return this.tx(() => {
      const open = [...this.pickings.values()].filter((p) => p.orderId === orderId && p.kind === 'outgoing' && p.state === 'assigned').sort((a, b) => a.id - b.id);
      if (!open.length) throw new PyError('odoo.exceptions.UserError', 'Nothing left to ship.', 422);
      const left = quantities ? new Map(Object.entries(quantities).map(([sku, q]) => [this.productBySku(sku)?.id ?? 0, q])) : null;
      let first: Picking | undefined;
      let backorder: Picking | null = null;
      for (const picking of open) {
        const done = picking.moves.map((m) => {
          const take = left ? Math.min(m.quantity, left.get(m.productId) ?? 0) : m.quantity;
          if (left && take > 0) left.set(m.productId, (left.get(m.productId) ?? 0) - take);
          return take;
        });
        if (!done.some((q) => q > 0)) continue;
        first ??= picking;
        const b = this.validate(picking, done, details);
        backorder ??= b;
      }
      if (!first) throw new PyError('odoo.exceptions.UserError', 'Nothing to ship.', 422);
      return { picking: { id: first.id, name: first.name }, backorder: backorder ? { id: backorder.id, name: backorder.name } : null };
    });
  }

  /** Validates one picking with these done quantities per move; what is left goes to a backorder. */
  validate(picking: Picking, done: number[], details: { carrier?: string; trackingNumber?: string; partner?: string; externalId?: string; at?: string } = {}): Picking | null {
    const rest: PickingMove[] = [];
    picking.moves.forEach((m, i) => {
      const q = done[i] ?? 0;
      if (q < m.quantity) rest.push({ productId: m.productId, quantity: round6(m.quantity - q), done: 0 });
      m.quantity = q;
      m.done = q;
      const key = `${m.productId}/${picking.warehouseId}`;
      this.onHand.set(key, round6((this.onHand.get(key) ?? 0) + (picking.kind === 'outgoing' ? -q : q)));
      this.touchStock(m.productId, picking.warehouseId);
    });
    picking.moves = picking.moves.filter((m) => m.done > 0);
    // What is left to ship keeps the carrier planned; the validated transfer takes the reported one.
    const planned = picking.carrier;
    picking.state = 'done';
    picking.doneAt = details.at ?? this.now().toISOString();
    if (details.carrier !== undefined) picking.carrier = details.carrier;
    if (details.trackingNumber !== undefined) picking.trackingNumber = details.trackingNumber;
    if (details.partner !== undefined) picking.partner = details.partner;
    if (details.externalId !== undefined) picking.externalId = details.externalId;
    let backorder: Picking | null = null;
    if (rest.length) {
      backorder = this.newPicking({ kind: picking.kind, orderId: picking.orderId, warehouseId: picking.warehouseId, moves: rest, backorderOf: picking.id });
      backorder.carrier = planned;
    }
    this.emit(picking.kind === 'outgoing' ? 'shipment.shipped' : 'return.received', picking.id);
    return backorder;
  }

  newPicking(o: { kind: Picking['kind']; orderId: number | null; warehouseId: number; moves: PickingMove[]; backorderOf?: number; partner?: string; externalId?: string }): Picking {
    const id = this.nextId('picking');
    const wh = this.warehouses.find((w) => w.id === o.warehouseId)!;
    const seq = this.nextId(`picking/${wh.code}/${o.kind}`);
    const p: Picking = {
      id,
      name: `${wh.code}/${o.kind === 'outgoing' ? 'OUT' : 'IN'}/${String(seq).padStart(5, '0')}`,
      kind: o.kind,
      orderId: o.orderId,
      warehouseId: o.warehouseId,
      state: 'assigned',
      moves: o.moves,
      backorderOf: o.backorderOf ?? null,
      carrier: null,
      trackingNumber: null,
      partner: o.partner ?? null,
      externalId: o.externalId ?? null,
      doneAt: null,
    };
    this.pickings.set(id, p);
    if (o.kind === 'outgoing') for (const m of o.moves) this.touchStock(m.productId, o.warehouseId);
    return p;
  }

  /** Cancels an order in Odoo (its open pickings too): an `order.cancelled` event. */
  cancelOrder(orderId: number): void {
    this.tx(() => {
      const o = this.orders.get(orderId);
      if (!o) throw new PyError('odoo.exceptions.MissingError', 'Record does not exist or has been deleted.', 404);
      if (o.state === 'cancel') return;
      o.state = 'cancel';
      for (const p of this.pickings.values()) {
        if (p.orderId !== o.id || p.state !== 'assigned') continue;
        p.state = 'cancel';
        for (const m of p.moves) this.touchStock(m.productId, p.warehouseId);
      }
      this.emit('order.cancelled', o.id);
    });
  }

  /** Invoices and posts orders (an `invoice.posted` event); answers the invoice id. */
  invoiceOrders(orderIds: number[]): number {
    return this.tx(() => {
      const orders = orderIds.map((id) => this.orders.get(id)!);
      const id = this.nextId('invoice');
      const inv: Invoice = {
        id,
        name: `INV/${this.now().getUTCFullYear()}/${String(id).padStart(5, '0')}`,
        orderIds: [...orderIds],
        currency: orders[0]?.currency ?? COMPANY_CURRENCY,
        amount: round2(orders.reduce((s, o) => s + this.amountOf(o), 0)),
        date: this.now().toISOString().slice(0, 10),
        paymentState: 'not_paid',
      };
      this.invoices.set(id, inv);
      for (const o of orders) o.invoiceIds.push(id);
      this.emit('invoice.posted', id);
      return id;
    });
  }

  /** The outbox, oldest first: envelopes, recipients and delivery state. */
  outbox(filter: { type?: string } = {}): Array<{ cursor: number; state: OutboxEvent['state']; envelope: EventEnvelope; recipients: string[] }> {
    return this.events.filter((e) => !filter.type || e.envelope.type === filter.type).map((e) => ({ cursor: e.cursor, state: e.state, envelope: e.envelope, recipients: [...e.recipients] }));
  }

  /** The Replay button of an outbox event: back in the queue, marked for a new attempt to every subscription. */
  replayEvent(eventId: string): void {
    const e = this.events.find((x) => x.eventId === eventId);
    if (!e) throw new Error(`no outbox event ${eventId}`);
    Object.assign(e, { state: 'pending', leaseUntil: null, consumer: null, replayRequested: true });
  }

  /** What the gateway reported about the deliveries of an event (`report_deliveries`). */
  deliveries(eventId: string): DeliveryReport[] {
    return this.deliveryReports.filter((d) => d.eventId === eventId);
  }

  /** The API keys of a user, and a way to change them (key rotation in Odoo). */
  apiKeys(login: string): string[] {
    return [...(this.allUsers.find((u) => u.login === login)?.apiKeys ?? [])];
  }

  setApiKeys(login: string, keys: string[]): void {
    const u = this.allUsers.find((x) => x.login === login);
    if (!u) throw new Error(`odoo-fake: no user ${login}`);
    u.apiKeys = [...keys];
  }

  /** Moves the fake's clock forward (lease expiry, grace deadlines). */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }
}
