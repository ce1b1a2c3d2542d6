/**
 * What the intake queue accepts, kind by kind: the contract schema of the payload, the addon
 * method that drains it, the argument that carries the batch, and the id prefix the partner sees.
 */
import type { z } from 'zod';
import { Order, OrderCancellation, OrderUpdate, PaymentEvent } from '../../../contracts/src/order.js';
import { Return, ShipmentConfirmation, StockCount } from '../../../contracts/src/fulfilment.js';
import type { RpcMethod } from '../../../contracts/src/odoo-rpc.js';

export const intakeKinds = ['order', 'return', 'cancel', 'payment', 'order_update', 'shipment', 'stock_count'] as const;
export type IntakeKind = (typeof intakeKinds)[number];

export interface KindSpec {
  schema: z.ZodType;
  method: RpcMethod;
  /** The kwarg of `method` that holds the batch. */
  batchArg: 'orders' | 'returns' | 'refs' | 'items';
  idPrefix: string;
  /** The order (channel external id) the item refers to, so it is never sent before that order. */
  orderRef(payload: Record<string, unknown>): string | null;
}

const own = (p: Record<string, unknown>) => (typeof p.external_id === 'string' ? p.external_id : null);
const ofOrder = (p: Record<string, unknown>) => (typeof p.order_external_id === 'string' ? p.order_external_id : null);

export const kindSpecs: Record<IntakeKind, KindSpec> = {
  order: { schema: Order, method: 'submit_orders', batchArg: 'orders', idPrefix: 'ord', orderRef: own },
  return: { schema: Return, method: 'submit_returns', batchArg: 'returns', idPrefix: 'ret', orderRef: ofOrder },
  cancel: { schema: OrderCancellation, method: 'cancel_orders', batchArg: 'refs', idPrefix: 'can', orderRef: own },
  payment: { schema: PaymentEvent, method: 'register_payments', batchArg: 'items', idPrefix: 'pay', orderRef: own },
  order_update: { schema: OrderUpdate, method: 'update_orders', batchArg: 'items', idPrefix: 'upd', orderRef: own },
  shipment: { schema: ShipmentConfirmation, method: 'confirm_shipments', batchArg: 'items', idPrefix: 'shp', orderRef: ofOrder },
  stock_count: { schema: StockCount, method: 'apply_stock_counts', batchArg: 'items', idPrefix: 'cnt', orderRef: () => null },
};

/** The kind an intake id belongs to, from its prefix (null for a malformed id). */
export function kindOfId(id: string): IntakeKind | null {
  const prefix = id.split('_', 1)[0];
  return (Object.keys(kindSpecs) as IntakeKind[]).find((k) => kindSpecs[k].idPrefix === prefix) ?? null;
}
