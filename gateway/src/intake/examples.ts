/**
 * The golden request examples (contracts/examples/api/*.json): shown in the OpenAPI document for
 * every request body, validated against their schemas by a test, and posted to the demo as they are.
 */
import order from '../../../contracts/examples/api/order.json' with { type: 'json' };
import orderCancel from '../../../contracts/examples/api/order-cancel-request.json' with { type: 'json' };
import returnExample from '../../../contracts/examples/api/return.json' with { type: 'json' };
import shipment from '../../../contracts/examples/api/shipment-confirmation.json' with { type: 'json' };
import stockCount from '../../../contracts/examples/api/stock-count.json' with { type: 'json' };

export const apiExamples = {
  order,
  'order-cancel-request': orderCancel,
  return: returnExample,
  'shipment-confirmation': shipment,
  'stock-count': stockCount,
} as const;

export type ApiExampleName = keyof typeof apiExamples;

/** A deep copy of a golden example. */
export function apiExample<N extends ApiExampleName>(name: N): (typeof apiExamples)[N] {
  return structuredClone(apiExamples[name]);
}
