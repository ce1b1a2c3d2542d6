/**
 * Outbound webhook subscriptions of the calling partner (scope `webhooks:manage`), stored in the
 * partner registry in Odoo: `POST/GET /v1/webhooks`, `GET/PATCH/DELETE /v1/webhooks/{id}`, the
 * delivery log `GET /v1/webhooks/{id}/deliveries`, and `POST /v1/webhooks/{id}/test`.
 *
 * A URL whose name resolves to a loopback, private, link-local or metadata address is refused
 * (422) unless allowlisted by the operator; the signing secret is answered once, on creation.
 * Another partner's subscription answers 404, like one that does not exist.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { EventType } from '../../../contracts/src/events.js';
import { Subscription } from '../../../contracts/src/partner.js';
import { principalOf } from '../auth/middleware.js';
import type { AppEnv, Principal } from '../context.js';
import { ApiError } from '../errors.js';
import { OdooError } from '../odoo/errors.js';
import type { Relay } from '../relay/relay.js';
import type { Services } from '../services.js';
import { TargetRefusedError } from '../webhooks/outbound/target-policy.js';
import { errorResponses, scopedRoute } from './route.js';

const noSuchSubscription = [404, "No such subscription (or another partner's)"] as const;
const badBody = [422, 'Bad body, or a URL that is not allowed (internal address)'] as const;

const SubscriptionOut = Subscription;
const CreatedSubscription = Subscription.extend({
  secret: z.string().regex(/^whsec_/).describe('The signing secret (Standard Webhooks `whsec_…`), shown once'),
});
const Url = z.url({ protocol: /^https?$/ }).max(2048).openapi({ example: 'https://hooks.example.com/retail' });
/** Types a partner may subscribe to: every event but the test ping, which goes to any subscription on request. */
const SubscribableType = EventType.exclude(['webhook.test']);
const CreateBody = z
  .strictObject({ url: Url, event_types: z.array(SubscribableType).min(1), active: z.boolean().default(true) })
  .openapi('WebhookSubscriptionCreate');
const PatchBody = z
  .strictObject({ url: Url.optional(), event_types: z.array(SubscribableType).min(1).optional(), active: z.boolean().optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one of url, event_types, active')
  .openapi('WebhookSubscriptionPatch');
const IdParam = z.object({ id: z.coerce.number().int().positive().openapi({ param: { name: 'id', in: 'path' }, example: 12 }) });

const Attempt = z.object({
  attempt: z.number().int(),
  at: z.string(),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number().int(),
});
const Delivery = z
  .object({
    id: z.number().int(),
    event_id: z.string().openapi({ description: 'Also the `webhook-id` header, the same on every attempt and replay' }),
    event_type: z.string(),
    subject: z.string(),
    status: z.enum(['pending', 'delivered', 'dead']),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
    replays: z.number().int(),
    attempt_log: z.array(Attempt),
  })
  .openapi('WebhookDelivery');
const DeliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^\d+$/).optional().openapi({ description: 'Opaque cursor from `next_cursor`' }),
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
});

const common = { tags: ['webhooks'] };
const route = <const R extends Parameters<typeof scopedRoute>[1]>(config: R) => scopedRoute('webhooks:manage', config);
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true as const, content: { 'application/json': { schema } } } });

const createSub = route({
  ...common,
  method: 'post',
  path: '/v1/webhooks',
  summary: 'Subscribe an endpoint to events (the signing secret is in this answer only)',
  request: body(CreateBody),
  responses: { 201: json(CreatedSubscription, 'Created'), ...errorResponses(badBody, 503) },
});
const listSubs = route({
  ...common,
  method: 'get',
  path: '/v1/webhooks',
  summary: "The partner's subscriptions",
  responses: { 200: json(z.object({ data: z.array(SubscriptionOut) }), 'Subscriptions'), ...errorResponses(503) },
});
const getSub = route({
  ...common,
  method: 'get',
  path: '/v1/webhooks/{id}',
  summary: 'One subscription',
  request: { params: IdParam },
  responses: { 200: json(SubscriptionOut, 'The subscription'), ...errorResponses(noSuchSubscription, 503) },
});
const patchSub = route({
  ...common,
  method: 'patch',
  path: '/v1/webhooks/{id}',
  summary: 'Change the URL, the event types or the active flag (active: true also re-enables a disabled endpoint)',
  request: { params: IdParam, ...body(PatchBody) },
  responses: { 200: json(SubscriptionOut, 'Updated'), ...errorResponses(noSuchSubscription, badBody, 503) },
});
const deleteSub = route({
  ...common,
  method: 'delete',
  path: '/v1/webhooks/{id}',
  summary: 'Delete a subscription (deliveries still pending go to the dead letters)',
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(noSuchSubscription, 503) },
});
const listDeliveries = route({
  ...common,
  method: 'get',
  path: '/v1/webhooks/{id}/deliveries',
  summary: 'The delivery log of a subscription, newest first, with every attempt',
  request: { params: IdParam, query: DeliveriesQuery },
  responses: { 200: json(z.object({ data: z.array(Delivery), next_cursor: z.string().nullable() }), 'A page of deliveries'), ...errorResponses(noSuchSubscription, 503) },
});
const testSub = route({
  ...common,
  method: 'post',
  path: '/v1/webhooks/{id}/test',
  summary: 'Send a signed `webhook.test` event to the endpoint',
  request: { params: IdParam },
  responses: {
    202: json(z.object({ delivery_id: z.number().int(), event_id: z.string() }), 'Queued; see the delivery log for the outcome'),
    ...errorResponses(noSuchSubscription, 503),
  },
});

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

