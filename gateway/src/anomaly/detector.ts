/**
 * Anomaly flags: for each partner, a rolling baseline (exponentially weighted mean and variance,
 * minute by minute) of its order rate and its failure ratio. A finished minute that deviates from
 * the partner's own baseline by more than `threshold` standard deviations raises a flag, shown on
 * the dashboard and in `gateway_anomaly_flag`. Flags only inform people: nothing here changes a
 * limit, a validation or any other deterministic control.
 *
 * The same minute buckets keep each partner's recent transaction health for the dashboard.
 */

export type AnomalySignal = 'order_rate' | 'failure_ratio';

export interface AnomalyFlag {
  partner: string;
  signal: AnomalySignal;
  /** The finished minute's value (orders per minute, or failed/total). */
  value: number;
  baseline: number;
  /** Standard deviations from the baseline. */
  score: number;
  /** ISO time of the minute that raised it. */
  at: string;
}

export interface MinuteBucket {
  /** Minute start, ms since epoch. */
  minute: number;
  requests: number;
  ok: number;
  clientErrors: number;
  serverErrors: number;
  limited: number;
  orders: number;
  ordersFailed: number;
}

export interface AnomalyOptions {
  /** Standard deviations that raise a flag (GATEWAY_ANOMALY_THRESHOLD, default 3). */
  threshold: number;
  /** Minutes of history before a partner's baseline is trusted. Default 10. */
  warmupMinutes?: number;
  /** Weight of the newest minute in the baseline. Default 0.1. */
  alpha?: number;
  /** Orders in a minute below which the failure ratio is too noisy to judge. Default 5. */
  minOrders?: number;
  /** Minutes of buckets kept for the dashboard. Default 60. */
  historyMinutes?: number;
  now?: () => number;
}

interface Baseline {
  n: number;
  mean: number;
  variance: number;
}

interface PartnerState {
  partner: string;
  buckets: MinuteBucket[];
  rate: Baseline;
  failure: Baseline;
  /** Last minute folded into the baselines. */
  folded: number;
  flags: Map<AnomalySignal, AnomalyFlag>;
}

const MINUTE = 60_000;

export interface RequestObservation {
  status: number;
  /** The request submitted an order. */
  order?: boolean;
}

export class AnomalyDetector {
  private readonly partners = new Map<string, PartnerState>();
  private readonly now: () => number;
  private readonly warmup: number;
  private readonly alpha: number;
  private readonly minOrders: number;
  private readonly history: number;

  constructor(private readonly options: AnomalyOptions) {
    if (!(options.threshold > 0)) throw new TypeError('anomaly: threshold must be positive');
    this.now = options.now ?? Date.now;
    this.warmup = options.warmupMinutes ?? 10;
    this.alpha = options.alpha ?? 0.1;
    this.minOrders = options.minOrders ?? 5;
    this.history = options.historyMinutes ?? 60;
  }

  /** Counts one request of a partner in the current minute. */
  record(partner: string, obs: RequestObservation): void {
    const state = this.state(partner);
    const bucket = this.current(state);
    bucket.requests++;
    if (obs.status === 429) bucket.limited++;
    if (obs.status < 400) bucket.ok++;
    else if (obs.status < 500) bucket.clientErrors++;
    else bucket.serverErrors++;
    if (obs.order) {
      bucket.orders++;
      if (obs.status >= 400) bucket.ordersFailed++;
    }
  }

  /** Folds finished minutes into the baselines and returns the flags raised now. */
  flags(): AnomalyFlag[] {
    const out: AnomalyFlag[] = [];
    for (const [, state] of this.partners) {
      this.fold(state);
      out.push(...state.flags.values());
    }
    return out.sort((a, b) => b.score - a.score);
  }

  /** Minute buckets of the last hour, oldest first, with empty minutes filled in. */
  timeline(partner: string, minutes = this.history): MinuteBucket[] {
    const state = this.partners.get(partner);
    const end = Math.floor(this.now() / MINUTE) * MINUTE;
    const byMinute = new Map((state?.buckets ?? []).map((b) => [b.minute, b]));
    const out: MinuteBucket[] = [];
    for (let m = end - (minutes - 1) * MINUTE; m <= end; m += MINUTE) out.push(byMinute.get(m) ?? emptyBucket(m));
    return out;
  }

