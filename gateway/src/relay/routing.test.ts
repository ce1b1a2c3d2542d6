import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../contracts/src/events.js';
import { orderCreated, partner } from '../../../test/relay/support/fixtures.js';
import { recipients } from './routing.js';

const orderTypes = ['order.created', 'order.cancelled', 'shipment.shipped', 'return.received', 'invoice.posted'];
const everything = [...orderTypes, 'inventory.changed', 'customer.updated', 'product.updated'];
// A channel allowed on WH only, a 3PL allowed on WH only, an unrestricted channel, an internal
// consumer (admin scope), and one whose subscriptions must never fire.
const acme = partner('acme', [{ id: 1, url: 'https://acme.example/h', secrets: ['whsec_YQ=='], event_types: everything }], { warehouses: ['WH'] });
const globex = partner('globex', [{ id: 2, url: 'https://globex.example/h', secrets: ['whsec_Yg=='], event_types: orderTypes.concat('inventory.changed', 'customer.updated') }]);
const admin = partner('ops', [{ id: 3, url: 'https://ops.example/h', secrets: ['whsec_Yw=='], event_types: everything }], { scopes: ['admin'] });
const paused = partner('paused', [{ id: 4, url: 'https://p.example/h', secrets: ['whsec_ZA=='], event_types: ['product.updated'], active: false }, { id: 5, url: 'https://p.example/d', secrets: ['whsec_ZA=='], event_types: ['product.updated'], disabled: true }]);
const tpl = partner('tpl', [{ id: 6, url: 'https://tpl.example/h', secrets: ['whsec_ZQ=='], event_types: everything }], { warehouses: ['WH'], scopes: ['shipments:read', 'shipments:write', 'inventory:write'] });
const all = [acme, globex, admin, paused, tpl];
const ids = (e: Pick<EventEnvelope, 'type' | 'data'>) => recipients(all, e).map((r) => r.subscription.id);
const event = (type: string, data: Record<string, unknown>) => ({ type, data }) as unknown as EventEnvelope;
const shipment = (partnerCode: string | null, warehouse: string) => event('shipment.shipped', { picking: { id: 7, name: 'WH/OUT/7' }, partner: partnerCode, warehouse });
const returned = (partnerCode: string | null, warehouse: string) => event('return.received', { picking: { id: 8, name: 'WH/IN/8' }, partner: partnerCode, warehouse });

// The rule is the addon's `_rg_event_targets` (odoo_addon/retail_gateway/models/retail_gateway_partner.py).
describe('event routing', () => {
  it("sends a partner's order events to that partner only, not to other channels nor to admins", () => {
    expect(ids(orderCreated(1, 'acme'))).toEqual([1]);
    expect(ids(orderCreated(1, 'globex'))).toEqual([2]);
    expect(ids(orderCreated(1, 'ops'))).toEqual([3]);
    for (const type of ['order.cancelled', 'invoice.posted']) expect(ids(event(type, { partner: 'globex' }))).toEqual([2]);
  });

  it('sends order-scoped events without a partner (made in Odoo itself) only to admin partners', () => {
    const e = orderCreated(1, 'acme');
    expect(ids({ type: e.type, data: { ...e.data, partner: null } } as EventEnvelope)).toEqual([3]);
    for (const type of orderTypes) {
      expect(ids(event(type, { partner: null })), type).toEqual([3]);
      expect(ids(event(type, {})), `${type} without a partner field`).toEqual([3]);
    }
  });

  it('never sends a channel or a 3PL shipments and returns it is not named on, even on its own warehouse', () => {
    expect(ids(shipment(null, 'WH'))).toEqual([3]);
    expect(ids(returned(null, 'WH'))).toEqual([3]);
    expect(ids(shipment('globex', 'WH'))).toEqual([2]);
    expect(ids(shipment('tpl', 'WH'))).toEqual([6]);
    expect(ids(returned('acme', 'WH'))).toEqual([1]);
  });

  it('sends inventory to every partner allowed on the warehouse; an empty list allows all', () => {
    const inv = (warehouse: string) => event('inventory.changed', { sku: 'A', warehouse });
    expect(ids(inv('WH'))).toEqual([1, 2, 3, 6]);
    expect(ids(inv('EU'))).toEqual([2, 3]);
  });

  it('applies the warehouse rule to every event that names a warehouse, after the partner rule', () => {
    expect(ids(shipment(null, 'EU'))).toEqual([3]);
    expect(ids(shipment('acme', 'EU'))).toEqual([]);
    expect(ids(shipment('acme', 'WH'))).toEqual([1]);
    expect(recipients([{ ...admin, warehouses: ['WH'] }], shipment(null, 'EU'))).toEqual([]);
  });

  it('sends customer data only to the partners that know the customer, and to admins', () => {
    const c = (known: Record<string, string>) => event('customer.updated', { external_ids: known });
    expect(ids(c({ globex: 'C-9' }))).toEqual([2, 3]);
    expect(ids(c({ globex: 'C-9', acme: 'A-1' }))).toEqual([1, 2, 3]);
    expect(ids(c({}))).toEqual([3]);
  });

  it('sends gateway events (intake outcomes) to the partner they name only', () => {
    expect(ids(event('order.created', { partner: 'tpl' }))).toEqual([6]);
    const accepted = partner('acme', [{ id: 9, url: 'https://acme.example/a', secrets: ['whsec_YQ=='], event_types: ['order.accepted'] }]);
    const ops = partner('ops', [{ id: 10, url: 'https://ops.example/a', secrets: ['whsec_Yw=='], event_types: ['order.accepted'] }], { scopes: ['admin'] });
    expect(recipients([accepted, ops], event('order.accepted', { partner: 'acme' })).map((r) => r.subscription.id)).toEqual([9]);
  });

  it('skips inactive, disabled and inactive-partner subscriptions, and types not subscribed', () => {
    const p = event('product.updated', {});
    expect(ids(p)).toEqual([1, 3, 6]);
    expect(recipients([{ ...acme, active: false }], p)).toEqual([]);
    expect(recipients([{ ...admin, active: false }], event('order.created', { partner: null }))).toEqual([]);
  });
});
