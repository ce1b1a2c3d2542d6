/**
 * Replay of outbound webhooks, keeping each delivery's event id (`webhook-id`) so receivers
 * de-duplicate:
 *
 * - `POST /admin/replay` (scope `admin`): one event, a partner's dead letters, or everything of a
 *   partner since a time;
 * - `POST /v1/events/replay` (scope `events:replay`): the same for the caller's own deliveries.
 *
 * Deliveries still pending are left alone (they will be sent anyway). Answers 202 with the count.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { PartnerCode, Timestamp } from '../../../contracts/src/common.js';
import { hasScope, principalOf } from '../auth/middleware.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import type { ReplayFilter } from '../relay/deliveries.js';
import type { Services } from '../services.js';
import { errorResponses, scopedRoute } from './route.js';

const ReplayBody = z
  .union([
    z.strictObject({ event_id: z.string().min(1).max(128), partner: PartnerCode.optional() }),
    z.strictObject({ partner: PartnerCode.optional(), dead_letters: z.literal(true), subscription_id: z.number().int().positive().optional() }),
    z.strictObject({ partner: PartnerCode.optional(), since: Timestamp, subscription_id: z.number().int().positive().optional() }),
  ])
  .openapi('ReplayRequest', {
    description: 'One of: `{event_id}`; `{partner, dead_letters: true}`; `{partner, since}`. A partner replaying its own may leave `partner` out.',
  });
const ReplayResult = z.object({ replayed: z.number().int(), delivery_ids: z.array(z.number().int()) }).openapi('ReplayResult');


const route = (path: string, scope: 'admin' | 'events:replay', summary: string) =>
  scopedRoute(scope, {
    method: 'post',
    path,
    tags: [scope === 'admin' ? 'admin' : 'webhooks'],
    summary,
    request: { body: { required: true, content: { 'application/json': { schema: ReplayBody } } } },
    responses: { 202: { description: 'Queued again', content: { 'application/json': { schema: ReplayResult } } }, ...errorResponses([404, 'Nothing to replay'], [422, 'Bad body']) },
  });

const adminReplay = route('/admin/replay', 'admin', "Replay one event, a partner's dead letters, or a partner's deliveries since a time");
const partnerReplay = route('/v1/events/replay', 'events:replay', 'Replay your own deliveries: one event, your dead letters, or everything since a time');

/** The filter a body asks for, limited to the caller's own deliveries unless it holds `admin`. */
export function replayFilterFor(body: z.infer<typeof ReplayBody>, caller: { partner: string; admin: boolean }): ReplayFilter {
  if (body.partner && !caller.admin && body.partner !== caller.partner) throw new ApiError('forbidden', 'You may replay only your own deliveries.');
  const partner = caller.admin ? body.partner : caller.partner;
  if ('event_id' in body) return partner ? { kind: 'event', eventId: body.event_id, partner } : { kind: 'event', eventId: body.event_id };
  if (!partner) throw new ApiError('validation_failed', 'Name the partner whose deliveries to replay.', [{ path: 'partner', message: 'required', code: 'invalid_type' }]);
  if ('dead_letters' in body) return { kind: 'dead', partner, subscriptionId: body.subscription_id };
  return { kind: 'since', partner, sinceMs: Date.parse(body.since), subscriptionId: body.subscription_id };
}

export function registerAdminReplay(app: OpenAPIHono<AppEnv>, services: Services): void {
  const handler = async (c: Context<AppEnv>, body: z.infer<typeof ReplayBody>) => {
    const { relay } = services;
    const principal = principalOf(c);
    const filter = replayFilterFor(body, { partner: principal.partner, admin: hasScope(principal, 'admin') });
    const ids = await relay.replay(filter);
    if (ids.length === 0 && filter.kind === 'event') throw new ApiError('not_found', 'No delivery of this event to replay (unknown, not yours, or still pending).');
    c.var.log.info({ filter, replayed: ids.length, by: principal.partner }, 'webhook deliveries replayed');
    return c.json({ replayed: ids.length, delivery_ids: ids }, 202);
  };
  app.openapi(adminReplay, (c) => handler(c, c.req.valid('json')));
  app.openapi(partnerReplay, (c) => handler(c, c.req.valid('json')));
}
