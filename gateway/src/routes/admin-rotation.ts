/**
 * `/admin/rotate/...`: rotation of every credential, for tokens with the `admin` scope. Each call
 * is audited (who, when, which credential, from where; never the secret). A newly issued secret is
 * in the answer once and nowhere else.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { PartnerCode } from '../../../contracts/src/common.js';
import { InboundProvider } from '../../../contracts/src/partner.js';
import { principalOf } from '../auth/middleware.js';
import { RotationError, type Actor, type Rotations } from '../auth/rotation.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import type { Services } from '../services.js';
import { errorResponses, scopedRoute } from './route.js';

const Grace = z
  .object({ grace_seconds: z.number().int().min(0).max(30 * 86400).optional().openapi({ description: 'How long the previous secret keeps working (default 24 h)' }) })
  .openapi('RotationGrace');

const errors = errorResponses([404, 'Unknown partner or subscription'], [422, 'Bad body']);

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const optionalBody = <T extends z.ZodType>(schema: T) => ({ body: { required: false as const, content: { 'application/json': { schema } } } });

const common = { method: 'post' as const, tags: ['admin'] };
const route = <const R extends Parameters<typeof scopedRoute>[1]>(config: R) => scopedRoute('admin', config);
const responses = <T extends z.ZodType>(schema: T) => ({ 200: json(schema, 'Rotated'), ...errors });

const signingKey = route({
  ...common,
  path: '/admin/rotate/signing-key',
  summary: 'Rotate the token signing key',
  responses: responses(z.object({ kid: z.string(), previous_kid: z.string().nullable(), previous_valid_until: z.string().nullable() })),
});
const masterKey = route({
  ...common,
  path: '/admin/rotate/master-key',
  summary: 'Re-encrypt every stored secret under GATEWAY_MASTER_KEY',
  responses: responses(z.object({ master_key_id: z.string(), resealed: z.number().int() })),
});
const odooKey = route({
  ...common,
  path: '/admin/rotate/odoo-key',
  summary: 'Switch to a new Odoo API key (checked against Odoo first, stored encrypted)',
  request: { body: { required: true, content: { 'application/json': { schema: z.object({ api_key: z.string().min(8).max(512) }) } } } },
  responses: responses(z.object({ version: z.number().int() })),
});
const clientSecret = route({
  ...common,
  path: '/admin/rotate/client-secret/{partner}',
  summary: "Issue a partner's new client secret (shown once); the previous one works until the grace deadline",
  request: { params: z.object({ partner: PartnerCode }), ...optionalBody(Grace) },
  responses: responses(z.object({ client_id: z.string(), client_secret: z.string(), previous_valid_until: z.string().nullable() })),
});
const subscriptionSecret = route({
  ...common,
  path: '/admin/rotate/subscription-secret/{partner}/{id}',
  summary: "Issue a subscription's new signing secret (shown once); deliveries carry both signatures until the grace deadline",
  request: { params: z.object({ partner: PartnerCode, id: z.coerce.number().int().positive() }), ...optionalBody(Grace) },
  responses: responses(z.object({ secret: z.string(), previous_valid_until: z.string().nullable() })),
});
const inboundSecret = route({
  ...common,
  path: '/admin/rotate/inbound-secret/{partner}/{provider}',
  summary: "Set a partner's new inbound secret for a provider; both are accepted until the grace deadline",
  request: {
    params: z.object({ partner: PartnerCode, provider: InboundProvider }),
    ...optionalBody(Grace.extend({ secret: z.string().min(8).max(512).optional().openapi({ description: 'Required except for standard, where one is generated' }) })),
  },
  responses: responses(z.object({ secret: z.string().optional(), previous_valid_until: z.string().nullable() })),
});

function actorOf(c: Context<AppEnv>): Actor {
  const p = principalOf(c);
  return { who: `${p.partner}/${p.clientId}`, fromIp: c.get('clientIp') ?? null, requestId: c.get('requestId') };
}

async function rotating<T>(c: Context<AppEnv>, fn: (r: Rotations, actor: Actor) => Promise<T>): Promise<T> {
  const { rotations } = c.get('services');
  c.header('Cache-Control', 'no-store');
  try {
    return await fn(rotations, actorOf(c));
  } catch (err) {
    if (err instanceof RotationError) throw new ApiError(err.code === 'invalid_request' ? 'invalid_request' : err.code, err.message);
    throw err;
  }
}

/** The request body, or `{}` when none was sent (every field of these bodies is optional). */
function bodyOf<T>(c: Context<AppEnv>): T {
  return ((c.req.valid as (t: 'json') => T | undefined)('json') ?? {}) as T;
}

export function registerAdminRotation(app: OpenAPIHono<AppEnv>, _services: Services): void {
  app.openapi(signingKey, async (c) => c.json(await rotating(c, (r, a) => r.signingKey(a)), 200));
  app.openapi(masterKey, async (c) => c.json(await rotating(c, (r, a) => r.masterKey(a)), 200));
  app.openapi(odooKey, async (c) => {
    const { api_key } = bodyOf<{ api_key: string }>(c);
    return c.json(await rotating(c, (r, a) => r.odooKey(a, api_key)), 200);
  });
  app.openapi(clientSecret, async (c) => {
    const { partner } = c.req.valid('param');
    const { grace_seconds } = bodyOf<{ grace_seconds?: number }>(c);
    return c.json(await rotating(c, (r, a) => r.clientSecret(a, partner, grace_seconds)), 200);
  });
  app.openapi(subscriptionSecret, async (c) => {
    const { partner, id } = c.req.valid('param');
    const { grace_seconds } = bodyOf<{ grace_seconds?: number }>(c);
    return c.json(await rotating(c, (r, a) => r.subscriptionSecret(a, partner, id, grace_seconds)), 200);
  });
  app.openapi(inboundSecret, async (c) => {
    const { partner, provider } = c.req.valid('param');
    const { grace_seconds, secret } = bodyOf<{ grace_seconds?: number; secret?: string }>(c);
    return c.json(await rotating(c, (r, a) => r.inboundSecret(a, partner, provider, secret, grace_seconds)), 200);
  });
}
