/**
 * Available-to-promise (ATP) at the edge. Odoo confirms orders at its own pace, so between an
 * order's acceptance and its reservation in Odoo the units it takes are "promised": held in the
 * shared promise ledger (ledger.ts: Redis, PostgreSQL or SQLite) and subtracted from Odoo's figures
 * wherever availability is answered (`available = Odoo's available − promised`).
 *
 * - `promise`: at acceptance, every stocked line of the order, atomically (all lines or none)
 *   against Odoo's figures as the availability cache holds them. Under `reject` a short order
 *   promises nothing; under `backorder` / `accept` it is promised anyway and the units beyond
 *   availability are reported as oversold.
 * - The intake item's result releases it (`onResult`): created → settled (still counted against
 *   figures computed before the settlement, so the reservation is never counted twice nor missed);
 *   rejected, failed or shadowed → released; a completed cancellation → released.
 * - Reconciliation (`reconcile`, every few seconds): open promises past their expiry are checked
 *   against the intake queue — still waiting: extended; settled or unknown: released — and settled
 *   promises older than any figure that can be served are purged.
 *
 * Every replica keeps a copy of the ledger's totals, refreshed every `pollMs` and patched at once by
 * its own promises and releases, so reads stay in memory and see another replica's promises within
 * one poll.
 */
import type { Logger } from 'pino';
import type { Order } from '../../../contracts/src/order.js';
import type { AvailabilityCache, PromisedUnits, RawFigure } from '../catalog/availability.js';
import type { IntakeKind, IntakeStatus } from '../intake/queue.js';
import { itemKey, orderKey, oversoldLinesOf, shortLinesOf, splitItemKey, splitOrderKey, type AtpLedger, type AtpLine, type PromisedTotals, type TakeResult } from './ledger.js';

export type OversellPolicy = 'reject' | 'backorder' | 'accept';

export interface ShortLine {
  sku: string;
  warehouse: string;
  requested: number;
  available: number;
}

export interface OversoldLine {
  sku: string;
  warehouse: string;
  units: number;
}

export type PromiseOutcome =
  /** Promised now: release it if the order is not queued after all. */
  | { state: 'taken'; key: string; oversold: OversoldLine[] }
  /** This order already holds a promise (a repeat submission). */
  | { state: 'held' }
  /** Nothing to promise (no stocked line, a shadow partner). */
  | { state: 'none' }
  /** Refused under `reject`: nothing promised. */
  | { state: 'short'; short: ShortLine[] };

/** An order's stocked lines against Odoo's figures, ready to be promised (`AtpService.plan`). */
export interface PromisePlan {
  key: string;
  lines: AtpLine[];
  policy: OversellPolicy;
}

const outcomeOf = (plan: PromisePlan, result: TakeResult): PromiseOutcome => {
  if (result.state === 'held') return result;
  if (result.state === 'short') return { state: 'short', short: shortLinesOf(result.short) };
  return { state: 'taken', key: plan.key, oversold: oversoldLinesOf(result.oversold) };
};

/** What the intake queue tells about a settled item. */
export interface ItemResult {
  partner: string;
  kind: IntakeKind;
  externalId: string;
  status: IntakeStatus;
}

/** A promise as the intake's order program takes it (`AtpService.intakePromise`, intake/order-program.ts). */
export interface IntakePromise {
  key: string;
  lines: AtpLine[];
  policy: OversellPolicy;
  expiresAt: number;
}

export interface WaitingLookup {
  /** Whether the partner's order is still on its way to Odoo (accepted or processing); null when unknown. */
  orderStatus(partner: string, externalId: string): Promise<IntakeStatus | null>;
}

export interface AtpServiceOptions {
  ledger: AtpLedger;
  availability: AvailabilityCache;
  /** How long a promise lasts before reconciliation checks its order (GATEWAY_ATP_PROMISE_TTL_S). */
  ttlMs: number;
  /** Refresh of the ledger's totals (GATEWAY_ATP_POLL_MS). */
  pollMs: number;
  /** How long settled promises are held: longer than any served figure can be old. */
  holdMs: number;
  orders?: WaitingLookup;
  /** Called with the units oversold under `accept` / `backorder`. */
  onOversold?: (policy: OversellPolicy, lines: OversoldLine[]) => void;
  logger?: Logger;
  now?: () => number;
}

interface Totals {
  open: number;
  settled: { at: number; qty: number }[];
}

export class AtpService implements PromisedUnits {
  private view = new Map<string, Totals>();
  /** Local changes since the poll in flight read the ledger (re-applied on top of its answer). */
  private pending: { key: string; open: number; settledAt?: number }[][] | null = null;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private lastReconcile = 0;
  /** Each order's lines as promised here (so a local release patches the view); bounded. */
  private readonly local = new Map<string, { key: string; qty: number }[]>();

