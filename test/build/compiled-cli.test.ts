/**
 * The production build: `tsc -p tsconfig.build.json` into a scratch folder, then the compiled
 * command line run with plain `node` (no tsx), as `npm start`, the `retail-gateway` bin and the
 * Docker image run it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
let out: string;

/** The compiled gateway, run like the bin does, with an environment that holds no configuration. */
function gateway(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [join(out, 'gateway/src/main.js'), ...args], {
    cwd: out,
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(out, join(d.parentPath, d.name)));
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'rg-build-'));
  await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, timeout: 280_000 });
  // The Docker image's layout: the build beside the installed packages.
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
}, 300_000);
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('the compiled product', () => {
  it('prints the command list for --help, with plain node and no configuration', async () => {
    const r = await gateway(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: retail-gateway <command> [options]');
    for (const name of ['serve', 'relay', 'rotate', 'replay', 'reconcile', 'intake', 'erase-customer']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    }
  });

  it("prints a command's usage for <command> --help, loading that command's module", async () => {
    const r = await gateway(['intake', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: retail-gateway intake <status | requeue> [--partner CODE]');
    expect(r.stdout).toContain('show the intake queue');
  });

  it('refuses an unknown command with 64, and a bad configuration with 78', async () => {
    const unknown = await gateway(['frobnicate']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const bad = await gateway(['serve'], { GATEWAY_PORT: 'eighty' });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain('GATEWAY_PORT: must be a whole number (got "eighty")');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('resolves the JSON the code imports (contracts/examples) from the build', async () => {
    const r = await run(process.execPath, ['--input-type=module', '-e', `
      const m = await import(${JSON.stringify(join(out, 'gateway/src/intake/examples.js'))});
      console.log(JSON.stringify(Object.keys(m)));
    `], { cwd: out, timeout: 60_000 });
    expect(JSON.parse(r.stdout).length).toBeGreaterThan(0);
    expect(existsSync(join(out, 'contracts/examples/api/order.json'))).toBe(true);
  });

  it("runs the intake's writer thread from the compiled worker, with no loader", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-build-writer-'));
    try {
      const r = await run(process.execPath, ['--input-type=module', '-e', `
        const { SqliteStore } = await import(${JSON.stringify(join(out, 'gateway/src/store/sqlite.js'))});
        const { IntakeQueue } = await import(${JSON.stringify(join(out, 'gateway/src/intake/queue.js'))});
        const { intakeMigrations } = await import(${JSON.stringify(join(out, 'gateway/src/intake/migrations.js'))});
        const { atpMigrations } = await import(${JSON.stringify(join(out, 'gateway/src/atp/sql-ledger.js'))});
        const store = new SqliteStore(${JSON.stringify(join(dir, 'gateway.sqlite'))});
        await store.migrate([...intakeMigrations, ...atpMigrations]);
        const queue = new IntakeQueue({ store, writerThread: { minGroup: 1 } });
        const order = (id) => queue.acceptOrder(
          { partner: 'acme', kind: 'order', externalId: id, payload: { external_id: id }, requestId: 'r-' + id, source: 'api', prevalidated: true },
          { key: id, fingerprint: 'f-' + id, lockMs: 30000, promise: null, locationPrefix: '/v1/orders/' },
        );
        await order('first');
        const end = Date.now() + 50000;
        while (!queue.writer.serving && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
        const second = await order('second');
        const rows = await store.query('SELECT external_id FROM intake_items ORDER BY seq');
        console.log(JSON.stringify({ served: queue.writer.served, state: second.state, rows: rows.map((r) => r.external_id), loader: process.execArgv.some((a) => a.startsWith('--import') || a.startsWith('--loader') || a.startsWith('--require')) }));
        await queue.close();
        await store.close();
      `], { cwd: out, timeout: 60_000 });
      const result = JSON.parse(r.stdout) as { served: number; state: string; rows: string[]; loader: boolean };
      expect(result).toEqual({ served: 1, state: 'accepted', rows: ['first', 'second'], loader: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds the gateway and the contracts, and no test code', () => {
    expect(readdirSync(out).filter((f) => f !== 'node_modules').sort()).toEqual(['contracts', 'gateway']);
    const files = [...filesUnder(join(out, 'gateway')), ...filesUnder(join(out, 'contracts'))];
    expect(files).toContain('gateway/src/main.js');
    expect(files).toContain('contracts/src/index.js');
    expect(files.filter((f) => /\.test\.(js|d\.ts|js\.map)$/.test(f))).toEqual([]);
  });
});
