/**
 * How hard the drainer pushes Odoo: an adaptive limit on calls in flight and an adaptive batch
 * size, learned from what each addon call costs.
 *
 * **Calls in flight (gradient, after Netflix concurrency-limits' Gradient and Vegas).** Each call
 * gives a sample: its latency per item (ms ÷ batch size). `noLoad` is the lowest per-item latency
 * seen, which is what Odoo costs when it is not queueing. Once per round (as many calls as the
 * limit, so that the calls judged were all sent under the same limit), with `sample` the round's
 * mean latency per item:
 *
 *     gradient = clamp(tolerance × noLoad ÷ sample, 0.5, 1)
 *     next     = limit × gradient, + headroom when gradient = 1
 *     limit    = limit × (1 − smoothing) + next × smoothing
 *
 * While Odoo answers as fast as without load, the gradient is 1 and the limit grows by `headroom`
 * (probing for more throughput); once calls queue inside Odoo (a thread waits for the interpreter
 * lock, a worker, the database), latency rises above `tolerance × noLoad` and the limit shrinks in
 * proportion. It settles at the knee — the concurrency beyond which Odoo gets no faster and every
 * extra call only waits, and makes a back-office user's request wait with it — and at most
 * `tolerance` times above it. The limit only grows when the drainer used it (at least half of it
 * in flight), so an idle drainer does not drift to the maximum.
 * At start and then every `probeEvery` calls the limit drops to `min` for one call: its latency,
 * alone, refreshes `noLoad` (Odoo may have become slower for good, with more data).
 *
 * **Errors (AIMD).** A transient failure (network, timeout, Odoo restarting or overloaded) halves
 * the limit and the batch size (`backoff`); a round in which the addon rolled items back for a
 * serialization conflict (its `retry`) halves the limit, and the limit that caused it is not
 * tried again until the next probe: concurrent calls reserving the same stock are what causes
 * them, and a flash sale sells the same few products.
 *
 * **Batch size (fitted on the call alone).** A bigger batch spreads each call's fixed cost over
 * more orders, but a call is one transaction in Odoo: the locks it takes (stock being reserved,
 * the customers it touches) are held until it commits, so a long call makes staff editing those
 * records wait, and it is what is lost and resent after a timeout. A full call sent alone (the
 * probe, or any call while the limit is at its minimum) scales the batch so that a call alone
 * takes `targetCallMs`: batch × target ÷ its duration, at most doubling, within the bounds.
 *
 * The limiter is pure arithmetic on the samples it is given (no clock, no timers): the drainer
 * feeds it, tests drive it with a simulated server.
 */

export interface Bounds {
  min: number;
  max: number;
}

export interface AdaptiveLimitOptions {
  /** Calls in flight: bounds and starting value (default: the minimum). */
  concurrency: Bounds & { initial?: number };
  /** Items per call: bounds and starting value (default: the maximum's half, at least the minimum). */
  batch: Bounds & { initial?: number };
  /** Latency per item the drainer accepts before backing off, as a multiple of `noLoad` (≥ 1). */
  tolerance?: number;
  /** Weight of each new sample in the limit (0..1]. */
  smoothing?: number;
  /** What the limit grows by per sample while Odoo is not queueing. */
  headroom?: number;
  /** How long one call should take alone (no queueing), in ms: sets the batch size. */
  targetCallMs?: number;
  /** Samples between two measurements of the no-load latency at the minimum limit. */
  probeEvery?: number;
  /** Factor applied to the limit and the batch size on a transient failure. */
  backoff?: number;
}

export interface CallSample {
  /** Items in the call. */
  size: number;
  /** Calls in flight when it was sent (itself included). */
  inFlight: number;
  /** Its duration in ms. */
  ms: number;
  /** `transient`: failed for a reason that is Odoo's state (network, timeout, restart, overload). */
  failure?: 'transient';
  /** Items the addon rolled back for a serialization conflict (answered `retry`). */
  rolledBack?: number;
}

export interface LimitSnapshot {
  /** Calls allowed in flight now. */
  limit: number;
  /** Items per call now. */
  batchSize: number;
  /** Lowest latency per item seen (ms), null before the first sample. */
  noLoadMsPerItem: number | null;
  samples: number;
  /** Measuring the no-load latency: the limit is the minimum for one call. */
  probing: boolean;
}

export class AdaptiveLimit {
  private readonly c: Bounds;
  private readonly b: Bounds;
  private readonly tolerance: number;
  private readonly smoothing: number;
  private readonly headroom: number;
  private readonly targetCallMs: number;
  private readonly probeEvery: number;
  private readonly backoffFactor: number;
  /** The limit as a real number; calls in flight are its floor. */
  private estimate: number;
  private batch: number;
  private noLoad: number | null = null;
  private samples = 0;
  /** A limit that made the addon roll items back is not tried again until the next probe. */
  private ceiling = Infinity;
  private round = { sum: 0, count: 0, inFlight: 0, rolledBack: 0 };
  /** The next call goes alone, to measure Odoo without queueing (at start, then every `probeEvery`). */
  private probing = true;

