/**
 * `POST /oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
 *
 * Client authentication by `client_secret_basic` (id and secret form-encoded inside Basic, as
 * §2.3.1 requires) or `client_secret_post`, never both. The secret is checked by the addon
 * (`authenticate_client`, cached by the gateway); `scope` narrows the partner's grant and never
 * widens it. Errors answer in RFC 6749 §5.2's shape, the one exception to the gateway's own.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { NUL_MESSAGE } from '../../../contracts/src/common.js';
import { OAuthErrorBody } from '../../../contracts/src/errors.js';
import { Scope, type Scope as ScopeName } from '../../../contracts/src/scopes.js';
import type { AppEnv } from '../context.js';
import { registryNotLoaded } from '../auth/middleware.js';
import { ApiError } from '../errors.js';
import { tokenRateLimit } from '../rate-limit/service.js';
import type { Services } from '../services.js';

type OAuthError = z.infer<typeof OAuthErrorBody>['error'];

const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    scope: z.string(),
  })
  .openapi('TokenResponse');

const TokenRequest = z.object({
  grant_type: z.literal('client_credentials'),
  scope: z.string().optional().openapi({ description: 'Space-separated scopes; a subset of the partner\'s grant. Default: the whole grant.' }),
  client_id: z.string().optional().openapi({ description: 'client_secret_post only' }),
  client_secret: z.string().optional().openapi({ description: 'client_secret_post only' }),
});

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

function oauthError(c: Context<AppEnv>, error: OAuthError, description: string) {
  const status = error === 'invalid_client' ? 401 : 400;
  if (status === 401) c.header('WWW-Authenticate', 'Basic realm="retail-gateway", charset="UTF-8"');
  for (const [k, v] of Object.entries(NO_STORE)) c.header(k, v);
  return c.json({ error, error_description: description }, status);
}

/** `application/x-www-form-urlencoded` decoding of one component (`+` is a space). */
function formDecode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

