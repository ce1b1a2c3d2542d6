/**
 * A failed dashboard sign-in leaves no trace of the login typed in the gateway's log (only a
 * keyed hash), whether it was an e-mail address or a password typed into the wrong field.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/src/logger.js';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let sim: OdooFake;
let gw: TestGateway;
const lines: string[] = [];

beforeAll(async () => {
  sim = await startOdooFake();
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  gw = await startTestGateway({ sim, logger: createLogger('debug', stream), env: { ODOO_URL: sim.url, ODOO_DB: sim.db, ODOO_USER: sim.login, ODOO_API_KEY: sim.apiKey } });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

async function signIn(login: string, password: string): Promise<number> {
  const form = await gw.fetch('/dashboard/login');
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const cookie = form.headers.getSetCookie().find((c) => c.startsWith('rg_dash_login='))!.split(';')[0]!;
  const res = await gw.fetch('/dashboard/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ login, password, csrf }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('failed dashboard sign-in in the log', () => {
  it('never writes the login typed in, e-mail or password', async () => {
    const from = lines.length;
    expect(await signIn('jane.doe@example.com', 'not-her-password')).toBe(401);
    expect(await signIn('Tr0ub4dor&3-typed-as-login', 'x')).toBe(401);
    const written = lines.slice(from);
    const refusals = written.filter((l) => l.includes('dashboard sign-in refused'));
    // The refusals are logged (one line each), with the login as a keyed hash.
    expect(refusals).toHaveLength(2);
    for (const l of refusals) expect(JSON.parse(l).login).toMatch(/^\[id:[0-9a-f]{12}\]$/);
    for (const secret of ['jane.doe', 'example.com', 'Tr0ub4dor', 'not-her-password']) {
      expect(written.filter((l) => l.includes(secret))).toEqual([]);
    }
  });
});
