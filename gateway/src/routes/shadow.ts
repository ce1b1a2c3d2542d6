/**
 * `GET /v1/shadow/report`: what a shadow partner's traffic would have done in Odoo (created,
 * rejected with which reasons, de-duplicated). An admin may ask for any partner with `?partner=`.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { PartnerCode } from '../../../contracts/src/common.js';
import { principalOf } from '../auth/middleware.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { shadowReport } from '../intake/shadow.js';
import type { Services } from '../services.js';
import { errorResponses, scopedRoute } from './route.js';

const Counts = z.object({ items: z.number().int(), would_create: z.number().int(), would_reject: z.number().int(), duplicates: z.number().int(), pending: z.number().int() });
const Report = Counts.extend({
  partner: PartnerCode,
  mode: z.enum(['live', 'shadow']),
  by_kind: z.record(z.string(), Counts),
  rejection_reasons: z.record(z.string(), z.number().int()),
});


const report = scopedRoute('orders:read', {
  method: 'get',
  path: '/v1/shadow/report',
  tags: ['shadow mode'],
  summary: "Counts of what a shadow partner's submissions would have done in Odoo",
  request: { query: z.object({ partner: z.string().regex(/^[a-z0-9][a-z0-9_-]{1,62}$/).optional().openapi({ description: 'Admin only: the partner to report on' }) }) },
  responses: {
    200: { description: 'The report', content: { 'application/json': { schema: Report } } },
    ...errorResponses([404, 'No such partner (`?partner=`)']),
  },
});

export function registerShadow(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openapi(report, async (c) => {
    const principal = principalOf(c);
    const asked = c.req.valid('query').partner;
    if (asked && asked !== principal.partner && !principal.scopes.includes('admin')) throw new ApiError('insufficient_scope', 'Only an admin may read another partner\'s report.');
    // A query parameter naming the one resource the answer is about addresses it: 404 when absent.
    if (asked && !(services.auth.partners.get(asked) ?? (await services.auth.partners.lookup(asked)))) throw new ApiError('not_found', `No partner "${asked}".`);
    const partner = asked ?? principal.partner;
    const mode = services.auth.partners.get(partner)?.mode ?? 'live';
    return c.json({ ...(await shadowReport(services.store, partner)), mode }, 200);
  });
}