  partnerCodes(): string[] {
    return [...this.partners.keys()].sort();
  }

  private state(partner: string): PartnerState {
    let s = this.partners.get(partner);
    if (!s) {
      s = { partner, buckets: [], rate: { n: 0, mean: 0, variance: 0 }, failure: { n: 0, mean: 0, variance: 0 }, folded: Math.floor(this.now() / MINUTE) * MINUTE - MINUTE, flags: new Map() };
      this.partners.set(partner, s);
    }
    return s;
  }

  private current(state: PartnerState): MinuteBucket {
    const minute = Math.floor(this.now() / MINUTE) * MINUTE;
    const last = state.buckets[state.buckets.length - 1];
    if (last?.minute === minute) return last;
    this.fold(state);
    const bucket = emptyBucket(minute);
    state.buckets.push(bucket);
    while (state.buckets.length > 0 && state.buckets[0]!.minute <= minute - this.history * MINUTE) state.buckets.shift();
    return bucket;
  }

  /** Judges and folds every finished minute not folded yet (quiet minutes count as zero orders). */
  private fold(state: PartnerState): void {
    const currentMinute = Math.floor(this.now() / MINUTE) * MINUTE;
    const byMinute = new Map(state.buckets.map((b) => [b.minute, b]));
    // A long silence folds at most one history's worth of empty minutes.
    let m = Math.max(state.folded + MINUTE, currentMinute - this.history * MINUTE);
    for (; m < currentMinute; m += MINUTE) {
      const b = byMinute.get(m) ?? emptyBucket(m);
      this.judge(state, b);
      update(state.rate, b.orders, this.alpha);
      if (b.orders >= this.minOrders) update(state.failure, b.ordersFailed / b.orders, this.alpha);
      state.folded = m;
    }
  }

  private judge(state: PartnerState, b: MinuteBucket): void {
    const partner = state.partner;
    const at = new Date(b.minute).toISOString();
    const rateScore = score(state.rate, b.orders, 1);
    if (state.rate.n >= this.warmup && Math.abs(rateScore) > this.options.threshold && Math.abs(b.orders - state.rate.mean) >= this.minOrders) {
      state.flags.set('order_rate', { partner, signal: 'order_rate', value: b.orders, baseline: round(state.rate.mean), score: round(rateScore), at });
    } else if (state.rate.n >= this.warmup) {
      state.flags.delete('order_rate');
    }
    if (b.orders >= this.minOrders) {
      const ratio = b.ordersFailed / b.orders;
      const failScore = score(state.failure, ratio, 0.05);
      if (state.failure.n >= this.warmup && failScore > this.options.threshold) {
        state.flags.set('failure_ratio', { partner, signal: 'failure_ratio', value: round(ratio), baseline: round(state.failure.mean), score: round(failScore), at });
      } else if (state.failure.n >= this.warmup) {
        state.flags.delete('failure_ratio');
      }
    }
  }
}

function emptyBucket(minute: number): MinuteBucket {
  return { minute, requests: 0, ok: 0, clientErrors: 0, serverErrors: 0, limited: 0, orders: 0, ordersFailed: 0 };
}

/** EWMA mean and variance (West's incremental form). */
function update(b: Baseline, x: number, alpha: number): void {
  if (b.n === 0) {
    b.mean = x;
    b.variance = 0;
  } else {
    const diff = x - b.mean;
    const incr = alpha * diff;
    b.mean += incr;
    b.variance = (1 - alpha) * (b.variance + diff * incr);
  }
  b.n++;
}

/** Deviation in standard deviations, with a floor on the deviation so a flat baseline is not infinitely sensitive. */
function score(b: Baseline, x: number, floor: number): number {
  return (x - b.mean) / Math.max(Math.sqrt(b.variance), floor);
}

const round = (x: number) => Math.round(x * 1000) / 1000;
