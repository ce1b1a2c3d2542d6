import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../../../test/webhooks/support.js';
import { stripe, stripeBodyProvesTopic } from './stripe.js';
import type { MapContext } from './types.js';

const SECRET = 'whsec_test_5b7e3f1c9a2d4e6f8a0b1c2d3e4f5a6b';
const sdk = new Stripe('sk_test_not_used_for_network');
const NOW = Date.parse('2026-11-27T12:00:00Z');
const nowSeconds = Math.floor(NOW / 1000);

const verify = (body: string, header: string, secrets = [SECRET], now = NOW) =>
  stripe.verify({ headers: new Headers({ 'stripe-signature': header }), rawBody: Buffer.from(body) }, { secrets, now, toleranceSeconds: 300 });
const ctx = (topic: string, body: string, refs: Record<string, string> = {}): MapContext => ({
  topic,
  rawBody: Buffer.from(body),
  headers: new Headers(),
  orderForPaymentRef: async (ref) => refs[ref] ?? null,
});

describe('stripe verification against the Stripe SDK signer', () => {
  const body = fixture('stripe/payment_intent.succeeded.json');

  it('accepts a header from stripe.webhooks.generateTestHeaderString', () => {
    const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: nowSeconds - 10 });
    expect(verify(body, header)).toEqual({ ok: true, deliveryId: 'evt_3MtwBwLkdIwHu7ix0bS6hK8a', topic: 'payment_intent.succeeded' });
  });

  it('accepts any of several v1 signatures (Stripe rolling its secret)', () => {
    const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: nowSeconds });
    const other = sdk.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_other', timestamp: nowSeconds });
    const combined = `t=${nowSeconds},v1=${other.split('v1=')[1]},v1=${header.split('v1=')[1]}`;
    expect(verify(body, combined).ok).toBe(true);
  });

  it('refuses a timestamp older than the 300 s tolerance, even correctly signed', () => {
    const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: nowSeconds - 301 });
    expect(verify(body, header)).toEqual({ ok: false, reason: 'timestamp_outside_window' });
  });

  it('refuses a wrong secret, a changed body and a header without v1', () => {
    const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: nowSeconds });
    expect(verify(body, header, ['whsec_someone_else'])).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verify(body.replace('2000', '2001'), header)).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verify(body, `t=${nowSeconds}`)).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('refuses a signature over another timestamp (the timestamp is signed)', () => {
    const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: nowSeconds - 1000 });
    const moved = header.replace(`t=${nowSeconds - 1000}`, `t=${nowSeconds}`);
    expect(verify(body, moved)).toEqual({ ok: false, reason: 'signature_mismatch' });
  });
});

