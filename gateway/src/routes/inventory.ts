/**
 * Availability and stock counts: `GET /v1/inventory` (from the cache, ETag / If-None-Match),
 * `GET /v1/inventory/snapshot` (every SKU and warehouse as NDJSON, for reconciliation),
 * `POST /v1/inventory/counts` (a 3PL's counted quantities, queued for an inventory adjustment) and
 * `GET /v1/inventory/counts/{id}`.
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { Availability } from '../../../contracts/src/availability.js';
import { Sku } from '../../../contracts/src/common.js';
import { StockCount } from '../../../contracts/src/fulfilment.js';
import { IntakeItemStatus, IntakeReceipt } from '../../../contracts/src/intake.js';
import { type AvailabilityCache, AvailabilityUnavailableError } from '../catalog/availability.js';
import { sendTaggedJson, taggedJson, type TaggedJson } from '../catalog/etag.js';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';
import { apiExample } from '../intake/examples.js';
import { acceptWrite, allowedWarehouses, assertWarehouseAllowed, IdempotencyHeaders, intakeOf, itemStatus, ownItem, ownershipGuard } from '../intake/http.js';
import type { Services } from '../services.js';
import { errorResponses, scopedRoute } from './route.js';


const MAX_SKUS = 100;
/** The query of `GET /v1/inventory` (the fast lane validates with it too). */
export const InventoryQuery = z.object({
  sku: z
    .string()
    .min(1)
    .openapi({ description: `One SKU, or up to ${MAX_SKUS} separated by commas`, example: 'FURN_8888,FURN_0001' })
    .transform((v, ctx) => {
      const list = [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))];
      if (list.length === 0 || list.length > MAX_SKUS || list.some((s) => !Sku.safeParse(s).success)) {
        ctx.addIssue({ code: 'custom', message: `must be 1 to ${MAX_SKUS} SKUs separated by commas` });
        return z.NEVER;
      }
      return list;
    }),
  warehouse: z.string().min(1).max(16).optional().openapi({ description: 'Warehouse code; all warehouses when absent', example: 'WH' }),
});

const AvailabilityList = z.object({
  data: z.array(Availability),
  not_found: z
    .array(Sku)
    .optional()
    .openapi({ description: 'The SKUs asked for that have no availability line: not a stocked, sellable SKU in Odoo (or none in the warehouse asked for). Absent when every SKU has one.' }),
});

export const getInventory = scopedRoute('inventory:read', {
  method: 'get',
  path: '/v1/inventory',
  tags: ['inventory'],
  summary: 'Availability per SKU and warehouse (available = max(0, on_hand − reserved − safety_stock) less the units promised to accepted orders Odoo has not reserved yet), with as_of',
  request: { query: InventoryQuery },
  responses: {
    200: {
      description: 'Availability; `stale` marks figures that could not be refreshed within the freshness target',
      headers: { ETag: { schema: { type: 'string' } } },
      content: { 'application/json': { schema: AvailabilityList } },
    },
    304: { description: 'Not modified (If-None-Match)' },
    ...errorResponses([403, 'Insufficient scope, or a warehouse of another partner'], [422, 'Bad query'], [503, 'Odoo is unreachable and nothing is cached']),
  },
});

const snapshot = scopedRoute('inventory:read', {
  method: 'get',
  path: '/v1/inventory/snapshot',
  tags: ['inventory'],
  summary: 'Every SKU and warehouse, one availability per line (NDJSON), read from Odoo for batch reconciliation',
  responses: {
    200: { description: 'application/x-ndjson: one Availability object per line', content: { 'application/x-ndjson': { schema: Availability } } },
  },
});

const postCount = scopedRoute('inventory:write', {
  method: 'post',
  path: '/v1/inventory/counts',
  tags: ['inventory'],
  summary: 'Send counted quantities; they become an applied inventory adjustment in Odoo',
  middleware: [ownershipGuard('stock_count')],
  request: {
    headers: IdempotencyHeaders.pick({ 'idempotency-key': true }),
    body: { required: true, content: { 'application/json': { schema: StockCount, example: apiExample('stock-count') } } },
  },
  responses: {
    202: { description: 'Accepted durably; poll `Location`', content: { 'application/json': { schema: IntakeReceipt } } },
    ...errorResponses([403, 'Insufficient scope, or a warehouse of another partner'], 409, 422),
  },
});

