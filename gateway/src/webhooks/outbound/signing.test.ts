import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { activeSecrets, generateSecret, signatureHeader, webhookHeaders } from './signing.js';

describe('Standard Webhooks signing', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'order.created', data: { a: 'é' } });
  const now = Math.floor(Date.now() / 1000);

  it('produces headers the standardwebhooks package verifies', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const headers = webhookHeaders([secret], 'evt_1', now, body);
    expect(headers['webhook-id']).toBe('evt_1');
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs once per secret during a rotation, and either secret verifies', () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
    const header = signatureHeader([newSecret, oldSecret], 'evt_2', now, body);
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'evt_2', 'webhook-timestamp': String(now), 'webhook-signature': header };
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow(/signature/i);
  });

  it('a changed body or id fails verification', () => {
    const secret = generateSecret();
    const headers = webhookHeaders([secret], 'evt_3', now, body);
    expect(() => new Webhook(secret).verify(body.replace('é', 'e'), headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'evt_4' })).toThrow();
  });

  it('uses only secrets still valid, and refuses to sign with none', () => {
    const nowMs = Date.parse('2026-01-01T00:00:00Z');
    const secrets = [
      { secret: 'whsec_bmV3', valid_until: null },
      { secret: 'whsec_b2xk', valid_until: '2026-01-01T01:00:00Z' },
      { secret: 'whsec_ZXhwaXJlZA==', valid_until: '2025-12-31T23:00:00Z' },
    ];
    expect(activeSecrets(secrets, nowMs)).toEqual(['whsec_bmV3', 'whsec_b2xk']);
    expect(activeSecrets(secrets, nowMs + 2 * 3_600_000)).toEqual(['whsec_bmV3']);
    expect(() => signatureHeader([], 'x', now, body)).toThrow(/no active/);
  });
});
