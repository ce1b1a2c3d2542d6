/**
 * The relay's commands against a running gateway and the fake Odoo: `reconcile` asks the replica
 * to compare its served availability with Odoo's; `replay` re-queues and follows deliveries.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../gateway/src/config.js';
import { reconcileCommand } from '../../gateway/src/cli/reconcile.js';
import { replayCommand } from '../../gateway/src/cli/replay.js';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { eventually, simSkus } from './support/rig.js';

let sim: OdooFake;
let gw: TestGateway;
let receiver: Receiver;
let cliConfig: Config;

beforeAll(async () => {
  sim = await startOdooFake();
  // `reconcile` acts as a partner with the `admin` scope.
  sim.state.addPartner({ code: 'ops', scopes: ['admin'] });
  gw = await startTestGateway({ sim, env: { WEBHOOK_ALLOWED_TARGETS: '127.0.0.1' } });
  receiver = await startReceiver();
  // The commands run on a gateway host: same store and master key, Odoo from the environment.
  cliConfig = {
    ...gw.config,
    odoo: { url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, password: null, transport: 'auto', maxConnections: 2, timeoutMs: 5_000 } as Config['odoo'],
  };
});
afterAll(async () => {
  await receiver?.close();
  await gw?.close();
  await sim?.close();
});

function capture() {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return {
    output: () => out,
    restore() {
      spy.mockRestore();
      err.mockRestore();
    },
  };
}

describe('retail-gateway reconcile', () => {
  it("reconciles a replica's served availability and prints its report", async () => {
    const token = await gw.token('demo', 'demo-secret');
    const skus = simSkus(sim).slice(0, 3).join(',');
    expect((await gw.fetch(`/v1/inventory?sku=${skus}`, { token })).status).toBe(200);
    const io = capture();
    let code: number | undefined;
    try {
      code = await reconcileCommand.run(['--gateway', gw.url], cliConfig);
    } finally {
      io.restore();
    }
    expect(code).toBe(0);
    const [report] = JSON.parse(io.output()) as { gateway: string; checked: number; cached: number; drifted: number }[];
    expect(report).toMatchObject({ gateway: gw.url, drifted: 0 });
    expect(report!.checked).toBeGreaterThan(0);
    expect(report!.cached).toBeGreaterThanOrEqual(3);
  });

  it('fails with a usage error on a bad argument', async () => {
    const io = capture();
    try {
      expect(await reconcileCommand.run(['--bogus'], cliConfig)).toBe(64);
    } finally {
      io.restore();
    }
  });
});

describe('retail-gateway replay', () => {
  it('re-queues an event with its webhook-id and follows it until delivered', async () => {
    const token = await gw.token('demo', 'demo-secret');
    const res = await gw.fetch('/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}/hooks`, event_types: ['product.updated'] }),
      token,
    });
    const { secret } = (await res.json()) as { secret: string };
    receiver.secrets.push(secret);
    sim.state.updateProduct(simSkus(sim)[4]!, { listPrice: 77 });
    const eventId = sim.state.outbox({ type: 'product.updated' }).at(-1)!.envelope.id;
    await eventually(() => receiver.received.some((r) => r.id === eventId), 'the first delivery');
    await eventually(async () => {
      const rows = await gw.gateway.services.store.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE event_id = ?', [eventId]);
      return rows[0]?.status === 'delivered';
    }, 'the outcome recorded');
    const io = capture();
    let code: number | undefined;
    try {
      code = await replayCommand.run(['--event', eventId, '--timeout', '20'], cliConfig);
    } finally {
      io.restore();
    }
    expect(code).toBe(0);
    expect(JSON.parse(io.output())).toEqual({ replayed: 1, delivered: 1 });
    const copies = receiver.received.filter((r) => r.id === eventId);
    expect(copies).toHaveLength(2);
    expect(copies.every((r) => r.verified)).toBe(true);
  });
});

describe('retail-gateway relay', () => {
  it('runs the relay alone in its own process and stops cleanly on SIGTERM', async () => {
    const own = await startOdooFake();
    own.state.addPartner({ code: 'acme', scopes: ['products:read'] });
    const hooks = await startReceiver();
    const dataDir = mkdtempSync(join(tmpdir(), 'rg-relay-cli-'));
    try {
      const odooEnv = { ODOO_URL: own.url, ODOO_DB: own.db, ODOO_USER: own.login, ODOO_API_KEY: own.apiKey };
      const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts', 'relay'], {
        env: { ...process.env, ...odooEnv, GATEWAY_DATA_DIR: dataDir, WEBHOOK_ALLOWED_TARGETS: '127.0.0.1', LOG_LEVEL: 'silent', NATS_URL: '' },
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const { createOdooClient } = await import('../../gateway/src/odoo/client.js');
      const odoo = createOdooClient({ url: own.url, db: own.db, user: own.login, apiKey: own.apiKey });
      const { secret } = await odoo.rpc('create_subscription', { partner: 'acme', url: `${hooks.url}/hooks`, event_types: ['product.updated'], active: true });
      await odoo.close();
      hooks.secrets.push(secret);
      own.state.updateProduct(simSkus(own)[0]!, { listPrice: 99 });
      const ids = own.state.outbox({ type: 'product.updated' }).map((e) => e.envelope.id);
      await eventually(() => ids.every((i) => hooks.received.some((r) => r.id === i)), 'the relay process delivering', 120_000);
      expect(hooks.received.every((r) => r.verified)).toBe(true);
      await eventually(() => own.state.outbox().every((e) => e.state === 'dispatched'), 'the outbox acknowledged');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      await hooks.close();
      await own.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000); // a tsx child process start-up, then the delivery
});
