/**
 * The simulator's data and what tests and benchmarks may do with it directly: run ORM code in a
 * transaction, authenticate, add gateway partners, set stock, read the outbox, move the clock,
 * validate pickings and invoice orders the way a warehouse or an accountant would in Odoo.
 */
import { randomBytes } from 'node:crypto';
import type { EventEnvelope } from '../../../../contracts/src/events.js';
import { scopes as allScopes, type Scope } from '../../../../contracts/src/scopes.js';
import { registerAddonMethods } from './addon-api.js';
import { accessDenied, userError } from './exceptions.js';
import { invoiceOrders, accountMove, accountMoveLine, accountPayment } from './models/account.js';
import { resCompany, resCountry, resCurrency, resGroups, resPartner, resUsers } from './models/base.js';
import {
  carrierMap,
  consent,
  customerLink,
  gatewayApi,
  gatewayDelivery,
  gatewayPartner,
  gatewaySubscription,
  hashSecret,
  intake,
  outboxEvent,
  partnerByCode,
} from './models/gateway.js';
import {
  productAttribute,
  productCategory,
  productPricelist,
  productProduct,
  productTemplate,
  productTemplateAttributeValue,
} from './models/product.js';
import { saleOrder, saleOrderLine } from './models/sale.js';
import { deliveryCarrier, setCountedQuantity, stockLocation, stockMove, stockPicking, stockQuant, stockWarehouse, validatePicking, warehouseByCode } from './models/stock.js';
import { Env, Store, SUPERUSER_ID, type ModelDef, type OrmContext, type Row, type Vals } from './orm.js';
import { OUTBOX_MODEL, envelopeOf, publishIntents } from './outbox.js';
import { mapCarriers, seed, type SeedUsers } from './seed.js';

const MODELS: ModelDef[] = [
  resGroups,
  resCompany,
  resCurrency,
  resCountry,
  resPartner,
  resUsers,
  productCategory,
  productAttribute,
  productTemplateAttributeValue,
  productTemplate,
  productProduct,
  productPricelist,
  stockWarehouse,
  stockLocation,
  stockQuant,
  stockMove,
  stockPicking,
  deliveryCarrier,
  saleOrder,
  saleOrderLine,
  accountMove,
  accountMoveLine,
  accountPayment,
  outboxEvent,
  gatewayApi,
  gatewayPartner,
  gatewaySubscription,
  gatewayDelivery,
  carrierMap,
  intake,
  customerLink,
  consent,
];

export interface AddPartnerOptions {
  code: string;
  name?: string;
  scopes?: Scope[];
  tier?: 'standard' | 'premium' | 'internal';
  mode?: 'live' | 'shadow';
  warehouses?: string[];
  active?: boolean;
  /** Default: the code. */
  clientId?: string;
  /** Default: `<code>-secret`. */
  clientSecret?: string;
  issuer?: string;
  jwksUrl?: string;
  inboundSecrets?: Partial<Record<'shopify' | 'woocommerce' | 'stripe' | 'standard', string>>;
}

export class SimulatorState {
  readonly ctx: OrmContext;
  readonly users: SeedUsers;
  private clockOffsetMs = 0;

  constructor(opts: { db: string; apiKey?: string; now?: () => Date }) {
    const base = opts.now ?? (() => new Date());
    const models = new Map(MODELS.map((m) => [m.name, { ...m, methods: { ...m.methods } }]));
    registerAddonMethods(models);
    this.ctx = {
      db: opts.db,
      models,
      store: new Store(),
      now: () => new Date(base().getTime() + this.clockOffsetMs),
      hooks: { beforeCommit: [publishIntents] },
      bag: {},
    };
    const apiKey = opts.apiKey ?? randomBytes(20).toString('hex');
    this.ctx.bag.seeding = true;
    try {
      this.users = this.transaction((env) => seed(env, { apiKey }));
    } finally {
      this.ctx.bag.seeding = false;
    }
  }

  /** A superuser environment (no access checks) for reading or preparing data. */
  env(uid = SUPERUSER_ID, context: Vals = {}): Env {
    return new Env(this.ctx, uid, context, uid === SUPERUSER_ID);
  }

  /** Runs `fn` as one Odoo transaction: everything or nothing, coalesced events written before the commit. */
  transaction<T>(fn: (env: Env) => T, uid = SUPERUSER_ID, context: Vals = {}): T {
    const store = this.ctx.store;
    const env = this.env(uid, context);
    try {
      const result = fn(env);
      for (const hook of this.ctx.hooks.beforeCommit) hook(env);
      store.commit();
      return result;
    } catch (err) {
      store.rollbackTo(0);
      store.commit();
      throw err;
    }
  }

  /** `common.authenticate`: the uid for a login and a password or API key, or null. */
  authenticate(login: string, secret: string, opts: { apiKeyOnly?: boolean; passwordOnly?: boolean } = {}): number | null {
    for (const u of this.ctx.store.table('res.users').values()) {
      if (u.login !== login || u.active === false) continue;
      return this.checkSecret(u, secret, opts) ? u.id : null;
    }
    return null;
  }

  /** The uid an API key belongs to (JSON-2's bearer authentication), or null. */
  uidForApiKey(key: string): number | null {
    for (const u of this.ctx.store.table('res.users').values()) {
      if (u.active !== false && ((u.api_keys as string[]) ?? []).includes(key)) return u.id;
    }
    return null;
  }

