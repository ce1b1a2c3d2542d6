import { describe, expect, it } from 'vitest';
import { anyDigestMatches, bytesEqual, decodeBase64Digest, decodeHexDigest, hmacSha256 } from './crypto.js';

describe('inbound signature primitives', () => {
  const digest = hmacSha256('key', 'The quick brown fox jumps over the lazy dog');

  it('computes the RFC-published HMAC-SHA256 test value', () => {
    expect(digest.toString('hex')).toBe('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
    expect(hmacSha256('key', 'The quick brown fox ', Buffer.from('jumps over the lazy dog'))).toEqual(digest);
  });

  it('compares equal-length buffers and refuses other lengths', () => {
    expect(bytesEqual(digest, Buffer.from(digest))).toBe(true);
    expect(bytesEqual(digest, Buffer.alloc(32))).toBe(false);
    expect(bytesEqual(digest, digest.subarray(0, 31))).toBe(false);
  });

  it('decodes only canonical encodings of a 32-byte digest', () => {
    expect(decodeBase64Digest(digest.toString('base64'))).toEqual(digest);
    expect(decodeBase64Digest(digest.toString('base64').slice(0, -1))).toBeNull();
    expect(decodeBase64Digest(`${digest.toString('base64')} `)).toBeNull();
    expect(decodeHexDigest(digest.toString('hex'))).toEqual(digest);
    expect(decodeHexDigest(digest.toString('hex').toUpperCase())).toBeNull();
  });

  it('matches any of several candidates, skipping undecodable ones', () => {
    expect(anyDigestMatches(digest, [null, Buffer.alloc(32), Buffer.from(digest)])).toBe(true);
    expect(anyDigestMatches(digest, [null, Buffer.alloc(32)])).toBe(false);
  });
});
