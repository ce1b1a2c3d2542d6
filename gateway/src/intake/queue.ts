/**
 * The durable intake queue. Everything a partner or a storefront sends that must reach Odoo
 * (orders, returns, cancellations, payments, order updates, shipments, stock counts) is accepted
 * here first: validated against its contract, committed durably (group commit), and only then
 * acknowledged (202 + Location). The drainer (drainer.ts) sends it on to the addon in batches.
 *
 * An item is unique per partner + kind + dedupe key (the external id unless told otherwise), so a
 * repeated submission answers the first item with `duplicate: true` and never queues a second one.
 *
 * Statuses: `accepted` (waiting) → `processing` (leased by a drainer) → `completed` (Odoo answered
 * created, duplicate, updated, …) or `rejected` (Odoo refused it, with reasons); `failed` when a
 * permanent error stopped it (kept, never dropped); shadow partners' items end `shadowed`. An item
 * put back to wait after a failed attempt keeps `last_error` until it settles: it is failing
 * (metrics and the dashboard count it as retrying).
 */
import { EventEmitter } from 'node:events';
import type { IntakeStatus } from '../../../contracts/src/intake.js';
import type { RejectionReason } from '../../../contracts/src/order.js';
import type { ItemResult } from '../../../contracts/src/odoo-rpc.js';
import { ApiError, validationError } from '../errors.js';
import { likeContaining, sqlList, type Param, type SqlExecutor, type SqlStore } from '../store/store.js';
import { recordGatewayEvent } from './events.js';
import { SqliteStore } from '../store/sqlite.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import type { OrderAcceptArgs, OrderAcceptResult } from './order-program.js';
import { WriterThread, type WriterThreadOptions } from './writer-thread.js';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey, type StoredResponse } from './idempotency.js';
import { insertItem, type Accepted, type PreparedItem } from './insert.js';
import { kindSpecs, type IntakeKind } from './kinds.js';

export type { IntakeKind } from './kinds.js';
export { intakeKinds } from './kinds.js';

export type { IntakeStatus };
export type IntakeSource = 'api' | 'shopify' | 'woocommerce' | 'stripe' | 'standard';

export interface AcceptInput {
  partner: string;
  kind: IntakeKind;
  externalId: string;
  /** The canonical contract object (contracts/src: Order, Return, ShipmentConfirmation, …). Validated again here. */
  payload: unknown;
  requestId: string;
  source: IntakeSource;
  /** What makes a repeat a duplicate, per partner and kind. Default: `externalId`. */
  dedupeKey?: string;
  /** The payload is already the output of its kind's contract schema (a route validated it): not parsed again. */
  prevalidated?: boolean;
  /** Units promised beyond availability (ATP): an `inventory.oversold` event is recorded with the item. */
  oversold?: { policy: 'accept' | 'backorder'; lines: { sku: string; warehouse: string; units: number }[] };
}

export type { Accepted, PreparedItem } from './insert.js';

export interface IntakeItem {
  seq: number;
  id: string;
  partner: string;
  kind: IntakeKind;
  externalId: string;
  dedupeKey: string;
  orderRef: string | null;
  source: IntakeSource;
  requestId: string;
  shadow: boolean;
  payload: unknown;
  status: IntakeStatus;
  /** The addon's answer (`created`, `duplicate`, `rejected`, …) or, in shadow mode, `would_create` / `would_reject`. */
  outcome: string | null;
  odoo: { id: number; name: string } | null;
  related: Record<string, { id: number; name: string } | null> | null;
  reasons: RejectionReason[];
  attempts: number;
  /** Attempts that ended in a transient failure (network, Odoo down, the addon's `retry`): not counted toward the permanent-failure limit. */
  transientAttempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  /** How many later submissions were recognised as duplicates of this one. */
  duplicates: number;
  acceptedAt: number;
  updatedAt: number;
  completedAt: number | null;
}

export type PartnerMode = 'live' | 'shadow';

/** Why an attempt is retried: a transient failure, the addon's `retry` answer, or an error that counts toward the limit. */
export type RetryCause = 'transient' | 'odoo_retry' | 'error';

