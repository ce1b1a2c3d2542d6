/**
 * A bulkhead: at most `maxConcurrent` tasks run at once; up to `maxQueue` more wait, each no
 * longer than `queueTimeoutMs`. A task beyond that is refused at once, so nothing waits forever.
 */

export interface BulkheadOptions {
  maxConcurrent: number;
  maxQueue: number;
  queueTimeoutMs: number;
}

export interface BulkheadStats {
  inFlight: number;
  queued: number;
  peakInFlight: number;
  rejectedFull: number;
  rejectedTimeout: number;
}

export class BulkheadRejectedError extends Error {
  constructor(readonly reason: 'queue_full' | 'queue_timeout') {
    super(reason === 'queue_full' ? 'bulkhead queue is full' : 'bulkhead queue wait timed out');
    this.name = 'BulkheadRejectedError';
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Bulkhead {
  private inFlight = 0;
  private peak = 0;
  private rejectedFull = 0;
  private rejectedTimeout = 0;
  private readonly queue: Waiter[] = [];

  constructor(private readonly options: BulkheadOptions) {
    if (!Number.isInteger(options.maxConcurrent) || options.maxConcurrent < 1) throw new TypeError('bulkhead: maxConcurrent must be a positive integer');
    if (!Number.isInteger(options.maxQueue) || options.maxQueue < 0) throw new TypeError('bulkhead: maxQueue must be a non-negative integer');
    if (!(options.queueTimeoutMs > 0)) throw new TypeError('bulkhead: queueTimeoutMs must be positive');
  }

  /** Runs `task` in a slot; rejects with `BulkheadRejectedError` when no slot frees in time. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.options.maxConcurrent) {
      this.take();
      return Promise.resolve();
    }
    if (this.queue.length >= this.options.maxQueue) {
      this.rejectedFull++;
      return Promise.reject(new BulkheadRejectedError('queue_full'));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          this.rejectedTimeout++;
          reject(new BulkheadRejectedError('queue_timeout'));
        }, this.options.queueTimeoutMs),
      };
      this.queue.push(waiter);
    });
  }

  private take(): void {
    this.inFlight++;
    if (this.inFlight > this.peak) this.peak = this.inFlight;
  }

  private release(): void {
    this.inFlight--;
    const next = this.queue.shift();
    if (next) {
      clearTimeout(next.timer);
      this.take();
      next.resolve();
    }
  }

  stats(): BulkheadStats {
    return { inFlight: this.inFlight, queued: this.queue.length, peakInFlight: this.peak, rejectedFull: this.rejectedFull, rejectedTimeout: this.rejectedTimeout };
  }

  get limits(): Readonly<BulkheadOptions> {
    return this.options;
  }
}
