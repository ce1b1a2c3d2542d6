/** The golden API order (contracts/examples/api/order.json) as the intake queue takes it, for the queue's tests. */
import { readFileSync } from 'node:fs';
import type { AcceptInput } from '../../gateway/src/intake/queue.js';

export const exampleOrder = JSON.parse(readFileSync(new URL('../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** An accept of the golden order under `externalId`, from the API, for `partner`. */
export const orderInput = (externalId: string, partner = 'acme', extra: Partial<AcceptInput> = {}): AcceptInput => ({
  partner,
  kind: 'order',
  externalId,
  payload: { ...exampleOrder, external_id: externalId },
  requestId: `req-${externalId}`,
  source: 'api',
  ...extra,
});
