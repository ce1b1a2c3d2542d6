/**
 * A promise taken inside the intake queue's own transaction (SQLite: the ledger in the queue's
 * store, `AtpService.intakePromise` with `IntakeQueue.acceptOrder`, the order program): the order
 * and its promise are one commit, so neither exists without the other; a refusal leaves nothing
 * behind, not even the Idempotency-Key; a repeat is answered as a repeat and promises nothing more.
 * Also with the key held in progress, as `Prefer: wait` takes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AvailabilityCache } from '../catalog/availability.js';
import { intakeMigrations } from '../intake/migrations.js';
import { IntakeQueue } from '../intake/queue.js';
import { SqliteStore } from '../store/sqlite.js';
import { itemKey } from './ledger.js';
import { AtpService, type OversellPolicy } from './service.js';
import { atpMigrations, SqlAtpLedger } from './sql-ledger.js';

const LAMP = itemKey('LAMP', 'WH');

describe('ATP promise in the accept transaction (SQLite)', () => {
  let dir: string;
  let store: SqliteStore;
  let queue: IntakeQueue;
  let atp: AtpService;
  let commits: number[];
  /** When set, the store's WAL flushes wait here until the test lets them through. */
  let hold: (() => void)[] | null = null;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atp-tx-'));
    hold = null;
    store = new SqliteStore(join(dir, 'gateway.sqlite'), { fsync: (_fd, done) => (hold ? hold.push(() => done(null)) : done(null)) });
    await store.migrate([...intakeMigrations, ...atpMigrations]);
    commits = [];
    queue = new IntakeQueue({ store, groupCommit: { onCommit: (n) => commits.push(n) } });
    const availability = {
      usePromises: () => undefined,
      touch: () => undefined,
      refreshSoon: () => undefined,
      raw: async () => [{ sku: 'LAMP', warehouse: 'WH', available: 3, basisAt: 0 }],
    } as unknown as AvailabilityCache;
    atp = new AtpService({ ledger: new SqlAtpLedger(store, (op) => queue.write(op)), availability, ttlMs: 60_000, pollMs: 1_000, holdMs: 60_000 });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const order = (externalId: string, quantity: number) => ({ external_id: externalId, lines: [{ sku: 'LAMP', quantity }] as never, warehouse: 'WH' });

  /** The order route's accept, reduced (routes/orders.ts `submitOrderNow`): the plan, then the order program. */
  async function submit(externalId: string, quantity: number, key: string, { holdKey = false, policy = 'reject' }: { holdKey?: boolean; policy?: OversellPolicy } = {}) {
    const plan = await atp.plan('acme', order(externalId, quantity), policy);
    if (!plan) throw new Error('no plan');
    return queue.acceptOrder(
      { partner: 'acme', kind: 'order', externalId, payload: { external_id: externalId }, requestId: 'r', source: 'api', prevalidated: true },
      {
        key,
        fingerprint: `${externalId}:${quantity}`,
        lockMs: 30_000,
        ...(holdKey ? { holdKey } : {}),
        promise: atp.intakePromise(plan),
        locationPrefix: '/v1/orders/',
        promised: (taken) => atp.recorded(plan, taken),
      },
    );
  }
  const keyRow = async (key: string) => (await store.query<{ state: string; response_status: number | null }>('SELECT state, response_status FROM idempotency_keys WHERE key = ?', [key]))[0];

  const promisedRows = async () => store.query<{ order_key: string; qty: number }>('SELECT order_key, qty FROM atp_promises ORDER BY order_key');
  const openUnits = async () => Number((await store.query<{ qty: number }>('SELECT qty FROM atp_open WHERE item_key = ?', [LAMP]))[0]?.qty ?? 0);

  it('commits the order and its promise together: one commit for both', async () => {
    const outcome = await submit('O-1', 2, 'k1');
    expect(outcome.state).toBe('accepted');
    expect(commits).toEqual([1]);
    expect(await promisedRows()).toEqual([{ order_key: JSON.stringify(['acme', 'O-1']), qty: 2 }]);
    expect(await openUnits()).toBe(2);
    expect(atp.promised('LAMP', 'WH', 0)).toBe(2);
  });

  it('counts the promise in the view as the order commits, and once only when the ledger is read while the commit is being flushed', async () => {
    hold = [];
    const accepted = submit('O-1', 2, 'k1');
    for (let i = 0; i < 2000 && hold.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(hold).toHaveLength(1);
    // Committed, not yet on disk (nor answered): the view already counts it, as the ledger does.
    expect(atp.promised('LAMP', 'WH', 0)).toBe(2);
    const refreshed = atp.refresh();
    const waiting = hold;
    hold = null;
    for (const release of waiting) release();
    expect((await accepted).state).toBe('accepted');
    await refreshed;
    expect(atp.promised('LAMP', 'WH', 0)).toBe(2);
    await atp.refresh();
    expect(atp.promised('LAMP', 'WH', 0)).toBe(2);
  });

  it('refuses a short order with nothing written, and the key can be used again', async () => {
    expect((await submit('O-1', 2, 'k1')).state).toBe('accepted');
    const refused = await submit('O-2', 2, 'k2');
    expect(refused).toEqual({ state: 'short', short: [{ itemKey: LAMP, requested: 2, available: 1 }] });
    expect((await queue.findByExternalId('acme', 'order', 'O-2')).length).toBe(0);
    expect(await store.query('SELECT key FROM idempotency_keys WHERE key = ?', ['k2'])).toEqual([]);
    // The same key, now for what is available: accepted, not "key reused with another body".
    const again = await submit('O-2', 1, 'k2');
    expect(again.state).toBe('accepted');
    expect(await openUnits()).toBe(3);
  });

  it('answers a repeat of an accepted order as a duplicate even when stock is short, and promises nothing more', async () => {
    expect((await submit('O-1', 3, 'k1')).state).toBe('accepted');
    const repeat = await submit('O-1', 3, 'k-other');
    expect(repeat.state).toBe('accepted');
    expect(repeat.state === 'accepted' && repeat.accepted.duplicate).toBe(true);
    expect(await promisedRows()).toEqual([{ order_key: JSON.stringify(['acme', 'O-1']), qty: 3 }]);
    expect(await openUnits()).toBe(3);
  });

  it('records no promise for a duplicate whose own promise is gone (settled), so units are never counted twice', async () => {
    expect((await submit('O-1', 1, 'k1')).state).toBe('accepted');
    await atp.onResult([{ partner: 'acme', kind: 'order', externalId: 'O-1', status: 'completed' }]);
    await store.run('DELETE FROM atp_promises');
    const repeat = await submit('O-1', 1, 'k2');
    expect(repeat.state === 'accepted' && repeat.accepted.duplicate).toBe(true);
    expect(await promisedRows()).toEqual([]);
  });

  it('shares one commit among a burst of accepts with their promises, and never promises more than available', async () => {
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => submit(`B-${i}`, 1, `kb${i}`)));
    expect(outcomes.filter((o) => o.state === 'accepted')).toHaveLength(3);
    expect(outcomes.filter((o) => o.state === 'short')).toHaveLength(5);
    expect(await openUnits()).toBe(3);
    expect(commits.reduce((a, b) => a + b, 0)).toBe(8);
    expect(commits.length).toBeLessThan(8);
  });

  it('holds the key in progress under Prefer: wait: the promise is taken with the order, no answer is stored until the route stores its own', async () => {
    const outcome = await submit('W-1', 2, 'kw', { holdKey: true });
    expect(outcome.state).toBe('accepted');
    expect(await promisedRows()).toEqual([{ order_key: JSON.stringify(['acme', 'W-1']), qty: 2 }]);
    expect(await keyRow('kw')).toEqual({ state: 'in_progress', response_status: null });
    // The same request meanwhile: the key is in use, nothing more is queued or promised.
    expect((await submit('W-1', 2, 'kw')).state).toBe('in_use');
    expect(await openUnits()).toBe(2);
    if (outcome.state !== 'accepted') throw new Error('not accepted');
    await queue.completeKey('acme', 'kw', { status: 201, headers: {}, body: { id: outcome.accepted.id } });
    expect(await keyRow('kw')).toMatchObject({ response_status: 201 });
    expect(await submit('W-1', 2, 'kw')).toEqual({ state: 'replay', response: { status: 201, headers: {}, body: { id: outcome.accepted.id } } });
  });

  it('names the backorder of a new order in its result, and not of a repeat', async () => {
    const take = (externalId: string, quantity: number, key: string) => submit(externalId, quantity, key, { holdKey: true, policy: 'backorder' });
    const first = await take('BO-1', 5, 'kb1');
    expect(first.state === 'accepted' && first.backorder).toEqual([{ sku: 'LAMP', warehouse: 'WH', units: 2 }]);
    const repeat = await take('BO-1', 5, 'kb2');
    expect(repeat.state === 'accepted' && repeat.accepted.duplicate).toBe(true);
    expect(repeat.state === 'accepted' && repeat.backorder).toBeUndefined();
  });
});
