import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooFake, type OdooFake } from '../../../test/odoo-fake/index.js';
import { createOdooLoginVerifier, type OdooLoginVerifier } from './user-login.js';

describe('dashboard sign-in against Odoo (authenticate as the person, then whoami)', () => {
  let fake: OdooFake;
  let verifier: OdooLoginVerifier;

  beforeAll(async () => {
    fake = await startOdooFake();
    verifier = createOdooLoginVerifier({ url: fake.url, db: fake.db, timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('signs an Integration Manager in with their own name and uid, asking the addon as them', async () => {
    const before = fake.stats.callsOf('whoami');
    expect(await verifier.verify('admin', 'admin')).toEqual({ ok: true, uid: fake.state.users.admin.uid, name: 'Mitchell Admin' });
    expect(fake.stats.callsOf('whoami')).toBe(before + 1);
  });

  it('refuses wrong credentials, internal users outside the group, and portal users', async () => {
    expect(await verifier.verify('admin', 'wrong')).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(await verifier.verify('', '')).toEqual({ ok: false, reason: 'bad_credentials' });
    expect(await verifier.verify('demo', 'demo')).toEqual({ ok: false, reason: 'not_manager' });
    expect(await verifier.verify('portal', 'portal')).toEqual({ ok: false, reason: 'not_manager' });
  });

  it('says Odoo is unavailable when it cannot be asked', async () => {
    fake.faults.down();
    try {
      expect(await verifier.verify('admin', 'admin')).toEqual({ ok: false, reason: 'odoo_unavailable' });
    } finally {
      fake.faults.up();
    }
    fake.faults.failNext(1, 'server', { method: 'whoami' });
    expect(await verifier.verify('admin', 'admin')).toEqual({ ok: false, reason: 'odoo_unavailable' });
  });
});
