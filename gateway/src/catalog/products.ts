/**
 * The catalog cache: every sellable variant, ordered by Odoo id (the stable order of
 * `GET /v1/products`), loaded from Odoo on first use and reloaded when older than its TTL, kept
 * current in between by `product.updated` events (`applyEvent`). A SKU that is not in the cache is
 * looked up in Odoo (a new product), and an unknown SKU is remembered for a short while.
 */
import type { Logger } from 'pino';
import type { EventEnvelope } from '../../../contracts/src/events.js';
import type { ProductVariant } from '../../../contracts/src/product.js';
import type { OdooClient } from '../odoo/client.js';

interface OdooVariantRow {
  id: number;
  default_code: string | false;
  barcode: string | false;
  name: string;
  lst_price: number;
  active: boolean;
  write_date: string;
  product_template_attribute_value_ids?: number[];
}

export interface CachedVariant {
  odooId: number;
  variant: ProductVariant;
}

// A variant's price is in the company currency (product.product has no currency of its own in Odoo 18 data).
const FIELDS = ['default_code', 'barcode', 'name', 'lst_price', 'active', 'write_date', 'product_template_attribute_value_ids'];
const PAGE = 1000;
const NEGATIVE_TTL_MS = 30_000;

/** Odoo writes UTC "YYYY-MM-DD HH:MM:SS"; the API speaks RFC 3339. */
const odooTime = (v: string) => `${v.replace(' ', 'T')}Z`;

export function toVariant(row: OdooVariantRow, currency = 'EUR', attributes: Record<string, string> = {}): ProductVariant {
  return {
    sku: row.default_code || `odoo-${row.id}`,
    barcode: row.barcode || null,
    // Odoo's display name of a variant: the template name and its attribute values.
    name: Object.keys(attributes).length ? `${row.name} (${Object.values(attributes).join(', ')})` : row.name,
    attributes,
    list_price: row.lst_price.toFixed(2),
    currency,
    active: row.active,
    updated_at: odooTime(row.write_date),
  };
}

function attributesOf(row: OdooVariantRow, values: Map<number, [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const id of row.product_template_attribute_value_ids ?? []) {
    const v = values.get(id);
    if (v) out[v[0]] = out[v[0]] ? `${out[v[0]]}, ${v[1]}` : v[1];
  }
  return out;
}

export interface ProductCatalogOptions {
  odoo: Pick<OdooClient, 'call'>;
  ttlMs: number;
  logger?: Logger;
  now?: () => number;
}

export class ProductCatalog {
  private byId = new Map<number, CachedVariant>();
  private bySku = new Map<string, CachedVariant>();
  /** Odoo ids in ascending order, rebuilt lazily after a change. */
  private order: number[] | null = null;
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  private readonly missing = new Map<string, number>();
  /** Bumped on every change: part of list ETags. */
  version = 0;
  private readonly now: () => number;

