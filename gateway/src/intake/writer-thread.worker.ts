/**
 * The writer thread's side (writer-thread.ts has the design): a connection of its own to the
 * gateway's SQLite database that runs groups of write programs, each group in one transaction.
 * If a group fails, each of its calls is run again alone, so one bad call fails only itself (as
 * the group commit does on the event loop). The WAL is not synced here: the event loop's store
 * syncs it before anyone is answered.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite, Statements } from '../store/sqlite-connection.js';
import type { Param, SqlExecutor } from '../store/store.js';
import { runProgram, type ProgramCall } from './programs.js';

export interface WriterData {
  path: string;
  walPagesMax: number;
}

export interface GroupRequest {
  id: number;
  calls: ProgramCall[];
}

export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string } };

export interface GroupReply {
  id: number;
  outcomes: CallOutcome[];
  /** The size of each transaction committed (one for the group, or one a call after a failure). */
  commits: number[];
}

const data = workerData as WriterData;
const port = parentPort!;
// The event loop's connection's settings (store/sqlite.ts), the WAL's bound included.
const db = openSqlite(data.path, data.walPagesMax);
const statements = new Statements(db);

const tx: SqlExecutor = {
  dialect: 'sqlite',
  query: async <T>(sql: string, params: readonly Param[] = []) => statements.all<T>(sql, params),
  run: async (sql: string, params: readonly Param[] = []) => statements.run(sql, params),
  afterCommit: () => {
    throw new Error('a write program cannot use afterCommit (programs.ts)');
  },
};

async function inTransaction<T>(fn: () => Promise<T>): Promise<T> {
  db.exec('BEGIN IMMEDIATE');
  try {
    const value = await fn();
    db.exec('COMMIT');
    return value;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

const failure = (err: unknown): CallOutcome => ({ ok: false, error: { name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) } });

async function runGroup(calls: ProgramCall[]): Promise<Omit<GroupReply, 'id'>> {
  try {
    const values = await inTransaction(async () => {
      const out: unknown[] = [];
      for (const call of calls) out.push(await runProgram(tx, call));
      return out;
    });
    return { outcomes: values.map((value) => ({ ok: true, value })), commits: [calls.length] };
  } catch (groupError) {
    if (calls.length === 1) return { outcomes: [failure(groupError)], commits: [] };
    const outcomes: CallOutcome[] = [];
    const commits: number[] = [];
    for (const call of calls) {
      try {
        outcomes.push({ ok: true, value: await inTransaction(() => runProgram(tx, call)) });
        commits.push(1);
      } catch (err) {
        outcomes.push(failure(err));
      }
    }
    return { outcomes, commits };
  }
}

// One group at a time, in the order they come (the event loop sends one per store lock anyway).
let tail: Promise<unknown> = Promise.resolve();
port.on('message', (m: GroupRequest | 'close') => {
  if (m === 'close') {
    tail = tail.then(() => {
      db.close();
      port.close();
    });
    return;
  }
  tail = tail.then(async () => port.postMessage({ id: m.id, ...(await runGroup(m.calls)) } satisfies GroupReply));
});
port.postMessage('ready');
