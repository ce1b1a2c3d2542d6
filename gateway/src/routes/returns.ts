/**
 * Returns: `POST /v1/returns` (queued durably, created in Odoo as a return picking) and
 * `GET /v1/returns/{id}`.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { Return } from '../../../contracts/src/fulfilment.js';
import { IntakeItemStatus, IntakeReceipt } from '../../../contracts/src/intake.js';
import type { AppEnv } from '../context.js';
import { apiExample } from '../intake/examples.js';
import { acceptWrite, IdempotencyHeaders, intakeOf, itemStatus, ownItem, ownershipGuard } from '../intake/http.js';
import type { Services } from '../services.js';
import { errorResponses, scopedRoute } from './route.js';


const postReturn = scopedRoute('returns:write', {
  method: 'post',
  path: '/v1/returns',
  tags: ['returns'],
  summary: 'Announce a return of an order placed through the gateway',
  middleware: [ownershipGuard('return')],
  request: {
    headers: IdempotencyHeaders.pick({ 'idempotency-key': true }),
    body: { required: true, content: { 'application/json': { schema: Return, example: apiExample('return') } } },
  },
  responses: {
    202: { description: 'Accepted durably; poll `Location`', content: { 'application/json': { schema: IntakeReceipt } } },
    ...errorResponses(409, 415, 422),
  },
});

const getReturn = scopedRoute('returns:read', {
  method: 'get',
  path: '/v1/returns/{id}',
  tags: ['returns'],
  summary: 'The outcome of a return',
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The return (`odoo` is the return picking once created)', content: { 'application/json': { schema: IntakeItemStatus } } },
    ...errorResponses([404, "No such return (or another partner's)"]),
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
