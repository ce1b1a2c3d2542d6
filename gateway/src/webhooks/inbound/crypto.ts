/**
 * The primitives every inbound scheme shares: HMAC-SHA256 over raw bytes and a constant-time
 * comparison that never short-circuits on content.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of the concatenated parts (each a string as UTF-8, or raw bytes). */
export function hmacSha256(key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Constant-time equality of two byte strings. Lengths are not secret (a SHA-256 digest is always
 * 32 bytes), so a length mismatch answers false at once; equal lengths go through
 * `crypto.timingSafeEqual`.
 */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** Decodes a canonical base64 SHA-256 digest (44 characters), or null: Node's decoder is lenient. */
export function decodeBase64Digest(value: string): Buffer | null {
  return BASE64_SHA256.test(value) ? Buffer.from(value, 'base64') : null;
}

/** Decodes a lower-case hex SHA-256 digest (64 characters), or null. */
export function decodeHexDigest(value: string): Buffer | null {
  return HEX_SHA256.test(value) ? Buffer.from(value, 'hex') : null;
}

/** True when `expected` equals any of the candidates; every candidate is compared, match or not. */
export function anyDigestMatches(expected: Buffer, candidates: readonly (Buffer | null)[]): boolean {
  let matched = false;
  for (const candidate of candidates) {
    if (candidate && bytesEqual(expected, candidate)) matched = true;
  }
  return matched;
}

/**
 * The Shopify and WooCommerce scheme: a header holding the base64 HMAC-SHA256 of the raw body,
 * checked against every secret still valid (both during a rotation). Null when one matches.
 */
export function bodyHmacBase64Failure(
  header: string | null,
  rawBody: Buffer,
  secrets: readonly string[],
): 'missing_signature' | 'malformed_signature' | 'signature_mismatch' | null {
  if (!header) return 'missing_signature';
  const given = decodeBase64Digest(header.trim());
  if (!given) return 'malformed_signature';
  const matches = secrets.map((s) => anyDigestMatches(hmacSha256(s, rawBody), [given]));
  return matches.includes(true) ? null : 'signature_mismatch';
}
