import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { InboundProvider } from '../../../contracts/src/partner.js';
import type { AppEnv } from '../context.js';
import type { Services } from '../services.js';
import { errorResponses } from './route.js';
import { readRawBody } from '../webhooks/inbound/raw-body.js';

const Params = z.object({
  provider: z.string().openapi({ param: { name: 'provider', in: 'path' }, example: 'shopify', description: `One of ${InboundProvider.options.join(', ')}` }),
  partner: z.string().openapi({ param: { name: 'partner', in: 'path' }, example: 'demo', description: 'The partner code' }),
});

const Ack = z
  .object({
    received: z.literal(true),
    provider: InboundProvider,
    delivery_id: z.string().nullable(),
    outcome: z.enum(['accepted', 'duplicate', 'stale', 'ignored', 'ping']),
    intake_ids: z.array(z.string()),
  })
  .openapi('InboundWebhookAck');

const receiveWebhook = createRoute({
  method: 'post',
  path: '/webhooks/{provider}/{partner}',
  tags: ['inbound webhooks'],
  summary: 'Receive a commerce webhook from Shopify, WooCommerce, Stripe or a Standard Webhooks sender',
  description: [
    "Checked with the partner's secret for the provider (both secrets during a rotation), over the raw body, in constant time.",
    'The payload is mapped to the canonical Order, OrderCancellation, OrderUpdate, PaymentEvent or Return and queued durably;',
    'the answer comes as soon as it is committed. The same delivery id answers the same 200 again without queueing anything.',
    'A body is applied only as the topic it proves (else 422 `topic_mismatch`), and an order update only when newer than the last one applied for that order',
    '(else 200 with outcome `stale`, nothing queued).',
    'Shopify: X-Shopify-Hmac-Sha256, X-Shopify-Webhook-Id, X-Shopify-Topic, X-Shopify-Triggered-At.',
    'WooCommerce: X-WC-Webhook-Signature, X-WC-Webhook-Delivery-ID, X-WC-Webhook-Topic.',
    'Stripe: Stripe-Signature (t=…,v1=…). Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature.',
    'See docs/inbound-webhooks.md.',
  ].join(' '),
  request: { params: Params },
  responses: {
    200: { description: 'Received: accepted, a duplicate, a stale (older) state of the order, an ignored topic or a ping', content: { 'application/json': { schema: Ack } } },
    ...errorResponses([400, 'No delivery id'], [401, 'The signature does not verify, or the timestamp is outside the replay window (`invalid_signature`)'], [404, 'No such provider or partner (one answer for both)'], [409, 'Another copy of this delivery is being queued; retry'], [413, 'Body too large'], [422, 'An authentic payload that cannot be mapped to the contract (`validation_failed`; `details` says where), or one that does not prove the topic it was delivered under (`topic_mismatch`)']),
  },
});

/** `POST /webhooks/{provider}/{partner}`: inbound commerce webhooks into the intake queue. */
export function registerInboundWebhooks(app: OpenAPIHono<AppEnv>, services: Services): void {
  const service = services.inboundWebhooks;

  app.openapi(receiveWebhook, async (c) => {
    const { provider, partner } = c.req.valid('param');
    const rawBody = await readRawBody(c, services.config.bodyLimitBytes);
    const ack = await service.receive({ provider, partner, headers: c.req.raw.headers, rawBody, requestId: c.get('requestId') });
    return c.json({ ...ack, received: true as const }, 200);
  });
}
