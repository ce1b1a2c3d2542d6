import { z } from 'zod';

/** Stock-keeping unit: Odoo's `default_code`. No surrounding white space. */
export const Sku = z
  .string()
  .min(1)
  .max(64)
  .regex(/^\S(?:.*\S)?$/, 'must not start or end with white space')
  .describe('Stock-keeping unit (Odoo default_code)');

/**
 * Money and quantities travel as decimal strings, never binary floats, so "19.99" stays 19.99
 * between a storefront, the gateway and Odoo.
 */
export const Decimal = z
  .string()
  .regex(/^-?\d{1,13}(?:\.\d{1,6})?$/, 'must be a decimal number written as a string, e.g. "19.99"')
  .describe('Decimal number as a string');

export const NonNegativeDecimal = Decimal.refine((v) => !v.startsWith('-'), 'must not be negative');

export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"');
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "BE"');
export const Timestamp = z.iso.datetime({ offset: true }).describe('RFC 3339 date-time');
export const Email = z.email().max(254);
/** A partner-chosen identifier: order number, return number, delivery id. */
export const ExternalId = z.string().min(1).max(128).regex(/^\S(?:.*\S)?$/, 'must not start or end with white space');
export const PartnerCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{1,62}$/, 'lower-case letters, digits, "-" and "_", 2 to 63 characters');
export const WarehouseCode = z.string().min(1).max(16);
export const Quantity = z.number().positive().max(1_000_000).describe('Quantity in the product unit of measure');

export const Address = z.strictObject({
  name: z.string().min(1).max(128),
  company: z.string().max(128).optional(),
  street: z.string().min(1).max(256),
  street2: z.string().max(256).optional(),
  city: z.string().min(1).max(128),
  zip: z.string().max(32).optional(),
  state_code: z.string().max(8).optional(),
  country_code: CountryCode,
  phone: z.string().max(64).optional(),
  email: Email.optional(),
});
export type Address = z.infer<typeof Address>;

/** Cursor pagination shared by every list route. */
export const Page = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable(),
  });