  /** `execute_kw`'s credential check (Odoo `security.check`): AccessDenied otherwise. */
  checkUid(uid: unknown, secret: unknown): number {
    const u = typeof uid === 'number' ? this.ctx.store.table('res.users').get(uid) : undefined;
    if (!u || u.active === false || typeof secret !== 'string' || !this.checkSecret(u, secret, {})) throw accessDenied();
    return u.id;
  }

  private checkSecret(u: Row, secret: string, opts: { apiKeyOnly?: boolean; passwordOnly?: boolean }): boolean {
    if (!opts.apiKeyOnly && typeof u.password === 'string' && u.password === secret) return true;
    return !opts.passwordOnly && ((u.api_keys as string[]) ?? []).includes(secret);
  }

  /** Adds (or replaces the secrets of) a gateway partner; answers its client credentials. */
  addPartner(o: AddPartnerOptions): { code: string; clientId: string; clientSecret: string } {
    const clientId = o.clientId ?? o.code;
    const clientSecret = o.clientSecret ?? `${o.code}-secret`;
    this.transaction((env) => {
      const warehouseIds = (o.warehouses ?? []).map((code) => {
        const wh = warehouseByCode(env, code);
        if (!wh) throw userError(`Unknown warehouse ${code}.`);
        return wh.id;
      });
      const vals: Vals = {
        code: o.code,
        name: o.name ?? o.code,
        scopes: (o.scopes ?? [...allScopes]).join(' '),
        tier: o.tier ?? 'standard',
        mode: o.mode ?? 'live',
        warehouse_ids: [[6, 0, warehouseIds]],
        active: o.active ?? true,
        client_id: clientId,
        client_secrets: [hashSecret(clientSecret)],
        issuer: o.issuer ?? false,
        jwks_url: o.jwksUrl ?? false,
        inbound_secrets: Object.fromEntries(Object.entries(o.inboundSecrets ?? {}).map(([k, v]) => [k, [{ secret: v, valid_until: null }]])),
      };
      const existing = partnerByCode(env, o.code);
      if (existing) env.write('retail_gateway.partner', [existing.id], vals);
      else mapCarriers(env, env.create('retail_gateway.partner', [vals])[0]!);
    });
    return { code: o.code, clientId, clientSecret };
  }

  /** Archives or restores a gateway partner. */
  setPartnerActive(code: string, active: boolean): void {
    this.transaction((env) => {
      const p = partnerByCode(env, code);
      if (!p) throw userError(`Unknown gateway partner "${code}".`);
      env.write('retail_gateway.partner', [p.id], { active });
    });
  }

  /** Sets the on-hand quantity of a SKU in a warehouse (an applied inventory adjustment). */
  setStock(sku: string, warehouseCode: string, quantity: number): void {
    this.transaction((env) => {
      const product = [...env.store.table('product.product').values()].find((p) => p.default_code === sku);
      const wh = warehouseByCode(env, warehouseCode);
      if (!product || !wh) throw userError(`Unknown SKU ${sku} or warehouse ${warehouseCode}.`);
      setCountedQuantity(env, product.id, wh, quantity);
    });
  }

  /** Writes fields of the product with this SKU (e.g. `{ list_price: 99 }`), as a user in Odoo would. */
  updateProduct(sku: string, vals: Vals): void {
    this.transaction((env) => {
      const product = [...env.store.table('product.product').values()].find((p) => p.default_code === sku);
      if (!product) throw userError(`Unknown SKU ${sku}.`);
      env.write('product.product', [product.id], vals);
    });
  }

  /** Validates a picking (fully, or the given quantities per SKU), as the warehouse does in Odoo. */
  validatePicking(pickingId: number, quantities?: Record<string, number>): { backorderId: number | null } {
    return this.transaction((env) => {
      const [picking] = env.existing('stock.picking', [pickingId]);
      let map: Map<number, number> | undefined;
      if (quantities) {
        map = new Map();
        for (const [sku, q] of Object.entries(quantities)) {
          const p = [...env.store.table('product.product').values()].find((x) => x.default_code === sku);
          if (p) map.set(p.id, q);
        }
      }
      const { backorder } = validatePicking(env, picking!, map);
      return { backorderId: backorder?.id ?? null };
    });
  }

  /** Invoices and posts confirmed orders (an `invoice.posted` event). */
  invoiceOrders(orderIds: number[]): number {
    return this.transaction((env) => invoiceOrders(env, orderIds).id);
  }

  /** The outbox, oldest first: envelopes and their delivery state. */
  outbox(filter: { type?: string } = {}): Array<{ cursor: number; state: string; envelope: EventEnvelope }> {
    const env = this.env();
    return [...this.ctx.store.table(OUTBOX_MODEL).values()]
      .filter((r) => !filter.type || r.event_type === filter.type)
      .sort((a, b) => a.id - b.id)
      .map((r) => ({ cursor: r.id, state: String(r.state), envelope: envelopeOf(env, r) }));
  }

  /** Moves the simulator's clock forward (lease expiry, grace deadlines). */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** Reads records with a superuser (Odoo's `search_read`, wire format). */
  searchRead(model: string, domain: unknown[] = [], fields?: string[]): Vals[] {
    const env = this.env();
    return env.read(model, env.search(model, domain), fields);
  }
}