/** The id and secret inside `Authorization: Basic`, form-decoded; null when malformed. */
export function parseBasicCredentials(header: string): { id: string; secret: string } | null {
  const m = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

export function registerOAuth(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/oauth/token',
    tags: ['auth'],
    summary: 'Get an access token (OAuth 2.0 client credentials)',
    description:
      'Authenticate with HTTP Basic (client_secret_basic) or with client_id and client_secret in the form (client_secret_post). Errors follow RFC 6749 §5.2. Attempts are limited per address, failed attempts per client id and address (429 `rate_limited`).',
    security: [{ clientBasic: [] }, {}],
    request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: TokenRequest } } } },
    responses: {
      200: { description: 'A bearer access token (JWT, RFC 9068)', content: { 'application/json': { schema: TokenResponse } } },
      400: { description: 'invalid_request, invalid_scope or unsupported_grant_type', content: { 'application/json': { schema: OAuthErrorBody } } },
      401: { description: 'invalid_client', content: { 'application/json': { schema: OAuthErrorBody } } },
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'clientBasic', { type: 'http', scheme: 'basic' });

  app.use('/oauth/token', tokenRateLimit());
  app.post('/oauth/token', async (c) => {
    const auth = services.auth;
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') return oauthError(c, 'invalid_request', 'The body must be application/x-www-form-urlencoded.');

    let form: Record<string, string | File | (string | File)[]>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch {
      return oauthError(c, 'invalid_request', 'The body could not be read as a form.');
    }
    const field = (name: string): string | undefined | null => {
      const v = form[name];
      if (v === undefined) return undefined;
      if (Array.isArray(v) || typeof v !== 'string') return null; // repeated parameter (§3.2)
      return v;
    };
    for (const name of ['grant_type', 'scope', 'client_id', 'client_secret']) {
      if (field(name) === null) return oauthError(c, 'invalid_request', `The parameter ${name} must appear once.`);
    }
    const grantType = field('grant_type');
    if (!grantType) return oauthError(c, 'invalid_request', 'grant_type is required.');
    if (grantType !== 'client_credentials') return oauthError(c, 'unsupported_grant_type', 'Only client_credentials is supported.');

    const basicHeader = c.req.header('authorization');
    const postId = field('client_id') ?? undefined;
    const postSecret = field('client_secret') ?? undefined;
    let clientId: string;
    let secret: string;
    if (basicHeader) {
      const basic = parseBasicCredentials(basicHeader);
      if (!basic) return oauthError(c, 'invalid_client', 'The Authorization header is not valid Basic credentials.');
      if (postSecret !== undefined) return oauthError(c, 'invalid_request', 'Use one client authentication method, not two.');
      if (postId !== undefined && postId !== basic.id) return oauthError(c, 'invalid_request', 'client_id does not match the Basic credentials.');
      ({ id: clientId, secret } = basic);
    } else if (postId !== undefined && postSecret !== undefined) {
      clientId = postId;
      secret = postSecret;
    } else {
      return oauthError(c, 'invalid_client', 'Client authentication is required (client_secret_basic or client_secret_post).');
    }
    if (!clientId || !secret) return oauthError(c, 'invalid_client', 'Client authentication failed.');
    if ([clientId, secret, field('scope') ?? ''].some((v) => v.includes('\0'))) return oauthError(c, 'invalid_request', `Parameters ${NUL_MESSAGE}.`);

    // Failures, not attempts, count against a client id, and per address: strangers guessing a
    // client's secret cannot get the right secret refused (rate-limit/credentials.ts).
    const rateLimit = services.rateLimit;
    await rateLimit.gateCredential(c, 'token', clientId);
    let client;
    try {
      client = await auth.clients.authenticate(clientId, secret, c.get('requestId'));
    } catch (err) {
      c.get('log').warn({ err: { message: (err as Error).message } }, 'oauth: client check failed in Odoo');
      throw new ApiError('upstream_unavailable', 'Client credentials cannot be checked right now; retry shortly.', undefined, { 'Retry-After': '1' });
    }
    await rateLimit.credentialChecked(c, 'token', clientId, client !== null);
    if (!client) return oauthError(c, 'invalid_client', 'Client authentication failed.');
    // Odoo has just accepted the secret, so the partner exists even if this replica's registry
    // was read a moment before it was created.
    const partner = await auth.partners.lookup(client.partner, { vouched: true });
    if (!partner && auth.partners.loadedAt === 0) throw registryNotLoaded();
    if (!partner || !partner.active) return oauthError(c, 'invalid_client', 'Client authentication failed.');

    const granted = client.scopes.filter((s) => partner.scopes.includes(s) || partner.scopes.includes('admin'));
    let scopes: ScopeName[];
    const requested = field('scope');
    if (requested === undefined || requested === null) {
      scopes = granted;
    } else {
      const names = requested.split(' ').filter(Boolean);
      if (!names.length) return oauthError(c, 'invalid_scope', 'scope is empty.');
      const unknown = names.filter((n) => !Scope.safeParse(n).success);
      if (unknown.length) return oauthError(c, 'invalid_scope', `Unknown scope: ${unknown.join(' ')}.`);
      const notGranted = names.filter((n) => !granted.includes(n as ScopeName));
      if (notGranted.length) return oauthError(c, 'invalid_scope', `Not granted to this client: ${notGranted.join(' ')}.`);
      scopes = [...new Set(names)] as ScopeName[];
    }
    if (!scopes.length) return oauthError(c, 'invalid_scope', 'This client has no scope granted.');

    const issued = await auth.tokens.issue({ partner: client.partner, clientId, scopes });
    for (const [k, v] of Object.entries(NO_STORE)) c.header(k, v);
    return c.json({ access_token: issued.accessToken, token_type: 'Bearer' as const, expires_in: issued.expiresIn, scope: issued.scope }, 200);
  });
}
