import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../../contracts/src/events.js';

export const TEST_EVENT_SOURCE = 'urn:retail-gateway:webhooks';

/** The `webhook.test` envelope a partner sends itself to check its endpoint and signature code. */
export function testEnvelope(partner: string, subscriptionId: number, nowMs: number): Extract<EventEnvelope, { type: 'webhook.test' }> {
  return {
    id: `test_${randomUUID()}`,
    source: TEST_EVENT_SOURCE,
    specversion: '1.0',
    type: 'webhook.test',
    time: new Date(nowMs).toISOString(),
    subject: `retail_gateway.subscription/${subscriptionId}`,
    datacontenttype: 'application/json',
    // Test pings of one subscription share its subject; the clock keeps their sequence increasing.
    sequence: nowMs,
    data: { subscription_id: subscriptionId, partner, message: 'Test event from the retail gateway: your endpoint and signature check work.' },
  };
}
