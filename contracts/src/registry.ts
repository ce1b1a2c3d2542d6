/**
 * The schemas published as JSON Schema files (contracts/json-schema/) and checked against the
 * golden examples (contracts/examples/). One name per schema; the file is `<name>.schema.json`.
 */
import type { z } from 'zod';
import { Availability } from './availability.js';
import { Customer } from './customer.js';
import { ErrorBody, OAuthErrorBody } from './errors.js';
import { EventEnvelope, eventEnvelopeFor, eventTypes } from './events.js';
import { Return, Shipment, ShipmentConfirmation, StockCount } from './fulfilment.js';
import { Order, OrderCancellation, OrderStatus, OrderUpdate, PaymentEvent } from './order.js';
import { PartnerRecord, Subscription } from './partner.js';
import { Product, ProductVariant } from './product.js';
import { InboundEnvelope } from './inbound.js';
import { IntakeItemStatus, IntakeReceipt, OrderCancelRequest } from './intake.js';
import { rpc } from './odoo-rpc.js';

export const publishedSchemas: Record<string, z.ZodType> = {
  product: Product,
  'product-variant': ProductVariant,
  availability: Availability,
  customer: Customer,
  order: Order,
  'order-status': OrderStatus,
  'order-update': OrderUpdate,
  'order-cancellation': OrderCancellation,
  'order-cancel-request': OrderCancelRequest,
  'inbound-envelope': InboundEnvelope,
  'intake-receipt': IntakeReceipt,
  'intake-item-status': IntakeItemStatus,
  payment: PaymentEvent,
  return: Return,
  'shipment-confirmation': ShipmentConfirmation,
  shipment: Shipment,
  'stock-count': StockCount,
  error: ErrorBody,
  'oauth-error': OAuthErrorBody,
  subscription: Subscription,
  partner: PartnerRecord,
  'event-envelope': EventEnvelope,
  ...Object.fromEntries(eventTypes.map((t) => [`event.${t}`, eventEnvelopeFor(t)])),
  ...Object.fromEntries(
    Object.entries(rpc).flatMap(([name, m]) => [
      [`rpc.${name}.args`, m.args],
      [`rpc.${name}.result`, m.result],
    ]),
  ),
};

/**
 * Which schema each golden example directory holds: `examples/events/<type>.json` is an event of
 * that type; `examples/api/<name>.json` is the schema named `<name>`; `examples/rpc/<method>.args.json`
 * and `.result.json` are the RPC contract's.
 */
export function schemaForExample(relativePath: string): z.ZodType | undefined {
  const [dir, file] = relativePath.split('/');
  const base = file?.replace(/\.json$/, '') ?? '';
  if (dir === 'events') return publishedSchemas[`event.${base}`];
  if (dir === 'api') return publishedSchemas[base.replace(/\..*$/, '')];
  if (dir === 'rpc') return publishedSchemas[`rpc.${base}`];
  return undefined;
}
