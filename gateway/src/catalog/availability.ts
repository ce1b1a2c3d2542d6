/**
 * The availability cache: `available = max(0, on_hand - reserved - safety_stock)` per SKU and
 * warehouse, as Odoo computed it at `as_of`. Kept current by `inventory.changed` events
 * (`applyEvent`), filled from Odoo (the addon's `availability` method) on a miss or when an entry is
 * older than the freshness target; when Odoo cannot be asked, the last figures are served marked
 * `stale: true`.
 */
import type { Logger } from 'pino';
import type { Availability } from '../../../contracts/src/availability.js';
import type { EventEnvelope } from '../../../contracts/src/events.js';
import type { OdooClient } from '../odoo/client.js';

type Figures = Omit<Availability, 'stale'>;

/**
 * Odoo's figures for a SKU in a warehouse, with when this replica knew them. One object, not the
 * figures in an object of their own: ≈ 10 MB less heap for 200,000 entries (bench/memory.ts).
 */
interface Entry extends Figures {
  /** When this replica last knew the figures to be current (fetched or told by an event). */
  freshAt: number;
  /** When Odoo computed them, no later than that (ms): ATP promises settled since still count against them. */
  basisAt: number;
}

/** The figures of an entry, as the contract has them. */
const figuresOf = (e: Entry): Figures => ({ sku: e.sku, warehouse: e.warehouse, on_hand: e.on_hand, reserved: e.reserved, safety_stock: e.safety_stock, available: e.available, as_of: e.as_of });

/**
 * Units promised at intake and not yet reserved in Odoo (available-to-promise, atp/service.ts):
 * subtracted from Odoo's figures wherever availability is answered.
 */
export interface PromisedUnits {
  /** Units promised against a figure of this SKU and warehouse computed at `basisAt`. */
  promised(sku: string, warehouse: string, basisAt: number): number;
  /** Whether a promise settled (Odoo reserved) at or after `basisAt`. */
  settledSince(sku: string, warehouse: string, basisAt: number): boolean;
}

/** Odoo's own figure for a SKU and warehouse with when it was computed (ATP checks promises against it). */
export interface RawFigure {
  sku: string;
  warehouse: string;
  available: number;
  basisAt: number;
}

export interface AvailabilityCacheOptions {
  odoo: Pick<OdooClient, 'rpc'>;
  /** Entries older than this are refreshed from Odoo before being served. */
  freshnessMs: number;
  logger?: Logger;
  now?: () => number;
  /**
   * SKUs whose completeness is remembered at most (default 100,000). Partners choose the SKUs they
   * ask for, known to Odoo or not, so the map is emptied when full (it only saves Odoo calls).
   */
  maxCompleteSkus?: number;
}

const FETCH_CHUNK = 500;
/** Figures overtaken by a settled ATP promise are refreshed at most this often. */
const ATP_REFRESH_MS = 250;
/** Rendered answers remembered at most (all dropped when full; they are cheap to rebuild). */
const MAX_RENDERED = 10_000;

interface Rendered<T> {
  version: number;
  validUntil: number;
  value: T;
}

export class AvailabilityCache {
  /**
   * SKU → its entries, one per warehouse, in the order first stored. An array and not a Map by
   * warehouse: a SKU has a few warehouses, and a Map per SKU cost ≈ 250 bytes of hash table, about
   * 25 MB of heap for 100,000 SKUs (bench/memory.ts).
   */
  private readonly entries = new Map<string, Entry[]>();
  /**
   * The last `as_of` stored: the addon stamps every figure of one call with the same instant, and
   * keeping one string for all of them, rather than one parsed copy per figure, saves ≈ 40 bytes a
   * figure.
   */
  private lastAsOf = '';
  private count = 0;
  /** SKUs whose every warehouse was fetched at this time (a lookup without a warehouse is complete). */
  private readonly complete = new Map<string, number>();
  /** Rendered answers by key (`lookupRendered`). */
  private readonly rendered = new Map<string, Rendered<unknown>>();
  private readonly now: () => number;
  /** Fetches from Odoo under way, by SKUs and warehouse (bounded by the requests in flight). */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Bumped on every change. */
  version = 0;
  private promises: PromisedUnits | null = null;

