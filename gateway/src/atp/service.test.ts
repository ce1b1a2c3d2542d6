/**
 * The promise service when its ledger fails: an order is never lost for it. The accept goes on
 * without a promise (Odoo decides), and a warning says why.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import type { AvailabilityCache } from '../catalog/availability.js';
import type { AtpLedger } from './ledger.js';
import { AtpService } from './service.js';

describe('AtpService', () => {
  it('accepts without a promise when the ledger fails, and logs one warning', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const failing = { backend: 'postgres', take: () => Promise.reject(new Error('deadlock detected')) } as unknown as AtpLedger;
    const availability = { usePromises: () => undefined, raw: async () => [{ sku: 'LAMP', warehouse: 'WH', available: 5, basisAt: 0 }] } as unknown as AvailabilityCache;
    const atp = new AtpService({ ledger: failing, availability, ttlMs: 60_000, pollMs: 1_000, holdMs: 60_000, logger });
    const outcome = await atp.promise('acme', { external_id: 'O-1', lines: [{ sku: 'LAMP', quantity: 1 }] as never, warehouse: 'WH' }, 'reject');
    expect(outcome).toEqual({ state: 'none' });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['atp: promise ledger failed, order accepted without a promise']);
  });
});
