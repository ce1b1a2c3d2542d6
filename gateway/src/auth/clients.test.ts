import { describe, expect, it } from 'vitest';
import { ClientAuthenticator } from './clients.js';

type Answer = { ok: true; partner: string; scopes: string[]; valid_until: string | null } | { ok: false };

function setup(answer: () => Answer) {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  let calls = 0;
  const odoo = {
    rpc: (async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return answer();
    }) as never,
  };
  const auth = new ClientAuthenticator({ odoo, now: () => clock, successTtlMs: 60_000, failureTtlMs: 2_000 });
  return { auth, calls: () => calls, advance: (ms: number) => (clock += ms), now: () => clock };
}

describe('ClientAuthenticator', () => {
  it('caches a success, and shares one Odoo call between concurrent identical checks', async () => {
    const t = setup(() => ({ ok: true, partner: 'acme', scopes: ['products:read'], valid_until: null }));
    const all = await Promise.all(Array.from({ length: 10 }, () => t.auth.authenticate('acme', 'acme-secret')));
    expect(all.every((r) => r?.partner === 'acme')).toBe(true);
    expect(t.calls()).toBe(1);
    t.advance(59_000);
    await t.auth.authenticate('acme', 'acme-secret');
    expect(t.calls()).toBe(1);
    t.advance(2_000);
    await t.auth.authenticate('acme', 'acme-secret');
    expect(t.calls()).toBe(2);
  });

  it('never keeps a success past the grace deadline of the secret that matched', async () => {
    let deadline = 0;
    const t = setup(() => ({ ok: true, partner: 'acme', scopes: ['products:read'], valid_until: new Date(deadline).toISOString() }));
    deadline = t.now() + 10_000;
    expect(await t.auth.authenticate('acme', 'old-secret')).not.toBeNull();
    t.advance(10_001);
    // Odoo would still say ok with a stale deadline: the gateway refuses past it anyway.
    expect(await t.auth.authenticate('acme', 'old-secret')).toBeNull();
    expect(t.calls()).toBe(2);
  });

  it('caches a failure only briefly, and a different secret is a different entry', async () => {
    let ok = false;
    const t = setup(() => (ok ? { ok: true, partner: 'acme', scopes: [], valid_until: null } : { ok: false }));
    expect(await t.auth.authenticate('acme', 'new-secret')).toBeNull();
    ok = true;
    expect(await t.auth.authenticate('acme', 'new-secret')).toBeNull();
    expect(t.calls()).toBe(1);
    t.advance(2_001);
    expect(await t.auth.authenticate('acme', 'new-secret')).not.toBeNull();
    expect(t.calls()).toBe(2);
  });

  it('forgets a client after its secret was rotated', async () => {
    const t = setup(() => ({ ok: true, partner: 'acme', scopes: [], valid_until: null }));
    await t.auth.authenticate('acme', 's1');
    t.auth.forgetClient('acme');
    await t.auth.authenticate('acme', 's1');
    expect(t.calls()).toBe(2);
  });
});