const getCount = scopedRoute('inventory:write', {
  method: 'get',
  path: '/v1/inventory/counts/{id}',
  tags: ['inventory'],
  summary: 'The outcome of a stock count',
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'The count', content: { 'application/json': { schema: IntakeItemStatus } } },
    ...errorResponses([404, 'No such count']),
  },
});

/** The last rendered-answer key made for a SKU list, with what it was made for. */
const renderKeys = new WeakMap<readonly string[], { allowed: readonly string[]; warehouse: string | undefined; key: string }>();

/**
 * The rendered answer's key: unambiguous (two self-delimiting JSON values, then the SKUs, which
 * cannot hold a comma). The fast lane passes the same SKU list for the same query text and the
 * same warehouse list for a partner, so the key string is made once, not per read: measured, the
 * key (two `JSON.stringify`, a join) and the hashing of a new string in the lookup were a read's
 * largest cost of the gateway's own.
 */
function renderKey(allowed: readonly string[], sku: readonly string[], warehouse: string | undefined): string {
  const known = renderKeys.get(sku);
  if (known && known.allowed === allowed && known.warehouse === warehouse) return known.key;
  const key = `${JSON.stringify(warehouse ?? null)}${JSON.stringify(allowed)}${sku.join(',')}`;
  renderKeys.set(sku, { allowed, warehouse, key });
  return key;
}

/**
 * The answer of `GET /v1/inventory` once the caller may see the warehouse (the route and the fast
 * lane both answer with it): serialised and tagged once and reused while the cache holds it
 * unchanged, synchronously when it is remembered.
 */
export function inventoryAnswer(cache: AvailabilityCache, allowed: readonly string[], sku: readonly string[], warehouse: string | undefined, requestId: string): TaggedJson | Promise<TaggedJson> {
  const key = renderKey(allowed, sku, warehouse);
  const remembered = cache.renderedNow<TaggedJson>(key);
  if (remembered) return remembered;
  return cache
    .lookupRendered(key, sku, warehouse, requestId, (items) => {
      // A filter naming SKUs answers 200 with what it found; the SKUs it found nothing for are named.
      const notFound = sku.filter((s) => !items.some((a) => a.sku === s));
      const data = allowed.length > 0 ? items.filter((a) => allowed.includes(a.warehouse)) : items;
      return taggedJson(notFound.length > 0 ? { data, not_found: notFound } : { data });
    })
    .catch((e: unknown) => {
      if (e instanceof AvailabilityUnavailableError) throw new ApiError('upstream_unavailable', 'Availability could not be read from Odoo and is not cached.');
      throw e;
    });
}

export function registerInventory(app: OpenAPIHono<AppEnv>, services: Services): void {
  const cache = services.availability;

  app.openapi(getInventory, async (c) => {
    const { sku, warehouse } = c.req.valid('query');
    if (warehouse) assertWarehouseAllowed(c, warehouse);
    return sendTaggedJson(c, await inventoryAnswer(cache, allowedWarehouses(c), sku, warehouse, c.get('requestId'))) as never;
  });

  app.openapi(snapshot, (c) => {
    const allowed = allowedWarehouses(c);
    const requestId = c.get('requestId');
    c.header('Content-Type', 'application/x-ndjson');
    c.header('Cache-Control', 'no-store');
    return stream(c, async (s) => {
      try {
        for await (const page of cache.scan(requestId)) {
          const lines = page.filter((a) => allowed.length === 0 || allowed.includes(a.warehouse)).map((a) => `${JSON.stringify(a)}\n`);
          if (lines.length) await s.write(lines.join(''));
        }
      } catch (e) {
        // Headers are gone: end with an error line a reconciler can detect, never a silent short file.
        c.get('log').error({ err: e }, 'inventory snapshot interrupted');
        await s.write(`${JSON.stringify({ error: { code: 'upstream_unavailable', message: 'The snapshot was interrupted: Odoo stopped answering.', request_id: requestId } })}\n`);
      }
    }) as never;
  });

  app.openapi(postCount, async (c) => {
    const count = c.req.valid('json');
    assertWarehouseAllowed(c, count.warehouse);
    return acceptWrite(c, intakeOf(c), {
      kind: 'stock_count',
      externalId: count.external_id,
      payload: count,
      prevalidated: true,
      location: (id) => `/v1/inventory/counts/${id}`,
    }) as never;
  });

  app.openapi(getCount, async (c) => {
    const item = await ownItem(c, c.req.valid('param').id, 'stock_count', 'stock count');
    return c.json(itemStatus(item), 200);
  });
}
