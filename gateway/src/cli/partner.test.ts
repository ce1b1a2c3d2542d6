import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/support/gateway.js';
import { createOdooClient, type OdooClient } from '../odoo/client.js';
import { createPartner, parsePartnerArgs } from './partner.js';

describe('retail-gateway partner create arguments', () => {
  it('parses the code, the scopes (comma or space separated) and the options', () => {
    expect(parsePartnerArgs(['create', 'acme', '--scopes', 'products:read,orders:write'])).toEqual({ code: 'acme', scopes: ['products:read', 'orders:write'] });
    expect(parsePartnerArgs(['create', '--scopes=orders:read orders:read', 'acme', '--name', ' Acme Shop ', '--tier', 'premium', '--mode', 'shadow']))
      .toEqual({ code: 'acme', scopes: ['orders:read'], name: 'Acme Shop', tier: 'premium', mode: 'shadow' });
    expect(parsePartnerArgs(['create', 'acme', '--scopes', 'orders:write', '--oversell', 'reject'])).toEqual({ code: 'acme', scopes: ['orders:write'], oversell_policy: 'reject' });
  });

  it('explains what is wrong', () => {
    expect(parsePartnerArgs([])).toMatch(/only subcommand is create/);
    expect(parsePartnerArgs(['create', '--scopes', 'orders:read'])).toMatch(/one partner code/);
    expect(parsePartnerArgs(['create', 'Acme', '--scopes', 'orders:read'])).toMatch(/not a partner code/);
    expect(parsePartnerArgs(['create', 'acme'])).toMatch(/--scopes is required/);
    expect(parsePartnerArgs(['create', 'acme', '--scopes', 'orders:read,root'])).toMatch(/unknown scopes: root/);
    expect(parsePartnerArgs(['create', 'acme', '--scopes', 'orders:read', '--tier', 'gold'])).toMatch(/--tier/);
    expect(parsePartnerArgs(['create', 'acme', '--scopes', 'orders:read', '--mode', 'dry'])).toMatch(/--mode/);
    expect(parsePartnerArgs(['create', 'acme', '--scopes', 'orders:read', '--oversell', 'refuse'])).toMatch(/--oversell: one of reject, backorder, accept/);
    expect(parsePartnerArgs(['create', 'acme', '--scopes'])).toMatch(/--scopes needs a value/);
    expect(parsePartnerArgs(['create', 'acme', '--scopes', 'orders:read', '--force'])).toMatch(/unknown option --force/);
  });
});

describe('retail-gateway partner create against Odoo (the fake) and a running gateway', () => {
  let gw: TestGateway;
  let odoo: OdooClient;

  beforeAll(async () => {
    gw = await startTestGateway();
    odoo = createOdooClient({ url: gw.sim.url, db: gw.sim.db, user: gw.sim.login, apiKey: gw.sim.apiKey });
  });

  afterAll(async () => {
    await odoo.close();
    await gw.close();
  });

  it('prints credentials that get the first token with the scopes asked for', async () => {
    const text = await createPartner(odoo, { code: 'first-shop', scopes: ['products:read', 'orders:read'], name: 'First Shop' }, gw.url);
    const secret = /^client_secret: (\S+)$/m.exec(text)?.[1];
    expect(/^client_id: +(\S+)$/m.exec(text)?.[1]).toBe('first-shop');
    expect(secret).toBeDefined();
    expect(text).toContain(`${gw.url}/oauth/token`);
    expect(text.split(secret!).length - 1, 'the secret is printed once').toBe(1);
    const token = await gw.token('first-shop', secret!);
    const res = await gw.fetch('/v1/products?limit=1', { token });
    expect(res.status).toBe(200);
  });

  it('refuses a code that exists, leaving its secret working', async () => {
    const { clientSecret } = gw.sim.state.addPartner({ code: 'taken', scopes: ['products:read'] });
    await expect(createPartner(odoo, { code: 'taken', scopes: ['admin'] }, gw.url)).rejects.toThrow(/exists already/);
    expect(await gw.token('taken', clientSecret)).toEqual(expect.any(String));
  });
});
