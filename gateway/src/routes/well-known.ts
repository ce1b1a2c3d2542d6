/**
 * Discovery: `/.well-known/oauth-authorization-server` (RFC 8414) and the JWK set that verifies
 * the gateway's tokens (`/.well-known/jwks.json`), so standard OAuth client libraries and other
 * resource servers can use the gateway unchanged.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { scopes } from '../../../contracts/src/scopes.js';
import type { AppEnv } from '../context.js';
import type { Services } from '../services.js';

const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi('JWKS');

const Metadata = z
  .object({
    issuer: z.string(),
    token_endpoint: z.string(),
    jwks_uri: z.string(),
    grant_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    service_documentation: z.string(),
  })
  .openapi('AuthorizationServerMetadata');

const jwksRoute = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  tags: ['auth'],
  security: [],
  summary: "The public keys of the gateway's token signing keys (active and retiring)",
  responses: { 200: { description: 'JWK set', content: { 'application/json': { schema: Jwks } } } },
});

const metadataRoute = createRoute({
  method: 'get',
  path: '/.well-known/oauth-authorization-server',
  tags: ['auth'],
  security: [],
  summary: 'OAuth 2.0 authorization server metadata (RFC 8414)',
  responses: { 200: { description: 'Metadata', content: { 'application/json': { schema: Metadata } } } },
});

/** The RFC 8414 document for an issuer URL. */
export function authorizationServerMetadata(issuer: string): z.infer<typeof Metadata> {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: [...scopes],
    // No authorization endpoint: the client-credentials grant only.
    response_types_supported: [],
    service_documentation: `${issuer}/docs`,
  };
}

export function registerWellKnown(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openapi(jwksRoute, (c) => {
    const { auth } = services;
    // Short: a rotated-in key must reach other resource servers before its tokens do harm.
    c.header('Cache-Control', 'public, max-age=60');
    return c.json(auth.keys.jwks(), 200);
  });

  app.openapi(metadataRoute, (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(authorizationServerMetadata(services.config.publicUrl), 200);
  });
}
