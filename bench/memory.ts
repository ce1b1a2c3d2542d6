/**
 * Bar 6: the gateway's resident memory with 100,000 cached SKUs and 1,000 partners.
 *
 * The gateway runs in a child process (bench/_memory-child.ts, `node --expose-gc`), so neither
 * this process nor the fake Odoo (which stays here) is counted. The fake Odoo is given 1,000
 * partners (`state.addPartner`), which the child's partner cache loads from it at start, and
 * 100,000 SKUs (`state.addProduct`, two warehouses each), which the child's catalog and
 * availability caches load page by page as a gateway does (200,000 availability entries); the
 * child asserts their sizes, answers a few cached reads, forces a garbage collection and reports
 * `process.memoryUsage()`.
 *
 * Baseline: the same child with empty caches and the fake's seeded partners only. The notes
 * also give Node with the TypeScript loader alone (`bare`), which both figures include.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { startOdooFake, type OdooFake } from '../test/odoo-fake/index.js';
import { scriptArgs } from './_script.js';
import type { BenchFigure } from './types.js';

const SKUS = Number(process.env.BENCH_MEMORY_SKUS ?? 100_000);
const PARTNERS = Number(process.env.BENCH_MEMORY_PARTNERS ?? 1000);
const CHILD_TIMEOUT_MS = 90_000;
const MB = 1024 * 1024;

interface ChildReport {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  partners: number;
  catalog: number;
  availability: number;
}

const script = scriptArgs('_memory-child', import.meta.url);

function child(sim: OdooFake, mode: 'bare' | 'empty' | 'full', skus: number, minPartners: number): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      // The young generation as `npm start` and the image size it (package.json, Dockerfile).
      ['--expose-gc', '--max-semi-space-size=16', ...script, mode, String(skus), String(minPartners), sim.url, sim.db, sim.login, sim.apiKey],
      { maxBuffer: 1 << 20, timeout: CHILD_TIMEOUT_MS },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`memory child (${mode}) failed: ${stderr || err.message}`));
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport);
      },
    );
  });
}

export async function run(): Promise<BenchFigure[]> {
  const sim = await startOdooFake({});
  try {
    const bare = await child(sim, 'bare', 0, 0);
    const empty = await child(sim, 'empty', 0, 1);
    const seeded = empty.partners;
    for (let i = 0; seeded + i < PARTNERS; i++) {
      sim.state.addPartner({ code: `bench${String(i).padStart(4, '0')}`, name: `Bench partner ${i}`, scopes: ['inventory:read', 'products:read', 'orders:write'], warehouses: i % 2 ? ['WH'] : [] });
    }
    // The SKUs the full child's caches load from the fake Odoo (two warehouses each).
    for (let i = 0; i < SKUS; i++) {
      sim.state.addProduct({
        sku: `BENCH-MEM-${String(i).padStart(6, '0')}`,
        name: `Bench product ${i}`,
        listPrice: 10 + (i % 990) + 0.5,
        barcode: String(4_000_000_000_000 + i),
        safetyStock: i % 3,
        stock: { WH: i % 50, EU: (i + 1) % 50 },
      });
    }
    const full = await child(sim, 'full', SKUS, PARTNERS);
    const mb = (n: number) => n / MB;
    return [
      {
        key: 'rss_mb_100k_skus',
        value: mb(full.rss),
        unit: 'MB',
        baseline: { name: `same gateway process, empty caches, ${empty.partners} seeded partner${empty.partners === 1 ? '' : 's'}`, value: mb(empty.rss), unit: 'MB' },
        notes:
          `${full.catalog} variants, ${full.availability} availability entries, ${full.partners} partners; ` +
          `heapUsed ${mb(full.heapUsed).toFixed(0)} MB of heapTotal ${mb(full.heapTotal).toFixed(0)} MB (empty: ${mb(empty.heapUsed).toFixed(0)} of ${mb(empty.heapTotal).toFixed(0)} MB), external ${mb(full.external).toFixed(0)} MB; ` +
          `after a forced GC; +${mb(full.rss - empty.rss).toFixed(0)} MB for the caches; ` +
          `of the figure, ${mb(bare.rss).toFixed(0)} MB is Node ${script.length > 1 ? 'with the tsx loader (run from the TypeScript sources) ' : ''}before any gateway code; bar ≤ 300 MB`,
      },
    ];
  } finally {
    await sim.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const f of await run()) console.log(JSON.stringify(f));
}
