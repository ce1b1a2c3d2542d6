import { describe, expect, it } from 'vitest';
import { partner } from '../../../test/relay/support/fixtures.js';
import { deliveriesTo } from './routing.js';

const orderTypes = ['order.created', 'order.cancelled', 'shipment.shipped'];
const acme = partner('acme', [
  { id: 1, url: 'https://acme.example/orders', secrets: ['whsec_YQ=='], event_types: orderTypes },
  { id: 2, url: 'https://acme.example/catalog', secrets: ['whsec_YQ=='], event_types: ['product.updated', 'inventory.changed'] },
]);
const globex = partner('globex', [{ id: 3, url: 'https://globex.example/h', secrets: ['whsec_Yg=='], event_types: [...orderTypes, 'product.updated'] }]);
const paused = partner('paused', [
  { id: 4, url: 'https://p.example/h', secrets: ['whsec_ZA=='], event_types: ['product.updated'], active: false },
  { id: 5, url: 'https://p.example/d', secrets: ['whsec_ZA=='], event_types: ['product.updated'], disabled: true },
  { id: 6, url: 'https://p.example/ok', secrets: ['whsec_ZA=='], event_types: ['product.updated'] },
]);
const all = [acme, globex, paused];
const ids = (recipients: string[], type: string) => deliveriesTo(all, recipients, type).map((r) => r.subscription.id);

// Whom an event is for is the addon's decision (`recipients` of a claimed event); the relay only picks subscriptions.
describe('delivery routing', () => {
  it("delivers to the recipients' subscriptions that list the type, and to no one else", () => {
    expect(ids(['acme'], 'order.created')).toEqual([1]);
    expect(ids(['globex'], 'order.created')).toEqual([3]);
    expect(ids(['acme', 'globex'], 'product.updated')).toEqual([2, 3]);
    expect(ids(['acme'], 'invoice.posted')).toEqual([]);
  });

  it('delivers nothing to a partner the addon did not name, even when it subscribes to the type', () => {
    expect(ids(['acme'], 'product.updated')).toEqual([2]);
    expect(ids([], 'product.updated')).toEqual([]);
    expect(ids(['nobody'], 'order.created')).toEqual([]);
  });

  it('skips inactive and disabled subscriptions, and inactive partners', () => {
    expect(ids(['paused'], 'product.updated')).toEqual([6]);
    expect(deliveriesTo([{ ...paused, active: false }], ['paused'], 'product.updated')).toEqual([]);
    expect(deliveriesTo([{ ...acme, active: false }, globex], ['acme', 'globex'], 'order.created').map((r) => r.partner.code)).toEqual(['globex']);
  });

  it('answers each subscription with its partner', () => {
    const [d] = deliveriesTo(all, ['globex'], 'shipment.shipped');
    expect(d?.partner.code).toBe('globex');
    expect(d?.subscription.url).toBe('https://globex.example/h');
  });
});