  constructor(private readonly options: ProductCatalogOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Loads the whole catalog if it never was, or reloads it when older than the TTL (stale served meanwhile). */
  async ensureLoaded(requestId?: string): Promise<void> {
    if (this.loadedAt === 0) return this.load(requestId);
    if (this.now() - this.loadedAt > this.options.ttlMs) {
      this.load(requestId).catch((err: unknown) => this.options.logger?.warn({ err }, 'catalog: background reload failed'));
    }
  }

  private load(requestId?: string): Promise<void> {
    this.loading ??= (async () => {
      try {
        const currency = await this.companyCurrency(requestId);
        const rowsAll: OdooVariantRow[] = [];
        for (let after = 0; ; ) {
          const rows = await this.options.odoo.call<OdooVariantRow[]>(
            'product.product',
            'search_read',
            { kwargs: { domain: [['sale_ok', '=', true], ['id', '>', after]], fields: FIELDS, order: 'id asc', limit: PAGE } },
            { requestId },
          );
          rowsAll.push(...rows);
          if (rows.length < PAGE) break;
          after = rows[rows.length - 1]!.id;
        }
        const attrs = await this.attributeValues(rowsAll, requestId);
        const byId = new Map<number, CachedVariant>();
        for (const r of rowsAll) byId.set(r.id, { odooId: r.id, variant: toVariant(r, currency, attributesOf(r, attrs)) });
        this.byId = byId;
        this.bySku = new Map([...byId.values()].map((v) => [v.variant.sku, v]));
        this.order = null;
        this.loadedAt = this.now();
        this.version++;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** A page in Odoo id order after `afterId`, optionally only variants updated at or after `updatedSince`. */
  async page(opts: { afterId: number; limit: number; updatedSince?: string; requestId?: string }): Promise<{ items: CachedVariant[]; nextCursor: string | null }> {
    await this.ensureLoaded(opts.requestId);
    const ids = this.sortedIds();
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid]! <= opts.afterId) lo = mid + 1;
      else hi = mid;
    }
    const since = opts.updatedSince ? Date.parse(opts.updatedSince) : null;
    const items: CachedVariant[] = [];
    let more = false;
    for (let i = lo; i < ids.length; i++) {
      const v = this.byId.get(ids[i]!)!;
      if (since !== null && Date.parse(v.variant.updated_at) < since) continue;
      if (items.length === opts.limit) {
        more = true;
        break;
      }
      items.push(v);
    }
    return { items, nextCursor: more ? String(items[items.length - 1]!.odooId) : null };
  }

  /** One variant by SKU: from the cache, else from Odoo (then cached); null when Odoo has none. */
  async get(sku: string, requestId?: string): Promise<ProductVariant | null> {
    await this.ensureLoaded(requestId);
    const hit = this.bySku.get(sku);
    if (hit) return hit.variant;
    const missedAt = this.missing.get(sku);
    if (missedAt !== undefined && this.now() - missedAt < NEGATIVE_TTL_MS) return null;
    const rows = await this.options.odoo.call<OdooVariantRow[]>(
      'product.product',
      'search_read',
      { kwargs: { domain: [['default_code', '=', sku]], fields: FIELDS, limit: 1 } },
      { requestId },
    );
    const row = rows[0];
    if (!row) {
      if (this.missing.size > 10_000) this.missing.clear();
      this.missing.set(sku, this.now());
      return null;
    }
    const attrs = await this.attributeValues([row], requestId);
    this.put({ odooId: row.id, variant: toVariant(row, await this.companyCurrency(requestId), attributesOf(row, attrs)) });
    return this.bySku.get(sku)?.variant ?? null;
  }

  private currency: string | null = null;

  /** The company currency (prices of variants are in it); read once. */
  private async companyCurrency(requestId?: string): Promise<string> {
    if (this.currency) return this.currency;
    try {
      const [company] = await this.options.odoo.call<{ currency_id: [number, string] | false }[]>(
        'res.company',
        'search_read',
        { kwargs: { domain: [], fields: ['currency_id'], limit: 1, order: 'id asc' } },
        { requestId },
      );
      if (company?.currency_id) this.currency = company.currency_id[1];
    } catch (err) {
      this.options.logger?.warn({ err }, 'catalog: company currency unknown');
    }
    return this.currency ?? 'EUR';
  }

  /** Attribute values (`Legs: Steel`) of the given variants, by value id, in one read. */
  private async attributeValues(rows: OdooVariantRow[], requestId?: string): Promise<Map<number, [string, string]>> {
    const ids = [...new Set(rows.flatMap((r) => r.product_template_attribute_value_ids ?? []))];
    const out = new Map<number, [string, string]>();
    if (ids.length === 0) return out;
    try {
      const values = await this.options.odoo.call<{ id: number; name: string; attribute_id: [number, string] | false }[]>(
        'product.template.attribute.value',
        'read',
        { ids, kwargs: { fields: ['name', 'attribute_id'] } },
        { requestId },
      );
      for (const v of values) out.set(v.id, [v.attribute_id ? v.attribute_id[1] : 'Attribute', v.name]);
    } catch (err) {
      this.options.logger?.warn({ err }, 'catalog: attribute values could not be read');
    }
    return out;
  }

  /** The cached variant without asking Odoo (shadow predictions, tests). */
  peek(sku: string): ProductVariant | undefined {
    return this.bySku.get(sku)?.variant;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Applies a `product.updated` event (from the cache tailer). Other event types are ignored. */
  applyEvent(envelope: EventEnvelope): void {
    if (envelope.type !== 'product.updated') return;
    const d = envelope.data;
    const previous = this.byId.get(d.product_id);
    if (previous && Date.parse(previous.variant.updated_at) > Date.parse(envelope.time)) return; // older than what we hold
    if (!d.sku) {
      if (previous) this.remove(d.product_id);
      return;
    }
    this.put({
      odooId: d.product_id,
      variant: {
        sku: d.sku,
        barcode: d.barcode,
        name: d.name,
        attributes: previous?.variant.attributes ?? {},
        list_price: d.list_price,
        currency: d.currency,
        active: d.active,
        updated_at: envelope.time,
      },
    });
  }

  private put(v: CachedVariant): void {
    const previous = this.byId.get(v.odooId);
    if (previous && previous.variant.sku !== v.variant.sku) this.bySku.delete(previous.variant.sku);
    this.byId.set(v.odooId, v);
    this.bySku.set(v.variant.sku, v);
    this.missing.delete(v.variant.sku);
    if (!previous) this.order = null;
    this.version++;
  }

  private remove(id: number): void {
    const previous = this.byId.get(id);
    if (!previous) return;
    this.byId.delete(id);
    this.bySku.delete(previous.variant.sku);
    this.order = null;
    this.version++;
  }

  private sortedIds(): number[] {
    this.order ??= [...this.byId.keys()].sort((a, b) => a - b);
    return this.order;
  }
}
