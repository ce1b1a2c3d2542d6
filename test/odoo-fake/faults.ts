/**
 * Fault injection for reliability tests: fail the next N calls with a given kind of error, make the
 * next N batch items answer `retry` (rolled back for a reason that is not the partner's), take the
 * whole server down (connections reset), make it slow, or make it stall (never answer).
 */

export type FaultKind =
  /** The connection is reset before the call runs (or after, with `afterCommit`). */
  | 'network'
  /** The call never answers; the client's timeout fires. */
  | 'timeout'
  /** A PostgreSQL serialization failure: the transaction rolled back. */
  | 'concurrency'
  /** A Python exception: "Odoo Server Error". */
  | 'server'
  /** HTTP 503 from a proxy in front of Odoo. */
  | 'unavailable'
  | 'access'
  | 'auth';

export interface FaultMatch {
  model?: string;
  method?: string;
}

interface Rule extends FaultMatch {
  kind: FaultKind;
  remaining: number;
  afterCommit: boolean;
}

export interface TakenFault {
  kind: FaultKind;
  afterCommit: boolean;
}

export class Faults {
  private rules: Rule[] = [];
  private itemRules: Array<{ method?: string; remaining: number }> = [];
  private mode: 'up' | 'down' | 'stall' = 'up';
  private extraDelayMs = 0;
  /** How many faults were injected so far. */
  injected = 0;

  /**
   * The next `count` calls (matching `model`/`method` when given) fail with `kind`.
   * With `afterCommit`, a `network` fault lets the call commit and then drops the connection.
   */
  failNext(count: number, kind: FaultKind, opts: FaultMatch & { afterCommit?: boolean } = {}): this {
    this.rules.push({ kind, remaining: count, model: opts.model, method: opts.method, afterCommit: opts.afterCommit ?? false });
    return this;
  }

  /**
   * The next `count` items of batch calls (matching `method` when given) answer `retry`: each is
   * rolled back alone, as the addon does on a serialization failure, and the rest of the batch runs.
   */
  retryItems(count: number, opts: { method?: string } = {}): this {
    this.itemRules.push({ method: opts.method, remaining: count });
    return this;
  }

  /** Whether this batch item must answer `retry` (consumes one). */
  takeItemRetry(method: string): boolean {
    const rule = this.itemRules.find((r) => r.remaining > 0 && (!r.method || r.method === method));
    if (!rule) return false;
    rule.remaining--;
    this.itemRules = this.itemRules.filter((r) => r.remaining > 0);
    this.injected++;
    return true;
  }

  /** Every request has its connection reset, until `up()`. */
  down(): this {
    this.mode = 'down';
    return this;
  }

  /** Every request hangs without an answer, until `up()` (or the fake closes). */
  stall(): this {
    this.mode = 'stall';
    return this;
  }

  up(): this {
    this.mode = 'up';
    return this;
  }

  /** Adds a delay to every call (0 to stop). */
  slow(ms: number): this {
    this.extraDelayMs = ms;
    return this;
  }

  /** Clears every fault. */
  reset(): this {
    this.rules = [];
    this.itemRules = [];
    this.mode = 'up';
    this.extraDelayMs = 0;
    return this;
  }

  get state(): 'up' | 'down' | 'stall' {
    return this.mode;
  }

  get delayMs(): number {
    return this.extraDelayMs;
  }

  /** The fault for this call, if one is armed (consumes it). */
  take(model: string, method: string): TakenFault | null {
    const rule = this.rules.find((r) => r.remaining > 0 && (!r.model || r.model === model) && (!r.method || r.method === method));
    if (!rule) return null;
    rule.remaining--;
    this.rules = this.rules.filter((r) => r.remaining > 0);
    this.injected++;
    return { kind: rule.kind, afterCommit: rule.afterCommit };
  }
}
