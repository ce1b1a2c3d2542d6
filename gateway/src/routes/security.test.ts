import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopes } from '../../../contracts/src/scopes.js';
import { startTestGateway, type TestGateway } from '../../../test/support/gateway.js';
import { SECURITY_SCHEME } from './security.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the OpenAPI document is walked generically
type Doc = any;
let gw: TestGateway;
let doc: Doc;
beforeAll(async () => {
  gw = await startTestGateway();
  doc = await (await gw.fetch('/openapi.json')).json();
});
afterAll(() => gw?.close());

const operations = () =>
  Object.entries<Doc>(doc.paths).flatMap(([path, item]) => Object.entries<Doc>(item).map(([method, op]) => ({ path, method, op })));

describe('OpenAPI security', () => {
  it('declares the scope of every partner and admin route', () => {
    const partnerOps = operations().filter(({ path }) => path.startsWith('/v1/') || path.startsWith('/admin/'));
    expect(partnerOps.length).toBeGreaterThan(20);
    for (const { path, method, op } of partnerOps) {
      const required = op.security?.[0]?.[SECURITY_SCHEME];
      expect(required, `${method.toUpperCase()} ${path}`).toHaveLength(1);
      expect(scopes).toContain(required[0]);
    }
  });

  it('only references registered schemes', () => {
    const registered = Object.keys(doc.components.securitySchemes);
    for (const { op } of operations()) for (const req of op.security ?? []) for (const name of Object.keys(req)) expect(registered).toContain(name);
  });

  it('answers 403 insufficient_scope when the token lacks the declared scope', async () => {
    const token = await gw.token('demo', 'demo-secret', 'products:read');
    const inventory = operations().find(({ path, method }) => path === '/v1/inventory' && method === 'get')!;
    expect(inventory.op.security[0][SECURITY_SCHEME]).toEqual(['inventory:read']);
    const res = await gw.fetch('/v1/inventory?sku=FURN_7777', { token });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');
  });
});
