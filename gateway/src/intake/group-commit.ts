/**
 * Group commit: write operations that arrive while a transaction is being committed wait for the
 * next one, and all of them share it. One durable commit (one fsync of SQLite's WAL)
 * then serves many accepts, which is what lets a burst be taken at thousands of orders a second.
 * There is no fixed window by default: whatever arrived while the groups in flight were committing
 * makes the next group.
 *
 * If a grouped transaction fails, each of its operations is run again alone, so one bad
 * operation (or a PostgreSQL deadlock between two replicas' groups) fails only itself.
 */
import type { SqlExecutor, SqlStore } from '../store/store.js';

export type WriteOp<T> = (tx: SqlExecutor) => Promise<T>;

export interface GroupCommitOptions {
  /** Operations per transaction at most. Default 512. */
  maxBatch?: number;
  /** How long the first operation of a group waits for company, in ms; 0 waits one event-loop turn. Default 0. */
  windowMs?: number;
  /**
   * Groups in flight at once. SQLite has one writer, so 1; PostgreSQL, whose commits overlap on the
   * server, 4.
   */
  concurrency?: number;
  /** Called after each commit with the group's size (metrics, tests). */
  onCommit?: (size: number) => void;
}

interface Pending {
  op: WriteOp<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private running = 0;
  private readonly maxBatch: number;
  private readonly windowMs: number;
  private readonly concurrency: number;

  constructor(
    private readonly store: SqlStore,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 512;
    this.windowMs = options.windowMs ?? 0;
    this.concurrency = options.concurrency ?? (store.dialect === 'sqlite' ? 1 : 4);
    if (!(this.maxBatch >= 1) || !(this.windowMs >= 0) || !(this.concurrency >= 1)) {
      throw new TypeError('GroupCommitter: maxBatch ≥ 1, windowMs ≥ 0 and concurrency ≥ 1 are required');
    }
  }

  /** Runs `op` inside a shared transaction; resolves once that transaction is committed. */
  run<T>(op: WriteOp<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or committing. */
  async idle(): Promise<void> {
    while (this.queue.length > 0 || this.running > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.concurrency || this.queue.length === 0) return;
    this.scheduled = true;
    const fire = () => {
      this.scheduled = false;
      void this.flush();
    };
    if (this.windowMs > 0) setTimeout(fire, this.windowMs);
    else setImmediate(fire);
  }

  private async flush(): Promise<void> {
    if (this.running >= this.concurrency || this.queue.length === 0) return;
    const group = this.queue.splice(0, this.maxBatch);
    this.running++;
    try {
      const results = await this.store.transaction(async (tx) => {
        const out: unknown[] = [];
        for (const p of group) out.push(await p.op(tx));
        return out;
      });
      this.options.onCommit?.(group.length);
      group.forEach((p, i) => p.resolve(results[i]));
    } catch (groupError) {
      if (group.length === 1) group[0]!.reject(groupError);
      else {
        for (const p of group) {
          try {
            p.resolve(await this.store.transaction((tx) => p.op(tx)));
            this.options.onCommit?.(1);
          } catch (err) {
            p.reject(err);
          }
        }
      }
    } finally {
      this.running--;
      this.schedule();
    }
    // More arrived while committing: keep going.
    this.schedule();
  }
}