  constructor(private readonly options: AtpServiceOptions) {
    this.now = options.now ?? Date.now;
    options.availability.usePromises(this);
  }

  get backend(): AtpLedger['backend'] {
    return this.options.ledger.backend;
  }

  /** Units promised against a figure computed at `basisAt`. */
  promised(sku: string, warehouse: string, basisAt: number): number {
    const t = this.view.get(itemKey(sku, warehouse));
    if (!t) return 0;
    let n = t.open;
    for (const s of t.settled) if (s.at >= basisAt) n += s.qty;
    return n;
  }

  settledSince(sku: string, warehouse: string, basisAt: number): boolean {
    return this.view.get(itemKey(sku, warehouse))?.settled.some((s) => s.at >= basisAt) ?? false;
  }

  /**
   * Promises the order's stocked lines (SKUs Odoo has availability for) in its warehouse: the
   * order's, else the partner's first, else the SKU's first by code.
   */
  async promise(partner: string, order: Pick<Order, 'external_id' | 'lines' | 'warehouse'>, policy: OversellPolicy, opts: { partnerWarehouses?: readonly string[]; requestId?: string } = {}): Promise<PromiseOutcome> {
    const plan = await this.plan(partner, order, policy, opts);
    if (!plan) return { state: 'none' };
    let result: TakeResult;
    try {
      result = await this.options.ledger.take(plan.key, plan.lines, {
        force: policy !== 'reject',
        now: this.now(),
        ttlMs: this.options.ttlMs,
        committed: (r) => {
          if (r.state === 'taken') this.taken(plan, r.oversold);
        },
      });
    } catch (err) {
      // The ledger unreachable or a write conflict: the order is never lost for it (the queue's
      // purpose); it is accepted without a promise and Odoo decides.
      this.options.logger?.warn({ err }, 'atp: promise ledger failed, order accepted without a promise');
      return { state: 'none' };
    }
    return outcomeOf(plan, result);
  }

  /** Whether promises are taken inside the intake queue's own transaction (`intakePromise`, intake/order-program.ts). */
  get joinsIntake(): boolean {
    return this.options.ledger.joinsIntake === true;
  }

  /**
   * What a promise needs from outside any transaction: the order's stocked lines against Odoo's
   * figures as the availability cache holds them (which may ask Odoo). Null: nothing to promise
   * (no stocked line, or availability unknown: intake keeps accepting and Odoo decides).
   */
  async plan(partner: string, order: Pick<Order, 'external_id' | 'lines' | 'warehouse'>, policy: OversellPolicy, opts: { partnerWarehouses?: readonly string[]; requestId?: string } = {}): Promise<PromisePlan | null> {
    const wanted = new Map<string, number>();
    for (const l of order.lines) wanted.set(l.sku, (wanted.get(l.sku) ?? 0) + l.quantity);
    const skus = [...wanted.keys()];
    const warehouse = order.warehouse ?? opts.partnerWarehouses?.[0];
    let figures: RawFigure[];
    try {
      figures = await this.options.availability.raw(skus, warehouse, opts.requestId);
    } catch (err) {
      // Odoo unreachable and nothing cached: intake keeps accepting (the queue's purpose); Odoo decides.
      this.options.logger?.warn({ err }, 'atp: availability unknown, order accepted without a promise');
      return null;
    }
    const lines: AtpLine[] = [];
    for (const sku of skus) {
      const f = figures.filter((x) => x.sku === sku).sort((a, b) => a.warehouse.localeCompare(b.warehouse))[0];
      if (!f) continue; // not stocked (a service, a consumable, unknown): nothing to promise
      lines.push({ itemKey: itemKey(sku, f.warehouse), qty: wanted.get(sku)!, limit: f.available, basisAt: f.basisAt });
    }
    if (lines.length === 0) return null;
    return { key: orderKey(partner, order.external_id), lines, policy };
  }

  /**
   * The promise of `plan` as the intake's order program takes it in its own transaction (only
   * when `joinsIntake`; intake/order-program.ts): checked before the item is written, recorded
   * once a new item was written. The accept and its promise are then one commit: neither can exist
   * without the other, and a burst pays one group commit per order instead of two.
   */
  intakePromise(plan: PromisePlan): IntakePromise {
    return { key: plan.key, lines: plan.lines, policy: plan.policy, expiresAt: this.now() + this.options.ttlMs };
  }

  /** The order program recorded `plan`'s promise: this replica's view counts it (called as its transaction commits). */
  recorded(plan: PromisePlan, oversold: { itemKey: string; units: number }[]): void {
    this.taken(plan, oversold);
  }