/** Odoo failures answer 503/502 in the gateway's shape; a contract breach is ours (500). */
function fromOdoo(err: unknown): never {
  if (err instanceof OdooError) {
    if (err.kind === 'network' || err.kind === 'timeout') throw new ApiError('upstream_unavailable', 'Odoo is unavailable; try again.');
    if (err.kind === 'validation' || err.kind === 'unique_violation') throw new ApiError('validation_failed', err.message);
    throw new ApiError('upstream_error', 'Odoo refused the change.', { kind: err.kind });
  }
  throw err;
}

/** The relay re-reads the registry, so the change applies to the next event; a failure only delays that. */
async function refreshDirectory(relay: Relay): Promise<void> {
  await Promise.resolve(relay.directory.invalidate()).catch(() => undefined);
}

async function checkTarget(relay: Relay, url: string): Promise<void> {
  try {
    await relay.policy.checkUrl(url);
  } catch (err) {
    if (err instanceof TargetRefusedError) {
      throw new ApiError('validation_failed', 'The webhook URL is not allowed.', [{ path: 'url', message: err.message, code: 'target_refused' }]);
    }
    throw err;
  }
}

async function ownSubscriptions(services: Services, principal: Principal) {
  const { partners } = await services.odoo.rpc('partners', { codes: [principal.partner] }).catch(fromOdoo);
  return (partners[0]?.subscriptions ?? []).map(({ secrets: _secrets, ...s }) => s);
}

async function ownSubscription(services: Services, principal: Principal, id: number) {
  const sub = (await ownSubscriptions(services, principal)).find((s) => s.id === id);
  if (!sub) throw new ApiError('not_found', 'No such webhook subscription.');
  return sub;
}

export function registerWebhookSubscriptions(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openapi(createSub, async (c) => {
    const principal = principalOf(c);
    const { relay } = services;
    const input = c.req.valid('json');
    await checkTarget(relay, input.url);
    const { subscription, secret } = await services.odoo
      .rpc('create_subscription', { partner: principal.partner, url: input.url, event_types: input.event_types, active: input.active }, { requestId: c.var.requestId })
      .catch(fromOdoo);
    await refreshDirectory(relay);
    c.var.log.info({ subscription: subscription.id, partner: principal.partner }, 'webhook subscription created');
    return c.json({ ...subscription, secret }, 201);
  });

  app.openapi(listSubs, async (c) => c.json({ data: await ownSubscriptions(services, principalOf(c)) }, 200));

  app.openapi(getSub, async (c) => c.json(await ownSubscription(services, principalOf(c), c.req.valid('param').id), 200));

  app.openapi(patchSub, async (c) => {
    const principal = principalOf(c);
    const { relay } = services;
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    if (input.url) await checkTarget(relay, input.url);
    const { subscription } = await services.odoo
      .rpc(
        'update_subscription',
        {
          partner: principal.partner,
          id,
          ...input,
          // Switching a subscription on again also clears an automatic disable.
          ...(input.active === true ? { disabled: false, consecutive_failures: 0 } : {}),
        },
        { requestId: c.var.requestId },
      )
      .catch(fromOdoo);
    if (!subscription) throw new ApiError('not_found', 'No such webhook subscription.');
    if (input.active === true) await relay.queue.resetEndpoint(id);
    await refreshDirectory(relay);
    return c.json(subscription, 200);
  });

  app.openapi(deleteSub, async (c) => {
    const principal = principalOf(c);
    const { relay } = services;
    const { id } = c.req.valid('param');
    const { deleted } = await services.odoo.rpc('delete_subscription', { partner: principal.partner, id }, { requestId: c.var.requestId }).catch(fromOdoo);
    if (!deleted) throw new ApiError('not_found', 'No such webhook subscription.');
    await relay.queue.deadLetterSubscription(id, 'subscription deleted');
    await refreshDirectory(relay);
    return c.body(null, 204);
  });

  app.openapi(listDeliveries, async (c) => {
    const principal = principalOf(c);
    const { relay } = services;
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    await ownSubscription(services, principal, id);
    const rows = await relay.queue.listForSubscription(id, { limit: q.limit + 1, before: q.cursor ? Number(q.cursor) : undefined, status: q.status });
    const page = rows.slice(0, q.limit);
    const attempts = await relay.queue.attemptsFor(page.map((r) => Number(r.id)));
    const byDelivery = new Map<number, typeof attempts>();
    for (const a of attempts) byDelivery.set(Number(a.delivery_id), [...(byDelivery.get(Number(a.delivery_id)) ?? []), a]);
    const data = page.map((r) => ({
      id: Number(r.id),
      event_id: r.event_id,
      event_type: r.event_type,
      subject: r.aggregate,
      status: r.status,
      attempts: r.attempts,
      next_attempt_at: r.status === 'pending' ? iso(r.next_attempt_at) : null,
      last_status_code: r.last_status,
      last_error: r.last_error,
      created_at: iso(r.created_at)!,
      delivered_at: iso(r.delivered_at),
      replays: r.replays,
      attempt_log: (byDelivery.get(Number(r.id)) ?? []).map((a) => ({
        attempt: a.attempt,
        at: iso(a.at)!,
        status_code: a.status_code,
        error: a.error,
        duration_ms: a.duration_ms,
      })),
    }));
    const next = rows.length > q.limit ? String(page[page.length - 1]!.id) : null;
    return c.json({ data, next_cursor: next }, 200);
  });

  app.openapi(testSub, async (c) => {
    const principal = principalOf(c);
    const { relay } = services;
    const { id } = c.req.valid('param');
    await ownSubscription(services, principal, id);
    await refreshDirectory(relay);
    const { deliveryId, eventId } = await relay.sendTest(principal.partner, id);
    return c.json({ delivery_id: deliveryId, event_id: eventId }, 202);
  });
}
