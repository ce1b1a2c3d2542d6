/**
 * The canonical envelope of an inbound Standard Webhooks delivery (`POST /webhooks/standard/{partner}`):
 * a partner that signs per the Standard Webhooks specification sends the gateway's own contract
 * objects, named by `type`. A `type` outside this list is acknowledged and ignored.
 */
import { z } from 'zod';
import { Timestamp } from './common.js';
import { Return } from './fulfilment.js';
import { Order, OrderCancellation, OrderUpdate, PaymentEvent } from './order.js';

export const inboundEnvelopeData = {
  'order.created': Order,
  'order.updated': OrderUpdate,
  'order.cancelled': OrderCancellation,
  payment: PaymentEvent,
  'return.created': Return,
} as const;

export type InboundEnvelopeType = keyof typeof inboundEnvelopeData;
export const inboundEnvelopeTypes = Object.keys(inboundEnvelopeData) as InboundEnvelopeType[];

const envelope = <T extends InboundEnvelopeType>(type: T) =>
  z.strictObject({
    type: z.literal(type),
    timestamp: Timestamp.optional().describe('When the sender created the message'),
    data: inboundEnvelopeData[type],
  });

export const InboundEnvelope = z.discriminatedUnion('type', [
  envelope('order.created'),
  envelope('order.updated'),
  envelope('order.cancelled'),
  envelope('payment'),
  envelope('return.created'),
]);
export type InboundEnvelope = z.infer<typeof InboundEnvelope>;