  /** A promise recorded: this replica's view counts it at once, and oversold units are reported. */
  private taken(plan: PromisePlan, oversoldKeys: { itemKey: string; units: number }[]): void {
    this.patch(plan.lines.map((l) => ({ key: l.itemKey, open: l.qty })));
    if (this.local.size >= 100_000) this.local.clear();
    this.local.set(plan.key, plan.lines.map((l) => ({ key: l.itemKey, qty: l.qty })));
    const oversold = oversoldLinesOf(oversoldKeys);
    if (oversold.length > 0) this.options.onOversold?.(plan.policy, oversold);
  }

  /** Drops a promise taken by `promise` whose order was not queued (a duplicate, a failed accept). */
  async release(key: string): Promise<void> {
    await this.options.ledger.release([key], () => {
      const lines = this.local.get(key);
      this.local.delete(key);
      if (lines) this.patch(lines.map((l) => ({ key: l.key, open: -l.qty })));
    });
  }

  /** The intake item's result: Odoo's reservation takes over (created), or the promise ends. */
  async onResult(items: readonly ItemResult[]): Promise<void> {
    const settle: string[] = [];
    const release: string[] = [];
    for (const i of items) {
      const key = orderKey(i.partner, i.externalId);
      if (i.kind === 'order') (i.status === 'completed' ? settle : release).push(key);
      else if (i.kind === 'cancel' && i.status === 'completed') release.push(key);
    }
    const now = this.now();
    if (settle.length) {
      const delta: { key: string; open: number; settledAt?: number }[] = [];
      await this.options.ledger.settle(settle, now, () => {
        for (const k of settle) for (const l of this.local.get(k) ?? []) delta.push({ key: l.key, open: -l.qty }, { key: l.key, open: l.qty, settledAt: now });
        this.patch(delta);
        for (const k of settle) this.local.delete(k);
      });
      // Odoo's figures now include the reservations: read them again before the next answer.
      this.options.availability.refreshSoon([...new Set(delta.map((d) => d.key))].map(splitItemKey));
    }
    if (release.length) {
      await this.options.ledger.release(release, () => {
        for (const k of release) this.local.delete(k);
      });
      // Whether they were open or settled here is not known for every one: the next poll says.
      await this.refresh();
    }
  }

  /** Reads the ledger's totals into this replica's view. */
  async refresh(): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = (async () => {
      try {
        // Local changes are made as their commits happen; those after the ledger was read are
        // missing from its answer: collected from that instant and applied again on top of it.
        const totals = await this.options.ledger.totals(() => {
          this.pending = [];
        });
        const view = toView(totals);
        for (const delta of this.pending ?? []) applyDelta(view, delta);
        this.view = view;
        this.options.availability.touch();
      } finally {
        this.pending = null;
        this.polling = null;
      }
    })();
    return this.polling;
  }

  /** Expired open promises against the queue; purges settled promises past the hold. */
  async reconcile(): Promise<{ extended: number; released: number; purged: number }> {
    const now = this.now();
    let extended = 0;
    let released = 0;
    const expired = await this.options.ledger.expired(now, 500);
    const keep: string[] = [];
    const drop: string[] = [];
    for (const key of expired) {
      const { partner, externalId } = splitOrderKey(key);
      const status = (await this.options.orders?.orderStatus(partner, externalId)) ?? null;
      if (status === 'accepted' || status === 'processing') keep.push(key);
      else drop.push(key);
    }
    if (keep.length) await this.options.ledger.extend(keep, now + this.options.ttlMs);
    if (drop.length) await this.options.ledger.release(drop);
    extended = keep.length;
    released = drop.length;
    const purged = await this.options.ledger.purgeSettled(now - this.options.holdMs);
    if (released + purged > 0) await this.refresh();
    if (released > 0) this.options.logger?.info({ released, extended }, 'atp: expired promises released by reconciliation');
    return { extended, released, purged };
  }

  start(): void {
    if (this.timer) return;
    const tick = async () => {
      try {
        await this.refresh();
        if (this.now() - this.lastReconcile >= Math.min(this.options.ttlMs, 5_000)) {
          this.lastReconcile = this.now();
          await this.reconcile();
        }
      } catch (err) {
        this.options.logger?.warn({ err }, 'atp: ledger refresh failed; serving the last known promises');
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling?.catch(() => undefined);
  }

  private patch(delta: { key: string; open: number; settledAt?: number }[]): void {
    applyDelta(this.view, delta);
    this.pending?.push(delta);
    this.options.availability.touch();
  }
}

function toView(totals: PromisedTotals[]): Map<string, Totals> {
  return new Map(totals.map((t) => [t.itemKey, { open: t.open, settled: t.settled }]));
}

function applyDelta(view: Map<string, Totals>, delta: { key: string; open: number; settledAt?: number }[]): void {
  for (const d of delta) {
    let t = view.get(d.key);
    if (!t) view.set(d.key, (t = { open: 0, settled: [] }));
    if (d.settledAt !== undefined) t.settled = [...t.settled, { at: d.settledAt, qty: d.open }];
    else t.open = Math.max(0, t.open + d.open);
  }
}
