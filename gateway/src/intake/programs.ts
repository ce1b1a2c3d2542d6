/**
 * The write programs: transaction bodies of plain data in and plain data out, which the group
 * commit runs on the event loop or hands to the writer thread (writer-thread.ts) by name. A program
 * must not use `tx.afterCommit` (the writer thread has no caller's memory to change): the caller
 * passes what to do once its result is committed.
 */
import type { SqlExecutor } from '../store/store.js';
import { acceptOrder, type OrderAcceptArgs, type OrderAcceptResult } from './order-program.js';

interface Programs {
  acceptOrder: { args: OrderAcceptArgs; result: OrderAcceptResult };
}

export type ProgramName = keyof Programs;
export type ProgramArgs<N extends ProgramName> = Programs[N]['args'];
export type ProgramResult<N extends ProgramName> = Programs[N]['result'];

/** One call of a program: its name and arguments (structured-cloneable). */
export interface ProgramCall<N extends ProgramName = ProgramName> {
  name: N;
  args: ProgramArgs<N>;
}

const programs: { [N in ProgramName]: (tx: SqlExecutor, args: ProgramArgs<N>) => Promise<ProgramResult<N>> } = { acceptOrder };

/** Runs a program call in the caller's transaction. */
export function runProgram<N extends ProgramName>(tx: SqlExecutor, call: ProgramCall<N>): Promise<ProgramResult<N>> {
  const program = programs[call.name] as ((tx: SqlExecutor, args: ProgramArgs<N>) => Promise<ProgramResult<N>>) | undefined;
  if (!program) return Promise.reject(new Error(`no write program ${String(call.name)}`));
  return program(tx, call.args);
}
