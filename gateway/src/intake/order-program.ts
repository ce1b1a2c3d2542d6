/**
 * An order's accept as one function of plain data, run in the group commit's transaction: the
 * Idempotency-Key's claim, the stock promise (available-to-promise, when the ledger lives in the
 * intake's own store), the item and its events, the promise's record and the stored 202 (or the
 * key left in progress, under `Prefer: wait`). Every order the API accepts goes through it. It is
 * plain data in and out so that it can run where closures cannot go: on the writer thread
 * (writer-thread.ts), which runs a burst's SQLite work beside the event loop instead of on it. On
 * PostgreSQL, on `:memory:` and for a group too small to hand over, it runs on the event loop, the
 * same function.
 *
 * It imports nothing heavier than the store's types (the writer thread loads it).
 */
import type { IntakeReceipt } from '../../../contracts/src/intake.js';
import { checkTake, recordTake } from '../atp/sql-ledger.js';
import { oversoldLinesOf } from '../atp/ledger.js';
import type { IntakePromise, OversellPolicy, OversoldLine } from '../atp/service.js';
import type { SqlExecutor } from '../store/store.js';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey, type StoredResponse } from './idempotency.js';
import { holdsItem, insertItem, type Accepted, type OversoldUnits, type PreparedItem } from './insert.js';

/** What the receipt of an accepted item says (every write route answers one). */
export function receipt(accepted: Accepted, externalId: string, location: string): IntakeReceipt {
  return { id: accepted.id, external_id: externalId, status: accepted.status, duplicate: accepted.duplicate, location };
}

/**
 * The 202 of an accepted item: its receipt at `location`, naming `backorder` when given (the
 * callers give none for a duplicate: a repeat names no backorder).
 */
export function acceptedResponse(accepted: Accepted, externalId: string, location: string, backorder: IntakeReceipt['backorder'] | undefined): StoredResponse {
  const body = receipt(accepted, externalId, location);
  return { status: 202, headers: { Location: location }, body: backorder ? { ...body, backorder } : body };
}

/** Units promised beyond availability under `backorder` / `accept`: recorded with the order, and named in a backorder's receipt. */
export function overPromised(policy: OversellPolicy, lines: OversoldLine[]): { oversold: OversoldUnits; backorder?: OversoldLine[] } {
  return {
    oversold: { policy: policy === 'backorder' ? 'backorder' : 'accept', lines },
    ...(policy === 'backorder' ? { backorder: lines } : {}),
  };
}

export interface OrderAcceptArgs {
  item: PreparedItem;
  key: string;
  fingerprint: string;
  /** How long an in-progress key blocks other requests with it, and how long the key is kept (ms). */
  lockMs: number;
  /**
   * Leave the key in progress instead of storing the 202 (`Prefer: wait`): the caller stores its
   * final answer (`IntakeQueue.completeKey`) or forgets the key (`releaseKey`).
   */
  holdKey?: boolean;
  ttlMs: number;
  now: number;
  /** The stock promise to take in this transaction (`AtpService.plan`), or null. */
  promise: IntakePromise | null;
  /** A backorder already known (a promise taken before the accept, by a ledger outside this store). */
  backorder?: OversoldLine[];
  /** The status path of the item: this prefix and its id. */
  locationPrefix: string;
}

export type OrderAcceptResult =
  | {
      state: 'accepted';
      accepted: Accepted;
      /** The 202; stored under the key unless `holdKey`. */
      response: StoredResponse;
      /** The lines accepted as a backorder, named in the receipt (a new item only). */
      backorder?: OversoldLine[];
      taken: { itemKey: string; units: number }[] | null;
    }
  | { state: 'short'; short: { itemKey: string; requested: number; available: number }[] }
  | { state: 'replay'; response: StoredResponse }
  | { state: 'mismatch' }
  | { state: 'in_use' };

/**
 * The accept. `short`: the promise was refused under `reject` and nothing was written (the key is
 * not kept), unless the order was accepted before: a repeat is answered as one, nothing promised.
 * `taken`: a promise was recorded (this replica's ATP view counts it as the transaction commits).
 */
export async function acceptOrder(tx: SqlExecutor, a: OrderAcceptArgs): Promise<OrderAcceptResult> {
  const partner = a.item.partner;
  const claim = await claimIdempotencyKey(tx, { partner, key: a.key, fingerprint: a.fingerprint, now: a.now, ttlMs: a.ttlMs, lockMs: a.lockMs });
  if (claim.state !== 'new') return claim;
  let item = a.item;
  let backorder = a.backorder;
  let promised: { itemKey: string; units: number }[] | null = null;
  if (a.promise) {
    const found = await checkTake(tx, a.promise.key, a.promise.lines, a.promise.policy !== 'reject');
    backorder = undefined;
    if (found.state === 'short') {
      if (!(await holdsItem(tx, item))) {
        await releaseIdempotencyKey(tx, partner, a.key);
        return { state: 'short', short: found.short };
      }
    } else if (found.state === 'taken') {
      promised = found.oversold;
      if (found.oversold.length > 0) {
        const over = overPromised(a.promise.policy, oversoldLinesOf(found.oversold));
        item = { ...item, oversold: over.oversold };
        backorder = over.backorder;
      }
    }
  }
  const accepted = await insertItem(tx, item, a.now);
  let taken: { itemKey: string; units: number }[] | null = null;
  if (a.promise && promised && !accepted.duplicate) {
    await recordTake(tx, a.promise.key, a.promise.lines, a.promise.expiresAt);
    taken = promised;
  }
  // A duplicate's receipt names no backorder, nor does its result.
  const shown = accepted.duplicate ? undefined : backorder;
  const response = acceptedResponse(accepted, item.externalId, `${a.locationPrefix}${accepted.id}`, shown);
  if (!a.holdKey) await completeIdempotencyKey(tx, partner, a.key, response);
  return { state: 'accepted', accepted, response, ...(shown ? { backorder: shown } : {}), taken };
}
