/**
 * Validation messages in the caller's terms. Zod's defaults speak of its own types ("expected
 * number, received NaN"); these say what the field takes ("must be an integer between 1 and 200"),
 * read from the schema that refused the value: integer ranges, lengths, enums, string formats and
 * required fields. A message a schema states itself (`.regex(re, 'must be …')`) still wins.
 *
 * Installed once for the process (zod's `customError`) when this module is loaded; `errors.ts`
 * loads it, and `fieldMessage` puts the field's name in front for the `details` of a 422.
 */
import { z } from 'zod';

interface CheckDef {
  check?: string;
  value?: number;
  inclusive?: boolean;
  format?: string;
}

interface SchemaLike {
  _zod?: { def?: { type?: string; format?: string; checks?: { _zod?: { def?: CheckDef } }[] } };
}

interface IssueLike {
  code: string;
  input?: unknown;
  inst?: unknown;
  schema?: unknown;
  expected?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  values?: unknown[];
  format?: string;
  pattern?: string;
  prefix?: string;
  suffix?: string;
  includes?: string;
  divisor?: number;
  keys?: string[];
}

/** A number schema's kind and bounds, from its checks. */
function numberShape(schema: unknown): { int: boolean; min?: number; max?: number } | undefined {
  const def = (schema as SchemaLike | undefined)?._zod?.def;
  if (!def || def.type !== 'number') return undefined;
  let int = /int/.test(def.format ?? '');
  let min: number | undefined;
  let max: number | undefined;
  for (const check of def.checks ?? []) {
    const c = check._zod?.def;
    if (!c) continue;
    if (c.check === 'number_format' && /int/.test(c.format ?? '')) int = true;
    if (c.check === 'greater_than' && typeof c.value === 'number') min = c.inclusive ? c.value : c.value + (int ? 1 : 0);
    if (c.check === 'less_than' && typeof c.value === 'number') max = c.inclusive ? c.value : c.value - (int ? 1 : 0);
  }
  // A safe-integer format is a bound of its own, not one a caller needs to hear about.
  if (min !== undefined && min <= Number.MIN_SAFE_INTEGER) min = undefined;
  if (max !== undefined && max >= Number.MAX_SAFE_INTEGER) max = undefined;
  return { int, min, max };
}

function numberMessage(shape: { int: boolean; min?: number; max?: number }): string {
  const kind = shape.int ? 'an integer' : 'a number';
  if (shape.min !== undefined && shape.max !== undefined) return `must be ${kind} between ${shape.min} and ${shape.max}`;
  if (shape.min !== undefined) return `must be ${kind} of at least ${shape.min}`;
  if (shape.max !== undefined) return `must be ${kind} of at most ${shape.max}`;
  return `must be ${kind}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list (JSON array)',
  date: 'a date',
  bigint: 'an integer',
};

const FORMAT_NAMES: Record<string, string> = {
  email: 'an e-mail address',
  url: 'a URL',
  uuid: 'a UUID',
  guid: 'a UUID',
  datetime: 'a date-time in ISO 8601 with a time zone, e.g. 2026-01-31T09:30:00Z',
  date: 'a date as YYYY-MM-DD',
  time: 'a time as HH:MM[:SS]',
  duration: 'an ISO 8601 duration',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  cidrv4: 'an IPv4 CIDR range',
  cidrv6: 'an IPv6 CIDR range',
  base64: 'base64',
  base64url: 'base64url',
  e164: 'a phone number in E.164 form, e.g. +3225551234',
};

const quote = (v: unknown) => (typeof v === 'string' ? `"${v}"` : String(v));

/** The message for one issue, or undefined to keep zod's own. */
export function humanMessage(iss: IssueLike): string | undefined {
  const schema = iss.schema ?? iss.inst;
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return 'is required';
      const shape = numberShape(schema);
      if (shape) return numberMessage(shape);
      return iss.expected && TYPE_NAMES[iss.expected] ? `must be ${TYPE_NAMES[iss.expected]}` : undefined;
    }
    case 'too_big':
    case 'too_small': {
      const big = iss.code === 'too_big';
      const bound = Number(big ? iss.maximum : iss.minimum);
      if (iss.origin === 'number' || iss.origin === 'int' || iss.origin === 'bigint') {
        const shape = numberShape(schema) ?? { int: iss.origin !== 'number', ...(big ? { max: bound } : { min: bound }) };
        return numberMessage(shape);
      }
      if (iss.origin === 'string') {
        if (!big && bound === 1) return 'must not be empty';
        return `must be ${big ? 'at most' : 'at least'} ${bound} character${bound === 1 ? '' : 's'} long`;
      }
      if (iss.origin === 'array' || iss.origin === 'set') {
        if (!big && bound === 1) return 'must not be empty';
        return `must have ${big ? 'at most' : 'at least'} ${bound} item${bound === 1 ? '' : 's'}`;
      }
      return undefined;
    }
    case 'invalid_value': {
      const values = iss.values ?? [];
      if (values.length === 1) return `must be ${quote(values[0])}`;
      return values.length > 0 ? `must be one of ${values.map(quote).join(', ')}` : undefined;
    }
    case 'invalid_format': {
      if (iss.format === 'starts_with') return `must start with "${iss.prefix}"`;
      if (iss.format === 'ends_with') return `must end with "${iss.suffix}"`;
      if (iss.format === 'includes') return `must contain "${iss.includes}"`;
      if (iss.format && FORMAT_NAMES[iss.format]) return `must be ${FORMAT_NAMES[iss.format]}`;
      if (iss.format === 'regex' && iss.pattern) return `does not have the expected form (${iss.pattern})`;
      return undefined;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${iss.divisor}`;
    case 'unrecognized_keys': {
      const keys = iss.keys ?? [];
      return `has ${keys.length === 1 ? 'an unknown field' : 'unknown fields'}: ${keys.map(quote).join(', ')}`;
    }
    case 'invalid_union':
      return 'does not match any of the accepted forms';
    default:
      return undefined;
  }
}

z.config({ customError: (iss) => humanMessage(iss as unknown as IssueLike) });

/** The field as a caller writes it: `lines[0].quantity`. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/**
 * A detail's message with its field in front: `limit must be an integer between 1 and 200`.
 * `whole` names the value when the path is empty (the request body itself).
 */
export function fieldMessage(path: readonly PropertyKey[], message: string, whole: string): string {
  const field = path.length > 0 ? fieldName(path) : whole;
  return /^(must|is|are|has|have|does|cannot|should)\b/.test(message) ? `${field} ${message}` : `${field}: ${message}`;
}