describe('stripe mapping of the documented objects', () => {
  it('maps payment_intent.succeeded to a paid PaymentEvent on metadata.order_id', async () => {
    const result = await stripe.map(ctx('payment_intent.succeeded', fixture('stripe/payment_intent.succeeded.json')));
    expect(result).toEqual({
      outcome: 'mapped',
      items: [
        {
          kind: 'payment',
          externalId: '727',
          payload: { external_id: '727', kind: 'paid', amount: '20.00', currency: 'USD', provider: 'stripe', transaction_id: 'pi_3MtwBwLkdIwHu7ix28a3tqPa', at: '2023-04-06T17:01:50.000Z' },
        },
      ],
      version: { externalId: '727', at: 1680800510_000, rule: 'not_older' },
    });
  });

  it('remembers the PaymentIntent and its charge for refunds that do not repeat the order', async () => {
    const c = ctx('payment_intent.succeeded', fixture('stripe/payment_intent.succeeded.json'));
    const result = await stripe.map(c);
    expect(result.outcome === 'mapped' && stripe.paymentRefs!(result.items, c)).toEqual([
      { ref: 'pi_3MtwBwLkdIwHu7ix28a3tqPa', orderExternalId: '727' },
      { ref: 'ch_3MmlLrLkdIwHu7ix0snN0B15', orderExternalId: '727' },
    ]);
  });

  it('maps charge.refunded to a refunded PaymentEvent for the amount refunded by this event', async () => {
    const result = await stripe.map(ctx('charge.refunded', fixture('stripe/charge.refunded.json')));
    expect(result).toEqual({
      outcome: 'mapped',
      items: [
        {
          kind: 'payment',
          externalId: '727',
          payload: { external_id: '727', kind: 'refunded', amount: '10.99', currency: 'USD', provider: 'stripe', transaction_id: 'ch_3MmlLrLkdIwHu7ix0snN0B15:refunded:1099', at: '2023-03-17T22:03:20.000Z' },
        },
      ],
      version: { externalId: '727', at: 1679090600_000, rule: 'record' },
    });
    const partial = fixture('stripe/charge.refunded.json').replace('"amount_refunded": 1099', '"amount_refunded": 799').replace('"amount_refunded": 0,', '"amount_refunded": 500,');
    const second = await stripe.map(ctx('charge.refunded', partial));
    expect(second.outcome === 'mapped' && (second.items[0]!.payload as { amount: string }).amount).toBe('2.99');
  });

  it('finds the order of a charge without metadata through its PaymentIntent', async () => {
    const body = fixture('stripe/charge.refunded.json').replace('"metadata": { "order_id": "727" }', '"metadata": {}');
    expect(await stripe.map(ctx('charge.refunded', body))).toMatchObject({ outcome: 'unprocessable', details: [{ path: 'data/object/metadata/order_id' }] });
    expect(await stripe.map(ctx('charge.refunded', body, { pi_3MtwBwLkdIwHu7ix28a3tqPa: '727' }))).toMatchObject({ outcome: 'mapped', items: [{ externalId: '727' }] });
  });

  it('handles zero-decimal currencies', async () => {
    const body = fixture('stripe/payment_intent.succeeded.json').replace('"currency": "usd"', '"currency": "jpy"');
    const result = await stripe.map(ctx('payment_intent.succeeded', body));
    expect(result.outcome === 'mapped' && result.items[0]!.payload).toMatchObject({ amount: '2000.00', currency: 'JPY' });
  });

  it('ignores other events', async () => {
    expect(await stripe.map(ctx('customer.created', '{}'))).toMatchObject({ outcome: 'ignored' });
  });
});

describe('what a Stripe event proves', () => {
  const paid = JSON.parse(fixture('stripe/payment_intent.succeeded.json')) as Record<string, unknown>;
  const refunded = JSON.parse(fixture('stripe/charge.refunded.json')) as Record<string, unknown>;
  const withObject = (event: Record<string, unknown>, patch: Record<string, unknown>) => ({
    ...event,
    data: { ...(event.data as object), object: { ...((event.data as { object: object }).object), ...patch } },
  });

  it('takes the type from the signed body and needs the object that type carries', () => {
    expect(stripeBodyProvesTopic('payment_intent.succeeded', paid)).toBeNull();
    expect(stripeBodyProvesTopic('charge.refunded', refunded)).toBeNull();
    expect(stripeBodyProvesTopic('charge.refunded', paid)).toMatch(/signed body/);
    expect(stripeBodyProvesTopic('payment_intent.succeeded', withObject(paid, { status: 'requires_payment_method' }))).toMatch(/succeeded PaymentIntent/);
    expect(stripeBodyProvesTopic('payment_intent.succeeded', withObject(paid, { object: 'charge' }))).toMatch(/succeeded PaymentIntent/);
    expect(stripeBodyProvesTopic('charge.refunded', withObject(refunded, { refunded: false, amount_refunded: 0 }))).toMatch(/refunded Charge/);
    expect(stripeBodyProvesTopic('payment_intent.succeeded', { ...paid, created: undefined })).toMatch(/created/);
  });
});
