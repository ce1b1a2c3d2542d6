/**
 * The per-line quantity ceiling at the edge: an API order whose line asks for more than the
 * partner's `max_line_quantity` (the partner registry, contracts/src/partner.ts; 10,000 when the
 * record does not say) is refused with 422 `quantity_limit` before anything is queued. The addon
 * enforces the same ceiling from the same field (rejection `quantity_limit`), so an order that
 * reaches Odoo another way (an inbound webhook, a direct RPC call) cannot go past it either.
 */
import { DEFAULT_MAX_LINE_QUANTITY } from '../../../contracts/src/partner.js';
import { ApiError } from '../errors.js';
import type { Services } from '../services.js';

/** The largest quantity one order line of `partner` may ask for. */
export function maxLineQuantity(services: Pick<Services, 'auth'>, partner: string): number {
  return services.auth.partners.get(partner)?.max_line_quantity ?? DEFAULT_MAX_LINE_QUANTITY;
}

/** Throws 422 `quantity_limit` naming every line above the ceiling of `partner`. */
export function assertLineQuantitiesOf(services: Pick<Services, 'auth'>, partner: string, lines: readonly { quantity: number }[]): void {
  const max = maxLineQuantity(services, partner);
  const over = lines.flatMap((line, index) => (line.quantity > max ? [{ path: `lines/${index}/quantity`, code: 'quantity_limit', message: `must be at most ${max}` }] : []));
  if (over.length === 0) return;
  const first = over[0]!.path;
  throw new ApiError('quantity_limit', `A line asks for more than ${max} units (${first}${over.length > 1 ? ` and ${over.length - 1} more` : ''}); split the order or ask for a higher limit.`, over);
}
