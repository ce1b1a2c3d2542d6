/**
 * `npm run demo` as a user runs it: it listens on loopback only, the URL it prints is the issuer a
 * standard OAuth client discovers, its published client has no `admin` scope; the printed `export`
 * block, pasted into a shell, points the `retail-gateway` commands at the running demo (its fake
 * Odoo and its store); SIGTERM stops the demo and removes its temporary data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** What `npm run demo` runs (`tsx test/odoo-fake/demo.ts`), on this Node. */
const tsxCli = join(root, 'node_modules/tsx/dist/cli.mjs');
const DEADLINE_MS = 60_000;

/** The environment of a shell with no gateway configuration of its own. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ODOO_|GATEWAY_|REDIS_URL|NATS_)/.test(k)));
  // `node` in the printed command is this Node.
  return { ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
}

interface Demo {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function startDemo(): Demo {
  const child = spawn(process.execPath, [tsxCli, 'test/odoo-fake/demo.ts'], {
    cwd: root,
    // No GATEWAY_HOST: the default listen address is under test.
    env: { ...cleanEnv(), GATEWAY_PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor<T>(what: string, probe: () => T | undefined, demo: Demo): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (demo.child.exitCode !== null) throw new Error(`demo exited (${demo.child.exitCode}) before ${what}:\n${demo.stdout()}\n${demo.stderr()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${DEADLINE_MS} ms:\n${demo.stdout()}\n${demo.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a shell script (the pasted block, then a command) in a clean environment. */
function sh(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { cwd: root, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run demo and the retail-gateway commands', () => {
  let demo: Demo;
  let exportLine: string;
  let exampleCommand: string;
  let vars: Record<string, string>;
  let base: string;

  beforeAll(async () => {
    demo = startDemo();
    const lines = await waitFor('export block', () => {
      const all = demo.stdout().split('\n');
      const i = all.findIndex((l) => l.startsWith('  export ODOO_URL='));
      return i >= 0 && all[i + 1]?.startsWith('  node ') ? [all[i]!.trim(), all[i + 1]!.trim()] : undefined;
    }, demo);
    [exportLine, exampleCommand] = lines as [string, string];
    vars = Object.fromEntries(exportLine.replace(/^export /, '').split(' ').map((kv) => kv.split(/=(.*)/s, 2) as [string, string]));
    base = /retail-gateway demo on (http:\/\/\S+)/.exec(demo.stdout())![1]!;
  }, DEADLINE_MS + 10_000);

  afterAll(async () => {
    if (demo && demo.child.exitCode === null) {
      demo.child.kill('SIGKILL');
      await demo.exited;
    }
  });

  it('prints the fake Odoo, the store and the master key the commands need, and no secret in its logs', () => {
    expect(Object.keys(vars)).toEqual(expect.arrayContaining(['ODOO_URL', 'ODOO_DB', 'ODOO_USER', 'ODOO_API_KEY', 'GATEWAY_DATA_DIR', 'GATEWAY_MASTER_KEY']));
    expect(vars.GATEWAY_DATA_DIR).toMatch(/retail-gateway-demo-/);
    expect(existsSync(join(vars.GATEWAY_DATA_DIR!, 'gateway.sqlite'))).toBe(true);
    expect(Buffer.from(vars.GATEWAY_MASTER_KEY!, 'base64')).toHaveLength(32);
    // The public URL (the issuer of tokens, the base partners are told) names the port it listens on.
    expect(new URL(vars.GATEWAY_PUBLIC_URL!).port).toBe(new URL(base).port);
    expect(exampleCommand).toBe('node gateway/bin/retail-gateway.mjs intake status');
    // The banner is the one place the secrets appear.
    const rest = demo.stdout().replace(exportLine, '') + demo.stderr();
    expect(rest).not.toContain(vars.ODOO_API_KEY);
    expect(rest).not.toContain(vars.GATEWAY_MASTER_KEY);
  });

  it('listens on 127.0.0.1 only, with no GATEWAY_HOST', async () => {
    // The log line may be flushed after the banner.
    const listening = await waitFor(
      'the listening log line',
      () =>
        demo
          .stdout()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg?: string; address?: string })
          .find((l) => l.msg === 'gateway listening'),
      demo,
    );
    expect(listening.address).toBe('127.0.0.1');
    expect(new URL(base).hostname).toBe('127.0.0.1');
  }, DEADLINE_MS);

  it('prints the issuer: oauth4webapi discovers the server from the printed URL and gets a token', async () => {
    const issuer = new URL(base);
    const options = { [oauth.allowInsecureRequests]: true };
    // processDiscoveryResponse refuses metadata whose `issuer` is not exactly the URL it was given.
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
    expect(as.issuer).toBe(base);
    const client: oauth.Client = { client_id: 'demo' };
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('demo-secret'), {}, options),
    );
    expect(tokens.access_token).toBeTruthy();
    // The published client has every scope but admin, and cannot ask for it.
    expect(tokens.scope?.split(' ')).toContain('products:read');
    expect(tokens.scope?.split(' ')).not.toContain('admin');
    const res = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${base}/v1/products?limit=1`), undefined, undefined, options);
    expect(res.status).toBe(200);
    const admin = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('demo-secret'), { scope: 'admin' }, options);
    expect(admin.status).toBe(400);
    expect(((await admin.json()) as { error: string }).error).toBe('invalid_scope');
    const rotate = await fetch(`${base}/admin/rotate/signing-key`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(rotate.status).toBe(403);
  }, DEADLINE_MS);

  it('prints a metrics command that works, and /metrics is closed without its token', async () => {
    const line = demo
      .stdout()
      .split('\n')
      .find((l) => l.startsWith('Metrics: curl '));
    const header = /'Authorization: Bearer ([^']+)'/.exec(line ?? '')?.[1];
    expect(header).toBeDefined();
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${header}` } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('gateway_http_requests_total');
  });

  it('runs the printed example command on the demo store', async () => {
    const res = await sh(`${exportLine}\n${exampleCommand}`);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^accepted \d+, processing \d+, completed \d+, rejected \d+, failed \d+, shadowed \d+\n$/);
  }, DEADLINE_MS);

  it('registers a partner in the fake Odoo whose secret gets a token from the running demo', async () => {
    const res = await sh(`${exportLine}\nnode gateway/bin/retail-gateway.mjs partner create demo-cli-shop --scopes products:read`);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^client_id: +demo-cli-shop$/m);
    expect(res.stdout).toMatch(/^scopes: +products:read$/m);
    expect(res.stdout).toContain(`${vars.GATEWAY_PUBLIC_URL}/oauth/token`);
    const secret = /^client_secret: (\S+)$/m.exec(res.stdout)?.[1];
    expect(secret).toBeDefined();
    const token = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`demo-cli-shop:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    const { access_token: accessToken, scope } = (await token.json()) as { access_token: string; scope: string };
    expect(scope).toBe('products:read');
    expect((await fetch(`${base}/v1/products?limit=1`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
  }, DEADLINE_MS);

  it("reconciles the running demo with the commands' own token (same issuer)", async () => {
    const res = await sh(`${exportLine}\nnode gateway/bin/retail-gateway.mjs reconcile --gateway ${base}`);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual([expect.objectContaining({ gateway: base, drifted: 0 })]);
  }, DEADLINE_MS);

  it('stops on SIGTERM and removes its temporary data directory', async () => {
    expect(existsSync(vars.GATEWAY_DATA_DIR!)).toBe(true);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    expect(existsSync(vars.GATEWAY_DATA_DIR!)).toBe(false);
  }, DEADLINE_MS);
});