export interface IntakeQueueOptions {
  store: SqlStore;
  /** The partner's mode from the registry; shadow partners' items are never sent to Odoo. Default: live. */
  partnerMode?: (partner: string) => PartnerMode | Promise<PartnerMode>;
  groupCommit?: GroupCommitOptions;
  /** How long idempotency keys are kept (GATEWAY_IDEMPOTENCY_TTL_HOURS). */
  idempotencyTtlMs?: number;
  now?: () => number;
  /**
   * Runs the group commits of write programs (orders) on a thread of their own, on a SQLite file
   * (writer-thread.ts; GATEWAY_WRITER_THREAD). Ignored for `:memory:` and PostgreSQL.
   */
  writerThread?: boolean | WriterThreadOptions;
}

/** The order-specific part of `IntakeQueue.acceptOrder` (order-program.ts `OrderAcceptArgs`). */
export interface OrderAcceptSpec {
  key: string;
  fingerprint: string;
  lockMs: number;
  /** `OrderAcceptArgs.holdKey`: the key stays in progress (`Prefer: wait`). */
  holdKey?: boolean;
  promise: OrderAcceptArgs['promise'];
  backorder?: OrderAcceptArgs['backorder'];
  locationPrefix: string;
  /** Called with the promise's lines as it is recorded, as the transaction commits (the ATP view). */
  promised?: (taken: { itemKey: string; units: number }[]) => void;
}

/** The idempotency part of an accept: the key, the request fingerprint and the response to store. */
export interface IdempotentAccept {
  key: string;
  fingerprint: string;
  /** The response to record for a newly accepted item, in the same transaction. */
  respond: (accepted: Accepted) => StoredResponse;
  /** How long an in-progress key blocks other requests with it. */
  lockMs: number;
}

export type IdempotentOutcome =
  | { state: 'accepted'; accepted: Accepted; response: StoredResponse }
  | { state: 'replay'; response: StoredResponse }
  | { state: 'mismatch' }
  | { state: 'in_use' };

/** An addon answer that settles the item (`retry` puts it back to wait instead: `retryLater`). */
export type SettlingResult = Omit<ItemResult, 'status'> & { status: Exclude<ItemResult['status'], 'retry'> };

/** The result of one item as the drainer settles it. */
export type Settlement =
  | { id: string; result: SettlingResult }
  | { id: string; shadow: { outcome: 'would_create' | 'would_reject'; reasons: RejectionReason[] } };

interface ItemRow {
  seq: number;
  id: string;
  partner: string;
  kind: string;
  external_id: string;
  dedupe_key: string;
  order_ref: string | null;
  source: string;
  request_id: string;
  shadow: number;
  payload: string;
  status: string;
  outcome: string | null;
  odoo_id: number | null;
  odoo_name: string | null;
  related: string | null;
  reasons: string | null;
  attempts: number;
  transient_attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  duplicates: number;
  accepted_at: number;
  updated_at: number;
  completed_at: number | null;
}

const ITEM_COLUMNS =
  'seq, id, partner, kind, external_id, dedupe_key, order_ref, source, request_id, shadow, payload, status, outcome, odoo_id, odoo_name, related, reasons, attempts, transient_attempts, next_attempt_at, last_error, duplicates, accepted_at, updated_at, completed_at';

