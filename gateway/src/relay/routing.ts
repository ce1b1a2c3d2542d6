/**
 * Which subscriptions receive an event: the rule of the addon's `_rg_event_targets`
 * (retail_gateway.partner), so that the deliveries the relay makes are the ones Odoo's sync status
 * waits for.
 *
 * - events that carry a partner (`data.partner`: orders, shipments, returns, invoices, intake
 *   outcomes) go to that partner only; when the partner is null (the record was made in Odoo, not
 *   through a channel) they go to every subscriber;
 * - `customer.updated` goes only to the partners that know the customer (`data.external_ids`);
 * - an event naming a warehouse (`data.warehouse`: `inventory.changed`, shipments, returns) goes
 *   only to partners allowed on that warehouse (an empty warehouse list allows all);
 * - everything else (`product.updated`) goes to every subscriber.
 *
 * Then the partner must be active and the subscription active, not disabled, and list the type.
 */
import type { EventEnvelope } from '../../../contracts/src/events.js';
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { SubscriptionEntry } from './directory.js';

export function partnerMayReceive(partner: PartnerRecord, envelope: Pick<EventEnvelope, 'type' | 'data'>): boolean {
  if (!partner.active) return false;
  const data = (envelope.data ?? {}) as Record<string, unknown>;
  if (envelope.type === 'customer.updated') {
    const known = (data.external_ids ?? {}) as Record<string, unknown>;
    if (!Object.hasOwn(known, partner.code)) return false;
  } else if (typeof data.partner === 'string' && data.partner !== partner.code) {
    return false;
  }
  const warehouse = data.warehouse;
  if (typeof warehouse === 'string' && warehouse !== '' && partner.warehouses.length > 0) {
    return partner.warehouses.includes(warehouse);
  }
  return true;
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
