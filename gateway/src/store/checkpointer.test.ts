import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpointer, type CheckpointResult } from './checkpointer.js';

describe('Checkpointer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Waits for a condition (a generous deadline: the machines are shared). */
  const until = async (what: () => boolean) => {
    for (const end = Date.now() + 60_000; !what() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    expect(what()).toBe(true);
  };

  it('checkpoints the commits made while a checkpoint ran, though their pause came meanwhile, then retires', async () => {
    const path = join(dir, 'c.sqlite');
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)');
    const results: CheckpointResult[] = [];
    // Every 2 commits, a pause of 1 ms, retired 20 ms after its last checkpoint.
    const checkpointer = new Checkpointer(path, 2, (r) => results.push(r), 1, 20);
    try {
      checkpointer.committed();
      checkpointer.committed(); // asks for a checkpoint: the worker starts
      checkpointer.committed(); // one more while it runs
      expect(checkpointer.running).toBe(true);
      // The pause comes while the worker is starting (a worker takes far longer than 1 ms), and its
      // request is dropped; the last commit is checkpointed once the first checkpoint returns, and
      // the worker then stops. (Before, it stayed up with that commit left until the next one.)
      await until(() => results.length >= 2 && !checkpointer.running);
      expect(results.every((r) => r.ok)).toBe(true);
    } finally {
      await checkpointer.close();
      db.close();
    }
  });
});
