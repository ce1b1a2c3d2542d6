/** sale.order and sale.order.line, with confirmation (delivery + reservation) and cancellation. */
import { userError } from '../exceptions.js';
import { ordersOfInvoice, registerEvent } from '../outbox.js';
import { odooDatetime, type Env, type ModelDef, type Row } from '../orm.js';
import { G } from './base.js';
import { cancelPicking, createPicking, defaultWarehouse } from './stock.js';

const saleAcl = { [G.saleUser]: 'rwcd', [G.saleManager]: 'rwcd', [G.user]: 'r', [G.portal]: 'r' };

const round2 = (n: number) => Math.round(n * 100) / 100;

function linesOf(env: Env, orderId: number): Row[] {
  return env.sudo().searchRows('sale.order.line', [['order_id', '=', orderId]], { order: 'sequence, id' });
}

function invoicesOf(env: Env, orderId: number): Row[] {
  return [...env.store.table('account.move').values()].filter((m) => ordersOfInvoice(env, m).some((o) => o.id === orderId));
}

const lineSubtotal = (l: Row) => round2(Number(l.product_uom_qty) * Number(l.price_unit) * (1 - Number(l.discount ?? 0) / 100));

export const saleOrder: ModelDef = {
  name: 'sale.order',
  description: 'Sales Order',
  order: 'date_order desc, id desc',
  fields: {
    name: { type: 'char', string: 'Order Reference', required: true, default: 'New' },
    partner_id: { type: 'many2one', string: 'Customer', relation: 'res.partner', required: true },
    partner_invoice_id: { type: 'many2one', string: 'Invoice Address', relation: 'res.partner' },
    partner_shipping_id: { type: 'many2one', string: 'Delivery Address', relation: 'res.partner' },
    date_order: { type: 'datetime', string: 'Order Date', default: (env: Env) => odooDatetime(env.ctx.now()) },
    state: {
      type: 'selection',
      string: 'Status',
      default: 'draft',
      selection: [
        ['draft', 'Quotation'],
        ['sent', 'Quotation Sent'],
        ['sale', 'Sales Order'],
        ['cancel', 'Cancelled'],
      ],
    },
    locked: { type: 'boolean', string: 'Locked', default: false },
    order_line: { type: 'one2many', string: 'Order Lines', relation: 'sale.order.line', inverse: 'order_id' },
    pricelist_id: { type: 'many2one', string: 'Pricelist', relation: 'product.pricelist' },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', default: 1 },
    warehouse_id: { type: 'many2one', string: 'Warehouse', relation: 'stock.warehouse' },
    carrier_id: { type: 'many2one', string: 'Delivery Method', relation: 'delivery.carrier' },
    client_order_ref: { type: 'char', string: 'Customer Reference' },
    note: { type: 'html', string: 'Terms and conditions' },
    amount_untaxed: { type: 'monetary', string: 'Untaxed Amount', compute: (row, env) => round2(linesOf(env, row.id).reduce((s, l) => s + lineSubtotal(l), 0)) },
    amount_tax: { type: 'monetary', string: 'Taxes', compute: () => 0 },
    amount_total: { type: 'monetary', string: 'Total', compute: (row, env) => round2(linesOf(env, row.id).reduce((s, l) => s + lineSubtotal(l), 0)) },
    picking_ids: {
      type: 'many2many',
      string: 'Transfers',
      relation: 'stock.picking',
      compute: (row, env) => [...env.store.table('stock.picking').values()].filter((p) => p.sale_id === row.id).map((p) => p.id),
    },
    invoice_ids: {
      type: 'many2many',
      string: 'Invoices',
      relation: 'account.move',
      compute: (row, env) => invoicesOf(env, row.id).map((m) => m.id),
    },
    invoice_status: {
      type: 'selection',
      string: 'Invoice Status',
      selection: [
        ['upselling', 'Upselling Opportunity'],
        ['invoiced', 'Fully Invoiced'],
        ['to invoice', 'To Invoice'],
        ['no', 'Nothing to Invoice'],
      ],
      compute: (row, env) => {
        if (row.state !== 'sale') return 'no';
        const posted = invoicesOf(env, row.id).some((m) => m.state === 'posted');
        return posted ? 'invoiced' : 'to invoice';
      },
    },
    create_date: { type: 'datetime', string: 'Creation Date', readonly: true },
    write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
    origin: { type: 'char', string: 'Source Document' },
    // The addon's: where the order came from and how it is paid.
    rg_partner_id: { type: 'many2one', string: 'Gateway Partner', relation: 'retail_gateway.partner' },
    rg_external_id: { type: 'char', string: 'Channel Order ID' },
    rg_channel: { type: 'char', string: 'Channel' },
    rg_intake_ref: { type: 'char', string: 'Gateway Intake ID' },
    rg_placed_at: { type: 'datetime', string: 'Placed At' },
    rg_payment_method: { type: 'char', string: 'Payment Method' },
    rg_payment_provider: { type: 'char', string: 'Payment Provider' },
    rg_payment_transaction: { type: 'char', string: 'Payment Transaction' },
    rg_payment_status: {
      type: 'selection',
      string: 'Payment Status',
      selection: [
        ['pending', 'Pending'],
        ['authorized', 'Authorized'],
        ['paid', 'Paid'],
        ['partially_refunded', 'Partially Refunded'],
        ['refunded', 'Refunded'],
        ['failed', 'Failed'],
      ],
    },
  },
  acl: saleAcl,
  beforeCreate: (vals, env) => {
    if (!vals.name || vals.name === 'New') {
      const seq = ((env.ctx.bag.saleSequence as number | undefined) ?? 0) + 1;
      env.ctx.bag.saleSequence = seq;
      vals.name = `S${String(seq).padStart(5, '0')}`;
    }
    if (!vals.pricelist_id) vals.pricelist_id = 1;
    if (!vals.currency_id) {
      const pl = env.row('product.pricelist', vals.pricelist_id as number);
      vals.currency_id = pl?.currency_id ?? 1;
    }
    if (!vals.warehouse_id) vals.warehouse_id = defaultWarehouse(env).id;
    if (vals.partner_id && !vals.partner_invoice_id) vals.partner_invoice_id = vals.partner_id;
    if (vals.partner_id && !vals.partner_shipping_id) vals.partner_shipping_id = vals.partner_id;
    return vals;
  },
  beforeUnlink: (rows) => {
    if (rows.some((r) => r.state !== 'draft' && r.state !== 'cancel')) {
      throw userError('You can not delete a sent quotation or a confirmed sales order. You must first cancel it.');
    }
  },
  methods: {
    action_confirm: { api: 'records', params: [], run: (env, ids) => (confirmOrders(env, ids), true) },
    action_cancel: { api: 'records', params: [], run: (env, ids) => (cancelOrders(env, ids), true) },
  },
};

