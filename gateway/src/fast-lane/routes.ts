/**
 * The routes the fast lane serves. Each recognises only the plain form of its request (anything
 * else goes to Hono, which answers it whatever it is) and answers with the same function as its
 * Hono route.
 */
import type { Scope } from '../../../contracts/src/scopes.js';
import type { TaggedJson } from '../catalog/etag.js';
import type { Principal } from '../context.js';
import { warehousesOf } from '../intake/http.js';
import { getInventory, InventoryQuery, inventoryAnswer } from '../routes/inventory.js';
import { getProduct, productAnswer } from '../routes/products.js';
import { scopeOf } from '../routes/route.js';
import type { Services } from '../services.js';

export interface LaneRequest {
  /** The path without the query, as the access line shows it. */
  path: string;
}

export interface LaneRoute<R extends LaneRequest = LaneRequest> {
  /** The route's pattern as the request metrics label it. */
  label: string;
  /** The scopes the Hono route requires (taken from its declaration). */
  scopes: readonly Scope[];
  /** The request's parameters when the URL is in the plain form the lane takes, else null. */
  match(url: string): R | null;
  /** Whether the lane can answer this caller as the route would, before anything is charged. */
  admits(services: Services, principal: Principal, input: R): boolean;
  /** The route's answer; its errors are `ApiError`s as the route throws them. */
  answer(services: Services, principal: Principal, input: R, requestId: string): TaggedJson | Promise<TaggedJson>;
}

/** Validated queries by their raw text: bounded, emptied when full. Validation is a pure function of the text. */
class QueryMemo<T> {
  private readonly map = new Map<string, T | null>();
  constructor(
    private readonly parse: (raw: string) => T | null,
    private readonly max = 10_000,
  ) {}

  get(raw: string): T | null {
    let v = this.map.get(raw);
    if (v === undefined) {
      v = this.parse(raw);
      if (this.map.size >= this.max) this.map.clear();
      this.map.set(raw, v);
    }
    return v;
  }
}

interface InventoryRequest extends LaneRequest {
  sku: string[];
  warehouse: string | undefined;
}

const INVENTORY = '/v1/inventory?';

/**
 * `sku=…[&warehouse=…]` in either order, each once, nothing percent-encoded or `+`: Hono's query
 * parsing decodes those, so such queries are left to it.
 */
function parseInventoryQuery(raw: string): InventoryRequest | null {
  if (raw.includes('%') || raw.includes('+')) return null;
  const fields: Record<string, string> = {};
  for (const part of raw.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq);
    if ((key !== 'sku' && key !== 'warehouse') || key in fields) return null;
    fields[key] = part.slice(eq + 1);
  }
  const parsed = InventoryQuery.safeParse(fields);
  if (!parsed.success) return null;
  return { path: '/v1/inventory', sku: parsed.data.sku, warehouse: parsed.data.warehouse };
}

const inventoryQueries = new QueryMemo(parseInventoryQuery);

export const inventoryRoute: LaneRoute<InventoryRequest> = {
  label: '/v1/inventory',
  scopes: [scopeOf(getInventory)],
  match(url) {
    if (!url.startsWith(INVENTORY)) return null;
    return inventoryQueries.get(url.slice(INVENTORY.length));
  },
  admits(services, principal, input) {
    if (input.warehouse === undefined) return true;
    const allowed = warehousesOf(services, principal);
    return allowed.length === 0 || allowed.includes(input.warehouse);
  },
  answer(services, principal, input, requestId) {
    return inventoryAnswer(services.availability, warehousesOf(services, principal), input.sku, input.warehouse, requestId);
  },
};

interface ProductRequest extends LaneRequest {
  sku: string;
}

const PRODUCTS = '/v1/products/';
/** A path segment Hono passes on as it is (no percent-decoding, not a dot segment), within the route's 64 characters. */
const PLAIN_SKU = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const productRoute: LaneRoute<ProductRequest> = {
  label: '/v1/products/:sku',
  scopes: [scopeOf(getProduct)],
  match(url) {
    if (!url.startsWith(PRODUCTS)) return null;
    const sku = url.slice(PRODUCTS.length);
    return PLAIN_SKU.test(sku) ? { path: url, sku } : null;
  },
  admits(services) {
    return services.catalog !== undefined;
  },
  answer(services, _principal, input, requestId) {
    return productAnswer(services.catalog, input.sku, requestId);
  },
};

/** Every route the lane serves. */
export const laneRoutes: readonly LaneRoute[] = [inventoryRoute as LaneRoute, productRoute as LaneRoute];
