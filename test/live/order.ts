/**
 * The order the live tests submit (through the API or straight to the addon): a US customer at one
 * address, card payment, one line of the demo's office lamp unless told otherwise. Each suite names
 * its buyer, so what it leaves in Odoo is recognisable.
 */
import type { z } from 'zod';
import type { Order } from '../../contracts/src/order.js';

/** An order as a partner writes it (defaults such as `discount_percent` may be left out). */
type OrderInput = z.input<typeof Order>;

export function liveOrder(o: { externalId: string; buyer: string; email: string } & Partial<Pick<OrderInput, 'currency' | 'lines' | 'payment' | 'warehouse'>>): OrderInput {
  const address = { name: o.buyer, street: '1839 Arbor Way', city: 'Turlock', zip: '95380', country_code: 'US' };
  return {
    external_id: o.externalId,
    channel: 'webshop',
    placed_at: new Date().toISOString(),
    currency: o.currency ?? 'USD',
    taxes_included: false,
    customer: { email: o.email, name: o.buyer },
    billing_address: address,
    shipping_address: { ...address },
    lines: o.lines ?? [{ sku: 'FURN_8888', quantity: 1, unit_price: '40.00' }],
    payment: o.payment ?? { method: 'card', status: 'paid' },
    ...(o.warehouse ? { warehouse: o.warehouse } : {}),
  };
}
