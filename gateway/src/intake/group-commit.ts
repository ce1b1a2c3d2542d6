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
import { runProgram, type ProgramCall, type ProgramName, type ProgramResult } from './programs.js';
import { WriterUnavailableError, type WriterThread } from './writer-thread.js';

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
  /** Runs groups made only of write programs on a thread of their own (SQLite; writer-thread.ts). */
  writer?: WriterThread;
}

interface Pending {
  op: WriteOp<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** The same work as `op`, as data, when it is a write program (it may then run on the writer thread). */
  program?: ProgramCall;
  committed?: (value: unknown) => void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Groups holding a slot of `concurrency`: from their start to their commit. */
  private running = 0;
  /** Groups not settled yet: from their start until every operation of theirs is answered. */
  private settling = 0;
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

  /**
   * Runs a write program (programs.ts) in a shared transaction, on the event loop or the writer
   * thread; `committed` is called with its result as the transaction commits (before anything
   * else can read what it wrote). Resolves once the transaction is durable.
   */
  runProgram<N extends ProgramName>(call: ProgramCall<N>, committed?: (value: ProgramResult<N>) => void): Promise<ProgramResult<N>> {
    return new Promise<ProgramResult<N>>((resolve, reject) => {
      const op: WriteOp<ProgramResult<N>> = async (tx) => {
        const value = await runProgram(tx, call);
        if (committed) tx.afterCommit(() => committed(value));
        return value;
      };
      this.queue.push({
        op,
        resolve: resolve as (v: unknown) => void,
        reject,
        program: call as ProgramCall,
        ...(committed ? { committed: committed as (value: unknown) => void } : {}),
      });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or committing. */
  async idle(): Promise<void> {
    while (this.queue.length > 0 || this.settling > 0) await new Promise((r) => setTimeout(r, 5));
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
    this.settling++;
    // The next group may start as soon as this one commits: its transaction then runs while this
    // one's WAL is being synced (SQLite), instead of after.
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.running--;
      this.schedule();
    };
    try {
      const writer = this.options.writer;
      if (writer && group.every((p) => p.program) && writer.takes(group.length)) await this.onWriter(writer, group, release);
      else await this.here(group, release);
    } finally {
      release();
      this.settling--;
    }
  }

  /** The group on the event loop: one transaction, or each operation alone once it failed. */
  private async here(group: Pending[], release: () => void): Promise<void> {
    try {
      const results = await this.store.transaction(async (tx) => {
        const out: unknown[] = [];
        for (const p of group) out.push(await p.op(tx));
        tx.afterCommit(release);
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
    }
  }

  /** The group on the writer thread (every operation a program). */
  private async onWriter(writer: WriterThread, group: Pending[], release: () => void): Promise<void> {
    let reply: Awaited<ReturnType<WriterThread['run']>>;
    try {
      reply = await writer.run(
        group.map((p) => p.program!),
        (i, value) => group[i]!.committed?.(value),
        release,
      );
    } catch (err) {
      // Stopped or failed before this group was sent: it runs here. Sent and then failed: the
      // thread's transaction rolled back unless it committed, which a retry under the same
      // Idempotency-Key replays.
      if (err instanceof WriterUnavailableError) return this.here(group, release);
      for (const p of group) p.reject(err);
      return;
    }
    for (const size of reply.commits) this.options.onCommit?.(size);
    reply.outcomes.forEach((o, i) => {
      if (o.ok) group[i]!.resolve(o.value);
      else group[i]!.reject(Object.assign(new Error(o.error.message), { name: o.error.name }));
    });
  }
}
