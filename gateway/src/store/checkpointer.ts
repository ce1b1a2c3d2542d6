/**
 * Checkpoints a SQLite WAL from a worker thread with a connection of its own, so the event loop
 * never runs one. SQLite's automatic checkpoint (every 1000 pages, on the connection that commits)
 * copies the WAL into the database and syncs both files inside a COMMIT: with group commits of a
 * few dozen orders that was every few commits, a few ms each, on the thread that answers requests.
 * The store raises that threshold to a bound (sqlite.ts) and asks for a PASSIVE checkpoint here
 * every `every` commits, and once the writes pause: it never waits for the writer, which goes on
 * appending meanwhile, and SQLite rewinds the WAL at the next commit once everything in it has
 * been copied.
 *
 * The worker is started at the first checkpoint (short-lived stores never start one), stopped
 * once the writes have paused for `retireMs` (an idle gateway runs no thread for it), and does not
 * keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { closeWorker } from './close-worker.js';

/** The worker's code: CommonJS evaluated in the worker, so no file of its own to resolve or compile. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path, { timeout: 5000 });
db.exec('PRAGMA synchronous = NORMAL');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const row = checkpoint.get();
    parentPort.postMessage({ ok: true, log: row.log, checkpointed: row.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
});
`;

export interface CheckpointResult {
  ok: boolean;
  /** Frames in the WAL, and how many of them are in the database now. */
  log?: number;
  checkpointed?: number;
  error?: string;
}

export class Checkpointer {
  private worker: Worker | null = null;
  private sinceLast = 0;
  private busy = false;
  private closed = false;
  private pause: NodeJS.Timeout | null = null;
  private retire: NodeJS.Timeout | null = null;

  constructor(
    private readonly path: string,
    private readonly every = 32,
    private readonly onResult: (r: CheckpointResult) => void = () => undefined,
    /** How long without a commit makes a pause (then whatever is left is checkpointed). */
    private readonly pauseMs = 200,
    /** How long without a commit, after its last checkpoint, before the worker is stopped. */
    private readonly retireMs = 5_000,
  ) {}

  /** Whether the worker thread runs now (tests). */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Counts a commit; asks for a checkpoint every `every` commits, unless one is running, and after a pause. */
  committed(): void {
    if (this.closed) return;
    this.sinceLast++;
    if (this.retire) {
      clearTimeout(this.retire);
      this.retire = null;
    }
    if (this.pause) this.pause.refresh();
    else {
      this.pause = setTimeout(() => {
        this.pause = null;
        if (this.sinceLast > 0) this.request();
      }, this.pauseMs);
      this.pause.unref();
    }
    if (this.sinceLast >= this.every) this.request();
  }

  private request(): void {
    if (this.busy || this.closed) return;
    this.sinceLast = 0;
    this.busy = true;
    this.start().postMessage('checkpoint');
  }

  /** Stops the worker (its connection closes; a checkpoint it runs ends first). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.pause) clearTimeout(this.pause);
    if (this.retire) clearTimeout(this.retire);
    this.pause = null;
    this.retire = null;
    const w = this.worker;
    this.worker = null;
    if (w) await closeWorker(w);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // Plain CommonJS: no loader flags of the parent's (a TypeScript loader in development) to start.
    const w = new Worker(WORKER, { eval: true, execArgv: [], workerData: { path: this.path } });
    w.unref();
    w.on('message', (r: CheckpointResult) => {
      this.busy = false;
      this.onResult(r);
      // Commits made while this checkpoint ran whose pause already came (its request was dropped
      // then, the worker being busy): nothing else would ask for them, and the worker would never
      // retire. Seen under load, when the worker took longer to start than a pause.
      if (this.sinceLast > 0 && !this.pause && !this.closed) {
        this.request();
        return;
      }
      if (this.sinceLast === 0 && !this.retire && !this.closed) {
        this.retire = setTimeout(() => {
          this.retire = null;
          if (this.busy || this.sinceLast > 0 || this.worker !== w) return;
          this.worker = null;
          w.postMessage('close');
        }, this.retireMs);
        this.retire.unref();
      }
    });
    w.on('error', (err) => {
      // A worker already stopped after a pause (and maybe replaced) is no longer this one's.
      if (this.worker !== w) return;
      this.busy = false;
      this.worker = null;
      this.onResult({ ok: false, error: err.message });
    });
    this.worker = w;
    return w;
  }
}
