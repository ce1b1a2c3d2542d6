/**
 * An order's journey as `GET /v1/orders/{id}` tells it: the intake item (accepted, created,
 * rejected), then Odoo's sale order for amounts, fulfilment and invoicing, and the later items that
 * refer to it (cancellation, payments).
 */
import type { Order, OrderStatus } from '../../../contracts/src/order.js';
import type { OdooClient } from '../odoo/client.js';
import type { IntakeItem, IntakeQueue } from './queue.js';

interface SaleOrderRow {
  id: number;
  name: string;
  state: string;
  amount_total: number;
  invoice_status?: string | false;
  /** Outgoing pickings' states (read separately: `delivery_status` needs sale_stock). */
  pickingStates: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

function fulfilmentOf(pickingStates: readonly string[] | undefined): OrderStatus['fulfilment'] {
  const live = (pickingStates ?? []).filter((s) => s !== 'cancel');
  const done = live.filter((s) => s === 'done').length;
  if (done === 0) return 'unfulfilled';
  return done === live.length ? 'shipped' : 'partially_shipped';
}

function invoicingOf(status: string | false | undefined): OrderStatus['invoicing'] {
  if (status === 'invoiced') return 'invoiced';
  if (status === 'to invoice') return 'to_invoice';
  return 'not_invoiced';
}

/** Reads the Odoo sale order of a created item; null when Odoo cannot be asked right now. */
async function readSaleOrder(odoo: OdooClient, id: number, requestId: string): Promise<SaleOrderRow | null> {
  try {
    const [rows, pickings] = await Promise.all([
      odoo.call<Omit<SaleOrderRow, 'pickingStates'>[]>(
        'sale.order',
        'read',
        { ids: [id], kwargs: { fields: ['name', 'state', 'amount_total', 'invoice_status'] } },
        { requestId, timeoutMs: 5_000 },
      ),
      odoo.call<{ id: number; state: string }[]>(
        'stock.picking',
        'search_read',
        { kwargs: { domain: [['sale_id', '=', id], ['picking_type_code', '=', 'outgoing']], fields: ['state'] } },
        { requestId, timeoutMs: 5_000 },
      ),
    ]);
    return rows[0] ? { ...rows[0], pickingStates: pickings.map((p) => p.state) } : null;
  } catch {
    return null;
  }
}

export async function orderStatus(item: IntakeItem, deps: { queue: IntakeQueue; odoo: OdooClient; requestId: string }): Promise<OrderStatus> {
  const order = item.payload as Order;
  const related = await deps.queue.findByOrderRef(item.partner, item.externalId);
  const cancelled = related.some((r) => r.kind === 'cancel' && r.status === 'completed' && (r.outcome === 'cancelled' || r.outcome === 'duplicate'));
  const payments = related.filter((r) => r.kind === 'payment' && r.status === 'completed');
  const lastPayment = payments[payments.length - 1]?.payload as { kind?: string } | undefined;
  let state: OrderStatus['state'] = 'accepted';
  if (item.status === 'completed') state = 'created';
  else if (item.status === 'rejected') state = 'rejected';
  if (cancelled) state = 'cancelled';

  const so = item.status === 'completed' && item.odoo ? await readSaleOrder(deps.odoo, item.odoo.id, deps.requestId) : null;
  if (so?.state === 'cancel') state = 'cancelled';
  const updatedAt = Math.max(item.updatedAt, ...related.map((r) => r.updatedAt));
  return {
    id: item.id,
    external_id: item.externalId,
    channel: order.channel,
    state,
    odoo: item.odoo ? { id: item.odoo.id, name: so?.name ?? item.odoo.name } : null,
    fulfilment: fulfilmentOf(so?.pickingStates),
    payment: lastPayment?.kind === 'refunded' ? 'refunded' : lastPayment?.kind === 'paid' ? 'paid' : order.payment.status,
    invoicing: invoicingOf(so?.invoice_status),
    amount_total: so ? so.amount_total.toFixed(2) : null,
    currency: order.currency,
    reasons: item.reasons,
    accepted_at: iso(item.acceptedAt),
    updated_at: iso(updatedAt),
  };
}