function toItem(r: ItemRow): IntakeItem {
  return {
    seq: Number(r.seq),
    id: r.id,
    partner: r.partner,
    kind: r.kind as IntakeKind,
    externalId: r.external_id,
    dedupeKey: r.dedupe_key,
    orderRef: r.order_ref,
    source: r.source as IntakeSource,
    requestId: r.request_id,
    shadow: Number(r.shadow) === 1,
    payload: JSON.parse(r.payload) as unknown,
    status: r.status as IntakeStatus,
    outcome: r.outcome,
    odoo: r.odoo_id === null || r.odoo_id === undefined ? null : { id: Number(r.odoo_id), name: r.odoo_name ?? '' },
    related: r.related ? (JSON.parse(r.related) as IntakeItem['related']) : null,
    reasons: r.reasons ? (JSON.parse(r.reasons) as RejectionReason[]) : [],
    attempts: Number(r.attempts),
    transientAttempts: Number(r.transient_attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: r.last_error,
    duplicates: Number(r.duplicates),
    acceptedAt: Number(r.accepted_at),
    updatedAt: Number(r.updated_at),
    completedAt: r.completed_at === null ? null : Number(r.completed_at),
  };
}

/** Final statuses: the item will not change any more (short of an operator re-queueing a failed one). */
export const settledStatuses: ReadonlySet<IntakeStatus> = new Set(['completed', 'rejected', 'failed', 'shadowed']);

/** Items ready to send: waiting and due, or leased by a drainer whose lease lapsed (it died). */
const READY = `((i.status = 'accepted' AND i.next_attempt_at <= ?) OR (i.status = 'processing' AND i.lease_until < ?))`;
/** An item that refers to an order is held back while that order itself is still on its way to Odoo. */
const NOT_BEHIND_ITS_ORDER = `(i.kind = 'order' OR i.order_ref IS NULL OR NOT EXISTS (
  SELECT 1 FROM intake_items o WHERE o.partner = i.partner AND o.kind = 'order' AND o.dedupe_key = i.order_ref
  AND o.status IN ('accepted', 'processing')))`;
/**
 * An order update waits for the earlier updates of its order to settle: updates reach Odoo in the
 * order they were queued (inbound webhooks queue them in version order), even with several
 * drainers or an earlier one put back to wait after a failure. (`u.kind <> 'order'` says what the
 * kind already does, in the words of the order_ref index's condition, so that SQLite uses it.)
 */
const NOT_AHEAD_OF_AN_EARLIER_UPDATE = `(i.kind <> 'order_update' OR NOT EXISTS (
  SELECT 1 FROM intake_items u WHERE u.partner = i.partner AND u.order_ref = i.order_ref AND u.kind = 'order_update'
  AND u.kind <> 'order'
  AND u.seq < i.seq AND u.status IN ('accepted', 'processing')))`;

export class IntakeQueue {
  readonly store: SqlStore;
  private readonly committer: GroupCommitter;
  private readonly partnerMode: (partner: string) => PartnerMode | Promise<PartnerMode>;
  private readonly idempotencyTtlMs: number;
  private readonly now: () => number;
  /**
   * Local notifications: `accepted` (new work: wake the drainer), `intake` ({partner, kind,
   * duplicate}: every accept), `outcome` ({partner, kind, status, reasons}: every settlement),
   * `retry` ({partner, kind, cause}: every attempt put back to wait), `settled:<id>` and
   * `results` ({partner, kind, externalId, status}[]: the items settled or failed, for ATP).
   */
  readonly signals = new EventEmitter();

  /** The writer thread, when the group commits of orders may run on it (tests look at it). */
  readonly writer: WriterThread | null;

  constructor(options: IntakeQueueOptions) {
    this.store = options.store;
    const store = options.store;
    this.writer =
      options.writerThread && store instanceof SqliteStore && store.path !== ':memory:'
        ? new WriterThread(store, typeof options.writerThread === 'object' ? options.writerThread : {})
        : null;
    this.committer = new GroupCommitter(options.store, { ...options.groupCommit, ...(this.writer ? { writer: this.writer } : {}) });
    this.partnerMode = options.partnerMode ?? (() => 'live');
    this.idempotencyTtlMs = options.idempotencyTtlMs ?? 24 * 3600_000;
    this.now = options.now ?? Date.now;
    this.signals.setMaxListeners(0);
  }

  /** Accepts one item durably; resolves after the commit. Throws `ApiError` (422) when the payload breaks its contract. */
  async accept(input: AcceptInput): Promise<Accepted> {
    const prepared = await this.prepare(input);
    const accepted = await this.committer.run((tx) => this.insert(tx, prepared));
    this.announce(input, accepted);
    return accepted;
  }

  /** Tells the drainer a new item is queued, and the metrics (ops) the order funnel and duplicates suppressed. */
  private announce(input: AcceptInput, accepted: Accepted): void {
    if (!accepted.duplicate) this.signals.emit('accepted');
    this.signals.emit('intake', { partner: input.partner, kind: input.kind, duplicate: accepted.duplicate });
  }

  /**
   * Accepts an order under its Idempotency-Key, with its stock promise when one is to be taken in
   * the same transaction: order-program.ts, in the group commit, on the writer thread when it runs.
   */
  async acceptOrder(input: AcceptInput, spec: OrderAcceptSpec): Promise<OrderAcceptResult> {
    const item = await this.prepare(input);
    const args: OrderAcceptArgs = {
      item,
      key: spec.key,
      fingerprint: spec.fingerprint,
      lockMs: spec.lockMs,
      ttlMs: this.idempotencyTtlMs,
      now: this.now(),
      promise: spec.promise,
      locationPrefix: spec.locationPrefix,
      ...(spec.backorder ? { backorder: spec.backorder } : {}),
      ...(spec.holdKey ? { holdKey: true } : {}),
    };
    const promised = spec.promised;
    const result = await this.committer.runProgram({ name: 'acceptOrder', args }, (r) => {
      if (r.state === 'accepted' && r.taken && promised) promised(r.taken);
    });
    if (result.state === 'accepted') this.announce(input, result.accepted);
    return result;
  }

  /** Stops the writer thread (after `idle`); the store is its owner's to close. */
  async close(): Promise<void> {
    await this.writer?.close();
  }

  /** Accepts several items; each shares the group commit. Results are in input order. */
  async acceptMany(inputs: AcceptInput[]): Promise<Accepted[]> {
    return Promise.all(inputs.map((i) => this.accept(i)));
  }

  /**
   * Accepts several items in one transaction, only if `guard` (run first, in that transaction)
   * returns true; null when it refused, and then nothing is queued. Items are queued in input order.
   * The transaction may be shared with other accepts (group commit): a guard writes only when it
   * lets the items in (a refusal is not a rollback).
   * Inbound webhooks use it to compare-and-set an order's version together with its updates.
   */
  /**
   * Runs another write in the queue's group commit: it shares a transaction (one fsync on SQLite)
   * with the accepts arriving at the same time, and is run again alone if its group fails.
   */
  write<T>(op: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.committer.run(op);
  }

  async acceptIf(inputs: AcceptInput[], guard: (tx: SqlExecutor) => Promise<boolean>): Promise<Accepted[] | null> {
    const prepared = await Promise.all(inputs.map((i) => this.prepare(i)));
    const accepted = await this.committer.run(async (tx) => {
      if (!(await guard(tx))) return null;
      const out: Accepted[] = [];
      for (const p of prepared) out.push(await this.insert(tx, p));
      return out;
    });
    if (!accepted) return null;
    if (accepted.some((a) => !a.duplicate)) this.signals.emit('accepted');
    // Metrics (ops): the order funnel and duplicates suppressed.
    accepted.forEach((a, i) => this.signals.emit('intake', { partner: inputs[i]!.partner, kind: inputs[i]!.kind, duplicate: a.duplicate }));
    return accepted;
  }

  /**
   * Accepts an item guarded by an idempotency key: the key's claim, the item and the stored response
   * are one transaction, so a crash can never leave a key answered without its item or the reverse.
   */
  async acceptIdempotent(input: AcceptInput, idem: IdempotentAccept): Promise<IdempotentOutcome> {
    const prepared = await this.prepare(input);
    const outcome = await this.committer.run(async (tx): Promise<IdempotentOutcome> => {
      const now = this.now();
      const claim = await claimIdempotencyKey(tx, {
        partner: input.partner,
        key: idem.key,
        fingerprint: idem.fingerprint,
        now,
        ttlMs: this.idempotencyTtlMs,
        lockMs: idem.lockMs,
      });
      if (claim.state !== 'new') return claim;
      const accepted = await this.insert(tx, prepared);
      const response = idem.respond(accepted);
      await completeIdempotencyKey(tx, input.partner, idem.key, response);
      return { state: 'accepted', accepted, response };
    });
    if (outcome.state === 'accepted') this.announce(input, outcome.accepted);
    return outcome;
  }

  /** Stores the final response of a key left in progress by `acceptOrder` (`holdKey`, `Prefer: wait`). */
  completeKey(partner: string, key: string, response: StoredResponse): Promise<void> {
    return this.committer.run((tx) => completeIdempotencyKey(tx, partner, key, response));
  }

  /** Forgets a key left in progress whose request failed. */
  releaseKey(partner: string, key: string): Promise<void> {
    return this.committer.run((tx) => releaseIdempotencyKey(tx, partner, key));
  }

  /** One item of one partner; another partner's id is `null`, exactly like an unknown one. */
  async get(partner: string, id: string): Promise<IntakeItem | null> {
    const [row] = await this.store.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM intake_items WHERE id = ? AND partner = ?`, [id, partner]);
    return row ? toItem(row) : null;
  }

  /** One item whatever its partner (admin tools only: partner routes use `get`). */
  async getById(id: string): Promise<IntakeItem | null> {
    const [row] = await this.store.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM intake_items WHERE id = ?`, [id]);
    return row ? toItem(row) : null;
  }

  /** Items of a partner by kind and external id (every dedupe key), oldest first. */
  async findByExternalId(partner: string, kind: IntakeKind, externalId: string): Promise<IntakeItem[]> {
    // An order's external id is its dedupe key (`prepare`): the unique index finds it. The other
    // kinds have an index by external id (orders are left out of it: migrations.ts, 0104).
    const rows =
      kind === 'order'
        ? await this.store.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM intake_items WHERE partner = ? AND kind = 'order' AND dedupe_key = ?`, [partner, externalId])
        : await this.store.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM intake_items WHERE partner = ? AND external_id = ? AND kind = ? AND kind <> 'order' ORDER BY seq`, [
            partner,
            externalId,
            kind,
          ]);
    return rows.map(toItem);
  }

  /** The order itself and the items that refer to it (its cancellations, payments, updates, shipments, returns), oldest first. */
  async findByOrderRef(partner: string, orderRef: string): Promise<IntakeItem[]> {
    // The order by its dedupe key (its order_ref, `prepare`), the others by the order_ref index.
    const rows = await this.store.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM intake_items WHERE partner = ? AND kind = 'order' AND dedupe_key = ?
       UNION ALL SELECT ${ITEM_COLUMNS} FROM intake_items WHERE partner = ? AND order_ref = ? AND kind <> 'order' ORDER BY seq`,
      [partner, orderRef, partner, orderRef],
    );
    return rows.map(toItem);
  }

  /**
   * Waits until the item is settled or `timeoutMs` passed, and returns it as it then is. Local
   * settlements wake it at once; another replica's are seen by polling.
   */
  async waitFor(partner: string, id: string, timeoutMs: number, pollMs = 100): Promise<IntakeItem | null> {
    const deadline = this.now() + timeoutMs;
    for (;;) {
      const item = await this.get(partner, id);
      if (!item || settledStatuses.has(item.status)) return item;
      const left = deadline - this.now();
      if (left <= 0) return item;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.signals.off(`settled:${id}`, done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(pollMs, left));
        this.signals.on(`settled:${id}`, done);
      });
    }
  }

  /** Resolves when no accept is waiting for its commit. */
  idle(): Promise<void> {
    return this.committer.idle();
  }

  // ---- drainer side -------------------------------------------------------------------------

  /**
   * Leases up to `limit` ready items of one partner and kind (the oldest ready item decides which),
   * oldest first. PostgreSQL uses `FOR UPDATE SKIP LOCKED`, so replicas claim disjoint batches.
   */
  async claim(worker: string, limit: number, leaseMs: number, only: { partner?: string } = {}): Promise<IntakeItem[]> {
    const now = this.now();
    const [head] = await this.store.query<{ partner: string; kind: string; shadow: number }>(
      `SELECT i.partner, i.kind, i.shadow FROM intake_items i WHERE ${READY} AND ${NOT_BEHIND_ITS_ORDER} AND ${NOT_AHEAD_OF_AN_EARLIER_UPDATE}${only.partner ? ' AND i.partner = ?' : ''} ORDER BY i.seq LIMIT 1`,
      only.partner ? [now, now, only.partner] : [now, now],
    );
    if (!head) return [];
    const lock = this.store.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    const rows = await this.store.transaction((tx) =>
      tx.query<ItemRow>(
        `UPDATE intake_items SET status = 'processing', leased_by = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
         WHERE seq IN (SELECT i.seq FROM intake_items i
           WHERE i.partner = ? AND i.kind = ? AND i.shadow = ? AND ${READY} AND ${NOT_BEHIND_ITS_ORDER} AND ${NOT_AHEAD_OF_AN_EARLIER_UPDATE}
           ORDER BY i.seq LIMIT ? ${lock})
         RETURNING ${ITEM_COLUMNS}`,
        [worker, now + leaseMs, now, head.partner, head.kind, head.shadow, now, now, limit],
      ),
    );
    return rows.map(toItem).sort((a, b) => a.seq - b.seq);
  }

  /**
   * Records the outcomes of leased items in one transaction, with their events. An item whose lease
   * this worker lost (another took it over) is left to that one. Returns the ids settled here.
   */
  async settle(worker: string, settlements: readonly Settlement[]): Promise<string[]> {
    const now = this.now();
    const settled = await this.store.transaction(async (tx) => {
      const done: IntakeItem[] = [];
      for (const s of settlements) {
        const item = await this.settleOne(tx, worker, s, now);
        if (item) done.push(item);
      }
      return done;
    });
    for (const item of settled) {
      this.signals.emit('outcome', { partner: item.partner, kind: item.kind, status: item.status, reasons: item.reasons.map((r) => r.code) });
      this.signals.emit(`settled:${item.id}`);
    }
    if (settled.length) this.signals.emit('results', settled.map((i) => ({ partner: i.partner, kind: i.kind, externalId: i.externalId, status: i.status })));
    return settled.map((i) => i.id);
  }

  private async settleOne(tx: SqlExecutor, worker: string, s: Settlement, now: number): Promise<IntakeItem | null> {
    let status: IntakeStatus;
    let outcome: string;
    let reasons: RejectionReason[];
    let record: { id: number; name: string } | null = null;
    let related: unknown = null;
    if ('shadow' in s) {
      status = 'shadowed';
      outcome = s.shadow.outcome;
      reasons = s.shadow.reasons;
    } else {
      status = s.result.status === 'rejected' ? 'rejected' : 'completed';
      outcome = s.result.status;
      reasons = s.result.reasons ?? [];
      record = s.result.record;
      related = s.result.related ?? null;
    }
    const rows = await tx.query<ItemRow>(
      `UPDATE intake_items SET status = ?, outcome = ?, odoo_id = ?, odoo_name = ?, related = ?, reasons = ?,
         lease_until = NULL, leased_by = NULL, last_error = NULL, updated_at = ?, completed_at = ?
       WHERE id = ? AND status = 'processing' AND leased_by = ?
       RETURNING ${ITEM_COLUMNS}`,
      [status, outcome, record?.id ?? null, record?.name ?? null, related ? JSON.stringify(related) : null, JSON.stringify(reasons), now, now, s.id, worker],
    );
    const item = rows[0] ? toItem(rows[0]) : null;
    if (!item) return null;
    if (item.kind === 'order' && !item.shadow && status === 'rejected') {
      const order = item.payload as { channel: string };
      await recordGatewayEvent(tx, {
        type: 'order.rejected',
        partner: item.partner,
        intakeSeq: item.seq,
        sequence: 2,
        requestId: item.requestId,
        now,
        data: {
          intake_id: item.id,
          partner: item.partner,
          external_id: item.externalId,
          channel: order.channel,
          reasons: reasons.length > 0 ? reasons : [{ code: 'validation_error', message: 'Odoo refused the order without a reason.' }],
        },
      });
    }
    return item;
  }

  /**
   * Puts leased items back to wait until `at`, remembering why. A `transient` or `odoo_retry`
   * cause is counted apart from the attempts a permanent error spends (`transientAttempts`).
   */
  async retryLater(worker: string, ids: readonly string[], at: number, error: string, cause: RetryCause = 'error'): Promise<void> {
    if (ids.length === 0) return;
    const transient = cause === 'error' ? 0 : 1;
    const rows = await this.store.query<{ partner: string; kind: string }>(
      `UPDATE intake_items SET status = 'accepted', next_attempt_at = ?, last_error = ?, transient_attempts = transient_attempts + ?,
         lease_until = NULL, leased_by = NULL, updated_at = ?
       WHERE status = 'processing' AND leased_by = ? AND id IN (${sqlList(ids.length)})
       RETURNING partner, kind`,
      [at, error.slice(0, 2000), transient, this.now(), worker, ...ids],
    );
    for (const r of rows) this.signals.emit('retry', { partner: r.partner, kind: r.kind, cause });
  }

  /** Stops leased items for good (a permanent error); they stay visible and can be re-queued. */
  async fail(worker: string, ids: readonly string[], error: string): Promise<void> {
    if (ids.length === 0) return;
    const now = this.now();
    const rows = await this.store.query<{ partner: string; kind: IntakeKind; external_id: string }>(
      `UPDATE intake_items SET status = 'failed', last_error = ?, lease_until = NULL, leased_by = NULL, updated_at = ?, completed_at = ?
       WHERE status = 'processing' AND leased_by = ? AND id IN (${sqlList(ids.length)})
       RETURNING partner, kind, external_id`,
      [error.slice(0, 2000), now, now, worker, ...ids],
    );
    for (const id of ids) this.signals.emit(`settled:${id}`);
    if (rows.length) this.signals.emit('results', rows.map((r) => ({ partner: r.partner, kind: r.kind, externalId: r.external_id, status: 'failed' as const })));
  }

  /** Puts failed items of a partner (or every partner) back in the queue. Returns how many. */
  async requeueFailed(partner?: string): Promise<number> {
    const now = this.now();
    const params: Param[] = [now, now];
    let sql = "UPDATE intake_items SET status = 'accepted', next_attempt_at = ?, updated_at = ?, completed_at = NULL WHERE status = 'failed'";
    if (partner) {
      sql += ' AND partner = ?';
      params.push(partner);
    }
    const r = await this.store.run(sql, params);
    if (r.changes > 0) this.signals.emit('accepted');
    return r.changes;
  }

  /** Counts by status (metrics, readiness details, tests). */
  async depth(): Promise<Record<IntakeStatus, number>> {
    const rows = await this.store.query<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM intake_items GROUP BY status');
    const out: Record<IntakeStatus, number> = { accepted: 0, processing: 0, completed: 0, rejected: 0, failed: 0, shadowed: 0 };
    for (const r of rows) out[r.status as IntakeStatus] = Number(r.n);
    return out;
  }

  /** Items not yet sent to Odoo (accepted or in flight). */
  async countWaiting(): Promise<number> {
    return this.scalar("SELECT COUNT(*) AS v FROM intake_items WHERE status IN ('accepted', 'processing')");
  }

  /** When the oldest item not yet sent to Odoo was accepted (ms), or null when none waits. */
  async oldestWaitingAt(): Promise<number | null> {
    const [row] = await this.store.query<{ v: number | string | null }>("SELECT MIN(accepted_at) AS v FROM intake_items WHERE status IN ('accepted', 'processing')");
    return row?.v === null || row?.v === undefined ? null : Number(row.v);
  }

  /** Items that failed permanently and wait for an operator. */
  async countFailed(): Promise<number> {
    return this.scalar("SELECT COUNT(*) AS v FROM intake_items WHERE status = 'failed'");
  }

  /** Items waiting again after a failed attempt (a transient failure, the addon's `retry`, an error): failing, not failed. */
  async countRetrying(): Promise<number> {
    return this.scalar("SELECT COUNT(*) AS v FROM intake_items WHERE status IN ('accepted', 'processing') AND last_error IS NOT NULL");
  }

  /** The items waiting again after a failed attempt, most recently failed first (the dashboard). */
  async listRetrying(limit: number): Promise<IntakeItem[]> {
    const rows = await this.store.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM intake_items WHERE status IN ('accepted', 'processing') AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT ?`,
      [limit],
    );
    return rows.map(toItem);
  }

  /** Items of a kind in one of `statuses` accepted before `acceptedBefore` (ms): overdue work for the ops gauges. */
  async countOverdue(kind: IntakeKind, statuses: readonly IntakeStatus[], acceptedBefore: number): Promise<number> {
    return this.scalar(
      `SELECT COUNT(*) AS v FROM intake_items WHERE kind = ? AND status IN (${sqlList(statuses.length)}) AND accepted_at < ?`,
      [kind, ...statuses, acceptedBefore],
    );
  }

  // ---- internals ----------------------------------------------------------------------------

  private async scalar(sql: string, params: Param[] = []): Promise<number> {
    const [row] = await this.store.query<{ v: number | string | null }>(sql, params);
    return Number(row?.v ?? 0);
  }

  private async prepare(input: AcceptInput): Promise<PreparedItem> {
    const spec = kindSpecs[input.kind];
    if (!spec) throw new TypeError(`unknown intake kind ${String(input.kind)}`);
    let payload: Record<string, unknown>;
    if (input.prevalidated) payload = input.payload as Record<string, unknown>;
    else {
      const parsed = spec.schema.safeParse(input.payload);
      if (!parsed.success) throw validationError(parsed.error, `${input.kind.replace('_', ' ')} payload`);
      payload = parsed.data as Record<string, unknown>;
    }
    if (!input.externalId || input.externalId.length > 128) throw new ApiError('validation_failed', 'The external id must be 1 to 128 characters.');
    const dedupeKey = input.dedupeKey ?? input.externalId;
    const orderRef = spec.orderRef(payload);
    // The lookups find an order by its dedupe key alone (migrations.ts, 0104): an order's external
    // id, order_ref and dedupe key are one string. Every caller builds it so; a break is a bug.
    if (input.kind === 'order' && (dedupeKey !== input.externalId || orderRef !== input.externalId)) {
      throw new TypeError('intake: an order is keyed by its own external id');
    }
    const mode = await this.partnerMode(input.partner);
    const channel = input.kind === 'order' ? (payload as { channel?: string }).channel : undefined;
    return {
      partner: input.partner,
      kind: input.kind,
      externalId: input.externalId,
      dedupeKey,
      orderRef,
      source: input.source,
      requestId: input.requestId,
      shadow: mode === 'shadow',
      payloadJson: JSON.stringify(payload),
      idPrefix: spec.idPrefix,
      ...(channel !== undefined ? { channel } : {}),
      ...(input.oversold ? { oversold: input.oversold } : {}),
    };
  }

  private insert(tx: SqlExecutor, p: PreparedItem): Promise<Accepted> {
    return insertItem(tx, p, this.now());
  }
}

