/**
 * A real gateway in a child process (`npx tsx gateway/src/main.ts serve`), in its own process
 * group so `kill9()` takes down the whole tree at once, like `kill -9` of the service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildGateway {
  url: string;
  pid: number;
  /** SIGKILL to the process group: no shutdown hook runs. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful) and wait for the exit. */
  stop(): Promise<void>;
  output(): string;
}

/**
 * Starts the gateway and waits for its "gateway listening" line. The deadline is generous (a tsx
 * start-up on a busy machine can take tens of seconds); a gateway that misses it is killed.
 */
export async function spawnGateway(env: Record<string, string>, timeoutMs = 120_000): Promise<ChildGateway> {
  const child: ChildProcess = spawn('npx', ['tsx', 'gateway/src/main.ts', 'serve'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: '0', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`gateway did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*gateway listening|gateway listening[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve((m[1] ?? m[2])!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${out}`));
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  return {
    url,
    pid: child.pid!,
    async kill9() {
      signalGroup('SIGKILL');
      await exited;
    },
    async stop() {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
    output: () => out,
  };
}

/** A bearer token from a gateway's `POST /oauth/token` (client credentials, basic auth). */
export async function tokenFrom(url: string, clientId: string, secret: string): Promise<string> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export interface SharedStoreGateways {
  gateways: ChildGateway[];
  /** Stops every gateway (SIGTERM) and removes their data dirs. */
  close(): Promise<void>;
}

/**
 * `count` gateway processes on one fake Odoo and one PostgreSQL store (so they drain the same
 * queue), each with its own data dir and the same master key. They start one after the other: the
 * first runs the migrations, the next find them applied.
 */
export async function spawnSharedStoreGateways(
  sim: { url: string; db: string; login: string; apiKey: string },
  storeUrl: string,
  extraEnv: Record<string, string> = {},
  count = 2,
): Promise<SharedStoreGateways> {
  const masterKey = randomBytes(32).toString('base64');
  const dirs: string[] = [];
  const gateways: ChildGateway[] = [];
  for (let i = 0; i < count; i++) {
    const dir = mkdtempSync(join(tmpdir(), `rg-child-${i}-`));
    dirs.push(dir);
    gateways.push(
      await spawnGateway({
        ODOO_URL: sim.url,
        ODOO_DB: sim.db,
        ODOO_USER: sim.login,
        ODOO_API_KEY: sim.apiKey,
        GATEWAY_STORE_URL: storeUrl,
        // Several suites (and test runs) share the PostgreSQL server's connection slots.
        GATEWAY_STORE_POOL_MAX: '4',
        GATEWAY_DATA_DIR: dir,
        GATEWAY_MASTER_KEY: masterKey,
        GATEWAY_RELAY: 'false',
        GATEWAY_INTAKE_POLL_MS: '20',
        ...extraEnv,
      }),
    );
  }
  return {
    gateways,
    async close() {
      await Promise.all(gateways.map((g) => g.stop()));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
