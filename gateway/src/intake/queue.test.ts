import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { PostgresStore } from '../store/postgres.js';
import { SqliteStore } from '../store/sqlite.js';
import type { SqlStore } from '../store/store.js';
import { readGatewayEvents } from './events.js';
import { intakeMigrations } from './migrations.js';
import { IntakeQueue, type AcceptInput } from './queue.js';
import { orderInput } from '../../../test/support/orders.js';

const suites: Array<[string, () => Promise<{ store: SqlStore; cleanup: () => Promise<void> }>]> = [
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rg-intake-'));
      const store = new SqliteStore(join(dir, 'gateway.sqlite'));
      return { store, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  ],
  [
    'postgres',
    async () => {
      const db = await createTestDatabase('rg_intake');
      const store = new PostgresStore(db.url, { max: 4 });
      return { store, cleanup: async () => { await store.close(); await db.drop(); } };
    },
  ],
];

describe.each(suites)('IntakeQueue on %s', (_name, open) => {
  let store: SqlStore;
  let cleanup: () => Promise<void>;
  let queue: IntakeQueue;
  let commits: number[];

  beforeAll(async () => {
    ({ store, cleanup } = await open());
    await store.migrate(intakeMigrations);
    commits = [];
    queue = new IntakeQueue({ store, groupCommit: { onCommit: (n) => commits.push(n) }, partnerMode: (p) => (p === 'shadowco' ? 'shadow' : 'live') });
  });
  afterAll(async () => cleanup());

  it('accepts concurrent items in shared transactions and records order.accepted once each', async () => {
    commits.length = 0;
    const inputs = Array.from({ length: 40 }, (_, i) => orderInput(`GC-${i}`));
    const accepted = await queue.acceptMany(inputs);
    expect(new Set(accepted.map((a) => a.id)).size).toBe(40);
    expect(accepted.every((a) => !a.duplicate && a.status === 'accepted')).toBe(true);
    expect(commits.reduce((a, b) => a + b, 0)).toBe(40);
    expect(commits.length).toBeLessThan(40);
    const events = (await readGatewayEvents(store, { limit: 1000 })).filter((e) => e.envelope.type === 'order.accepted');
    expect(events.filter((e) => (e.envelope.data as { external_id: string }).external_id.startsWith('GC-'))).toHaveLength(40);
  });

  it('answers a repeated external id with the first item, even inside one group', async () => {
    const results = await queue.acceptMany(Array.from({ length: 10 }, () => orderInput('DUP-1')));
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const [item] = await queue.findByExternalId('acme', 'order', 'DUP-1');
    expect(item?.duplicates).toBe(9);
  });

  it('keeps partners apart', async () => {
    const a = await queue.accept(orderInput('SAME-1', 'acme'));
    const g = await queue.accept(orderInput('SAME-1', 'globex'));
    expect(g.id).not.toBe(a.id);
    expect(g.duplicate).toBe(false);
    expect(await queue.get('globex', a.id)).toBeNull();
    expect((await queue.get('acme', a.id))?.externalId).toBe('SAME-1');
  });

  it('refuses a payload that breaks its contract', async () => {
    await expect(queue.accept({ ...orderInput('BAD-1'), payload: { external_id: 'BAD-1' } })).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('claims, settles and emits order.rejected for a rejection', async () => {
    const { id } = await queue.accept(orderInput('REJ-1', 'claimco'));
    const claimed = await queue.claim('w1', 10, 30_000, { partner: 'claimco' });
    expect(claimed.map((c) => c.id)).toContain(id);
    expect(claimed.every((c) => c.partner === 'claimco' && c.status === 'processing')).toBe(true);
    expect(await queue.claim('w2', 10, 30_000, { partner: 'claimco' }).then((c) => c.some((x) => x.id === id))).toBe(false);
    const settled = await queue.settle('w1', [
      { id, result: { intake_id: id, external_id: 'REJ-1', status: 'rejected', record: null, reasons: [{ code: 'unknown_sku', message: 'no such SKU', field: 'lines/0/sku' }] } },
    ]);
    expect(settled).toEqual([id]);
    const item = await queue.get('claimco', id);
    expect(item?.status).toBe('rejected');
    expect(item?.reasons[0]?.code).toBe('unknown_sku');
    const rejected = (await readGatewayEvents(store, { partner: 'claimco' })).filter((e) => e.envelope.type === 'order.rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.envelope.sequence).toBe(2);
  });

  it('lets another worker take over a lapsed lease, and ignores the late settlement of the first', async () => {
    const { id } = await queue.accept(orderInput('LEASE-1', 'leaseco'));
    const first = await queue.claim('w1', 10, -1, { partner: 'leaseco' }); // lease already lapsed
    expect(first.map((c) => c.id)).toContain(id);
    const second = await queue.claim('w2', 10, 30_000, { partner: 'leaseco' });
    expect(second.map((c) => c.id)).toContain(id);
    const result = { intake_id: id, external_id: 'LEASE-1', status: 'created' as const, record: { id: 7, name: 'S00007' }, reasons: [] };
    expect(await queue.settle('w1', [{ id, result }])).toEqual([]);
    expect(await queue.settle('w2', [{ id, result }])).toEqual([id]);
    expect((await queue.get('leaseco', id))?.odoo).toEqual({ id: 7, name: 'S00007' });
  });

  it('queues several items only when the guard, run in the same transaction, lets them in', async () => {
    const refused = await queue.acceptIf([orderInput('GUARD-1', 'guardco'), orderInput('GUARD-2', 'guardco')], async (tx) => {
      const [row] = await tx.query<{ n: number }>("SELECT COUNT(*) AS n FROM intake_items WHERE partner = 'guardco'");
      return Number(row!.n) > 0;
    });
    expect(refused).toBeNull();
    expect(await store.query("SELECT id FROM intake_items WHERE partner = 'guardco'")).toEqual([]);
    const accepted = await queue.acceptIf([orderInput('GUARD-1', 'guardco'), orderInput('GUARD-2', 'guardco')], async () => true);
    expect(accepted?.map((a) => a.duplicate)).toEqual([false, false]);
    const rows = await store.query<{ external_id: string }>("SELECT external_id FROM intake_items WHERE partner = 'guardco' ORDER BY seq");
    expect(rows.map((r) => r.external_id)).toEqual(['GUARD-1', 'GUARD-2']);
  });

  it('holds a cancellation back while its order is still queued', async () => {
    await queue.accept(orderInput('ORD-9', 'holdco'));
    await queue.accept({ partner: 'holdco', kind: 'cancel', externalId: 'ORD-9', payload: { external_id: 'ORD-9' }, requestId: 'r', source: 'api' });
    const firstClaim = await queue.claim('w1', 10, 30_000, { partner: 'holdco' });
    expect(firstClaim.map((c) => c.kind)).toEqual(['order']);
    expect(await queue.claim('w1', 10, 30_000, { partner: 'holdco' })).toEqual([]);
    await queue.settle('w1', [{ id: firstClaim[0]!.id, result: { intake_id: firstClaim[0]!.id, external_id: 'ORD-9', status: 'created', record: { id: 1, name: 'S1' }, reasons: [] } }]);
    const next = await queue.claim('w1', 10, 30_000, { partner: 'holdco' });
    expect(next.map((c) => c.kind)).toEqual(['cancel']);
  });

  it('holds an order update back while an earlier update of the same order is unsettled', async () => {
    const update = (externalId: string, street: string, dedupe: string): AcceptInput => ({
      partner: 'updco',
      kind: 'order_update',
      externalId,
      payload: { external_id: externalId, note: street },
      requestId: 'r',
      source: 'woocommerce',
      dedupeKey: dedupe,
    });
    await queue.accept(update('U-1', 'first', 'd1'));
    await queue.accept(update('U-1', 'second', 'd2'));
    await queue.accept(update('U-2', 'other order', 'd3'));
    const first = await queue.claim('w1', 10, 30_000, { partner: 'updco' });
    expect(first.map((c) => [c.externalId, (c.payload as { note: string }).note])).toEqual([
      ['U-1', 'first'],
      ['U-2', 'other order'],
    ]);
    expect(await queue.claim('w2', 10, 30_000, { partner: 'updco' })).toEqual([]);
    await queue.settle('w1', [{ id: first[0]!.id, result: { intake_id: first[0]!.id, external_id: 'U-1', status: 'updated', record: { id: 1, name: 'S1' }, reasons: [] } }]);
    const next = await queue.claim('w2', 10, 30_000, { partner: 'updco' });
    expect(next.map((c) => (c.payload as { note: string }).note)).toEqual(['second']);
  });

  it('marks shadow partners\' items and emits no events for them', async () => {
    const { id } = await queue.accept(orderInput('SH-1', 'shadowco'));
    expect((await queue.get('shadowco', id))?.shadow).toBe(true);
    expect(await readGatewayEvents(store, { partner: 'shadowco' })).toEqual([]);
  });

  it('replays, refuses and blocks idempotency keys', async () => {
    const respond = (a: { id: string }) => ({ status: 202, headers: { location: `/v1/orders/${a.id}` }, body: { id: a.id } });
    const first = await queue.acceptIdempotent(orderInput('IK-1', 'idemco'), { key: 'k1', fingerprint: 'f1', respond, lockMs: 30_000 });
    expect(first.state).toBe('accepted');
    const again = await queue.acceptIdempotent(orderInput('IK-1', 'idemco'), { key: 'k1', fingerprint: 'f1', respond, lockMs: 30_000 });
    expect(again).toMatchObject({ state: 'replay', response: { status: 202 } });
    if (first.state === 'accepted' && again.state === 'replay') expect(again.response.body).toEqual({ id: first.accepted.id });
    const other = await queue.acceptIdempotent(orderInput('IK-2', 'idemco'), { key: 'k1', fingerprint: 'f2', respond, lockMs: 30_000 });
    expect(other.state).toBe('mismatch');
    // A key left in progress (as `Prefer: wait` leaves it while the order is awaited).
    const pending = await queue.acceptOrder(orderInput('IK-3', 'idemco'), { key: 'k3', fingerprint: 'f3', lockMs: 30_000, holdKey: true, promise: null, locationPrefix: '/v1/orders/' });
    expect(pending.state).toBe('accepted');
    const blocked = await queue.acceptIdempotent(orderInput('IK-3', 'idemco'), { key: 'k3', fingerprint: 'f3', respond, lockMs: 30_000 });
    expect(blocked.state).toBe('in_use');
    // the same key of another partner is another key
    const elsewhere = await queue.acceptIdempotent(orderInput('IK-1', 'otherco'), { key: 'k1', fingerprint: 'f9', respond, lockMs: 30_000 });
    expect(elsewhere.state).toBe('accepted');
  });
});