  /**
   * Odoo's figures as cached for a SKU in a warehouse (promises not subtracted), without asking
   * Odoo: reconciliation compares these with Odoo's, so units promised at intake are not drift.
   */
  peek(sku: string, warehouse: string): Figures | undefined {
    const e = this.entryOf(sku, warehouse);
    return e && figuresOf(e);
  }

  /**
   * Odoo has just reserved units promised for these SKUs and warehouses: their figures are read
   * again on the next lookup (not marked stale), so the settled promises stop counting at once.
   */
  refreshSoon(items: readonly { sku: string; warehouse: string }[]): void {
    const due = this.now() - ATP_REFRESH_MS;
    for (const { sku, warehouse } of items) {
      const e = this.entryOf(sku, warehouse);
      if (e && e.freshAt > due) e.freshAt = due;
    }
    this.version++;
  }

  /** Subtracts promised units from every answer from now on (`touch` when they change). */
  usePromises(promises: PromisedUnits): void {
    this.promises = promises;
    this.version++;
  }

  /** The promised units changed: answers remembered so far are out of date. */
  touch(): void {
    this.version++;
  }

  /**
   * Odoo reserved units of promises settled after these figures were computed: they are served
   * less those units (correct) until refreshed, which is due `ATP_REFRESH_MS` after the last fetch
   * (so the settled promises stop counting and Odoo is asked at most that often per figure).
   */
  private overtaken(e: Entry, now: number): boolean {
    return now - e.freshAt >= ATP_REFRESH_MS && (this.promises?.settledSince(e.sku, e.warehouse, e.basisAt) ?? false);
  }

  private overtakenUntil(e: Entry): number {
    return this.promises?.settledSince(e.sku, e.warehouse, e.basisAt) ? e.freshAt + ATP_REFRESH_MS : Infinity;
  }

  /** Odoo's figures as served, less the units promised against them. */
  private served(e: Entry, stale: boolean): Availability {
    const promised = this.promises?.promised(e.sku, e.warehouse, e.basisAt) ?? 0;
    return { ...figuresOf(e), available: promised > 0 ? Math.max(0, e.available - promised) : e.available, stale };
  }

  /**
   * Odoo's own figures (promises not subtracted) and when they were computed, refreshed like
   * `lookup`; for the ATP check at intake.
   */
  async raw(skus: readonly string[], warehouse: string | undefined, requestId?: string): Promise<RawFigure[]> {
    // Refreshed as `lookup` is, without building (and sorting) the served answer it would discard:
    // this runs for every order at intake.
    const { failed } = await this.refresh(skus, warehouse, requestId);
    const out: RawFigure[] = [];
    for (const sku of skus) {
      for (const e of this.entriesOf(sku)) {
        if (warehouse === undefined || e.warehouse === warehouse) out.push({ sku, warehouse: e.warehouse, available: e.available, basisAt: e.basisAt });
      }
    }
    if (failed && out.length === 0) throw new AvailabilityUnavailableError();
    return out;
  }

  constructor(private readonly options: AvailabilityCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.count;
  }

  /** SKUs whose completeness is remembered (bounded by `maxCompleteSkus`). */
  get completeSkus(): number {
    return this.complete.size;
  }

  /**
   * Availability of the SKUs, in one warehouse or all of them, sorted by SKU then warehouse.
   * Misses and entries past the freshness target are fetched from Odoo in one call.
   */
  async lookup(skus: readonly string[], warehouse: string | undefined, requestId?: string): Promise<Availability[]> {
    return (await this.collect(skus, warehouse, requestId)).items;
  }

  /**
   * `lookup`, answered as `render` made it, remembered under `key` (which must name the SKUs, the
   * warehouse and whatever else `render` depends on) until the cache changes (`version`) or one of
   * the figures it shows falls due or would turn stale. Nothing is remembered from a failed
   * refresh. The hot cached read uses it so it neither rebuilds, sorts, serialises nor hashes
   * the same answer per request (measured: ≈ 10% of that read's CPU).
   */
  /** The answer `lookupRendered` would give under `key` without asking Odoo, when it has one now. */
  renderedNow<T>(key: string): T | undefined {
    const memo = this.rendered.get(key) as Rendered<T> | undefined;
    return memo && memo.version === this.version && this.now() <= memo.validUntil ? memo.value : undefined;
  }

