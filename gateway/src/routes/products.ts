import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { Page, Timestamp } from '../../../contracts/src/common.js';
import { ErrorBody } from '../../../contracts/src/errors.js';
import { ProductVariant } from '../../../contracts/src/product.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import type { Services } from '../services.js';

interface OdooVariantRow {
  id: number;
  default_code: string | false;
  barcode: string | false;
  display_name: string;
  lst_price: number;
  active: boolean;
  write_date: string;
  currency_id: [number, string] | false;
}

const Query = z.object({
  cursor: z.string().regex(/^\d+$/).optional().openapi({ description: 'Opaque cursor from `next_cursor`' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  updated_since: Timestamp.optional(),
});

const listProducts = createRoute({
  method: 'get',
  path: '/v1/products',
  tags: ['catalog'],
  summary: 'List sellable variants in a stable order, with cursor pagination',
  request: { query: Query },
  responses: {
    200: { description: 'A page of variants', content: { 'application/json': { schema: Page(ProductVariant) } } },
    400: { description: 'Bad query', content: { 'application/json': { schema: ErrorBody } } },
  },
});

/** Odoo writes UTC "YYYY-MM-DD HH:MM:SS"; the API speaks RFC 3339. */
const odooTime = (v: string) => `${v.replace(' ', 'T')}Z`;
const toOdooTime = (iso: string) => new Date(iso).toISOString().slice(0, 19).replace('T', ' ');

export function toVariant(row: OdooVariantRow): z.infer<typeof ProductVariant> {
  return {
    sku: row.default_code || `odoo-${row.id}`,
    barcode: row.barcode || null,
    name: row.display_name,
    attributes: {},
    list_price: row.lst_price.toFixed(2),
    currency: row.currency_id ? row.currency_id[1] : 'EUR',
    active: row.active,
    updated_at: odooTime(row.write_date),
  };
}

/** Catalog reads straight from Odoo, ordered by id so the cursor is stable under concurrent edits. */
export function registerProducts(app: OpenAPIHono<AppEnv>, services: Services): void {
  app.openapi(listProducts, async (c) => {
    const { cursor, limit, updated_since } = c.req.valid('query');
    const domain: unknown[] = [['sale_ok', '=', true]];
    if (cursor) domain.push(['id', '>', Number(cursor)]);
    if (updated_since) domain.push(['write_date', '>=', toOdooTime(updated_since)]);
    const rows = await services.odoo
      .call<OdooVariantRow[]>(
        'product.product',
        'search_read',
        {
          kwargs: {
            domain,
            fields: ['default_code', 'barcode', 'display_name', 'lst_price', 'active', 'write_date', 'currency_id'],
            order: 'id asc',
            limit: limit + 1,
          },
        },
        { requestId: c.get('requestId') },
      )
      .catch((err: Error) => {
        throw new ApiError('upstream_unavailable', 'The catalog could not be read from Odoo.', { odoo: err.name });
      });
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? String(page[page.length - 1]!.id) : null;
    return c.json({ data: page.map(toVariant), next_cursor: next }, 200);
  });
}
