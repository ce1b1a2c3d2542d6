/** account.move (customer invoices), account.move.line and account.payment, enough for `invoice.posted` and payments. */
import { userError } from '../exceptions.js';
import { registerEvent } from '../outbox.js';
import type { Env, ModelDef, Row } from '../orm.js';
import { G } from './base.js';

const accountAcl = { [G.invoice]: 'rwcd', [G.accountManager]: 'rwcd', [G.accountReadonly]: 'r', [G.user]: 'r' };
const round2 = (n: number) => Math.round(n * 100) / 100;

function moveLines(env: Env, moveId: number): Row[] {
  return [...env.store.table('account.move.line').values()].filter((l) => l.move_id === moveId);
}

export const accountMove: ModelDef = {
  name: 'account.move',
  description: 'Journal Entry',
  order: 'id desc',
  fields: {
    name: { type: 'char', string: 'Number', default: '/' },
    move_type: {
      type: 'selection',
      string: 'Type',
      required: true,
      default: 'entry',
      selection: [
        ['entry', 'Journal Entry'],
        ['out_invoice', 'Customer Invoice'],
        ['out_refund', 'Customer Credit Note'],
      ],
    },
    partner_id: { type: 'many2one', string: 'Partner', relation: 'res.partner' },
    state: { type: 'selection', string: 'Status', default: 'draft', selection: [['draft', 'Draft'], ['posted', 'Posted'], ['cancel', 'Cancelled']] },
    invoice_date: { type: 'date', string: 'Invoice/Bill Date' },
    invoice_origin: { type: 'char', string: 'Origin' },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', default: 1 },
    invoice_line_ids: { type: 'one2many', string: 'Invoice lines', relation: 'account.move.line', inverse: 'move_id' },
    amount_untaxed: { type: 'monetary', string: 'Untaxed Amount', compute: (row, env) => round2(moveLines(env, row.id).reduce((s, l) => s + Number(l.quantity) * Number(l.price_unit), 0)) },
    amount_tax: { type: 'monetary', string: 'Tax', compute: () => 0 },
    amount_total: { type: 'monetary', string: 'Total', compute: (row, env) => round2(moveLines(env, row.id).reduce((s, l) => s + Number(l.quantity) * Number(l.price_unit), 0)) },
    amount_paid: { type: 'monetary', string: 'Amount Paid', default: 0 },
    payment_state: {
      type: 'selection',
      string: 'Payment Status',
      default: 'not_paid',
      selection: [
        ['not_paid', 'Not Paid'],
        ['in_payment', 'In Payment'],
        ['paid', 'Paid'],
        ['partial', 'Partially Paid'],
        ['reversed', 'Reversed'],
      ],
    },
  },
  acl: accountAcl,
  methods: {
    action_post: {
      api: 'records',
      params: [],
      run: (env, ids) => {
        env.checkAccess('account.move', 'write');
        for (const move of env.existing('account.move', ids)) postMove(env, move);
        return false;
      },
    },
  },
};

export const accountMoveLine: ModelDef = {
  name: 'account.move.line',
  description: 'Journal Item',
  fields: {
    move_id: { type: 'many2one', string: 'Journal Entry', relation: 'account.move', required: true, ondelete: 'cascade' },
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product' },
    name: { type: 'char', string: 'Label' },
    quantity: { type: 'float', string: 'Quantity', default: 1 },
    price_unit: { type: 'float', string: 'Unit Price', default: 0 },
    sale_line_ids: { type: 'many2many', string: 'Sales Order Lines', relation: 'sale.order.line', default: [] },
  },
  acl: accountAcl,
};

export const accountPayment: ModelDef = {
  name: 'account.payment',
  description: 'Payments',
  fields: {
    name: { type: 'char', string: 'Number', default: '/' },
    payment_type: { type: 'selection', string: 'Payment Type', default: 'inbound', selection: [['outbound', 'Send'], ['inbound', 'Receive']] },
    partner_id: { type: 'many2one', string: 'Customer/Vendor', relation: 'res.partner' },
    amount: { type: 'monetary', string: 'Amount', default: 0 },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency' },
    date: { type: 'date', string: 'Date' },
    memo: { type: 'char', string: 'Memo' },
    state: { type: 'selection', string: 'Status', default: 'draft', selection: [['draft', 'Draft'], ['in_process', 'In Process'], ['paid', 'Paid'], ['canceled', 'Canceled']] },
    reconciled_invoice_ids: { type: 'many2many', string: 'Reconciled Invoices', relation: 'account.move', default: [] },
  },
  acl: accountAcl,
};

