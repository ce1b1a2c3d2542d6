/**
 * Which subscriptions receive an event. Whom an event is for is the addon's decision, made when
 * the event was written (tenant and warehouse rules, `_rg_event_targets`) and handed over as the
 * claimed event's `recipients`; the gateway's own events (intake outcomes) are for the partner
 * that sent the item. The relay only picks, among those partners, the active ones and their
 * subscriptions that are active, not disabled, and list the event's type.
 */
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { SubscriptionEntry } from './directory.js';

export function subscriptionWants(subscription: SubscriptionEntry, type: string): boolean {
  return subscription.active && subscription.disabled_at === null && (subscription.event_types as readonly string[]).includes(type);
}

/** The subscriptions, with their partner, that an event of `type` for `recipients` goes to. */
export function deliveriesTo(partners: readonly PartnerRecord[], recipients: readonly string[], type: string): { partner: PartnerRecord; subscription: SubscriptionEntry }[] {
  const wanted = new Set(recipients);
  const out: { partner: PartnerRecord; subscription: SubscriptionEntry }[] = [];
  for (const partner of partners) {
    if (!partner.active || !wanted.has(partner.code)) continue;
    for (const subscription of partner.subscriptions) if (subscriptionWants(subscription, type)) out.push({ partner, subscription });
  }
  return out;
}
