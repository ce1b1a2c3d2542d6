/**
 * The server's CPU time per request, steadier than requests/s on a shared machine (whose other
 * work moves both sides' rates): `process.cpuUsage()` of the bench process over a load, less what
 * the process spends idle over the same time (its other servers' timers, the fake Odoo), divided
 * by the requests the server answered. The load itself comes from a separate process, not counted.
 */
import { readFileSync } from 'node:fs';

/** The bench process's CPU µs per wall-clock second with no load on any of its servers. */
export async function idleCpuPerSecond(ms = 2_000): Promise<number> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / ((performance.now() - t0) / 1000);
}

/**
 * `idleCpuPerSecond` once the process has settled: freshly started gateways go on loading their
 * caches and partners for a few seconds (measured with the cached-read bench's three gateways:
 * 193 ms/s in the first 2 s, 84–85 in the next 4, 36–46 after 6 s), which is start-up, not idle,
 * and would be subtracted from every load. Measures 2 s windows until one is no longer clearly
 * below the one before (at most `windows`), and answers the last.
 */
export async function settledIdleCpuPerSecond(windows = 6): Promise<number> {
  let last = await idleCpuPerSecond();
  for (let i = 1; i < windows; i++) {
    const next = await idleCpuPerSecond();
    const falling = next < 0.8 * last;
    last = next;
    if (!falling) break;
  }
  return last;
}

/** Runs `work` and answers its result with the CPU µs this process spent on it beyond `idlePerS`. */
export async function busyCpu<T>(work: () => Promise<T>, idlePerS: number): Promise<{ result: T; busyUs: number }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { result, busyUs: used.user + used.system - idlePerS * ((performance.now() - t0) / 1000) };
}

/**
 * CPU µs the event loop's thread (the main thread) has used so far, from /proc (Linux): unlike
 * `process.cpuUsage()` it leaves out other threads (a worker, libuv's pool, V8's helpers).
 */
export function eventLoopCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime (fields 14 and 15 of stat), in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
