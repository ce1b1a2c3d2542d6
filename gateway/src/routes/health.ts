import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { errorBody } from '../errors.js';
import type { Services } from '../services.js';

/**
 * `/healthz`: the process is alive. `/readyz`: ready while the store is writable; Odoo's state is
 * reported in the body but does not take the replica out, because writes queue durably.
 */
export function registerHealth(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const odoo = services.odooMonitor.current();
    try {
      await services.store.ping();
    } catch (err) {
      c.get('log').error({ err }, 'store is not writable');
      return c.json(
        { ...errorBody('not_ready', 'The gateway store is not writable.', c.get('requestId')), store: 'unwritable', odoo },
        503,
      );
    }
    return c.json({ status: 'ready', store: { kind: services.store.dialect, writable: true }, odoo });
  });
}
