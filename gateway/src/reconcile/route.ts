/**
 * `POST /admin/reconcile` (scope `admin`): runs availability reconciliation on this replica now
 * and answers its report. `retail-gateway reconcile` calls it on each replica, since every
 * replica serves from its own cache.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponses, scopedRoute } from '../routes/route.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { OdooError } from '../odoo/errors.js';
import type { Services } from '../services.js';
import { reconcileAvailability } from './availability.js';

const Figures = z.object({ on_hand: z.number(), reserved: z.number(), safety_stock: z.number(), available: z.number() });
export const ReconcileReportSchema = z
  .object({
    started_at: z.string(),
    finished_at: z.string(),
    checked: z.number().int(),
    cached: z.number().int(),
    drifted: z.number().int(),
    repaired: z.number().int(),
    drift: z.array(z.object({ sku: z.string(), warehouse: z.string(), served: Figures, odoo: Figures })),
  })
  .openapi('ReconcileReport');

const route = scopedRoute('admin', {
  method: 'post',
  path: '/admin/reconcile',
  tags: ['admin'],
  summary: "Compare this replica's served availability with Odoo's for every SKU and repair drift",
  request: { query: z.object({ dry_run: z.enum(['true', 'false']).optional().openapi({ description: 'Report only, repair nothing' }) }) },
  responses: {
    200: { description: 'The report', content: { 'application/json': { schema: ReconcileReportSchema } } },
    ...errorResponses(503),
  },
});

export function registerReconcile(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openapi(route, async (c) => {
    const dryRun = c.req.valid('query').dry_run === 'true';
    const served = services.availability;
    if (served.size === 0) {
      const now = new Date(services.now()).toISOString();
      return c.json({ started_at: now, finished_at: now, checked: 0, cached: 0, drifted: 0, repaired: 0, drift: [] }, 200);
    }
    try {
      const report = await reconcileAvailability({ odoo: services.odoo, served, dryRun });
      c.var.log.info({ checked: report.checked, drifted: report.drifted, repaired: report.repaired }, 'reconcile: availability compared with Odoo');
      return c.json(report, 200);
    } catch (err) {
      if (err instanceof OdooError) throw new ApiError('upstream_unavailable', 'Odoo could not be read; try again.');
      throw err;
    }
  });
}
