/**
 * An order's journey as `GET /v1/orders/{id}` tells it: the intake item (accepted, created,
 * rejected), then Odoo's sale order for amounts, fulfilment and invoicing, and the later items that
 * refer to it (cancellation, payments).
 */
import type { Order, OrderStatus } from '../../../contracts/src/order.js';
import type { RpcResult } from '../../../contracts/src/odoo-rpc.js';
import type { OdooClient } from '../odoo/client.js';
import type { IntakeItem, IntakeQueue } from './queue.js';

type OdooOrder = RpcResult<'order_status'>['orders'][number];

const iso = (ms: number) => new Date(ms).toISOString();

/** The addon's view of a created order (amounts, fulfilment, invoicing); null when Odoo cannot be asked right now. */
async function readOdooOrder(odoo: Pick<OdooClient, 'rpc'>, item: IntakeItem, requestId: string): Promise<OdooOrder | null> {
  try {
    const { orders } = await odoo.rpc('order_status', { partner: item.partner, external_ids: [item.externalId] }, { requestId, timeoutMs: 5_000 });
    return orders.find((o) => o.external_id === item.externalId) ?? null;
  } catch {
    return null;
  }
}

/**
 * Odoo's payment status: Odoo compares the payments with the order total it computed. Before the
 * order exists in Odoo, or when Odoo cannot be asked, the status the channel submitted — except a
 * `paid` that came with an amount, which reads `pending`: whether the amount covers the total is
 * Odoo's to say (the gateway does not compute Odoo's money).
 */
function paymentOf(order: Order, so: OdooOrder | null): OrderStatus['payment'] {
  if (so?.payment) return so.payment;
  if (order.payment.status === 'paid' && order.payment.amount !== undefined) return 'pending';
  return order.payment.status;
}

export async function orderStatus(item: IntakeItem, deps: { queue: IntakeQueue; odoo: Pick<OdooClient, 'rpc'>; requestId: string }): Promise<OrderStatus> {
  const order = item.payload as Order;
  const related = await deps.queue.findByOrderRef(item.partner, item.externalId);
  const cancelled = related.some((r) => r.kind === 'cancel' && r.status === 'completed' && (r.outcome === 'cancelled' || r.outcome === 'duplicate'));
  let state: OrderStatus['state'] = 'accepted';
  if (item.status === 'completed') state = 'created';
  else if (item.status === 'rejected') state = 'rejected';
  if (cancelled) state = 'cancelled';

  const so = item.status === 'completed' && item.odoo ? await readOdooOrder(deps.odoo, item, deps.requestId) : null;
  if (so?.state === 'cancelled') state = 'cancelled';
  const updatedAt = Math.max(item.updatedAt, ...related.map((r) => r.updatedAt));
  return {
    id: item.id,
    external_id: item.externalId,
    channel: order.channel,
    state,
    odoo: item.odoo ? { id: item.odoo.id, name: so?.order.name ?? item.odoo.name } : null,
    fulfilment: so?.fulfilment ?? 'unfulfilled',
    payment: paymentOf(order, so),
    invoicing: so?.invoicing ?? 'not_invoiced',
    amount_total: so?.amount_total ?? null,
    currency: so?.currency ?? order.currency,
    reasons: item.reasons,
    accepted_at: iso(item.acceptedAt),
    updated_at: iso(updatedAt),
  };
}