export const saleOrderLine: ModelDef = {
  name: 'sale.order.line',
  description: 'Sales Order Line',
  order: 'order_id, sequence, id',
  fields: {
    order_id: { type: 'many2one', string: 'Order Reference', relation: 'sale.order', required: true, ondelete: 'cascade' },
    sequence: { type: 'integer', string: 'Sequence', default: 10 },
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product' },
    name: { type: 'text', string: 'Description', required: true },
    product_uom_qty: { type: 'float', string: 'Quantity', default: 1 },
    price_unit: { type: 'float', string: 'Unit Price', default: 0 },
    discount: { type: 'float', string: 'Discount (%)', default: 0 },
    price_subtotal: { type: 'monetary', string: 'Subtotal', compute: (row) => lineSubtotal(row) },
    price_total: { type: 'monetary', string: 'Total', compute: (row) => lineSubtotal(row) },
    qty_delivered: {
      type: 'float',
      string: 'Delivery Quantity',
      compute: (row, env) => {
        let qty = 0;
        for (const m of env.store.table('stock.move').values()) {
          if (m.sale_line_id !== row.id || m.state !== 'done') continue;
          const p = env.row('stock.picking', m.picking_id as number);
          qty += p?.picking_type_code === 'incoming' ? -Number(m.quantity) : Number(m.quantity);
        }
        return qty;
      },
    },
    is_delivery: { type: 'boolean', string: 'Is a Delivery', default: false },
    state: { type: 'selection', string: 'Order Status', related: 'order_id.state', selection: saleOrder.fields.state!.selection },
  },
  acl: saleAcl,
  beforeCreate: (vals, env) => {
    const product = vals.product_id ? env.row('product.product', vals.product_id as number) : undefined;
    if (product) {
      if (!vals.name) vals.name = env.displayName('product.product', product);
      if (vals.price_unit === undefined) vals.price_unit = env.row('product.template', product.product_tmpl_id as number)?.list_price ?? 0;
    }
    return vals;
  },
};

/** Confirms quotations: one delivery per order with its goods, stock reserved, `order.created` written. */
export function confirmOrders(env: Env, ids: number[]): void {
  env.checkAccess('sale.order', 'write');
  const su = env.sudo();
  const orders = env.existing('sale.order', ids);
  if (orders.some((o) => o.state !== 'draft' && o.state !== 'sent')) {
    throw userError('Some orders are not in a state requiring confirmation.');
  }
  for (const order of orders) {
    su.write('sale.order', [order.id], { state: 'sale', date_order: odooDatetime(env.ctx.now()) });
    const goods = linesOf(env, order.id).filter((l) => {
      if (l.is_delivery || !l.product_id) return false;
      const p = env.row('product.product', l.product_id as number)!;
      return env.row('product.template', p.product_tmpl_id as number)?.type === 'consu';
    });
    if (goods.length) {
      createPicking(env, {
        code: 'outgoing',
        warehouse: env.row('stock.warehouse', order.warehouse_id as number) ?? defaultWarehouse(env),
        partnerId: (order.partner_shipping_id as number) || (order.partner_id as number),
        origin: String(order.name),
        saleId: order.id,
        lines: goods.map((l) => ({ productId: l.product_id as number, quantity: Number(l.product_uom_qty), saleLineId: l.id })),
        extra: { carrier_id: order.carrier_id || false },
      });
    }
    const customer = env.row('res.partner', order.partner_id as number);
    if (customer) su.write('res.partner', [customer.id], { customer_rank: Number(customer.customer_rank ?? 0) + 1 });
    registerEvent(env, 'order.created', 'sale.order', order.id);
  }
}

/** Cancels orders: open deliveries cancelled, reservations released, `order.cancelled` written. */
export function cancelOrders(env: Env, ids: number[]): void {
  env.checkAccess('sale.order', 'write');
  const su = env.sudo();
  const orders = env.existing('sale.order', ids);
  if (orders.some((o) => o.locked)) throw userError('You cannot cancel a locked order. Please unlock it first.');
  for (const order of orders) {
    if (order.state === 'cancel') continue;
    for (const p of su.searchRows('stock.picking', [['sale_id', '=', order.id], ['state', 'not in', ['done', 'cancel']]])) cancelPicking(env, p);
    const wasConfirmed = order.state === 'sale';
    su.write('sale.order', [order.id], { state: 'cancel' });
    if (wasConfirmed) registerEvent(env, 'order.cancelled', 'sale.order', order.id);
  }
}