/** Deletes at most `limit` items finished (completed, rejected, shadowed) before `before` (retention); returns how many. */
export async function purgeFinishedItems(db: SqlExecutor, before: number, limit: number): Promise<number> {
  const r = await db.run(
    `DELETE FROM intake_items WHERE seq IN (SELECT seq FROM intake_items
       WHERE status IN ('completed', 'rejected', 'shadowed') AND completed_at IS NOT NULL AND completed_at < ? LIMIT ?)`,
    [before, limit],
  );
  return r.changes;
}

/** Items whose payload contains `needle` (lower-case), for erasure. */
export async function itemsContaining(db: SqlExecutor, needle: string): Promise<{ id: string; status: IntakeStatus; payload: string }[]> {
  return db.query<{ id: string; status: IntakeStatus; payload: string }>("SELECT id, status, payload FROM intake_items WHERE LOWER(payload) LIKE ? ESCAPE '\\'", [
    likeContaining(needle),
  ]);
}

/** Replaces an item's payload (erasure of a settled item). */
export async function rewriteItemPayload(db: SqlExecutor, id: string, payload: string): Promise<void> {
  await db.run('UPDATE intake_items SET payload = ? WHERE id = ?', [payload, id]);
}

/** Counts of a partner's shadow items by kind, status and outcome, with the duplicates they absorbed. */
export async function shadowCounts(db: SqlExecutor, partner: string): Promise<{ kind: string; status: string; outcome: string | null; n: number; d: number | null }[]> {
  return db.query<{ kind: string; status: string; outcome: string | null; n: number; d: number | null }>(
    'SELECT kind, status, outcome, COUNT(*) AS n, SUM(duplicates) AS d FROM intake_items WHERE partner = ? AND shadow = 1 GROUP BY kind, status, outcome',
    [partner],
  );
}

/** The rejection reasons (JSON) of a partner's latest shadow items that would have been rejected. */
export async function shadowRejections(db: SqlExecutor, partner: string, limit: number): Promise<{ reasons: string | null }[]> {
  return db.query<{ reasons: string | null }>("SELECT reasons FROM intake_items WHERE partner = ? AND shadow = 1 AND outcome = 'would_reject' ORDER BY seq DESC LIMIT ?", [
    partner,
    limit,
  ]);
}
