/**
 * Helpers the provider mappers share: exact decimal arithmetic on money strings, address and
 * timestamp normalisation, and validation of the result against the canonical contract.
 */
import type { z } from 'zod';
import type { MappingIssue, MapResult, InboundItem, OrderVersion } from './types.js';
import { callerInputIssue } from '../../../../contracts/src/common.js';

/** Thrown inside a mapper for a payload that cannot be mapped; becomes a 422 with details. */
export class MappingError extends Error {
  constructor(readonly issues: MappingIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.name = 'MappingError';
  }
}

export function fail(path: string, message: string): never {
  throw new MappingError([{ path, message }]);
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object at `path`, or a mapping error naming it. */
export function recordAt(v: unknown, path: string): Record<string, unknown> {
  if (!isRecord(v)) fail(path, 'must be an object');
  return v;
}

/** A non-empty trimmed string, or undefined for null, absent and empty values. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

export function requiredText(v: unknown, path: string): string {
  const t = text(v);
  if (t === undefined) fail(path, 'is required');
  return t;
}

const SCALE = 1_000_000n;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** A decimal string or number as an integer of millionths (exact for up to 6 decimals). */
export function toMicros(v: unknown, path: string): bigint {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(6) : '') : typeof v === 'string' ? v.trim() : '';
  const m = DECIMAL.exec(s);
  if (!m) fail(path, 'must be a decimal amount');
  const frac = (m[3] ?? '').padEnd(6, '0');
  if (frac.length > 6 && /[1-9]/.test(frac.slice(6))) fail(path, 'has more than 6 decimals');
  const value = BigInt(m[2]!) * SCALE + BigInt(frac.slice(0, 6));
  return m[1] === '-' ? -value : value;
}

/** Millionths back to the contract's decimal string, with at least 2 decimals ("19.9" → "19.90"). */
export function fromMicros(micros: bigint): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  let frac = (abs % SCALE).toString().padStart(6, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${neg ? '-' : ''}${abs / SCALE}.${frac}`;
}

export const decimal = (v: unknown, path: string) => fromMicros(toMicros(v, path));

/** A line total per unit, rounded half-up to the millionth. */
export function perUnit(total: bigint, quantity: number, path: string): bigint {
  if (!Number.isInteger(quantity) || quantity <= 0) fail(path, 'must be a positive whole number');
  const q = BigInt(quantity);
  return (total * 2n + q) / (q * 2n);
}

/** A discount as the contract's percentage string (≤ 4 decimals) from the undiscounted and discount amounts. */
export function discountPercent(gross: bigint, discount: bigint): string {
  if (gross <= 0n || discount <= 0n) return '0';
  const pct = Math.min(100, Math.round((Number(discount) / Number(gross)) * 100 * 10_000) / 10_000);
  return String(pct);
}

/** Smallest-unit integers (Stripe) to a decimal string, by the currency's exponent. */
export function fromMinorUnits(amount: unknown, currency: string, path: string): string {
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 0) fail(path, 'must be a non-negative integer amount');
  const exponent = ZERO_DECIMAL.has(currency) ? 0 : THREE_DECIMAL.has(currency) ? 3 : 2;
  return fromMicros(BigInt(amount) * 10n ** BigInt(6 - exponent));
}

/** Stripe's zero-decimal and three-decimal currencies (docs.stripe.com/currencies). */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** An RFC 3339 timestamp from a provider value; naive times (WooCommerce `*_gmt`) are UTC. */
export function timestamp(v: unknown, path: string, naiveIsUtc = false): string {
  const s = text(v);
  if (!s) fail(path, 'is required');
  const withZone = naiveIsUtc && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(s) ? `${s}Z` : s;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(withZone) || Number.isNaN(Date.parse(withZone))) {
    fail(path, 'must be an RFC 3339 date-time');
  }
  return withZone;
}

/** Seconds since epoch to RFC 3339 UTC. */
export function fromUnixSeconds(v: unknown, path: string): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a Unix timestamp');
  return new Date(v * 1000).toISOString();
}

/** Drops keys whose value is undefined, so strict contract objects carry only what was given. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Validates a mapped object against its contract schema; zod issues become mapping issues. */
export function validated<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new MappingError(
      parsed.error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('/'), message: i.message })),
    );
  }
  // The rule every caller string follows (contracts/src/common.ts), for what providers send too.
  const issue = callerInputIssue(parsed.data);
  if (issue) throw new MappingError([{ path: [prefix, issue.path].filter(Boolean).join('/'), message: issue.message }]);
  return parsed.data;
}

/** Thrown inside a mapper when the body does not prove the topic it came under; becomes a 422 `topic_mismatch`. */
export class TopicMismatch extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TopicMismatch';
  }
}

/** Refuses the delivery unless the body proves its topic (`proof` returned null). */
export function requireTopicProof(proof: string | null): void {
  if (proof !== null) throw new TopicMismatch(proof);
}

/** What a mapper produces: the items, and where the delivery stands in its order's history when it matters. */
export type Mapped = InboundItem[] | { items: InboundItem[]; version?: OrderVersion };

/** Runs a mapper body, turning MappingError into the `unprocessable` outcome and TopicMismatch into `topic_mismatch`. */
export async function mapping(fn: () => Mapped | Promise<Mapped>): Promise<MapResult> {
  try {
    const out = await fn();
    if (Array.isArray(out)) return { outcome: 'mapped', items: out };
    return out.version ? { outcome: 'mapped', items: out.items, version: out.version } : { outcome: 'mapped', items: out.items };
  } catch (err) {
    if (err instanceof MappingError) return { outcome: 'unprocessable', details: err.issues };
    if (err instanceof TopicMismatch) return { outcome: 'topic_mismatch', reason: err.reason };
    throw err;
  }
}

/** A provider timestamp (see `timestamp`) as ms since epoch. */
export function timestampMs(v: unknown, path: string, naiveIsUtc = false): number {
  return Date.parse(timestamp(v, path, naiveIsUtc));
}

/** Parses the verified body as provider JSON, or a mapping error. */
export function jsonBody(parse: (text: string) => unknown, raw: Buffer): Record<string, unknown> {
  let body: unknown;
  try {
    body = parse(raw.toString('utf8'));
  } catch {
    fail('', 'the body is not valid JSON');
  }
  return recordAt(body, '');
}
