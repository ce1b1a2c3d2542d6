import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../../contracts/src/events.js';
import { orderCreated, partner } from '../../../test/relay/support/fixtures.js';
import { recipients } from './routing.js';

const acme = partner('acme', [{ id: 1, url: 'https://acme.example/h', secrets: ['whsec_YQ=='], event_types: ['order.created', 'inventory.changed', 'customer.updated', 'product.updated'] }], { warehouses: ['WH'] });
const globex = partner('globex', [{ id: 2, url: 'https://globex.example/h', secrets: ['whsec_Yg=='], event_types: ['order.created', 'inventory.changed', 'customer.updated'] }]);
const admin = partner('ops', [{ id: 3, url: 'https://ops.example/h', secrets: ['whsec_Yw=='], event_types: ['order.created', 'customer.updated'] }], { scopes: ['admin'] });
const paused = partner('paused', [{ id: 4, url: 'https://p.example/h', secrets: ['whsec_ZA=='], event_types: ['product.updated'], active: false }, { id: 5, url: 'https://p.example/d', secrets: ['whsec_ZA=='], event_types: ['product.updated'], disabled: true }]);
const all = [acme, globex, admin, paused];
const ids = (e: Pick<EventEnvelope, 'type' | 'data'>) => recipients(all, e).map((r) => r.subscription.id);

describe('event routing', () => {
  it("sends a partner's order events to that partner only", () => {
    expect(ids(orderCreated(1, 'acme'))).toEqual([1]);
    expect(ids(orderCreated(1, 'globex'))).toEqual([2]);
  });

  it('sends orders made in Odoo itself to admin partners only', () => {
    const e = orderCreated(1, 'acme');
    expect(ids({ type: e.type, data: { ...e.data, partner: null } } as EventEnvelope)).toEqual([3]);
  });

  it('sends inventory to partners allowed on the warehouse', () => {
    const inv = (warehouse: string) => ({ type: 'inventory.changed', data: { sku: 'A', warehouse } }) as unknown as EventEnvelope;
    expect(ids(inv('WH'))).toEqual([1, 2]);
    expect(ids(inv('EU'))).toEqual([2]);
  });

  it('sends customer data to the partners that know the customer, and admins', () => {
    const c = { type: 'customer.updated', data: { external_ids: { globex: 'C-9' } } } as unknown as EventEnvelope;
    expect(ids(c)).toEqual([2, 3]);
  });

  it('skips inactive, disabled and inactive-partner subscriptions, and types not subscribed', () => {
    const p = { type: 'product.updated', data: {} } as unknown as EventEnvelope;
    expect(ids(p)).toEqual([1]);
    expect(recipients([{ ...acme, active: false }], p)).toEqual([]);
  });
});
