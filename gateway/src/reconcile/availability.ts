/**
 * Availability reconciliation: reads Odoo's availability for every SKU and warehouse (the addon's
 * `availability`, page by page), compares it with what this gateway serves, repairs each entry
 * that drifted, and reports what it found. A drift means the cache missed an event (or applied
 * one out of order): the report counts them so an operator can see whether tailing keeps up.
 */
import type { Availability } from '../../../contracts/src/availability.js';
import type { EventEnvelope } from '../../../contracts/src/events.js';
import type { OdooClient } from '../odoo/client.js';

type Figures = Omit<Availability, 'stale'>;

/** What reconciliation needs from the served availability. */
export interface ServedAvailability {
  /** The figures served now for a SKU in a warehouse, without asking Odoo; undefined if not cached. */
  peek?(sku: string, warehouse: string): Figures | undefined;
  /** Served figures (may fetch misses from Odoo): used when `peek` is not available. */
  lookup(skus: readonly string[], warehouse: string | undefined): Promise<Availability[]>;
  applyEvent(envelope: EventEnvelope): void;
}

export interface DriftEntry {
  sku: string;
  warehouse: string;
  served: Pick<Figures, 'on_hand' | 'reserved' | 'safety_stock' | 'available'>;
  odoo: Pick<Figures, 'on_hand' | 'reserved' | 'safety_stock' | 'available'>;
}

export interface ReconcileReport {
  started_at: string;
  finished_at: string;
  /** SKU × warehouse pairs Odoo reported. */
  checked: number;
  /** Pairs this replica served from its cache (the others are read from Odoo on demand). */
  cached: number;
  drifted: number;
  repaired: number;
  /** The first drifts, for the operator (capped). */
  drift: DriftEntry[];
}

const pick = (f: Figures) => ({ on_hand: f.on_hand, reserved: f.reserved, safety_stock: f.safety_stock, available: f.available });
const same = (a: Figures, b: Figures) => a.on_hand === b.on_hand && a.reserved === b.reserved && a.safety_stock === b.safety_stock && a.available === b.available;

export interface ReconcileOptions {
  odoo: Pick<OdooClient, 'rpc'>;
  served: ServedAvailability;
  pageSize?: number;
  /** Only report, do not repair. */
  dryRun?: boolean;
  /** Called after each page (progress). */
  onProgress?: (checked: number) => void;
  maxDriftListed?: number;
  now?: () => number;
}

export async function reconcileAvailability(o: ReconcileOptions): Promise<ReconcileReport> {
  const now = o.now ?? Date.now;
  const started = now();
  const report: ReconcileReport = { started_at: new Date(started).toISOString(), finished_at: '', checked: 0, cached: 0, drifted: 0, repaired: 0, drift: [] };
  const pageSize = o.pageSize ?? 1000;
  for (let offset = 0; ; offset += pageSize) {
    const page = await o.odoo.rpc('availability', { offset, limit: pageSize });
    const served = new Map<string, Figures>();
    if (o.served.peek) {
      for (const f of page.items) {
        const s = o.served.peek(f.sku, f.warehouse);
        if (s) served.set(`${f.sku}\u0000${f.warehouse}`, s);
      }
    } else {
      const skus = [...new Set(page.items.map((f) => f.sku))];
      for (const s of await o.served.lookup(skus, undefined)) served.set(`${s.sku}\u0000${s.warehouse}`, s);
    }
    for (const f of page.items) {
      report.checked++;
      const s = served.get(`${f.sku}\u0000${f.warehouse}`);
      if (!s) continue;
      report.cached++;
      if (same(s, f)) continue;
      report.drifted++;
      if (report.drift.length < (o.maxDriftListed ?? 100)) report.drift.push({ sku: f.sku, warehouse: f.warehouse, served: pick(s), odoo: pick(f) });
      if (!o.dryRun) {
        o.served.applyEvent(repairEvent(f, now()));
        report.repaired++;
      }
    }
    o.onProgress?.(report.checked);
    if (!page.has_more || page.items.length === 0) break;
  }
  report.finished_at = new Date(now()).toISOString();
  return report;
}

/** Odoo's figures as an `inventory.changed` event, which every availability cache applies. */
function repairEvent(f: Figures, nowMs: number): EventEnvelope {
  const asOf = Math.max(Date.parse(f.as_of) || 0, nowMs);
  return {
    id: `reconcile_${f.sku}_${f.warehouse}_${nowMs}`.slice(0, 64),
    source: 'urn:retail-gateway:reconcile',
    specversion: '1.0',
    type: 'inventory.changed',
    time: new Date(nowMs).toISOString(),
    subject: 'product.product/0',
    datacontenttype: 'application/json',
    sequence: 1,
    data: { ...f, as_of: new Date(asOf).toISOString(), product_id: 0 },
  };
}

/** Runs reconciliation every `intervalMs`, logging each report. */
export class ReconcileScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReconcileReport | null> | null = null;
  last: ReconcileReport | null = null;

  constructor(
    private readonly run: () => Promise<ReconcileReport>,
    private readonly intervalMs: number,
    private readonly onReport: (r: ReconcileReport) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  runNow(): Promise<ReconcileReport | null> {
    this.running ??= this.run()
      .then((r) => {
        this.last = r;
        this.onReport(r);
        return r;
      })
      .catch((err) => {
        this.onError(err);
        return null;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.runNow(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
