import { z } from 'zod';
import { Address, Email, ExternalId, Timestamp } from './common.js';

export const ConsentChannel = z.enum(['email', 'sms', 'phone', 'post', 'push']);
export const MarketingConsent = z.strictObject({
  channel: ConsentChannel,
  status: z.enum(['opted_in', 'opted_out']),
  at: Timestamp,
  source: z.string().min(1).max(64).describe('Where the choice was made, e.g. "checkout" or "shopify"'),
});
export type MarketingConsent = z.infer<typeof MarketingConsent>;

export const Customer = z.strictObject({
  external_id: ExternalId.optional().describe("The customer's id in the partner's system"),
  email: Email,
  name: z.string().min(1).max(128),
  phone: z.string().max(64).optional(),
  address: Address.optional(),
  consents: z.array(MarketingConsent).default([]),
});
export type Customer = z.infer<typeof Customer>;
