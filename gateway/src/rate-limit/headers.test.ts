import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../context.js';
import { handleError } from '../errors.js';
import type { Services } from '../services.js';
import { formatPolicy } from './headers.js';
import { MemoryRateLimiter } from './memory.js';
import { partnerRateLimit, RateLimitService, tokenRateLimit } from './service.js';
import { buildPolicies } from './tiers.js';

/** An sf-string item with integer parameters, as draft-ietf-httpapi-ratelimit-headers-11 writes them. */
const POLICY_ITEM = /^"[a-z][a-z0-9-]*";q=\d+;w=\d+$/;
const LIMIT_ITEM = /^"[a-z][a-z0-9-]*";r=\d+;t=\d+$/;

function appWith(service: RateLimitService, tier: 'standard' | 'premium' = 'standard') {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('requestId', 'req-1');
    c.set('clientIp', '192.0.2.7');
    c.set('services', { rateLimit: service } as unknown as Services);
    c.set('log', pino({ level: 'silent' }));
    if (c.req.header('x-partner')) {
      c.set('principal', { partner: c.req.header('x-partner')!, clientId: 'c', scopes: [], tokenId: 't', expiresAt: 0 });
    }
    await next();
  });
  app.use('/oauth/token', tokenRateLimit());
  app.post('/oauth/token', (c) => c.json({ ok: true }));
  app.get('/v1/things', async (c, next) => {
    await service.enforcePartner(c, 'read', tier);
    await next();
  }, (c) => c.json({ ok: true }));
  app.post('/v1/things', partnerRateLimit(), (c) => c.json({ ok: true }, 202));
  app.onError(handleError);
  return app;
}

describe('rate-limit headers', () => {
  it('advertise the partner policy and the remaining quota in the draft syntax', async () => {
    const service = new RateLimitService({ limiter: new MemoryRateLimiter(), policies: buildPolicies() });
    const res = await appWith(service).request('/v1/things', { headers: { 'x-partner': 'acme' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-policy')).toBe('"standard-read";q=100;w=2');
    expect(res.headers.get('ratelimit')).toMatch(LIMIT_ITEM);
    expect(res.headers.get('ratelimit')).toMatch(/^"standard-read";r=99;t=\d$/);
    await service.close();
  });

  it('uses the tier: premium is 500/s with a burst of 1,000', async () => {
    const service = new RateLimitService({ limiter: new MemoryRateLimiter(), policies: buildPolicies() });
    const res = await appWith(service, 'premium').request('/v1/things', { headers: { 'x-partner': 'acme' } });
    expect(res.headers.get('ratelimit-policy')).toBe('"premium-read";q=1000;w=2');
    await service.close();
  });

  it('answers 429 rate_limited with Retry-After once the burst is spent, on that class only', async () => {
    const service = new RateLimitService({ limiter: new MemoryRateLimiter(), policies: buildPolicies({ standard: { rate: 1, burst: 3 } }) });
    const app = appWith(service);
    for (let i = 0; i < 3; i++) expect((await app.request('/v1/things', { headers: { 'x-partner': 'acme' } })).status).toBe(200);
    const refused = await app.request('/v1/things', { headers: { 'x-partner': 'acme' } });
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: { code: string; request_id: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.request_id).toBe('req-1');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit')).toBe(`"standard-read";r=0;t=${retryAfter}`);
    expect(refused.headers.get('ratelimit-policy')).toMatch(POLICY_ITEM);
    // Writes have their own budget; another partner has its own.
    expect((await app.request('/v1/things', { method: 'POST', headers: { 'x-partner': 'acme' } })).status).toBe(202);
    expect((await app.request('/v1/things', { headers: { 'x-partner': 'globex' } })).status).toBe(200);
    expect(service.snapshot().limited).toEqual({ 'acme standard-read': 1 });
    await service.close();
  });

  it('limits token attempts to 30 a minute per address, whatever the client id', async () => {
    const service = new RateLimitService({ limiter: new MemoryRateLimiter(), policies: buildPolicies() });
    const app = appWith(service);
    const basic = (id: string) => ({ authorization: `Basic ${Buffer.from(`${id}:x`).toString('base64')}` });
    for (let i = 0; i < 30; i++) expect((await app.request('/oauth/token', { method: 'POST', headers: basic(i % 2 ? 'acme' : 'globex') })).status).toBe(200);
    const refused = await app.request('/oauth/token', { method: 'POST', headers: basic('initech') });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toBe('"token-ip";q=30;w=60');
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(service.snapshot().limited).toEqual({ 'unverified token-ip': 1 });
    await service.close();
  });

  it('formats a policy window from burst and rate', () => {
    expect(formatPolicy({ name: 'token-client', rate: 10, windowMs: 60_000, burst: 10 })).toBe('"token-client";q=10;w=60');
  });
});
