import { describe, expect, it } from 'vitest';
import { isRetryableStatus, JITTER, MAX_ATTEMPTS, parseRetryAfter, RETRY_AFTER_CAP_MS, RETRY_DELAYS_MS, retryDelay } from './schedule.js';

describe('retry schedule', () => {
  it('is immediate, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about a day in all', () => {
    expect(RETRY_DELAYS_MS).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(MAX_ATTEMPTS).toBe(9);
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeGreaterThan(24);
    expect(total / 3_600_000).toBeLessThan(30);
  });

  it('jitters each delay within ±20 %', () => {
    expect(retryDelay(3, null, () => 0)).toBe(Math.round(300_000 * (1 - JITTER)));
    expect(retryDelay(3, null, () => 1)).toBe(Math.round(300_000 * (1 + JITTER)));
    expect(retryDelay(3, null, () => 0.5)).toBe(300_000);
    expect(retryDelay(1, null, () => 1)).toBe(0);
  });

  it('is spent after the last attempt', () => {
    expect(retryDelay(MAX_ATTEMPTS - 1, null, () => 0.5)).toBe(36_000_000);
    expect(retryDelay(MAX_ATTEMPTS, null, () => 0.5)).toBeNull();
  });

  it('honours Retry-After when it asks for later than the schedule, up to a cap', () => {
    expect(retryDelay(2, 60_000, () => 0.5)).toBe(60_000);
    expect(retryDelay(2, 1_000, () => 0.5)).toBe(5_000);
    expect(retryDelay(2, 7 * 24 * 3_600_000, () => 0.5)).toBe(RETRY_AFTER_CAP_MS);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('retries on 408, 409, 429 and 5xx only', () => {
    for (const s of [408, 409, 429, 500, 502, 503, 504]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [301, 400, 401, 403, 404, 410, 413, 422]) expect(isRetryableStatus(s)).toBe(false);
  });
});
