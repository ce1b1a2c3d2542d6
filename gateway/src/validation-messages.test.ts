/**
 * Validation messages say what a field takes, in the caller's terms, read from the schema that
 * refused the value; the field's path is put in front by `fieldMessage`.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldMessage, fieldName } from './validation-messages.js';

const messages = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error!.issues.map((i) => fieldMessage(i.path, i.message, 'request body'));

describe('validation messages', () => {
  const Query = z.object({
    limit: z.coerce.number().int().min(1).max(200).optional(),
    page: z.coerce.number().int().min(0).optional(),
    ratio: z.number().max(1).optional(),
    status: z.enum(['pending', 'delivered', 'dead']).optional(),
  });

  it('state integer ranges for text, fractions and values out of range', () => {
    for (const limit of ['abc', '1.5', '0', '201']) expect(messages(Query, { limit })).toEqual(['limit must be an integer between 1 and 200']);
    expect(messages(Query, { page: '-1' })).toEqual(['page must be an integer of at least 0']);
    expect(messages(Query, { ratio: 2 })).toEqual(['ratio must be a number of at most 1']);
  });

  it('list the values of an enum', () => {
    expect(messages(Query, { status: 'bogus' })).toEqual(['status must be one of "pending", "delivered", "dead"']);
  });

  it('name required fields, lengths, string formats and unknown fields, with their path', () => {
    const Body = z.strictObject({
      external_id: z.string().min(1).max(8),
      email: z.email().optional(),
      placed_at: z.iso.datetime({ offset: true }).optional(),
      url: z.url().optional(),
      lines: z.array(z.object({ quantity: z.number().int().min(1) })).min(1).optional(),
    });
    expect(messages(Body, {})).toEqual(['external_id is required']);
    expect(messages(Body, { external_id: '' })).toEqual(['external_id must not be empty']);
    expect(messages(Body, { external_id: 'x'.repeat(9) })).toEqual(['external_id must be at most 8 characters long']);
    expect(messages(Body, { external_id: 'a', email: 'nope' })).toEqual(['email must be an e-mail address']);
    expect(messages(Body, { external_id: 'a', placed_at: 'yesterday' })).toEqual(['placed_at must be a date-time in ISO 8601 with a time zone, e.g. 2026-01-31T09:30:00Z']);
    expect(messages(Body, { external_id: 'a', url: 'not a url' })).toEqual(['url must be a URL']);
    expect(messages(Body, { external_id: 'a', lines: [] })).toEqual(['lines must not be empty']);
    expect(messages(Body, { external_id: 'a', lines: [{ quantity: 0 }] })).toEqual(['lines[0].quantity must be an integer of at least 1']);
    expect(messages(Body, { external_id: 'a', colour: 'red' })).toEqual(['request body has an unknown field: "colour"']);
    expect(messages(Body, 'text')).toEqual(['request body must be an object']);
  });

  it('keep a message the schema states itself', () => {
    const Code = z.object({ code: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"') });
    expect(messages(Code, { code: 'eur' })).toEqual(['code must be an ISO 4217 code such as "EUR"']);
  });

  it('write paths as a caller does', () => {
    expect(fieldName(['lines', 0, 'quantity'])).toBe('lines[0].quantity');
    expect(fieldName(['limit'])).toBe('limit');
  });
});
