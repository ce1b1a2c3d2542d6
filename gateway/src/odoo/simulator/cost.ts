/**
 * What a call costs in time, so tests and benchmarks can run at Odoo's speed. Calibrated on a real
 * Odoo 18 on a 2-core machine (see docs and BENCHMARKS.md): a create+confirm round trip of a batch
 * costs ≈ 128 ms plus ≈ 41 ms per order in it, and a simple read ≈ 20 ms. The default is zero.
 */

export interface CostModel {
  /** Any call that is not a batch of orders or intake items. */
  perCallMs: number;
  /** One batch round trip (create + confirm, or one intake batch call). */
  perBatchMs: number;
  /** Each order or intake item in a batch. */
  perOrderMs: number;
}

export const zeroCost: CostModel = { perCallMs: 0, perBatchMs: 0, perOrderMs: 0 };
export const calibratedCost: CostModel = { perCallMs: 20, perBatchMs: 128, perOrderMs: 41 };

const BATCH_ARGS: Record<string, string> = {
  submit_orders: 'orders',
  submit_returns: 'returns',
  cancel_orders: 'refs',
  register_payments: 'items',
  update_orders: 'items',
  confirm_shipments: 'items',
  apply_stock_counts: 'items',
};

/**
 * The delay of one model call. `sale.order` create and `action_confirm` each carry half of a batch
 * round trip, so a create followed by a confirm of n orders costs one batch plus n orders.
 */
export function costOf(cost: CostModel, model: string, method: string, ids: number[] | undefined, kwargs: Record<string, unknown>): number {
  const batchKey = BATCH_ARGS[method];
  if (batchKey && model.startsWith('retail_gateway.')) {
    const items = Array.isArray(kwargs[batchKey]) ? (kwargs[batchKey] as unknown[]).length : 1;
    return cost.perBatchMs + cost.perOrderMs * items;
  }
  if (model === 'sale.order' && method === 'create') {
    const v = kwargs.vals_list;
    const n = Array.isArray(v) ? v.length : 1;
    return (cost.perBatchMs + cost.perOrderMs * n) / 2;
  }
  if (model === 'sale.order' && method === 'action_confirm') {
    return (cost.perBatchMs + cost.perOrderMs * (ids?.length ?? 1)) / 2;
  }
  return cost.perCallMs;
}
