/**
 * Returns: `POST /v1/returns` (queued durably, created in Odoo as a return picking) and
 * `GET /v1/returns/{id}`.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { ErrorBody } from '../../../contracts/src/errors.js';
import { Return } from '../../../contracts/src/fulfilment.js';
import { IntakeItemStatus, IntakeReceipt } from '../../../contracts/src/intake.js';
import { requireScope } from '../auth/middleware.js';
import type { AppEnv } from '../context.js';
import { apiExample } from '../intake/examples.js';
import { acceptWrite, IdempotencyHeaders, intakeOf, itemStatus, ownItem, ownershipGuard } from '../intake/http.js';
import type { Services } from '../services.js';
import { requiresScope } from './security.js';

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });

const postReturn = createRoute({
  method: 'post',
  path: '/v1/returns',
  tags: ['returns'],
  summary: 'Announce a return of an order placed through the gateway',
  security: requiresScope('returns:write'),
  middleware: [requireScope('returns:write'), ownershipGuard('return')] as const,
  request: {
    headers: IdempotencyHeaders.pick({ 'idempotency-key': true }),
    body: { required: true, content: { 'application/json': { schema: Return, example: apiExample('return') } } },
  },
  responses: {
    202: { description: 'Accepted durably; poll `Location`', content: { 'application/json': { schema: IntakeReceipt } } },
    401: err('Missing or invalid token'),
    403: err('Insufficient scope'),
    409: err('idempotency_key_in_use'),
    415: err('Not JSON'),
    422: err('validation_failed, field_not_writable or idempotency_key_reused'),
  },
});

const getReturn = createRoute({
  method: 'get',
  path: '/v1/returns/{id}',
  tags: ['returns'],
  summary: 'The outcome of a return',
  security: requiresScope('returns:read'),
  middleware: [requireScope('returns:read')] as const,
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The return (`odoo` is the return picking once created)', content: { 'application/json': { schema: IntakeItemStatus } } },
    401: err('Missing or invalid token'),
    403: err('Insufficient scope'),
    404: err('No such return (or another partner\'s)'),
  },
});

export function registerReturns(app: OpenAPIHono<AppEnv>, _services: Services): void {
  app.openapi(postReturn, async (c) => {
    const ret = c.req.valid('json');
    return acceptWrite(c, intakeOf(c), { kind: 'return', externalId: ret.external_id, payload: ret, prevalidated: true, location: (id) => `/v1/returns/${id}` }) as never;
  });

  app.openapi(getReturn, async (c) => {
    const item = await ownItem(c, c.req.valid('param').id, 'return', 'return');
    return c.json(itemStatus(item), 200);
  });
}
