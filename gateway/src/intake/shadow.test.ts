import { describe, expect, it } from 'vitest';
import type { ProductVariant } from '../../../contracts/src/product.js';
import type { IntakeItem } from './queue.js';
import { createShadowEvaluator } from './shadow.js';

const catalog = { get: async (sku: string) => ({ sku, active: true }) as ProductVariant };
const item = (kind: string, quantity: number) => ({ id: `${kind}-${quantity}`, partner: 'shadowco', kind, requestId: 'r', payload: { lines: [{ sku: 'FURN_8888', quantity }] } }) as unknown as IntakeItem;

describe('shadow judgement of the line quantity ceiling', () => {
  it("predicts quantity_limit for an order line above the partner's ceiling, as Odoo would answer", async () => {
    const judge = createShadowEvaluator(catalog, (partner) => (partner === 'shadowco' ? 50 : 10_000));
    const judged = await judge([item('order', 51), item('order', 50), item('return', 51)]);
    const [over, at, aReturn] = judged.map((s) => ('shadow' in s ? s.shadow : null));
    expect(over).toEqual({ outcome: 'would_reject', reasons: [expect.objectContaining({ code: 'quantity_limit', field: 'lines/0/quantity' })] });
    expect(at).toEqual({ outcome: 'would_create', reasons: [] });
    expect(aReturn?.outcome).toBe('would_create');
  });
});
