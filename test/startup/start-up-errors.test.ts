/**
 * Start-up mistakes as an operator meets them: the real `retail-gateway serve` (and `npm run demo`)
 * in a child process, each failure one line per problem on stderr, no stack trace, and the exit
 * code of its class (README, "Start-up errors").
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STARTUP_EXIT_CODES } from '../../gateway/src/startup-error.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rg-startup-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs `node --import tsx <script> [args]` with only `env` (and PATH) as its environment. */
function run(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env }, timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr });
    });
  });
}

const serve = (env: Record<string, string>) => run('gateway/src/main.ts', ['serve'], env);

/** A complete configuration for `serve`, on an Odoo nobody answers (start-up does not need it). */
function validEnv(): Record<string, string> {
  return {
    ODOO_URL: 'http://127.0.0.1:9',
    ODOO_DB: 'retail',
    ODOO_USER: 'gateway',
    ODOO_API_KEY: 'not-checked-at-start',
    GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'),
    GATEWAY_DATA_DIR: mkdtempSync(join(scratch, 'data-')),
    GATEWAY_HOST: '127.0.0.1',
  };
}

/** The lines of stderr; a failure is these lines and nothing else (no stack frame). */
function expectOnlyLines(stderr: string, expected: RegExp[]) {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines, stderr).toHaveLength(expected.length);
  expected.forEach((re, i) => expect(lines[i]).toMatch(re));
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/Error:|Node\.js v/);
}

async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('retail-gateway serve, started wrongly', () => {
  it('names a missing ODOO_URL in one line and exits with the configuration code', async () => {
    const { ODOO_URL: _unset, ...env } = validEnv();
    const r = await serve(env);
    expectOnlyLines(r.stderr, [/^retail-gateway: ODOO_URL: is required \(/]);
    expect(r.code).toBe(STARTUP_EXIT_CODES.config);
  });

  it('names every wrong variable at once, one line each', async () => {
    const r = await serve({ ...validEnv(), GATEWAY_PORT: 'eighty', ODOO_TRANSPORT: 'carrier-pigeon' });
    expectOnlyLines(r.stderr, [/^retail-gateway: ODOO_TRANSPORT: .*\(got "carrier-pigeon"\)$/, /^retail-gateway: GATEWAY_PORT: must be a whole number \(got "eighty"\)$/]);
    expect(r.code).toBe(STARTUP_EXIT_CODES.config);
  });

  it('says the port is in use, in one line, with its own exit code', async () => {
    const { server, port } = await holdPort();
    try {
      const r = await serve({ ...validEnv(), GATEWAY_PORT: String(port) });
      expectOnlyLines(r.stderr, [new RegExp(`^retail-gateway: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`)]);
      expect(r.code).toBe(STARTUP_EXIT_CODES.listen);
    } finally {
      server.close();
    }
  });

  it('says the data directory is not writable, in one line, with its own exit code', async () => {
    // A data directory below a regular file cannot be created, whoever runs the test (root too).
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    const dataDir = join(file, 'data');
    const r = await serve({ ...validEnv(), GATEWAY_DATA_DIR: dataDir });
    expectOnlyLines(r.stderr, [new RegExp(`^retail-gateway: cannot open the store in GATEWAY_DATA_DIR=${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the directory is not writable`)]);
    expect(r.code).toBe(STARTUP_EXIT_CODES.store);
  });

  it('says PostgreSQL is unreachable without printing its password', async () => {
    const { server, port } = await holdPort();
    server.close(); // a port nobody listens on
    const r = await serve({ ...validEnv(), GATEWAY_STORE_URL: `postgres://gateway:s3cret-pw@127.0.0.1:${port}/retail` });
    expectOnlyLines(r.stderr, [new RegExp(`^retail-gateway: cannot open the store: PostgreSQL at 127\\.0\\.0\\.1:${port}/retail \\(GATEWAY_STORE_URL\\) is unreachable`)]);
    expect(r.stderr).not.toContain('s3cret-pw');
    expect(r.code).toBe(STARTUP_EXIT_CODES.store);
  });
});

describe('npm run demo, started wrongly', () => {
  it('says the port is in use, in one line, with the same exit code as the gateway', async () => {
    const { server, port } = await holdPort();
    try {
      const r = await run('test/odoo-fake/demo.ts', [], { GATEWAY_PORT: String(port), GATEWAY_HOST: '127.0.0.1' });
      expectOnlyLines(r.stderr, [new RegExp(`^demo: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use`)]);
      expect(r.code).toBe(STARTUP_EXIT_CODES.listen);
    } finally {
      server.close();
    }
  });
});
