/**
 * How a bench runs a script beside it in a process of its own: `npm run bench` runs the compiled
 * benchmarks (`.bench-build/`, the gateway as it ships: plain JavaScript, no loader), so their
 * children are the compiled `.js` too; a benchmark run from its sources (`npx tsx bench/x.ts`)
 * runs them through tsx.
 */
import { fileURLToPath } from 'node:url';

/** Node's arguments that run the script `name` (without extension) of the folder of `base` (an `import.meta.url`). */
export function scriptArgs(name: string, base: string): string[] {
  const compiled = base.endsWith('.js');
  const file = fileURLToPath(new URL(`./${name}.${compiled ? 'js' : 'ts'}`, base));
  return compiled ? [file] : ['--import', 'tsx', file];
}