export function postMove(env: Env, move: Row): void {
  if (move.state === 'posted') throw userError('The entry is already posted.');
  const su = env.sudo();
  const vals: Record<string, unknown> = { state: 'posted' };
  if (!move.invoice_date) vals.invoice_date = env.ctx.now().toISOString().slice(0, 10);
  if (!move.name || move.name === '/') {
    const year = env.ctx.now().getUTCFullYear();
    const seq = ((env.ctx.bag.invoiceSequence as number | undefined) ?? 0) + 1;
    env.ctx.bag.invoiceSequence = seq;
    vals.name = `INV/${year}/${String(seq).padStart(5, '0')}`;
  }
  su.write('account.move', [move.id], vals);
  if (move.move_type === 'out_invoice') registerEvent(env, 'invoice.posted', 'account.move', move.id);
}

/** Invoices what was ordered on confirmed orders and posts the invoice. */
export function invoiceOrders(env: Env, orderIds: number[]): Row {
  const su = env.sudo();
  const orders = env.existing('sale.order', orderIds);
  const first = orders[0];
  if (!first) throw userError('There is nothing to invoice.');
  if (orders.some((o) => o.state !== 'sale')) throw userError('Only confirmed orders can be invoiced.');
  const lines = orders.flatMap((o) => su.searchRows('sale.order.line', [['order_id', '=', o.id]]));
  const [id] = su.create('account.move', [
    {
      move_type: 'out_invoice',
      partner_id: first.partner_invoice_id || first.partner_id,
      currency_id: first.currency_id,
      invoice_origin: orders.map((o) => o.name).join(', '),
      invoice_line_ids: lines.map((l) => [
        0,
        0,
        { product_id: l.product_id, name: l.name, quantity: l.product_uom_qty, price_unit: Number(l.price_unit) * (1 - Number(l.discount ?? 0) / 100), sale_line_ids: [[6, 0, [l.id]]] },
      ]),
    },
  ]);
  const move = env.row('account.move', id!)!;
  postMove(env, move);
  return env.row('account.move', id!)!;
}

/**
 * Pays the order's posted, unpaid customer invoices with `amount` (at most their residual), as the
 * payment wizard does; the payment, or undefined when there is nothing to pay.
 */
export function invoicesPaid(env: Env, order: Row, amount: number, memo: string, date: string): Row | undefined {
  const su = env.sudo();
  const invoices = (su.value('sale.order', order, 'invoice_ids') as number[])
    .map((id) => env.row('account.move', id)!)
    .filter((m) => m.state === 'posted' && m.move_type === 'out_invoice' && (m.payment_state === 'not_paid' || m.payment_state === 'partial'));
  if (!invoices.length) return undefined;
  const residual = invoices.reduce((s, m) => s + Number(su.value('account.move', m, 'amount_total')) - Number(m.amount_paid ?? 0), 0);
  const paid = Math.min(amount, residual);
  const seq = ((env.ctx.bag.paymentSequence as number | undefined) ?? 0) + 1;
  env.ctx.bag.paymentSequence = seq;
  const [id] = su.create('account.payment', [
    {
      name: `PBNK1/${date.slice(0, 4)}/${String(seq).padStart(5, '0')}`,
      payment_type: 'inbound',
      partner_id: order.partner_invoice_id || order.partner_id,
      amount: paid,
      currency_id: order.currency_id,
      date,
      memo,
      state: 'paid',
      reconciled_invoice_ids: [[6, 0, invoices.map((m) => m.id)]],
    },
  ]);
  let left = paid;
  for (const m of invoices) {
    const due = Number(su.value('account.move', m, 'amount_total')) - Number(m.amount_paid ?? 0);
    const take = Math.min(due, left);
    left -= take;
    const total = Number(m.amount_paid ?? 0) + take;
    su.write('account.move', [m.id], { amount_paid: total, payment_state: total >= Number(su.value('account.move', m, 'amount_total')) - 0.005 ? 'paid' : 'partial' });
  }
  return env.row('account.payment', id!)!;
}
