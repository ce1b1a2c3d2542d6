/**
 * `npm run bench`: runs every benchmark module in this folder, one after the other (they share two
 * cores), and prints a table; `--json` prints one object keyed by figure. `-- <name>…` runs a subset.
 * `npm run bench` compiles the benchmarks with the gateway first (`tsconfig.bench.json`, into
 * `.bench-build/`) and runs the JavaScript, as the product runs; `npx tsx bench/run.ts` runs them
 * from the sources.
 * Benchmarks against a real Odoo (`live-*.ts`, ODOO_* as for the live tier) run only with `--live`
 * (`npm run bench -- --live`: those alone, unless names are given too).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchFigure } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
/** `.js` when this runs compiled, `.ts` from the sources. */
const ext = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
const args = process.argv.slice(2);
const json = args.includes('--json');
const live = args.includes('--live');
const only = args.filter((a) => !a.startsWith('--'));
const modules = readdirSync(here)
  .filter((f) => f.endsWith(ext) && ![`run${ext}`, `types${ext}`].includes(f) && !f.endsWith(`.test${ext}`) && !f.startsWith('_'))
  .map((f) => f.slice(0, -ext.length))
  .filter((name) => (only.length === 0 ? name.startsWith('live-') === live : only.includes(name) && (live || !name.startsWith('live-'))))
  .sort();

const log = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
const figures: BenchFigure[] = [];
for (const name of modules) {
  const mod = (await import(pathToFileURL(join(here, `${name}${ext}`)).href)) as { run?: () => Promise<BenchFigure[]> };
  if (typeof mod.run !== 'function') continue;
  log(`running ${name}…`);
  const started = Date.now();
  try {
    const result = await mod.run();
    figures.push(...result);
    log(`  ${name}: ${result.length} figures in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    log(`  ${name} failed: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  }
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(3));
if (json) {
  process.stdout.write(`${JSON.stringify(Object.fromEntries(figures.map((f) => [f.key, f])), null, 2)}\n`);
} else {
  const rows = figures.map((f) => [f.key, `${fmt(f.value)} ${f.unit}`, f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.baseline.unit}` : '', f.notes ?? '']);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), 6));
  log('');
  for (const r of rows) log(`${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padEnd(widths[2]!)}  ${r[3]}`);
}