  async lookupRendered<T>(key: string, skus: readonly string[], warehouse: string | undefined, requestId: string | undefined, render: (items: Availability[]) => T): Promise<T> {
    const memo = this.rendered.get(key) as Rendered<T> | undefined;
    if (memo && memo.version === this.version && this.now() <= memo.validUntil) return memo.value;
    const { items, validUntil, version } = await this.collect(skus, warehouse, requestId);
    const value = render(items);
    if (validUntil >= this.now()) {
      if (this.rendered.size >= MAX_RENDERED) this.rendered.clear();
      this.rendered.set(key, { version, validUntil, value });
    }
    return value;
  }

  /**
   * Fetches from Odoo (in one call) the SKUs missing or past the freshness target; on a failure
   * the last figures stay. `due`: the SKUs that were (or should have been) fetched.
   */
  private async refresh(skus: readonly string[], warehouse: string | undefined, requestId?: string): Promise<{ failed: boolean; due: string[] }> {
    const now = this.now();
    const due = skus.filter((sku) => {
      if (warehouse !== undefined) {
        const e = this.entryOf(sku, warehouse);
        if (e) return now - e.freshAt > this.options.freshnessMs || this.overtaken(e, now);
        const whole = this.complete.get(sku);
        return whole === undefined || now - whole > this.options.freshnessMs;
      }
      const whole = this.complete.get(sku);
      if (whole === undefined || now - whole > this.options.freshnessMs) return true;
      for (const e of this.entriesOf(sku)) if (this.overtaken(e, now)) return true;
      return false;
    });
    let failed = false;
    if (due.length > 0) {
      try {
        await this.fetchOnce(due, warehouse, requestId);
      } catch (err) {
        failed = true;
        this.options.logger?.warn({ err, skus: due.length }, 'availability: refresh from Odoo failed, serving last known figures');
      }
    }
    return { failed, due };
  }

  private async collect(skus: readonly string[], warehouse: string | undefined, requestId?: string): Promise<{ items: Availability[]; validUntil: number; version: number }> {
    const { failed, due } = await this.refresh(skus, warehouse, requestId);
    const stale = (e: Entry) => (failed && due.includes(e.sku)) || this.now() - e.freshAt > this.options.freshnessMs;
    const freshness = this.options.freshnessMs;
    // Until when this answer stays the same (barring a change): the first instant a figure in it
    // would be refreshed or marked stale, or a SKU without figures would be asked again.
    let validUntil = failed ? -Infinity : Infinity;
    const out: Availability[] = [];
    for (const sku of skus) {
      if (warehouse !== undefined) {
        const e = this.entryOf(sku, warehouse);
        if (e) {
          out.push(this.served(e, stale(e)));
          validUntil = Math.min(validUntil, e.freshAt + freshness, this.overtakenUntil(e));
        } else {
          const whole = this.complete.get(sku);
          validUntil = whole === undefined ? -Infinity : Math.min(validUntil, whole + freshness);
        }
      } else {
        const whole = this.complete.get(sku);
        validUntil = whole === undefined ? -Infinity : Math.min(validUntil, whole + freshness);
        for (const e of this.entriesOf(sku)) {
          out.push(this.served(e, stale(e)));
          validUntil = Math.min(validUntil, e.freshAt + freshness, this.overtakenUntil(e));
        }
      }
    }
    if (failed && out.length === 0 && due.length > 0) throw new AvailabilityUnavailableError();
    return { items: out.sort((a, b) => (a.sku === b.sku ? a.warehouse.localeCompare(b.warehouse) : a.sku < b.sku ? -1 : 1)), validUntil, version: this.version };
  }

  /** Every SKU and warehouse from Odoo, page by page (refreshing the cache on the way): the snapshot. */
  async *scan(requestId?: string, pageSize = 1000): AsyncGenerator<Availability[]> {
    for (let offset = 0; ; offset += pageSize) {
      const basis = this.now();
      const page = await this.options.odoo.rpc('availability', { offset, limit: pageSize }, { requestId });
      const now = this.now();
      for (const f of page.items) this.store(f, now, basis);
      yield page.items.map((f) => {
        const promised = this.promises?.promised(f.sku, f.warehouse, basis) ?? 0;
        return { ...f, available: Math.max(0, f.available - promised), stale: false };
      });
      if (!page.has_more || page.items.length === 0) break;
    }
  }

