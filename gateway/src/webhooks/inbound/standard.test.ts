import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../../../test/webhooks/support.js';
import { standard, standardBodyProvesTopic } from './standard.js';
import type { MapContext } from './types.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const NOW = Date.parse('2026-11-27T12:00:00Z');

function signed(body: string, secret = SECRET, at = new Date(NOW - 2_000), id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W') {
  const signature = new Webhook(secret).sign(id, at, body);
  return new Headers({ 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature });
}
const verify = (body: string, headers: Headers, secrets = [SECRET], now = NOW) =>
  standard.verify({ headers, rawBody: Buffer.from(body) }, { secrets, now, toleranceSeconds: 300 });
const ctx = (topic: string, body: string): MapContext => ({ topic, rawBody: Buffer.from(body), headers: new Headers(), orderForPaymentRef: async () => null });

describe('standard webhooks verification against the standardwebhooks package', () => {
  const body = fixture('standard/order.created.json');

  it('accepts what Webhook#sign produces, and the package verifies the same request', () => {
    const at = new Date();
    const headers = signed(body, SECRET, at);
    expect(verify(body, headers, [SECRET], at.getTime())).toEqual({ ok: true, deliveryId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', topic: 'order.created' });
    expect(() => new Webhook(SECRET).verify(body, Object.fromEntries(headers))).not.toThrow();
  });

  it('accepts a header listing several signatures when one matches', () => {
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    const mine = signed(body);
    const theirs = signed(body, other);
    mine.set('webhook-signature', `${theirs.get('webhook-signature')} ${mine.get('webhook-signature')}`);
    expect(verify(body, mine).ok).toBe(true);
  });

  it('refuses an old or future timestamp, a wrong secret and a changed id', () => {
    expect(verify(body, signed(body, SECRET, new Date(NOW - 301_000)))).toEqual({ ok: false, reason: 'timestamp_outside_window' });
    expect(verify(body, signed(body, SECRET, new Date(NOW + 301_000)))).toEqual({ ok: false, reason: 'timestamp_outside_window' });
    expect(verify(body, signed(body, `whsec_${randomBytes(24).toString('base64')}`))).toEqual({ ok: false, reason: 'signature_mismatch' });
    const headers = signed(body);
    headers.set('webhook-id', 'msg_other');
    expect(verify(body, headers)).toEqual({ ok: false, reason: 'signature_mismatch' });
  });
});

describe('standard webhooks envelope', () => {
  it('maps order.created to the Order it carries', async () => {
    const result = await standard.map(ctx('order.created', fixture('standard/order.created.json')));
    expect(result).toMatchObject({ outcome: 'mapped', items: [{ kind: 'order', externalId: 'STD-1001', payload: { external_id: 'STD-1001', channel: 'marketplace' } }] });
  });

  it('maps each envelope type to its intake kind', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['order.cancelled', { external_id: 'STD-1001', reason: 'customer' }, 'cancel'],
      ['order.updated', { external_id: 'STD-1001', note: 'gift' }, 'order_update'],
      ['payment', { external_id: 'STD-1001', kind: 'paid', amount: '39.98', currency: 'EUR', provider: 'adyen', transaction_id: 'psp-1', at: '2026-11-27T10:00:00Z' }, 'payment'],
      ['return.created', { external_id: 'RMA-1', order_external_id: 'STD-1001', lines: [{ sku: 'SKU2006-001', quantity: 1 }], requested_at: '2026-11-27T10:00:00Z' }, 'return'],
    ];
    for (const [type, data, kind] of cases) {
      const result = await standard.map(ctx(type, JSON.stringify({ type, data })));
      expect(result, type).toMatchObject({ outcome: 'mapped', items: [{ kind }] });
    }
  });

  it('answers unprocessable with the contract path for data that breaks the contract', async () => {
    const body = JSON.stringify({ type: 'order.cancelled', data: { external_id: ' bad ' } });
    expect(await standard.map(ctx('order.cancelled', body))).toMatchObject({ outcome: 'unprocessable', details: [{ path: 'data/external_id' }] });
    expect(await standard.map(ctx('', JSON.stringify({ data: {} })))).toEqual({ outcome: 'unprocessable', details: [{ path: 'type', message: 'is required' }] });
  });

  it('ignores types outside the envelope', async () => {
    expect(await standard.map(ctx('customer.updated', JSON.stringify({ type: 'customer.updated', data: {} })))).toMatchObject({ outcome: 'ignored' });
  });
});

describe('what a Standard Webhooks body proves', () => {
  it('is the type of the signed body', () => {
    expect(standardBodyProvesTopic('order.cancelled', { type: 'order.cancelled', data: {} })).toBeNull();
    expect(standardBodyProvesTopic('order.cancelled', { type: 'order.updated', data: {} })).toMatch(/signed body/);
  });
});