  constructor(options: AdaptiveLimitOptions) {
    this.c = checkBounds('concurrency', options.concurrency);
    this.b = checkBounds('batch', options.batch);
    this.tolerance = options.tolerance ?? 1.25;
    this.smoothing = options.smoothing ?? 0.5;
    this.headroom = options.headroom ?? 1;
    this.targetCallMs = options.targetCallMs ?? 3_000;
    this.probeEvery = options.probeEvery ?? 50;
    this.backoffFactor = options.backoff ?? 0.5;
    if (!(this.tolerance >= 1)) throw new RangeError('tolerance must be ≥ 1');
    if (!(this.smoothing > 0 && this.smoothing <= 1)) throw new RangeError('smoothing must be within (0, 1]');
    if (!(this.targetCallMs > 0)) throw new RangeError('targetCallMs must be > 0');
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1)) throw new RangeError('backoff must be within (0, 1)');
    this.estimate = clamp(options.concurrency.initial ?? this.c.min, this.c.min, this.c.max);
    this.batch = Math.round(clamp(options.batch.initial ?? Math.max(this.b.min, Math.ceil(this.b.max / 2)), this.b.min, this.b.max));
  }

  /** Calls allowed in flight now (while probing, the minimum). */
  get limit(): number {
    return this.probing ? this.c.min : Math.floor(this.estimate);
  }

  /** Items per call now. */
  get batchSize(): number {
    return this.batch;
  }

  snapshot(): LimitSnapshot {
    return { limit: this.limit, batchSize: this.batch, noLoadMsPerItem: this.noLoad, samples: this.samples, probing: this.probing };
  }

  /** Learns from one finished call. */
  observe(sample: CallSample): void {
    if (sample.failure === 'transient') {
      this.estimate = Math.max(this.c.min, this.estimate * this.backoffFactor);
      this.batch = Math.max(this.b.min, Math.floor(this.batch * this.backoffFactor));
      return;
    }
    if (!(sample.size >= 1) || !(sample.ms >= 0)) return;
    this.samples++;
    const ms = Math.max(sample.ms, 0.001);
    const perItem = ms / sample.size;
    const alone = sample.inFlight <= this.c.min;
    if (this.probing && alone) {
      this.round = { sum: 0, count: 0, inFlight: 0, rolledBack: 0 };
      // A call alone: what Odoo costs now without queueing. It sets the no-load latency and scales
      // the batch so that a call alone takes the target duration.
      this.probing = false;
      const full = sample.size >= this.batch;
      this.fitBatch(sample.size, ms);
      this.noLoad = full ? perItem : (this.noLoad ?? perItem);
    } else {
      // Any full call sent alone (the limit at its minimum) also fits the batch.
      if (alone && sample.size >= this.batch) this.fitBatch(sample.size, ms);
      if (this.noLoad === null || perItem < this.noLoad) this.noLoad = perItem;
    }

    // One update per round of calls (as many samples as the limit): the calls of a round were
    // sent under the same limit, so the limit is judged once on what it did.
    this.round.sum += perItem;
    this.round.count++;
    this.round.inFlight = Math.max(this.round.inFlight, sample.inFlight);
    this.round.rolledBack += sample.rolledBack ?? 0;
    if (this.round.count >= Math.floor(this.estimate)) {
      const latency = this.round.sum / this.round.count;
      const gradient = clamp((this.tolerance * this.noLoad) / latency, 0.5, 1);
      // Grows only while Odoo is not queueing and the drainer used what it had (at least half).
      const used = this.round.inFlight >= this.estimate / 2;
      const next = this.estimate * gradient + (gradient === 1 && used ? this.headroom : 0);
      if (this.round.rolledBack) this.ceiling = Math.max(this.c.min, Math.floor(this.estimate) - 1);
      this.estimate = clamp(this.estimate * (1 - this.smoothing) + next * this.smoothing, this.c.min, Math.min(this.c.max, this.ceiling));
      if (this.round.rolledBack) this.estimate = Math.max(this.c.min, Math.min(this.ceiling, this.estimate * this.backoffFactor));
      this.round = { sum: 0, count: 0, inFlight: 0, rolledBack: 0 };
    }

    if (this.probeEvery > 0 && this.samples % this.probeEvery === 0) {
      this.probing = true;
      this.ceiling = Infinity;
    }
  }

  /** Scales the batch so that a call alone of it takes the target: at most twice as big at once. */
  private fitBatch(size: number, ms: number): void {
    const fit = Math.min(Math.round((size * this.targetCallMs) / ms), 2 * Math.max(size, this.batch));
    const batch = Math.min(this.b.max, Math.max(this.b.min, fit));
    this.batch = size >= this.batch ? batch : Math.min(this.batch, batch);
  }
}

/** A limit that never changes: `limit` calls of `batchSize` items (GATEWAY_INTAKE_ADAPTIVE=false). */
export class FixedLimit {
  constructor(
    readonly limit: number,
    readonly batchSize: number,
  ) {}
  observe(): void {}
  snapshot(): LimitSnapshot {
    return { limit: this.limit, batchSize: this.batchSize, noLoadMsPerItem: null, samples: 0, probing: false };
  }
}

/** The drainer's adaptive limit from the intake configuration. */
export function adaptiveDrainLimit(config: {
  minInFlight: number;
  maxInFlight: number;
  minBatchSize: number;
  batchSize: number;
  targetCallMs: number;
  latencyTolerance: number;
}): AdaptiveLimit {
  return new AdaptiveLimit({
    concurrency: { min: config.minInFlight, max: config.maxInFlight },
    // Starts small: the first call (alone) fits the batch to the target duration.
    batch: { min: config.minBatchSize, max: config.batchSize, initial: Math.min(config.batchSize, Math.max(config.minBatchSize, 10)) },
    targetCallMs: config.targetCallMs,
    tolerance: config.latencyTolerance,
  });
}

/** What the drainer needs from a limit. */
export type DrainLimit = Pick<AdaptiveLimit, 'limit' | 'batchSize' | 'observe' | 'snapshot'>;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function checkBounds(name: string, bounds: Bounds): Bounds {
  if (!(Number.isInteger(bounds.min) && Number.isInteger(bounds.max) && bounds.min >= 1 && bounds.max >= bounds.min)) {
    throw new RangeError(`${name} bounds must be integers with 1 ≤ min ≤ max`);
  }
  return { min: bounds.min, max: bounds.max };
}
