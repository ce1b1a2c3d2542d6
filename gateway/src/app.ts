/**
 * Builds the HTTP application from its services. The order of middleware is the design:
 * request id and logging first (so every later failure carries the id), then the client address,
 * then the body limit, then per-route auth, rate limits and validation inside the route modules.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './context.js';
import { callerInputIssue, NUL_MESSAGE } from '../../contracts/src/common.js';
import { callerInputRefusal, handleError, methodNotAllowed, notFound, validationError } from './errors.js';
import { clientIp } from './middleware/client-ip.js';
import { accessLog } from './middleware/access-log.js';
import { nodeBodyLimit, payloadTooLarge } from './middleware/node-body.js';
import { requestContext } from './middleware/request-context.js';
import { allowedMethodsOf } from './routes/allowed-methods.js';
import { routeRegistrars } from './routes/index.js';
import type { Services } from './services.js';

export function createApp(services: Services): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // zod-openapi validation failures answer in the gateway's error shape. What passes the contract
    // is refused still if it breaks the rules of every caller string (contracts/src/common.ts: no
    // U+0000, no prototype keys), whatever the route: for a JSON body the body as sent is walked
    // (Hono caches its parse), keys the contract would strip included.
    defaultHook: async (result, c) => {
      const what = result.target === 'json' ? 'request body' : `request ${result.target}`;
      if (!result.success) throw validationError(result.error, what);
      const issue = callerInputIssue(result.target === 'json' ? await c.req.json<unknown>() : result.data);
      if (issue) throw callerInputRefusal(what, issue);
    },
  });

  app.use('*', requestContext({ logger: services.logger }));
  app.use('*', async (c, next) => {
    c.set('services', services);
    await next();
  });
  app.use('*', clientIp(services.config.trustedProxies));
  // `%00` in the raw URL is a NUL in a decoded path or query parameter: refused before any route
  // (a parameter no contract declares included). Node's parser refuses a raw NUL byte already.
  app.use('*', async (c, next) => {
    if (c.req.url.includes('%00')) throw callerInputRefusal('request URL', { path: 'url', message: NUL_MESSAGE, code: 'nul_character' });
    await next();
  });
  app.use('*', accessLog(services.logger));
  const limitBody = nodeBodyLimit({
    maxSize: services.config.bodyLimitBytes,
    onError: () => {
      throw payloadTooLarge(services.config.bodyLimitBytes);
    },
  });
  // GET and HEAD requests carry no body on @hono/node-server (its Request has `body: null`, so the
  // limit could never refuse them), but asking for `c.req.raw.body` builds the whole WHATWG
  // Request with its AbortController: measured ≈ 10% of a cached read's CPU. Skip them.
  app.use('*', (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));

  for (const register of routeRegistrars) register(app, services);

  // A path some route answers, called with another method: 405 with `Allow`, from the route table.
  const allowedMethods = allowedMethodsOf(app);
  app.notFound((c) => {
    const allow = allowedMethods(c.req.path);
    return allow.length > 0 ? methodNotAllowed(c, allow) : notFound(c);
  });
  app.onError(handleError);
  return app;
}
