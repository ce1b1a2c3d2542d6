/**
 * The golden request examples: each file validates against its contract schema, and each is the
 * example of its request body in the OpenAPI document.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { Return, ShipmentConfirmation, StockCount } from '../../contracts/src/fulfilment.js';
import { Order } from '../../contracts/src/order.js';
import { CancelBody } from '../../gateway/src/routes/orders.js';

const dir = new URL('../../contracts/examples/api/', import.meta.url);

const schemas: Record<string, { schema: z.ZodType; path: string }> = {
  'order.json': { schema: Order, path: '/v1/orders' },
  'order-cancel-request.json': { schema: CancelBody, path: '/v1/orders/{id}/cancel' },
  'return.json': { schema: Return, path: '/v1/returns' },
  'shipment-confirmation.json': { schema: ShipmentConfirmation, path: '/v1/shipments' },
  'stock-count.json': { schema: StockCount, path: '/v1/inventory/counts' },
};

describe('contracts/examples/api', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('has a schema for every example file', () => {
    expect(files.sort()).toEqual(Object.keys(schemas).sort());
  });

  it.each(Object.entries(schemas))('%s matches its schema', (file, { schema }) => {
    const value: unknown = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    const parsed = schema.safeParse(value);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('a broken example would fail (the check is real)', () => {
    const order = JSON.parse(readFileSync(new URL('order.json', dir), 'utf8')) as Record<string, unknown>;
    expect(Order.safeParse({ ...order, lines: [] }).success).toBe(false);
    expect(Order.safeParse({ ...order, state: 'sale' }).success).toBe(false);
  });
});
