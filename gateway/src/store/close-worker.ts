import type { Worker } from 'node:worker_threads';

/**
 * Asks a worker thread that stops on the message `'close'` (the checkpointer's, the intake's
 * writer thread) to stop, and resolves once it has exited. The worker is held (ref'd) until then:
 * an unref'd worker would let the process end with the caller's await unsettled.
 */
export function closeWorker(w: Worker): Promise<void> {
  w.ref();
  return new Promise<void>((resolve) => {
    w.once('exit', () => resolve());
    w.postMessage('close');
  });
}
