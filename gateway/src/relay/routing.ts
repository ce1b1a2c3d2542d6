/**
 * Which subscriptions receive an event: the rule of the addon's `_rg_event_targets`
 * (retail_gateway.partner), so that the deliveries the relay makes are the ones Odoo's sync status
 * waits for. A partner only ever receives its own tenant data:
 *
 * - catalog and stock (`product.updated`, `inventory.changed`) go to every subscriber;
 * - `customer.updated` goes to the partners that know the customer (`data.external_ids`) and to
 *   partners holding the `admin` scope;
 * - every other event (orders, shipments, returns, invoices, intake outcomes, and any type added
 *   later) is tenant data: it goes to the partner named in `data.partner` only; when that is null
 *   (the record was made in Odoo itself, not through a channel) it goes only to partners holding
 *   the `admin` scope (internal consumers such as a data warehouse), never to channels or 3PLs;
 * - then an event naming a warehouse (`data.warehouse`: `inventory.changed`, shipments, returns)
 *   goes only to partners allowed on that warehouse (an empty warehouse list allows all).
 *
 * Being allowed on a warehouse never makes a partner a recipient of another partner's (or the
 * back office's) shipments and returns: the warehouse rule only narrows.
 *
 * Then the partner must be active and the subscription active, not disabled, and list the type.
 */
import type { EventEnvelope } from '../../../contracts/src/events.js';
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { SubscriptionEntry } from './directory.js';

/** Event types every subscriber may receive: they carry no tenant's data. */
export const CATALOG_EVENT_TYPES: ReadonlySet<string> = new Set(['product.updated', 'inventory.changed']);

const isAdmin = (partner: PartnerRecord): boolean => (partner.scopes as readonly string[]).includes('admin');

export function partnerMayReceive(partner: PartnerRecord, envelope: Pick<EventEnvelope, 'type' | 'data'>): boolean {
  if (!partner.active) return false;
  const data = (envelope.data ?? {}) as Record<string, unknown>;
  if (envelope.type === 'customer.updated') {
    const known = (data.external_ids ?? {}) as Record<string, unknown>;
    if (!Object.hasOwn(known, partner.code) && !isAdmin(partner)) return false;
  } else if (!CATALOG_EVENT_TYPES.has(envelope.type)) {
    const owner = typeof data.partner === 'string' && data.partner !== '' ? data.partner : null;
    if (owner === null ? !isAdmin(partner) : owner !== partner.code) return false;
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
