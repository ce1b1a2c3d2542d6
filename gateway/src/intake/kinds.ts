/**
 * What the intake queue accepts, kind by kind: the contract schema of the payload, the addon
 * method that drains it (with its argument and result types from the RPC contract), and the id
 * prefix the partner sees.
 */
import type { z } from 'zod';
import { Order, OrderCancellation, OrderUpdate, PaymentEvent } from '../../../contracts/src/order.js';
import { Return, ShipmentConfirmation, StockCount } from '../../../contracts/src/fulfilment.js';
import type { RpcArgs, RpcResult } from '../../../contracts/src/odoo-rpc.js';
import type { CallOptions, OdooClient } from '../odoo/client.js';

export const intakeKinds = ['order', 'return', 'cancel', 'payment', 'order_update', 'shipment', 'stock_count'] as const;
export type IntakeKind = (typeof intakeKinds)[number];

/** The addon's batch methods: one result per item, in input order. */
export type BatchMethod = 'submit_orders' | 'submit_returns' | 'cancel_orders' | 'register_payments' | 'update_orders' | 'confirm_shipments' | 'apply_stock_counts';
/** The batch a method takes: `{ intake_id, item }` per queued item. */
type Batch<M extends BatchMethod> = Exclude<RpcArgs<M>[Exclude<keyof RpcArgs<M>, 'partner'>], undefined>;
type BatchEntry<M extends BatchMethod> = Batch<M> extends readonly (infer E)[] ? E : never;
/** What every batch method answers. */
export type BatchResult = RpcResult<'submit_orders'>;

/** A queued item as the addon call needs it. */
export interface QueuedItem {
  id: string;
  /** The stored payload: the output of the kind's contract schema when it was accepted. */
  payload: unknown;
}

export interface KindSpec {
  schema: z.ZodType;
  method: BatchMethod;
  idPrefix: string;
  /** The order (channel external id) the item refers to, so it is never sent before that order. */
  orderRef(payload: Record<string, unknown>): string | null;
  /**
   * The SKUs whose stock the item changes in Odoo (an order reserves its lines, a count sets its
   * quants): two calls that share one update the same stock rows, and the second would fail with a
   * serialization conflict, so the drainer never has them in Odoo at once. Empty when unknown.
   */
  touches(payload: unknown): readonly string[];
  /** Sends a batch of one partner's items of this kind to the addon. */
  send(odoo: Pick<OdooClient, 'rpc'>, partner: string, items: readonly QueuedItem[], options?: CallOptions): Promise<BatchResult>;
}

function kind<M extends BatchMethod>(spec: {
  schema: z.ZodType<BatchEntry<M> extends { item: infer I } ? I : never>;
  method: M;
  idPrefix: string;
  orderRef: KindSpec['orderRef'];
  touches?: KindSpec['touches'];
  /** The call's arguments: the partner and the batch under the method's own argument name. */
  args(partner: string, batch: Batch<M>): RpcArgs<M>;
}): KindSpec {
  return {
    schema: spec.schema,
    method: spec.method,
    idPrefix: spec.idPrefix,
    orderRef: spec.orderRef,
    touches: spec.touches ?? (() => []),
    send: (odoo, partner, items, options) => {
      // Stored payloads were parsed by `spec.schema` when accepted: they are this kind's contract items.
      const batch = items.map((i) => ({ intake_id: i.id, item: i.payload })) as Batch<M>;
      return odoo.rpc(spec.method, spec.args(partner, batch), options);
    },
  };
}

const own = (p: Record<string, unknown>) => (typeof p.external_id === 'string' ? p.external_id : null);
const ofOrder = (p: Record<string, unknown>) => (typeof p.order_external_id === 'string' ? p.order_external_id : null);
/** The SKUs of a payload's `lines` (an order's, a stock count's). */
const lineSkus = (p: unknown): string[] => {
  const lines = (p as { lines?: unknown } | null)?.lines;
  return Array.isArray(lines) ? lines.map((l) => (l as { sku?: unknown }).sku).filter((s): s is string => typeof s === 'string') : [];
};

export const kindSpecs: Record<IntakeKind, KindSpec> = {
  order: kind({ schema: Order, method: 'submit_orders', idPrefix: 'ord', orderRef: own, touches: lineSkus, args: (partner, orders) => ({ partner, orders }) }),
  return: kind({ schema: Return, method: 'submit_returns', idPrefix: 'ret', orderRef: ofOrder, args: (partner, returns) => ({ partner, returns }) }),
  cancel: kind({ schema: OrderCancellation, method: 'cancel_orders', idPrefix: 'can', orderRef: own, args: (partner, refs) => ({ partner, refs }) }),
  payment: kind({ schema: PaymentEvent, method: 'register_payments', idPrefix: 'pay', orderRef: own, args: (partner, items) => ({ partner, items }) }),
  order_update: kind({ schema: OrderUpdate, method: 'update_orders', idPrefix: 'upd', orderRef: own, args: (partner, items) => ({ partner, items }) }),
  shipment: kind({ schema: ShipmentConfirmation, method: 'confirm_shipments', idPrefix: 'shp', orderRef: ofOrder, args: (partner, items) => ({ partner, items }) }),
  stock_count: kind({ schema: StockCount, method: 'apply_stock_counts', idPrefix: 'cnt', orderRef: () => null, touches: lineSkus, args: (partner, items) => ({ partner, items }) }),
};
