/**
 * Which subscriptions receive an event. Tenant isolation first:
 *
 * - events that name a partner (`data.partner`: orders, shipments, returns, invoices, intake
 *   outcomes) go to that partner only; when the partner is null (the record was made in Odoo, not
 *   through a channel) they go to partners holding the `admin` scope;
 * - `customer.updated` goes to the partners that know the customer (`data.external_ids`) and to
 *   `admin` partners;
 * - `product.updated` and `inventory.changed` go to every partner; `inventory.changed` only to
 *   partners allowed on its warehouse (an empty warehouse list allows all).
 *
 * Then the subscription must be active, not disabled, and list the event's type.
 */
import type { EventEnvelope } from '../../../contracts/src/events.js';
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { SubscriptionEntry } from './directory.js';

export function partnerMayReceive(partner: PartnerRecord, envelope: Pick<EventEnvelope, 'type' | 'data'>): boolean {
  if (!partner.active) return false;
  const isAdmin = partner.scopes.includes('admin');
  const data = envelope.data as Record<string, unknown>;
  if (envelope.type === 'customer.updated') {
    const ids = (data.external_ids ?? {}) as Record<string, unknown>;
    return isAdmin || Object.hasOwn(ids, partner.code);
  }
  if (envelope.type === 'inventory.changed') {
    return partner.warehouses.length === 0 || partner.warehouses.includes(String(data.warehouse));
  }
  if (envelope.type === 'product.updated') return true;
  if ('partner' in data) {
    const owner = data.partner;
    return owner === null || owner === undefined ? isAdmin : owner === partner.code;
  }
  return isAdmin;
}

export function subscriptionWants(subscription: SubscriptionEntry, type: string): boolean {
  return subscription.active && subscription.disabled_at === null && (subscription.event_types as readonly string[]).includes(type);
}

/** The subscriptions, with their partner, that an event goes to. */
export function recipients(partners: readonly PartnerRecord[], envelope: Pick<EventEnvelope, 'type' | 'data'>): { partner: PartnerRecord; subscription: SubscriptionEntry }[] {
  const out: { partner: PartnerRecord; subscription: SubscriptionEntry }[] = [];
  for (const partner of partners) {
    if (!partnerMayReceive(partner, envelope)) continue;
    for (const subscription of partner.subscriptions) if (subscriptionWants(subscription, envelope.type)) out.push({ partner, subscription });
  }
  return out;
}
