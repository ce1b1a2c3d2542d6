/**
 * Every route's documented scope is the one enforced: for each operation `/openapi.json` secures
 * with the partner OAuth scheme, a token without that scope answers 403 `insufficient_scope` and a
 * token with only that scope gets past the check.
 */
import '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopes, type Scope } from '../../../contracts/src/scopes.js';
import { startTestGateway, type TestGateway } from '../../../test/support/gateway.js';
import { SECURITY_SCHEME } from './security.js';

interface Operation {
  method: string;
  path: string;
  scope: Scope;
  documents403: boolean;
}

let gw: TestGateway;
let operations: Operation[];
const tokens = new Map<string, string>();

beforeAll(async () => {
  const generous = JSON.stringify({ rate: 10_000, burst: 10_000 });
  gw = await startTestGateway({ env: { GATEWAY_RATE_LIMIT_TIERS: `{"standard":${generous},"premium":${generous},"internal":${generous}}` } });
  // The demo partner holds every scope but admin; an operator partner holds admin.
  gw.sim.state.addPartner({ code: 'ops', scopes: ['admin'] });
  await gw.gateway.services.auth!.partners.refresh();
  const doc = (await (await gw.fetch('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses: Record<string, unknown> }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).flatMap(([method, op]) => {
      const required = op.security?.flatMap((s) => s[SECURITY_SCHEME] ?? []) ?? [];
      return required.map((scope) => ({ method: method.toUpperCase(), path, scope: scope as Scope, documents403: '403' in op.responses }));
    }),
  );
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

/** A token narrowed to `scope`: the demo partner's (every scope but admin), or the operator's for admin. */
async function tokenFor(scope: string): Promise<string> {
  let token = tokens.get(scope);
  if (!token) {
    token = scope === 'admin' ? await gw.token('ops', 'ops-secret', scope) : await gw.token('demo', 'demo-secret', scope);
    tokens.set(scope, token);
  }
  return token;
}

/** Calls the operation with placeholder path parameters and an empty JSON body. */
function call(op: Operation, token: string): Promise<Response> {
  const path = op.path.replace(/\{[^}]+\}/g, (p) => (p === '{id}' ? '999999' : 'zz-unknown'));
  const body = op.method === 'GET' || op.method === 'DELETE' ? undefined : '{}';
  return gw.fetch(path, { method: op.method, token, body, headers: body ? { 'content-type': 'application/json', 'idempotency-key': `scope-${op.path}` } : {} });
}

describe('documented scopes', () => {
  it('cover the partner API', () => {
    expect(operations.length).toBeGreaterThan(20);
    expect(new Set(operations.map((o) => o.scope)).size).toBeGreaterThan(8);
    // One scope per operation: the document states the one the route checks.
    for (const op of operations) expect(operations.filter((o) => o.method === op.method && o.path === op.path), `${op.method} ${op.path}`).toHaveLength(1);
  });

  it('are the scopes each route enforces', async () => {
    const mismatches: string[] = [];
    for (const op of operations) {
      const other = scopes.find((s) => s !== op.scope && s !== 'admin')!;
      const without = await call(op, await tokenFor(other));
      const refusal = without.status === 403 ? ((await without.json()) as { error: { code: string } }).error.code : null;
      if (refusal !== 'insufficient_scope') mismatches.push(`${op.method} ${op.path}: without ${op.scope} answered ${without.status} ${refusal ?? ''}`);
      const withIt = await call(op, await tokenFor(op.scope));
      await withIt.body?.cancel();
      if (withIt.status === 403) mismatches.push(`${op.method} ${op.path}: with ${op.scope} answered 403`);
      if (!op.documents403) mismatches.push(`${op.method} ${op.path}: 403 not documented`);
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
