/**
 * JSON parsing for provider payloads. Shopify ids exceed 2^53 (e.g. 820982911946154508) and would
 * be rounded by `JSON.parse`; integers of 16 digits or more are therefore read as strings, so an
 * order id survives to the canonical `external_id` digit for digit.
 */

// A string literal (kept as is) or a bare integer of 16+ digits that is not part of a fraction or
// an exponent.
const BIG_INTEGER = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])(-?\d{16,})(?=\s*(?:[,}\]]|$))/g;

/** Parses JSON text, keeping integers of 16+ digits as their decimal string. Throws SyntaxError. */
export function parseProviderJson(text: string): unknown {
  const quoted = text.replace(BIG_INTEGER, (match, digits: string | undefined) => (digits === undefined ? match : `"${digits}"`));
  return JSON.parse(quoted);
}
