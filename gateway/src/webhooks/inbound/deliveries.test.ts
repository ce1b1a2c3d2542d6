import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../store/sqlite.js';
import { InboundDeliveries } from './deliveries.js';
import { inboundWebhookMigrations } from './migrations.js';

describe('InboundDeliveries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-deliveries-'));
  const store = new SqliteStore(join(dir, 'gateway.sqlite'));
  const clock = { now: 1_000_000 };
  const deliveries = new InboundDeliveries(store, () => clock.now, 30_000);
  const key = (id: string) => ({ provider: 'shopify', partner: 'acme', deliveryId: id });

  beforeAll(() => store.migrate(inboundWebhookMigrations));
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets one claimant in, tells a second it is busy, and both see it done after completion', async () => {
    const first = await deliveries.claim(key('a'), 'orders/create');
    expect(first.state).toBe('claimed');
    expect((await deliveries.claim(key('a'), 'orders/create')).state).toBe('busy');
    await deliveries.complete(key('a'), (first as { token: string }).token, ['ord_1']);
    expect(await deliveries.claim(key('a'), 'orders/create')).toEqual({ state: 'done', intakeIds: ['ord_1'] });
    expect(await deliveries.waitDone(key('a'), 10)).toEqual(['ord_1']);
  });

  it('keeps one partner\'s delivery ids apart from another\'s', async () => {
    expect((await deliveries.claim({ provider: 'shopify', partner: 'globex', deliveryId: 'a' }, 'orders/create')).state).toBe('claimed');
  });

  it('frees a released claim for the retry, and lets a claim abandoned past its lease be taken over', async () => {
    const c = await deliveries.claim(key('b'), 't');
    await deliveries.release(key('b'), (c as { token: string }).token);
    expect((await deliveries.claim(key('b'), 't')).state).toBe('claimed');
    clock.now += 30_001;
    const takeover = await deliveries.claim(key('b'), 't');
    expect(takeover.state).toBe('claimed');
  });

  it('remembers payment references, first writer wins, and prunes old records', async () => {
    await deliveries.rememberPaymentRef('stripe', 'acme', 'pi_1', '727');
    await deliveries.rememberPaymentRef('stripe', 'acme', 'pi_1', '999');
    expect(await deliveries.orderForPaymentRef('stripe', 'acme', 'pi_1')).toBe('727');
    expect(await deliveries.orderForPaymentRef('stripe', 'globex', 'pi_1')).toBeNull();
    clock.now += 40 * 86_400_000;
    expect(await deliveries.prune(30 * 86_400_000)).toBeGreaterThanOrEqual(2);
    expect(await deliveries.orderForPaymentRef('stripe', 'acme', 'pi_1')).toBeNull();
  });
});
