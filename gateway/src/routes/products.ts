/**
 * Catalog: `GET /v1/products` (variants in the addon's catalog order, cursor pagination, `updated_since`) and
 * `GET /v1/products/{sku}`, served from the catalog cache with an `ETag`.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { Page, Timestamp } from '../../../contracts/src/common.js';
import { ProductVariant } from '../../../contracts/src/product.js';
import { jsonWithEtag, sendTaggedJson, taggedJson, type TaggedJson } from '../catalog/etag.js';
import type { ProductCatalog } from '../catalog/products.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import type { Services } from '../services.js';
import { errorResponses, scopedRoute } from './route.js';

const Query = z.object({
  cursor: z.string().regex(/^\d{1,15}$/).optional().openapi({ description: 'Opaque cursor from `next_cursor`' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  updated_since: Timestamp.optional().describe('Only variants changed at or after this time (RFC 3339)'),
});

const cacheHeaders = { ETag: { schema: { type: 'string' as const }, description: 'Tag of this answer; send it back in If-None-Match' } };

const listProducts = scopedRoute('products:read', {
  method: 'get',
  path: '/v1/products',
  tags: ['catalog'],
  summary: 'List sellable variants in a stable order, with cursor pagination',
  request: { query: Query },
  responses: {
    200: { description: 'A page of variants', headers: cacheHeaders, content: { 'application/json': { schema: Page(ProductVariant) } } },
    304: { description: 'Not modified (If-None-Match)' },
    ...errorResponses([400, 'Bad query'], [422, 'Bad query'], [503, 'The catalog could not be read from Odoo and is not cached']),
  },
});

export const getProduct = scopedRoute('products:read', {
  method: 'get',
  path: '/v1/products/{sku}',
  tags: ['catalog'],
  summary: 'One variant by SKU',
  request: { params: z.object({ sku: z.string().min(1).max(64).openapi({ param: { name: 'sku', in: 'path' }, example: 'FURN_8888' }) }) },
  responses: {
    200: { description: 'The variant', headers: cacheHeaders, content: { 'application/json': { schema: ProductVariant } } },
    304: { description: 'Not modified (If-None-Match)' },
    ...errorResponses([404, 'No such SKU'], [503, 'The catalog could not be read from Odoo']),
  },
});

const unavailable = (e: unknown) => {
  if (e instanceof ApiError) throw e;
  throw new ApiError('upstream_unavailable', 'The catalog could not be read from Odoo.', { odoo: e instanceof Error ? e.name : 'error' });
};

/** Variants as answered, serialised and tagged once per variant object (the catalog replaces a variant it updates). */
const renderedVariants = new WeakMap<ProductVariant, TaggedJson>();

/** The answer of `GET /v1/products/{sku}` (the route and the fast lane both answer with it). */
export async function productAnswer(catalog: ProductCatalog, sku: string, requestId: string): Promise<TaggedJson> {
  const variant = await catalog.get(sku, requestId).catch(unavailable);
  if (!variant) throw new ApiError('not_found', `No product with SKU ${JSON.stringify(sku)}.`);
  let answer = renderedVariants.get(variant);
  if (!answer) renderedVariants.set(variant, (answer = taggedJson(variant)));
  return answer;
}

export function registerProducts(app: OpenAPIHono<AppEnv>, services: Services): void {
  const { catalog } = services;

  app.openapi(listProducts, async (c) => {
    const { cursor, limit, updated_since } = c.req.valid('query');
    const page = await catalog
      .page({ after: cursor ? Number(cursor) : 0, limit, updatedSince: updated_since, requestId: c.get('requestId') })
      .catch(unavailable);
    return jsonWithEtag(c, { data: page.items.map((v) => v.variant), next_cursor: page.nextCursor }) as never;
  });

  app.openapi(getProduct, async (c) => {
    const { sku } = c.req.valid('param');
    return sendTaggedJson(c, await productAnswer(catalog, sku, c.get('requestId'))) as never;
  });
}
