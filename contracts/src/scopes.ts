import { z } from 'zod';

/** Every scope a partner token can carry. `admin` can do anything. */
export const scopes = [
  'products:read',
  'inventory:read',
  'inventory:write',
  'orders:read',
  'orders:write',
  'returns:read',
  'returns:write',
  'shipments:read',
  'shipments:write',
  'customers:read',
  'webhooks:manage',
  'events:replay',
  'admin',
] as const;
export const Scope = z.enum(scopes);
export type Scope = z.infer<typeof Scope>;

export const RateLimitTier = z.enum(['standard', 'premium', 'internal']);
export type RateLimitTier = z.infer<typeof RateLimitTier>;
