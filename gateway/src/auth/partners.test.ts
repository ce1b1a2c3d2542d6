import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/support/gateway.js';
import { PartnerCache } from './partners.js';
import { useFakeClient } from '../../../test/support/fake-client.js';

describe('PartnerCache.lookup', () => {
  const ctx = useFakeClient();

  it('refreshes for an unproven unknown code at most once per interval', async () => {
    let t = 1_000_000;
    const cache = new PartnerCache({ odoo: ctx.odoo, refreshMs: 30_000, now: () => t, missRefreshMs: 2_000 });
    await cache.refresh();
    ctx.fake.state.addPartner({ code: 'late', scopes: ['products:read'] });
    expect(await cache.lookup('late')).toBeUndefined();
    t += 2_000;
    expect((await cache.lookup('late'))?.code).toBe('late');
  });

  it('refreshes at once for a code Odoo has just vouched for', async () => {
    const cache = new PartnerCache({ odoo: ctx.odoo, refreshMs: 30_000, now: () => 5_000, missRefreshMs: 2_000 });
    await cache.refresh();
    ctx.fake.state.addPartner({ code: 'fresh', scopes: ['products:read'] });
    expect(await cache.lookup('fresh', { vouched: true })).toMatchObject({ code: 'fresh', active: true, scopes: ['products:read'] });
  });
});

describe('POST /oauth/token for a partner created after the gateway started', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway();
  });

  afterAll(async () => {
    await gw.close();
  });

  it('issues a token at once (the registry was read a moment before the partner existed)', async () => {
    const { clientId, clientSecret } = gw.sim.state.addPartner({ code: 'newcomer', scopes: ['products:read'] });
    const token = await gw.token(clientId, clientSecret);
    const res = await gw.fetch('/v1/products?limit=1', { token });
    expect(res.status).toBe(200);
  });

  it('still refuses a wrong secret of that partner', async () => {
    gw.sim.state.addPartner({ code: 'newcomer2', scopes: ['products:read'] });
    await expect(gw.token('newcomer2', 'not-the-secret')).rejects.toThrow(/401/);
  });
});
