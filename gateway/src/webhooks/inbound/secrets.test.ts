import { describe, expect, it } from 'vitest';
import type { PartnerRecord } from '../../../../contracts/src/partner.js';
import { partnerRecord } from '../../../../test/webhooks/support.js';
import { registrySecretSource, validSecrets } from './secrets.js';

const T = Date.parse('2026-11-27T12:00:00Z');

describe('validSecrets', () => {
  const record = partnerRecord('acme', {
    shopify: [
      { secret: 'new', valid_until: null },
      { secret: 'old', valid_until: new Date(T + 1000).toISOString() },
      { secret: 'older', valid_until: new Date(T - 1000).toISOString() },
    ],
  });

  it('keeps the secrets without deadline or with one still ahead', () => {
    expect(validSecrets(record, 'shopify', T)).toEqual(['new', 'old']);
    expect(validSecrets(record, 'shopify', T + 1000)).toEqual(['new']);
  });

  it('has nothing for another provider, an inactive or an unknown partner', () => {
    expect(validSecrets(record, 'stripe', T)).toBeNull();
    expect(validSecrets({ ...record, active: false }, 'shopify', T)).toBeNull();
    expect(validSecrets(undefined, 'shopify', T)).toBeNull();
  });
});

describe('registrySecretSource', () => {
  it('reads the registry through the partners RPC and sees a rotation once its cache is stale', async () => {
    let registry: PartnerRecord[] = [partnerRecord('acme', { woocommerce: [{ secret: 'first', valid_until: null }] })];
    let calls = 0;
    const odoo = {
      rpc: (async (method: string) => {
        expect(method).toBe('partners');
        calls++;
        return { partners: registry };
      }) as never,
    };
    const clock = { now: T };
    const source = registrySecretSource({ odoo, now: () => clock.now, maxAgeMs: 5_000 });
    expect(await source.secretsFor('acme', 'woocommerce', T)).toEqual(['first']);
    expect(await source.secretsFor('nobody', 'woocommerce', T)).toBeNull();
    registry = [partnerRecord('acme', { woocommerce: [{ secret: 'second', valid_until: null }, { secret: 'first', valid_until: new Date(T + 60_000).toISOString() }] })];
    expect(await source.secretsFor('acme', 'woocommerce', T)).toEqual(['first']);
    clock.now = T + 6_000;
    await source.secretsFor('acme', 'woocommerce', clock.now);
    // The refresh runs in the background: wait for it on the condition, not on a delay.
    await expect.poll(() => source.secretsFor('acme', 'woocommerce', clock.now), { timeout: 10_000 }).toEqual(['second', 'first']);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});
