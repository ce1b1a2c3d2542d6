/**
 * Shadow mode, for migration coexistence: a shadow partner's items are validated, mapped and
 * recorded like any other, and then judged here instead of being sent to Odoo. The prediction
 * reads only (the catalog cache, filled from Odoo on a miss): an unknown or inactive SKU, or a line
 * above the partner's max_line_quantity, would be rejected, anything else would be created. The report counts what would have been created,
 * rejected or de-duplicated.
 */
import type { RejectionReason } from '../../../contracts/src/order.js';
import { DEFAULT_MAX_LINE_QUANTITY } from '../../../contracts/src/partner.js';
import type { ProductCatalog } from '../catalog/products.js';
import type { SqlExecutor } from '../store/store.js';
import type { ShadowEvaluator } from './drainer.js';
import { shadowCounts, shadowRejections, type IntakeItem, type Settlement } from './queue.js';

export function createShadowEvaluator(catalog: Pick<ProductCatalog, 'get'>, maxLineQuantity: (partner: string) => number = () => DEFAULT_MAX_LINE_QUANTITY): ShadowEvaluator {
  return async (items: IntakeItem[]): Promise<Settlement[]> => {
    const out: Settlement[] = [];
    for (const item of items) {
      const lines = (item.payload as { lines?: { sku: string; quantity?: number }[] }).lines ?? [];
      const reasons: RejectionReason[] = [];
      const max = item.kind === 'order' ? maxLineQuantity(item.partner) : Infinity;
      for (const [i, line] of lines.entries()) {
        if (typeof line.quantity === 'number' && line.quantity > max) reasons.push({ code: 'quantity_limit', message: `The quantity ${line.quantity} is more than the ${max} a line may ask for.`, field: `lines/${i}/quantity` });
        const variant = await catalog.get(line.sku, item.requestId);
        if (!variant) reasons.push({ code: 'unknown_sku', message: `No product with SKU ${JSON.stringify(line.sku)}.`, field: `lines/${i}/sku` });
        else if (!variant.active) reasons.push({ code: 'inactive_product', message: `Product ${JSON.stringify(line.sku)} is archived.`, field: `lines/${i}/sku` });
      }
      out.push({ id: item.id, shadow: { outcome: reasons.length ? 'would_reject' : 'would_create', reasons } });
    }
    return out;
  };
}

export interface ShadowReport {
  partner: string;
  items: number;
  would_create: number;
  would_reject: number;
  duplicates: number;
  pending: number;
  by_kind: Record<string, { items: number; would_create: number; would_reject: number; duplicates: number; pending: number }>;
  rejection_reasons: Record<string, number>;
}

/** Counts a partner's shadow items. */
export async function shadowReport(db: SqlExecutor, partner: string): Promise<ShadowReport> {
  const rows = await shadowCounts(db, partner);
  const report: ShadowReport = { partner, items: 0, would_create: 0, would_reject: 0, duplicates: 0, pending: 0, by_kind: {}, rejection_reasons: {} };
  for (const r of rows) {
    const n = Number(r.n);
    const d = Number(r.d ?? 0);
    const k = (report.by_kind[r.kind] ??= { items: 0, would_create: 0, would_reject: 0, duplicates: 0, pending: 0 });
    k.items += n;
    k.duplicates += d;
    report.items += n;
    report.duplicates += d;
    const bucket = r.outcome === 'would_create' ? 'would_create' : r.outcome === 'would_reject' ? 'would_reject' : 'pending';
    k[bucket] += n;
    report[bucket] += n;
  }
  for (const r of await shadowRejections(db, partner, 10_000)) {
    for (const reason of JSON.parse(r.reasons ?? '[]') as RejectionReason[]) report.rejection_reasons[reason.code] = (report.rejection_reasons[reason.code] ?? 0) + 1;
  }
  return report;
}
