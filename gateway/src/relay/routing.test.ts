import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../contracts/src/events.js';
import { orderCreated, partner } from '../../../test/relay/support/fixtures.js';
import { recipients } from './routing.js';

const acme = partner('acme', [{ id: 1, url: 'https://acme.example/h', secrets: ['whsec_YQ=='], event_types: ['order.created', 'inventory.changed', 'customer.updated', 'product.updated', 'shipment.shipped'] }], { warehouses: ['WH'] });
const globex = partner('globex', [{ id: 2, url: 'https://globex.example/h', secrets: ['whsec_Yg=='], event_types: ['order.created', 'inventory.changed', 'customer.updated', 'shipment.shipped'] }]);
const admin = partner('ops', [{ id: 3, url: 'https://ops.example/h', secrets: ['whsec_Yw=='], event_types: ['order.created', 'customer.updated'] }], { scopes: ['admin'] });
const paused = partner('paused', [{ id: 4, url: 'https://p.example/h', secrets: ['whsec_ZA=='], event_types: ['product.updated'], active: false }, { id: 5, url: 'https://p.example/d', secrets: ['whsec_ZA=='], event_types: ['product.updated'], disabled: true }]);
const all = [acme, globex, admin, paused];
const ids = (e: Pick<EventEnvelope, 'type' | 'data'>) => recipients(all, e).map((r) => r.subscription.id);
const shipment = (partnerCode: string | null, warehouse: string) => ({ type: 'shipment.shipped', data: { picking: { id: 7, name: 'WH/OUT/7' }, partner: partnerCode, warehouse } }) as unknown as EventEnvelope;

// The rule is the addon's `_rg_event_targets` (odoo_addon/retail_gateway/models/retail_gateway_partner.py).
describe('event routing', () => {
  it("sends a partner's order events to that partner only, admins included", () => {
    expect(ids(orderCreated(1, 'acme'))).toEqual([1]);
    expect(ids(orderCreated(1, 'globex'))).toEqual([2]);
    expect(ids(orderCreated(1, 'ops'))).toEqual([3]);
  });

  it('sends orders made in Odoo itself (no partner) to every subscriber of the type', () => {
    const e = orderCreated(1, 'acme');
    expect(ids({ type: e.type, data: { ...e.data, partner: null } } as EventEnvelope)).toEqual([1, 2, 3]);
  });

  it('sends inventory to partners allowed on the warehouse; an empty list allows all', () => {
    const inv = (warehouse: string) => ({ type: 'inventory.changed', data: { sku: 'A', warehouse } }) as unknown as EventEnvelope;
    expect(ids(inv('WH'))).toEqual([1, 2]);
    expect(ids(inv('EU'))).toEqual([2]);
  });

  it('applies the warehouse rule to every event that names a warehouse, after the partner rule', () => {
    expect(ids(shipment(null, 'WH'))).toEqual([1, 2]);
    expect(ids(shipment(null, 'EU'))).toEqual([2]);
    expect(ids(shipment('acme', 'EU'))).toEqual([]);
    expect(ids(shipment('acme', 'WH'))).toEqual([1]);
  });

  it('sends customer data only to the partners that know the customer, not to admins', () => {
    const c = (known: Record<string, string>) => ({ type: 'customer.updated', data: { external_ids: known } }) as unknown as EventEnvelope;
    expect(ids(c({ globex: 'C-9' }))).toEqual([2]);
    expect(ids(c({ globex: 'C-9', acme: 'A-1' }))).toEqual([1, 2]);
    expect(ids(c({}))).toEqual([]);
  });

  it('skips inactive, disabled and inactive-partner subscriptions, and types not subscribed', () => {
    const p = { type: 'product.updated', data: {} } as unknown as EventEnvelope;
    expect(ids(p)).toEqual([1]);
    expect(recipients([{ ...acme, active: false }], p)).toEqual([]);
  });
});
