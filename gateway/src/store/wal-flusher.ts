/**
 * Makes SQLite's WAL durable off the event loop: `committed()` numbers each commit as it returns,
 * `flushed(n)` resolves once an fsync of the WAL that started after commit `n` has returned.
 *
 * One fsync runs at a time; every commit made while it runs waits for the next one, which then
 * covers them all (group fsync). The fsync runs on libuv's thread pool, so the event loop goes on
 * parsing requests and running the next transaction meanwhile.
 *
 * Linux flushes a file, not a descriptor: an fsync through this read-only descriptor writes out
 * what SQLite's own descriptor wrote. The WAL is reopened if it is no longer the file the
 * descriptor holds (SQLite deletes it when the last connection closes, and another process may
 * then create it again), and its directory is synced once, for the WAL's own name.
 */
import { closeSync, fstatSync, fsync, fsyncSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type FsyncFn = (fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => void;

export class WalFlusher {
  private fd: number | null = null;
  private ino = -1;
  private commits = 0;
  private synced = 0;
  private running: Promise<void> | null = null;

  constructor(
    private readonly walPath: string,
    private readonly fsyncFn: FsyncFn = fsync,
  ) {}

  /** Numbers a commit that has just returned (call it before anything else can commit). */
  committed(): number {
    return ++this.commits;
  }

  /** The number of the last commit (0 before any). */
  latest(): number {
    return this.commits;
  }

  /** Resolves once commit `n` is on disk; rejects when the fsync that should cover it fails. */
  async flushed(n: number): Promise<void> {
    while (this.synced < n) {
      this.running ??= this.flushOnce().finally(() => {
        this.running = null;
      });
      await this.running;
    }
  }

  /** Flushes what is left, synchronously, and closes the descriptor (the store is closing). */
  closeSync(): void {
    if (this.synced < this.commits) {
      fsyncSync(this.open());
      this.synced = this.commits;
    }
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private async flushOnce(): Promise<void> {
    const upTo = this.commits;
    const fd = this.open();
    await new Promise<void>((resolve, reject) => this.fsyncFn(fd, (err) => (err ? reject(err) : resolve())));
    if (upTo > this.synced) this.synced = upTo;
  }

  /** The descriptor of the WAL as it is now (a stat a flush: one per group commit). */
  private open(): number {
    const now = statSync(this.walPath).ino;
    if (this.fd !== null && now === this.ino) return this.fd;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = openSync(this.walPath, 'r');
    this.ino = fstatSync(this.fd).ino;
    // The WAL's directory entry: a file fsynced under a name that is not yet on disk can be lost.
    const dir = openSync(dirname(this.walPath), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return this.fd;
  }
}
