/**
 * The promise ledger of available-to-promise (ATP): units promised to accepted orders that Odoo has
 * not reserved yet, per SKU and warehouse (`itemKey`), shared by every replica.
 *
 * A promise belongs to one order (`orderKey`: partner + external id) and covers all its lines.
 * Its life:
 * - `take`: atomically, for every line, `used + qty ≤ limit` (`limit`: Odoo's availability as the
 *   caller holds it) or nothing is promised; `force` promises anyway and reports the units beyond
 *   the limit (oversold). An order that already holds a promise is answered `held`.
 * - `settle`: Odoo created the order, its reservation now counts in Odoo's own figures. The promise
 *   is kept, marked settled at that instant, and still counts against every figure computed
 *   before it (`basisAt ≤ settledAt`): a figure read after the settlement includes the
 *   reservation, one read before does not, so nothing is counted twice or not at all.
 * - `release`: the order was rejected, cancelled, failed, or is gone: the promise is dropped.
 * - Settled promises are purged once no served figure can predate them (`purgeSettled`); open
 *   ones past their expiry are listed for reconciliation (`expired`), which releases or extends them.
 *
 * `used` for a line = open promises + settled promises with `settledAt ≥ basisAt`.
 */

export interface AtpLine {
  itemKey: string;
  qty: number;
  /** Odoo's available quantity for the item, as the caller's cache holds it. */
  limit: number;
  /** When that figure was computed (ms): settled promises at or after it still count. */
  basisAt: number;
}

export type TakeResult =
  | { state: 'taken'; oversold: { itemKey: string; units: number }[] }
  | { state: 'held' }
  | { state: 'short'; short: { itemKey: string; requested: number; available: number }[] };

export interface PromisedTotals {
  itemKey: string;
  /** Units of open (not yet settled) promises. */
  open: number;
  /** Settled promises still held: when they settled and how many units. */
  settled: { at: number; qty: number }[];
}

/** How a take promises: `force` records it whatever is short (oversold); it expires `ttlMs` after `now`. */
export interface TakeOptions {
  force: boolean;
  now: number;
  ttlMs: number;
  /**
   * Called with the result as the take commits, before anything else can read it
   * (`SqlExecutor.afterCommit`): this replica's view changes in the same instant as the ledger.
   */
  committed?: (result: TakeResult) => void;
}

export interface AtpLedger {
  readonly backend: 'sqlite' | 'postgres' | 'redis';
  take(orderKey: string, lines: readonly AtpLine[], opts: TakeOptions): Promise<TakeResult>;
  /**
   * True when an order's promise can be taken inside the intake queue's own transaction (the SQL
   * ledger on the queue's SQLite store): the order program checks and records it with the accept
   * (`checkTake`, `recordTake`; intake/order-program.ts), one commit instead of two.
   */
  readonly joinsIntake?: boolean;
  /** `committed`: as for `TakeOptions.committed`. */
  settle(orderKeys: readonly string[], now: number, committed?: () => void): Promise<void>;
  release(orderKeys: readonly string[], committed?: () => void): Promise<void>;
  /**
   * Every item with promises (open or settled and still held). `atRead` is called in the instant
   * the ledger is read: what committed before it is in the answer, what commits after it is not.
   */
  totals(atRead?: () => void): Promise<PromisedTotals[]>;
  /** Open promises whose expiry passed, oldest first (at most `limit`). */
  expired(now: number, limit: number): Promise<string[]>;
  /** Pushes the expiry of open promises to `until`. */
  extend(orderKeys: readonly string[], until: number): Promise<void>;
  /** Drops settled promises settled before `before`; returns how many orders. */
  purgeSettled(before: number): Promise<number>;
  close(): Promise<void>;
}

/** The item key of a SKU in a warehouse (a JSON pair: unambiguous whatever the strings hold). */
export const itemKey = (sku: string, warehouse: string): string => JSON.stringify([sku, warehouse]);
export const splitItemKey = (key: string): { sku: string; warehouse: string } => {
  const [sku, warehouse] = JSON.parse(key) as [string, string];
  return { sku, warehouse };
};
/** A take's short lines, by SKU and warehouse (as a refusal names them). */
export const shortLinesOf = (short: Extract<TakeResult, { state: 'short' }>['short']) =>
  short.map((s) => ({ ...splitItemKey(s.itemKey), requested: s.requested, available: s.available }));
/** A take's oversold units, by SKU and warehouse. */
export const oversoldLinesOf = (oversold: Extract<TakeResult, { state: 'taken' }>['oversold']) => oversold.map((o) => ({ ...splitItemKey(o.itemKey), units: o.units }));
/** The order key of a partner's order. */
export const orderKey = (partner: string, externalId: string): string => JSON.stringify([partner, externalId]);
export const splitOrderKey = (key: string): { partner: string; externalId: string } => {
  const [partner, externalId] = JSON.parse(key) as [string, string];
  return { partner, externalId };
};

/** Units beyond the limit an increase from `used` to `used + qty` adds. */
export function oversoldUnits(used: number, qty: number, limit: number): number {
  const before = Math.max(0, used - limit);
  const after = Math.max(0, used + qty - limit);
  return after - before;
}
