/**
 * What a call costs in time, so tests and benchmarks can run at Odoo's speed. Calibrated on a real
 * Odoo 18 on a 2-core machine (see docs and BENCHMARKS.md): a batch of orders costs ≈ 128 ms per
 * round trip plus ≈ 41 ms per order in it, and a simple read ≈ 20 ms. The default is zero.
 */

export interface CostModel {
  /** Any call that is not a batch of intake items. */
  perCallMs: number;
  /** One intake batch round trip. */
  perBatchMs: number;
  /** Each item in an intake batch. */
  perOrderMs: number;
}

export const zeroCost: CostModel = { perCallMs: 0, perBatchMs: 0, perOrderMs: 0 };
export const calibratedCost: CostModel = { perCallMs: 20, perBatchMs: 128, perOrderMs: 41 };

/** The batch methods of the addon's contract and the argument holding their items. */
export const BATCH_ARGS: Record<string, string> = {
  submit_orders: 'orders',
  submit_returns: 'returns',
  cancel_orders: 'refs',
  register_payments: 'items',
  update_orders: 'items',
  confirm_shipments: 'items',
  apply_stock_counts: 'items',
};

/** The delay of one call. */
export function costOf(cost: CostModel, method: string, kwargs: Record<string, unknown>): number {
  const batchKey = BATCH_ARGS[method];
  if (batchKey) {
    const items = Array.isArray(kwargs[batchKey]) ? (kwargs[batchKey] as unknown[]).length : 1;
    return cost.perBatchMs + cost.perOrderMs * items;
  }
  return cost.perCallMs;
}
