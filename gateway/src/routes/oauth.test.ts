import { describe, expect, it } from 'vitest';
import { parseBasicCredentials } from './oauth.js';

const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;

describe('parseBasicCredentials (RFC 6749 §2.3.1: form-encoded id and secret inside Basic)', () => {
  it('form-decodes both parts, so a ":" or "%" in a secret survives', () => {
    expect(parseBasicCredentials(basic('acme:s3cr%3At%25x'))).toEqual({ id: 'acme', secret: 's3cr:t%x' });
    expect(parseBasicCredentials(basic('my+client:a+b'))).toEqual({ id: 'my client', secret: 'a b' });
    expect(parseBasicCredentials(basic('acme:plain'))).toEqual({ id: 'acme', secret: 'plain' });
  });

  it('splits at the first colon only', () => {
    expect(parseBasicCredentials(basic('acme:a:b'))).toEqual({ id: 'acme', secret: 'a:b' });
  });

  it('refuses what is not Basic credentials', () => {
    expect(parseBasicCredentials('Bearer abc')).toBeNull();
    expect(parseBasicCredentials(basic('no-colon'))).toBeNull();
    expect(parseBasicCredentials(basic('acme:%E0%A4%A'))).toBeNull();
    expect(parseBasicCredentials('Basic !!!')).toBeNull();
  });

  it('accepts the scheme in any case', () => {
    expect(parseBasicCredentials(`basic ${Buffer.from('a:b').toString('base64')}`)).toEqual({ id: 'a', secret: 'b' });
  });
});
