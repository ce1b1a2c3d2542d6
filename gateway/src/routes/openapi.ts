/**
 * The API description: `/openapi.json` (OpenAPI 3.1, generated from the routes' zod schemas) and
 * `/docs`, the same document as a self-contained, server-rendered reference page (no CDN, no
 * external script; `docs-page.ts`), readable without JavaScript.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import type { Services } from '../services.js';
import { renderDocsPage, type OpenApiDocument } from './docs-page.js';
import { registerSecurityScheme } from './security.js';

export const OPENAPI_INFO = {
  title: 'retail-gateway API',
  version: '1.0.0',
  description:
    'Partner API of the retail gateway in front of Odoo. Authenticate with `POST /oauth/token` (client credentials) and send the token as `Authorization: Bearer …`. ' +
    'Writes are accepted durably (202 + Location) and reach Odoo exactly once; errors share one body `{ "error": { code, message, request_id, details } }`.',
};

export function registerOpenApi(app: OpenAPIHono<AppEnv>, services: Services): void {
  registerSecurityScheme(app, services.config.publicUrl);
  const documentConfig = () => ({
    openapi: '3.1.0',
    info: OPENAPI_INFO,
    servers: [{ url: services.config.publicUrl }],
  });
  app.doc31('/openapi.json', documentConfig);
  // Rendered on first request (every route is registered by then), then served as is.
  let page: string | undefined;
  app.get('/docs', (c) => {
    page ??= renderDocsPage(app.getOpenAPI31Document(documentConfig()) as OpenApiDocument);
    c.header('Content-Security-Policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'");
    return c.html(page);
  });
}
