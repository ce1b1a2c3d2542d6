/**
 * The writer thread: a burst's SQLite work run beside the event loop instead of on it.
 *
 * `node:sqlite` is synchronous, so on one connection every statement of every accepted order runs
 * on the thread that also parses requests and writes answers. In the order burst that SQLite work
 * is about a third of the event loop's time (measured: ≈ 140 µs an order of 8 statements and its
 * share of a COMMIT, against ≈ 480 µs for the whole order, HTTP included). Here a worker thread
 * with its own connection to the same database runs the group commit's transactions instead,
 * when every call of the group is a write program (programs.ts: plain data in and out, such as an
 * order's accept); anything else runs on the event loop as before.
 *
 * - One writer at a time. A group runs under the store's lock (`SqliteStore.external`), so the
 *   event loop's connection never writes while the thread does, and no connection ever waits on
 *   SQLite's own lock (whose busy handler would sleep on the event loop).
 * - Durability is unchanged. The thread does not sync the WAL; the store numbers the thread's
 *   commit among its own and syncs the WAL before anyone is answered.
 * - What must change as a commit happens (the ATP view) is changed when the reply arrives, still
 *   under the store's lock, so before anything else can read what the thread wrote.
 * - The thread starts at the first group of at least `minGroup` calls (concurrent traffic; a
 *   gateway taking orders one at a time never runs it) and serves groups once it is ready. If it
 *   fails, the calls in flight fail (nothing half-written: an unfinished transaction rolls back; a
 *   committed one is replayed by its Idempotency-Key) and later groups run on the event loop.
 * - A gateway run from its TypeScript sources (development, tests) starts the thread on them
 *   through tsx; a compiled gateway runs the compiled `.js` with no loader.
 */
import { Worker } from 'node:worker_threads';
import { closeWorker } from '../store/close-worker.js';
import type { SqliteStore } from '../store/sqlite.js';
import { runCommitHooks } from '../store/store.js';
import type { ProgramCall } from './programs.js';
import type { CallOutcome, GroupReply, GroupRequest, WriterData } from './writer-thread.worker.js';

/** The thread was not running when a group was to be sent: nothing was sent (run it on the event loop). */
export class WriterUnavailableError extends Error {
  constructor() {
    super('the writer thread is not running');
    this.name = 'WriterUnavailableError';
  }
}

export interface WriterThreadOptions {
  /** The smallest group that starts the thread. Default 4. */
  minGroup?: number;
  /** Told when the thread fails (it is not started again). */
  onError?: (err: Error) => void;
}

export class WriterThread {
  private worker: Worker | null = null;
  private ready = false;
  private failed = false;
  private closed = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: GroupReply) => void; reject: (e: Error) => void }>();
  private readonly minGroup: number;

  constructor(
    private readonly store: SqliteStore,
    private readonly options: WriterThreadOptions = {},
  ) {
    this.minGroup = Math.max(1, options.minGroup ?? 4);
  }

  /** Whether the thread serves groups now (tests). */
  get serving(): boolean {
    return this.ready;
  }

  /** Groups the thread has answered (tests). */
  get served(): number {
    return this.answered;
  }

  private answered = 0;

  /** Whether a group of `size` program calls goes to the thread; starts it at the first group big enough. */
  takes(size: number): boolean {
    if (this.ready) return true;
    if (!this.worker && !this.failed && !this.closed && size >= this.minGroup) this.start();
    return false;
  }

  /**
   * Runs the calls on the thread, in one transaction (each alone after a failure), under the
   * store's lock; `committed(i, value)` for each call as its transaction commits, then
   * `afterAll()`. Resolves with each call's outcome once it is on disk.
   */
  run(calls: ProgramCall[], committed: (index: number, value: unknown) => void, afterAll: () => void): Promise<{ outcomes: CallOutcome[]; commits: number[] }> {
    return this.store.external(async () => {
      const reply = await this.send(calls);
      this.answered++;
      runCommitHooks(reply.outcomes.flatMap((o, i) => (o.ok ? [() => committed(i, o.value)] : [])));
      afterAll();
      return { value: { outcomes: reply.outcomes, commits: reply.commits }, wrote: reply.commits.length > 0 };
    });
  }

  /** Stops the thread once the groups sent to it are done; later groups run on the event loop. */
  async close(): Promise<void> {
    this.closed = true;
    this.ready = false;
    const w = this.worker;
    this.worker = null;
    if (w) await closeWorker(w);
  }

  private send(calls: ProgramCall[]): Promise<GroupReply> {
    const w = this.worker;
    if (!w || !this.ready) return Promise.reject(new WriterUnavailableError());
    const id = this.nextId++;
    return new Promise<GroupReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, calls } satisfies GroupRequest);
    });
  }

  private start(): void {
    const here = import.meta.url;
    const ts = here.endsWith('.ts');
    const data: WriterData = { path: this.store.path, walPagesMax: this.store.walPagesMax };
    const w = new Worker(new URL(ts ? './writer-thread.worker.ts' : './writer-thread.worker.js', here), {
      // A compiled gateway runs plain JavaScript; the sources need the loader the process runs under.
      execArgv: ts ? ['--import', 'tsx'] : [],
      workerData: data,
    });
    w.unref();
    this.worker = w;
    w.on('message', (m: GroupReply | 'ready') => {
      if (m === 'ready') {
        if (this.worker === w && !this.closed) this.ready = true;
        return;
      }
      const waiter = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      waiter?.resolve(m);
    });
    const fail = (err: Error) => {
      if (this.worker === w) {
        this.worker = null;
        this.ready = false;
        this.failed = true;
        this.options.onError?.(err);
      }
      for (const [, waiter] of this.waiting) waiter.reject(err);
      this.waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (this.waiting.size > 0 || (this.worker === w && !this.closed)) fail(new Error(`the writer thread exited (code ${code})`));
    });
  }
}