  /** Applies an `inventory.changed` event (from the cache tailer). Other event types are ignored. */
  applyEvent(envelope: EventEnvelope): void {
    if (envelope.type !== 'inventory.changed') return;
    const { product_id: _productId, ...figures } = envelope.data;
    const current = this.entryOf(figures.sku, figures.warehouse);
    if (current && Date.parse(current.as_of) > Date.parse(figures.as_of)) return; // older news
    // Odoo computed the figures at `as_of` (its clock): promises settled since still count.
    const now = this.now();
    const at = Date.parse(figures.as_of);
    this.store(figures, now, Number.isFinite(at) ? Math.min(at, now) : 0);
  }

  private entriesOf(sku: string): readonly Entry[] {
    return this.entries.get(sku) ?? [];
  }

  private entryOf(sku: string, warehouse: string): Entry | undefined {
    const list = this.entries.get(sku);
    if (list) for (const e of list) if (e.warehouse === warehouse) return e;
    return undefined;
  }

  /**
   * `fetch`, shared by concurrent lookups of the same SKUs and warehouse: a burst of reads (or of
   * accepts checking promises) that finds a figure due asks Odoo once, not once per request.
   */
  private fetchOnce(skus: string[], warehouse: string | undefined, requestId?: string): Promise<void> {
    const key = JSON.stringify([warehouse ?? null, skus]);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetch(skus, warehouse, requestId).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async fetch(skus: string[], warehouse: string | undefined, requestId?: string): Promise<void> {
    for (let i = 0; i < skus.length; i += FETCH_CHUNK) {
      const chunk = skus.slice(i, i + FETCH_CHUNK);
      // Asked before Odoo computes: a promise settled after this instant may not be in the figures.
      const basis = this.now();
      const items: Figures[] = [];
      for (let offset = 0; ; ) {
        const page = await this.options.odoo.rpc(
          'availability',
          { skus: chunk, ...(warehouse !== undefined ? { warehouses: [warehouse] } : {}), offset, limit: 5000 },
          { requestId },
        );
        items.push(...page.items);
        if (!page.has_more || page.items.length === 0) break;
        offset += page.items.length;
      }
      const now = this.now();
      for (const f of items) this.store(f, now, basis);
      if (warehouse === undefined) {
        const max = this.options.maxCompleteSkus ?? 100_000;
        for (const sku of chunk) {
          if (this.complete.size >= max && !this.complete.has(sku)) this.complete.clear();
          this.complete.set(sku, now);
        }
      }
    }
  }

  private store(f: Figures, at: number, basisAt: number): void {
    const list = this.entries.get(f.sku);
    const asOf = f.as_of === this.lastAsOf ? this.lastAsOf : (this.lastAsOf = f.as_of);
    // One literal with every field, so they live inside the object (the parsed contract object was
    // built field by field and keeps some in a separate property array), and the SKU string the
    // cache already keys by, not another parsed copy of it.
    const entry: Entry = { sku: list?.[0]?.sku ?? f.sku, warehouse: f.warehouse, on_hand: f.on_hand, reserved: f.reserved, safety_stock: f.safety_stock, available: f.available, as_of: asOf, freshAt: at, basisAt };
    const i = list ? list.findIndex((e) => e.warehouse === f.warehouse) : -1;
    if (i >= 0) list![i] = entry;
    else {
      // A new array of the exact length (a push or a spread would leave room for 16 more): a SKU
      // gains a warehouse rarely, and is read on every request.
      this.entries.set(entry.sku, list ? list.concat(entry) : [entry]);
      this.count++;
    }
    this.version++;
  }
}

/** Odoo could not be asked and nothing was cached. */
export class AvailabilityUnavailableError extends Error {
  constructor() {
    super('availability: Odoo is unreachable and nothing is cached');
    this.name = 'AvailabilityUnavailableError';
  }
}
