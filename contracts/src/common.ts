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

/**
 * Two rules for everything a caller sends (request bodies, path and query parameters, mapped
 * provider payloads), checked in one walk:
 * - no string or object key carries U+0000: PostgreSQL's text types refuse it, and no legitimate
 *   name, note or identifier needs it;
 * - no object key is `__proto__`, nor `constructor` holding a `prototype`: no contract has such a
 *   field, and code that copies objects key by key must never meet one.
 */
export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';
export const PROTOTYPE_KEY_MESSAGE = 'must not use the key "__proto__", nor "constructor" with a "prototype"';

export interface CallerInputIssue {
  /** `/`-joined path of the offending value or key ('' for the whole value). */
  path: string;
  message: string;
  code: 'nul_character' | 'prototype_key';
}

/**
 * The first place in `value` that breaks the caller-input rules above; null if none. Iterative,
 * and a path is spelt only for the place it reports, so however deep a parsed body nests neither
 * the stack nor the work grows beyond the body's size.
 */
export function callerInputIssue(value: unknown): CallerInputIssue | null {
  interface Node {
    value: unknown;
    key: string;
    parent: Node | null;
  }
  const pathOf = (node: Node | null, last?: string): string => {
    const keys: string[] = last === undefined ? [] : [last];
    for (let n = node; n && n.parent; n = n.parent) keys.push(n.key);
    return keys.reverse().join('/');
  };
  const stack: Node[] = [{ value, key: '', parent: null }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === 'string') {
      if (v.includes('\0')) return { path: pathOf(node), message: NUL_MESSAGE, code: 'nul_character' };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: String(i), parent: node });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [key, child] of entries) {
        if (key.includes('\0')) return { path: pathOf(node, key.replaceAll('\0', '\\u0000')), message: NUL_MESSAGE, code: 'nul_character' };
        if (key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype'))) {
          return { path: pathOf(node, key), message: PROTOTYPE_KEY_MESSAGE, code: 'prototype_key' };
        }
      }
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], key: entries[i]![0], parent: node });
    }
  }
  return null;
}
