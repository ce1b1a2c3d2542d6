import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { deprecation } from './deprecation.js';

describe('deprecation', () => {
  it('announces Deprecation, Sunset and the migration link', async () => {
    const app = new Hono();
    app.use('/old', deprecation({ since: new Date('2026-01-01T00:00:00Z'), sunset: new Date('2026-07-01T00:00:00Z'), link: 'https://example.com/migrate' }));
    app.get('/old', (c) => c.text('ok'));
    const res = await app.request('/old');
    expect(res.headers.get('deprecation')).toBe('@1767225600');
    expect(res.headers.get('sunset')).toBe('Wed, 01 Jul 2026 00:00:00 GMT');
    expect(res.headers.get('link')).toBe('<https://example.com/migrate>; rel="deprecation"');
  });

  it('refuses a sunset before the deprecation', () => {
    expect(() => deprecation({ since: new Date('2026-07-01'), sunset: new Date('2026-01-01') })).toThrow(/sunset/);
  });
});
