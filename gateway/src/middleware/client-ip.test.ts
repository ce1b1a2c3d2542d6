import { describe, expect, it } from 'vitest';
import { resolveClientIp, trustedProxyList } from './client-ip.js';

describe('resolveClientIp', () => {
  const trusted = trustedProxyList(['10.0.0.0/8', '192.168.1.5', '::1']);

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(resolveClientIp('203.0.113.9', '1.2.3.4', trusted)).toBe('203.0.113.9');
  });

  it('takes the right-most untrusted hop through trusted proxies', () => {
    expect(resolveClientIp('10.1.2.3', 'spoofed, 198.51.100.7, 10.9.9.9', trusted)).toBe('198.51.100.7');
    expect(resolveClientIp('::ffff:192.168.1.5', '198.51.100.8', trusted)).toBe('198.51.100.8');
  });

  it('falls back to the peer when the header holds no address', () => {
    expect(resolveClientIp('::1', 'garbage', trusted)).toBe('::1');
  });
});
