/**
 * stock.warehouse, stock.location, stock.quant, stock.picking, stock.move and delivery.carrier,
 * with the stock operations the gateway's flows need: reserve on confirmation, release on
 * cancellation, validate a picking with shipped quantities (a partial one leaves a backorder),
 * receive a return, set counted quantities.
 */
import { computeAvailable } from '../../../../../contracts/src/availability.js';
import { userError } from '../exceptions.js';
import { registerEvent, registerInventoryChanged } from '../outbox.js';
import { odooDatetime, type Env, type ModelDef, type Row } from '../orm.js';
import { G } from './base.js';

const stockAcl = { [G.stockUser]: 'rwcd', [G.user]: 'r', [G.stockManager]: 'rwcd' };

export const stockWarehouse: ModelDef = {
  name: 'stock.warehouse',
  description: 'Warehouse',
  fields: {
    name: { type: 'char', string: 'Warehouse', required: true },
    code: { type: 'char', string: 'Short Name', required: true },
    view_location_id: { type: 'many2one', string: 'View Location', relation: 'stock.location' },
    lot_stock_id: { type: 'many2one', string: 'Location Stock', relation: 'stock.location' },
    partner_id: { type: 'many2one', string: 'Address', relation: 'res.partner' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', default: 1 },
    active: { type: 'boolean', string: 'Active', default: true },
  },
  acl: { [G.user]: 'r', [G.stockManager]: 'rwcd' },
  unique: [{ name: 'warehouse_code_uniq', fields: ['code'], message: 'The short name of the warehouse must be unique per company!' }],
};

export const stockLocation: ModelDef = {
  name: 'stock.location',
  description: 'Inventory Locations',
  order: 'complete_name, id',
  fields: {
    name: { type: 'char', string: 'Location Name', required: true },
    complete_name: { type: 'char', string: 'Full Location Name' },
    location_id: { type: 'many2one', string: 'Parent Location', relation: 'stock.location' },
    usage: {
      type: 'selection',
      string: 'Location Type',
      required: true,
      default: 'internal',
      selection: [
        ['supplier', 'Vendor Location'],
        ['view', 'View'],
        ['internal', 'Internal Location'],
        ['customer', 'Customer Location'],
        ['inventory', 'Inventory Loss'],
        ['transit', 'Transit Location'],
      ],
    },
    warehouse_id: { type: 'many2one', string: 'Warehouse', relation: 'stock.warehouse' },
    active: { type: 'boolean', string: 'Active', default: true },
  },
  acl: { [G.user]: 'r', [G.stockManager]: 'rwcd' },
  displayName: (row) => String(row.complete_name || row.name),
};

export const stockQuant: ModelDef = {
  name: 'stock.quant',
  description: 'Quants',
  fields: {
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product', required: true, ondelete: 'restrict' },
    location_id: { type: 'many2one', string: 'Location', relation: 'stock.location', required: true },
    quantity: { type: 'float', string: 'Quantity', default: 0 },
    reserved_quantity: { type: 'float', string: 'Reserved Quantity', default: 0 },
    warehouse_id: {
      type: 'many2one',
      string: 'Warehouse',
      relation: 'stock.warehouse',
      compute: (row, env) => warehouseOfLocation(env, row.location_id as number) ?? false,
    },
    write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
  },
  acl: stockAcl,
  // Every change of on-hand or reserved quantity: one `inventory.changed` per product, warehouse and transaction.
  afterCreate: (rows, env) => rows.forEach((q) => registerInventoryChanged(env, q.product_id as number, q.location_id as number)),
  afterWrite: (rows, vals, _before, env) => {
    if ('quantity' in vals || 'reserved_quantity' in vals) rows.forEach((q) => registerInventoryChanged(env, q.product_id as number, q.location_id as number));
  },
};

export const deliveryCarrier: ModelDef = {
  name: 'delivery.carrier',
  description: 'Shipping Methods',
  fields: {
    name: { type: 'char', string: 'Delivery Method', required: true },
    product_id: { type: 'many2one', string: 'Delivery Product', relation: 'product.product', required: true },
    delivery_type: { type: 'selection', string: 'Provider', default: 'fixed', selection: [['fixed', 'Fixed Price'], ['base_on_rule', 'Based on Rules']] },
    active: { type: 'boolean', string: 'Active', default: true },
  },
  acl: { [G.user]: 'r', [G.portal]: 'r', [G.saleManager]: 'rwcd' },
};

const PICKING_STATES: Array<[string, string]> = [
  ['draft', 'Draft'],
  ['waiting', 'Waiting Another Operation'],
  ['confirmed', 'Waiting'],
  ['assigned', 'Ready'],
  ['done', 'Done'],
  ['cancel', 'Cancelled'],
];

export const stockMove: ModelDef = {
  name: 'stock.move',
  description: 'Stock Move',
  fields: {
    name: { type: 'char', string: 'Description' },
    picking_id: { type: 'many2one', string: 'Transfer', relation: 'stock.picking', ondelete: 'cascade' },
    product_id: { type: 'many2one', string: 'Product', relation: 'product.product', required: true },
    product_uom_qty: { type: 'float', string: 'Demand', default: 0 },
    quantity: { type: 'float', string: 'Quantity', default: 0 },
    location_id: { type: 'many2one', string: 'Source Location', relation: 'stock.location', required: true },
    location_dest_id: { type: 'many2one', string: 'Destination Location', relation: 'stock.location', required: true },
    state: {
      type: 'selection',
      string: 'Status',
      default: 'draft',
      selection: [
        ['draft', 'New'],
        ['confirmed', 'Waiting Availability'],
        ['partially_available', 'Partially Available'],
        ['assigned', 'Available'],
        ['done', 'Done'],
        ['cancel', 'Cancelled'],
      ],
    },
    sale_line_id: { type: 'many2one', string: 'Sale Line', relation: 'sale.order.line' },
    origin_returned_move_id: { type: 'many2one', string: 'Origin return move', relation: 'stock.move' },
  },
  acl: stockAcl,
};

export const stockPicking: ModelDef = {
  name: 'stock.picking',
  description: 'Transfer',
  order: 'id desc',
  fields: {
    name: { type: 'char', string: 'Reference', default: '/' },
    origin: { type: 'char', string: 'Source Document' },
    partner_id: { type: 'many2one', string: 'Contact', relation: 'res.partner' },
    picking_type_code: { type: 'selection', string: 'Type of Operation', selection: [['incoming', 'Receipt'], ['outgoing', 'Delivery'], ['internal', 'Internal Transfer']] },
    location_id: { type: 'many2one', string: 'Source Location', relation: 'stock.location', required: true },
    location_dest_id: { type: 'many2one', string: 'Destination Location', relation: 'stock.location', required: true },
    state: { type: 'selection', string: 'Status', default: 'draft', selection: PICKING_STATES },
    move_ids: { type: 'one2many', string: 'Stock Moves', relation: 'stock.move', inverse: 'picking_id' },
    sale_id: { type: 'many2one', string: 'Sales Order', relation: 'sale.order' },
    backorder_id: { type: 'many2one', string: 'Back Order of', relation: 'stock.picking' },
    backorder_ids: { type: 'one2many', string: 'Back Orders', relation: 'stock.picking', inverse: 'backorder_id' },
    return_id: { type: 'many2one', string: 'Return of', relation: 'stock.picking' },
    carrier_id: { type: 'many2one', string: 'Carrier', relation: 'delivery.carrier' },
    carrier_tracking_ref: { type: 'char', string: 'Tracking Reference' },
    scheduled_date: { type: 'datetime', string: 'Scheduled Date' },
    date_done: { type: 'datetime', string: 'Date of Transfer' },
    note: { type: 'html', string: 'Notes' },
    // The addon's: who sent the shipment or return, under which id, and what it reported.
    rg_partner_id: { type: 'many2one', string: 'Gateway Partner', relation: 'retail_gateway.partner' },
    rg_external_id: { type: 'char', string: 'Partner Reference' },
    rg_carrier_name: { type: 'char', string: 'Carrier (as reported)' },
    rg_shipped_at: { type: 'datetime', string: 'Shipped At (as reported)' },
    create_date: { type: 'datetime', string: 'Created on', readonly: true },
    write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
  },
  acl: stockAcl,
  methods: {
    action_assign: { api: 'records', params: [], run: (env, ids) => (env.existing('stock.picking', ids).forEach((p) => reservePicking(env, p)), true) },
    button_validate: {
      api: 'records',
      params: [],
      run: (env, ids) => {
        env.checkAccess('stock.picking', 'write');
        for (const p of env.existing('stock.picking', ids)) validatePicking(env, p);
        return true;
      },
    },
    action_cancel: { api: 'records', params: [], run: (env, ids) => (env.existing('stock.picking', ids).forEach((p) => cancelPicking(env, p)), true) },
  },
};

// ---- helpers ------------------------------------------------------------------------------------

export function warehouseOfLocation(env: Env, locationId: number): number | undefined {
  const loc = env.row('stock.location', locationId);
  return (loc?.warehouse_id as number | undefined) || undefined;
}

export function warehouseByCode(env: Env, code: string): Row | undefined {
  return [...env.store.table('stock.warehouse').values()].find((w) => w.code === code && w.active !== false);
}

export function defaultWarehouse(env: Env): Row {
  const wh = [...env.store.table('stock.warehouse').values()].filter((w) => w.active !== false).sort((a, b) => a.id - b.id)[0];
  if (!wh) throw userError('No warehouse is defined.');
  return wh;
}

function internalLocationsOf(env: Env, warehouseId: number): Set<number> {
  const out = new Set<number>();
  for (const l of env.store.table('stock.location').values()) if (l.warehouse_id === warehouseId && l.usage === 'internal') out.add(l.id);
  return out;
}

/** The contract's availability figures for one product in one warehouse. */
export function stockLevels(env: Env, product: Row, warehouse: Row): { on_hand: number; reserved: number; safety_stock: number; available: number } {
  const locs = internalLocationsOf(env, warehouse.id);
  let onHand = 0;
  let reserved = 0;
  for (const q of env.store.table('stock.quant').values()) {
    if (q.product_id !== product.id || !locs.has(q.location_id as number)) continue;
    onHand += Number(q.quantity);
    reserved += Number(q.reserved_quantity);
  }
  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  const safety = Math.max(0, Number(env.value('product.product', product, 'rg_safety_stock') ?? 0));
  return { on_hand: round(onHand), reserved: round(Math.max(0, reserved)), safety_stock: safety, available: round(computeAvailable(onHand, Math.max(0, reserved), safety)) };
}

function findQuant(env: Env, productId: number, locationId: number): Row | undefined {
  for (const q of env.store.table('stock.quant').values()) if (q.product_id === productId && q.location_id === locationId) return q;
  return undefined;
}

function quantAt(env: Env, productId: number, locationId: number): Row {
  const su = env.sudo();
  const found = findQuant(env, productId, locationId);
  if (found) return found;
  const [id] = su.create('stock.quant', [{ product_id: productId, location_id: locationId, quantity: 0, reserved_quantity: 0 }]);
  return env.row('stock.quant', id!)!;
}

/** Changes on-hand and reserved quantities of one quant (creating it when needed). */
export function adjustQuant(env: Env, productId: number, locationId: number, delta: { quantity?: number; reserved?: number }): void {
  const loc = env.row('stock.location', locationId);
  if (loc?.usage !== 'internal') return;
  const q = quantAt(env, productId, locationId);
  const vals: Record<string, number> = {};
  if (delta.quantity) vals.quantity = Number(q.quantity) + delta.quantity;
  if (delta.reserved) vals.reserved_quantity = Math.max(0, Number(q.reserved_quantity) + delta.reserved);
  if (Object.keys(vals).length) env.sudo().write('stock.quant', [q.id], vals);
}

const isStorable = (env: Env, productId: number) => {
  const p = env.row('product.product', productId);
  const t = p ? env.row('product.template', p.product_tmpl_id as number) : undefined;
  return !!t?.is_storable;
};

function movesOf(env: Env, picking: Row): Row[] {
  return env.sudo().searchRows('stock.move', [['picking_id', '=', picking.id]], { order: 'id' });
}

/** Reserves what is free in the source location for every open move; sets move and picking states. */
export function reservePicking(env: Env, picking: Row): void {
  const su = env.sudo();
  for (const m of movesOf(env, picking)) {
    if (m.state === 'done' || m.state === 'cancel') continue;
    const demand = Number(m.product_uom_qty);
    let reservedQty = Number(m.quantity);
    if (!isStorable(env, m.product_id as number) || env.row('stock.location', m.location_id as number)?.usage !== 'internal') {
      su.write('stock.move', [m.id], { quantity: demand, state: 'assigned' });
      continue;
    }
    if (reservedQty < demand) {
      // Reading what is free never creates a quant (nothing to reserve leaves stock untouched).
      const q = findQuant(env, m.product_id as number, m.location_id as number);
      const free = q ? Math.max(0, Number(q.quantity) - Number(q.reserved_quantity)) : 0;
      const take = Math.min(free, demand - reservedQty);
      if (take > 0) {
        adjustQuant(env, m.product_id as number, m.location_id as number, { reserved: take });
        reservedQty += take;
      }
    }
    su.write('stock.move', [m.id], { quantity: reservedQty, state: reservedQty >= demand ? 'assigned' : reservedQty > 0 ? 'partially_available' : 'confirmed' });
  }
  refreshPickingState(env, picking);
}

function refreshPickingState(env: Env, picking: Row): void {
  const moves = movesOf(env, picking).filter((m) => m.state !== 'cancel');
  let state: string;
  if (!moves.length) state = picking.state === 'done' ? 'done' : 'cancel';
  else if (moves.every((m) => m.state === 'done')) state = 'done';
  else if (moves.every((m) => m.state === 'assigned' || m.state === 'done')) state = 'assigned';
  else state = 'confirmed';
  if (picking.state !== state) env.sudo().write('stock.picking', [picking.id], { state });
}

function releaseMove(env: Env, m: Row): void {
  const reserved = Number(m.quantity);
  if (reserved > 0 && isStorable(env, m.product_id as number)) adjustQuant(env, m.product_id as number, m.location_id as number, { reserved: -reserved });
}

export function cancelPicking(env: Env, picking: Row): void {
  if (picking.state === 'done') throw userError('You cannot cancel a transfer that is done.');
  for (const m of movesOf(env, picking)) {
    if (m.state === 'done' || m.state === 'cancel') continue;
    releaseMove(env, m);
    env.sudo().write('stock.move', [m.id], { quantity: 0, state: 'cancel' });
  }
  env.sudo().write('stock.picking', [picking.id], { state: 'cancel' });
}

function nextPickingName(env: Env, warehouseId: number | undefined, code: 'OUT' | 'IN'): string {
  const wh = warehouseId ? env.row('stock.warehouse', warehouseId) : undefined;
  const prefix = `${String(wh?.code ?? 'WH')}/${code}/`;
  const seqs = (env.ctx.bag.pickingSequences ??= new Map<string, number>()) as Map<string, number>;
  const n = (seqs.get(prefix) ?? 0) + 1;
  seqs.set(prefix, n);
  return `${prefix}${String(n).padStart(5, '0')}`;
}

export interface PickingLine {
  productId: number;
  quantity: number;
  saleLineId?: number;
  originReturnedMoveId?: number;
}

export function createPicking(
  env: Env,
  spec: { code: 'outgoing' | 'incoming'; warehouse: Row; partnerId: number | false; origin: string; saleId?: number; returnOf?: number; backorderOf?: number; lines: PickingLine[]; extra?: Record<string, unknown> },
): Row {
  const su = env.sudo();
  const customers = [...env.store.table('stock.location').values()].find((l) => l.usage === 'customer')!;
  const stock = spec.warehouse.lot_stock_id as number;
  const [src, dest] = spec.code === 'outgoing' ? [stock, customers.id] : [customers.id, stock];
  const [id] = su.create('stock.picking', [
    {
      name: nextPickingName(env, spec.warehouse.id, spec.code === 'outgoing' ? 'OUT' : 'IN'),
      origin: spec.origin,
      partner_id: spec.partnerId,
      picking_type_code: spec.code,
      location_id: src,
      location_dest_id: dest,
      state: 'draft',
      sale_id: spec.saleId ?? false,
      return_id: spec.returnOf ?? false,
      backorder_id: spec.backorderOf ?? false,
      scheduled_date: odooDatetime(env.ctx.now()),
      ...spec.extra,
      move_ids: spec.lines.map((l) => [
        0,
        0,
        {
          name: env.displayName('product.product', env.row('product.product', l.productId)!),
          product_id: l.productId,
          product_uom_qty: l.quantity,
          location_id: src,
          location_dest_id: dest,
          state: 'confirmed',
          sale_line_id: l.saleLineId ?? false,
          origin_returned_move_id: l.originReturnedMoveId ?? false,
        },
      ]),
    },
  ]);
  const picking = env.row('stock.picking', id!)!;
  su.write('stock.picking', [picking.id], { state: 'confirmed' });
  reservePicking(env, picking);
  return picking;
}

/**
 * Validates a picking. `quantities` (product id → quantity) ships less than the demand: what is
 * left goes to a backorder. Without it, the whole demand is done.
 */
export function validatePicking(env: Env, picking: Row, quantities?: Map<number, number>, extra: Record<string, unknown> = {}): { backorder: Row | null } {
  const su = env.sudo();
  if (picking.state === 'done') throw userError('This transfer is already done.');
  if (picking.state === 'cancel') throw userError('You cannot validate a transfer that is cancelled.');
  const remaining = new Map(quantities ?? []);
  const rest: PickingLine[] = [];
  for (const m of movesOf(env, picking)) {
    if (m.state === 'done' || m.state === 'cancel') continue;
    const demand = Number(m.product_uom_qty);
    let done = demand;
    if (quantities) {
      const left = remaining.get(m.product_id as number) ?? 0;
      done = Math.min(demand, left);
      remaining.set(m.product_id as number, left - done);
    }
    releaseMove(env, m);
    if (done <= 0) {
      su.write('stock.move', [m.id], { quantity: 0, state: 'cancel' });
      rest.push({ productId: m.product_id as number, quantity: demand, saleLineId: (m.sale_line_id as number) || undefined });
      continue;
    }
    if (isStorable(env, m.product_id as number)) {
      adjustQuant(env, m.product_id as number, m.location_id as number, { quantity: -done });
      adjustQuant(env, m.product_id as number, m.location_dest_id as number, { quantity: done });
    }
    su.write('stock.move', [m.id], { product_uom_qty: done, quantity: done, state: 'done' });
    if (done < demand) rest.push({ productId: m.product_id as number, quantity: demand - done, saleLineId: (m.sale_line_id as number) || undefined });
  }
  su.write('stock.picking', [picking.id], { state: 'done', date_done: odooDatetime(env.ctx.now()), ...extra });
  let backorder: Row | null = null;
  if (rest.length) {
    const loc = picking.picking_type_code === 'incoming' ? picking.location_dest_id : picking.location_id;
    const warehouse = env.row('stock.warehouse', warehouseOfLocation(env, loc as number)!)!;
    backorder = createPicking(env, {
      code: picking.picking_type_code as 'outgoing' | 'incoming',
      warehouse,
      partnerId: picking.partner_id as number,
      origin: String(picking.origin || picking.name),
      saleId: (picking.sale_id as number) || undefined,
      returnOf: (picking.return_id as number) || undefined,
      backorderOf: picking.id,
      lines: rest,
      extra: { carrier_id: picking.carrier_id || false },
    });
  }
  if (picking.picking_type_code === 'outgoing') registerEvent(env, 'shipment.shipped', 'stock.picking', picking.id);
  else if (picking.picking_type_code === 'incoming' && env.row('stock.picking', picking.return_id as number)?.picking_type_code === 'outgoing') {
    registerEvent(env, 'return.received', 'stock.picking', picking.id);
  }
  return { backorder };
}

/** Sets the counted quantity of a product in a warehouse's stock location (an applied inventory adjustment). */
export function setCountedQuantity(env: Env, productId: number, warehouse: Row, counted: number): void {
  const q = quantAt(env, productId, warehouse.lot_stock_id as number);
  const delta = counted - Number(q.quantity);
  if (delta !== 0) adjustQuant(env, productId, warehouse.lot_stock_id as number, { quantity: delta });
}
