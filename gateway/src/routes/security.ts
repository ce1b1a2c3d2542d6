/**
 * How routes declare their auth in the OpenAPI document: the OAuth 2.0 client-credentials scheme
 * with the scope the route requires (the same scope its `requireScope` middleware enforces), or no
 * auth at all for public and signature-checked routes.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { scopes, type Scope } from '../../../contracts/src/scopes.js';
import type { AppEnv } from '../context.js';

export const SECURITY_SCHEME = 'partnerOAuth';

const scopeHelp: Record<Scope, string> = {
  'products:read': 'Read the catalog',
  'inventory:read': 'Read availability',
  'inventory:write': 'Send stock counts (3PLs)',
  'orders:read': 'Read own orders',
  'orders:write': 'Submit and cancel orders',
  'returns:read': 'Read own returns',
  'returns:write': 'Announce returns',
  'shipments:read': 'Read shipments of own orders',
  'shipments:write': 'Confirm shipments (3PLs)',
  'customers:read': "See customers' personal data",
  'webhooks:manage': 'Manage webhook subscriptions',
  'events:replay': 'Replay own deliveries',
  admin: 'Everything, including rotation and replay for any partner',
};

/** `security` of a route that needs `scope`. */
export const requiresScope = (scope: Scope) => [{ [SECURITY_SCHEME]: [scope] }];

/** `security` of a route that takes no token (public, or checked by a signature instead). */
export const noToken: { [name: string]: string[] }[] = [];

export function registerSecurityScheme(app: OpenAPIHono<AppEnv>, publicUrl: string): void {
  app.openAPIRegistry.registerComponent('securitySchemes', SECURITY_SCHEME, {
    type: 'oauth2',
    description: 'Client credentials; send the access token as `Authorization: Bearer …`.',
    flows: { clientCredentials: { tokenUrl: `${publicUrl}/oauth/token`, scopes: Object.fromEntries(scopes.map((s) => [s, scopeHelp[s]])) } },
  });
}
