import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from '../store/migrations.js';
import { SqliteStore } from '../store/sqlite.js';
import { useFakeClient } from '../../../test/support/fake-client.js';
import { ERASED_EMAIL, eraseCustomer, formatErasureReport, redactCustomer } from './erase.js';
import { purgeExpired } from './purge.js';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;
let store: SqliteStore;
const odoo = useFakeClient({ retry: { attempts: 1 } });

const order = (email: string) => ({
  external_id: 'web-1',
  customer: { external_id: 'cust-9', email, name: 'Jane Doe', phone: '+33 1 23 45 67 89', consents: [] },
  billing_address: { line1: '1 rue de la Paix', city: 'Paris', country: 'FR' },
  shipping_address: { line1: '1 rue de la Paix', city: 'Paris', country: 'FR' },
  lines: [{ sku: 'SKU-1', quantity: 1 }],
  note: 'leave at the door',
});

async function item(id: string, status: string, completedAt: number | null, payload: unknown = { x: 1 }, kind = 'order') {
  await store.run(
    `INSERT INTO intake_items (id, partner, kind, external_id, dedupe_key, source, request_id, payload, status, next_attempt_at, accepted_at, updated_at, completed_at)
     VALUES (?, 'acme', ?, ?, ?, 'api', 'r', ?, ?, 0, ?, ?, ?)`,
    [id, kind, id, id, JSON.stringify(payload), status, completedAt ?? NOW, NOW, completedAt],
  );
}

async function delivery(status: string, deliveredAt: number | null, body: unknown = { type: 'order.created' }) {
  const { changes } = await store.run(
    `INSERT INTO webhook_deliveries (event_id, source, subscription_id, partner, event_type, aggregate, body, event_time, status, next_attempt_at, created_at, updated_at, delivered_at)
     VALUES (?, 'outbox', 1, 'acme', 'order.created', 'o1', ?, ?, ?, 0, ?, ?, ?)`,
    [`evt-${Math.random()}`, JSON.stringify(body), NOW, status, NOW, NOW, deliveredAt],
  );
  return changes;
}

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  await store.migrate(migrations);
});
afterEach(async () => {
  await store.close();
});

describe('retention', () => {
  it('purges only finished records older than their period', async () => {
    await item('ord_old_done', 'completed', NOW - 31 * DAY);
    await item('ord_new_done', 'completed', NOW - 29 * DAY);
    await item('ord_old_failed', 'failed', NOW - 90 * DAY);
    await item('ord_pending', 'accepted', null);
    await delivery('delivered', NOW - 31 * DAY);
    await delivery('delivered', NOW - DAY);
    await delivery('dead', NOW - 90 * DAY);
    await store.run(`INSERT INTO idempotency_keys (partner, key, fingerprint, state, created_at, expires_at) VALUES ('acme', 'k-old', 'f', 'done', ?, ?)`, [NOW - 3 * DAY, NOW - 2 * DAY]);
    await store.run(`INSERT INTO idempotency_keys (partner, key, fingerprint, state, created_at, expires_at) VALUES ('acme', 'k-new', 'f', 'done', ?, ?)`, [NOW - 3_600_000, NOW + DAY]);

    const report = await purgeExpired(store, { deliveredDays: 30, intakeDays: 30 }, NOW);
    expect(report).toMatchObject({ deliveries: 1, intakeItems: 1, idempotencyRecords: 1 });
    const ids = (await store.query<{ id: string }>('SELECT id FROM intake_items ORDER BY id')).map((r) => r.id);
    expect(ids).toEqual(['ord_new_done', 'ord_old_failed', 'ord_pending']);
    const statuses = (await store.query<{ status: string }>('SELECT status FROM webhook_deliveries ORDER BY id')).map((r) => r.status);
    expect(statuses).toEqual(['delivered', 'dead']);
    expect((await store.query<{ key: string }>('SELECT key FROM idempotency_keys')).map((r) => r.key)).toEqual(['k-new']);
  });
});

describe('erase-customer', () => {
  it('redacts the customer, addresses and note of their documents, and nothing else', () => {
    const { value, changed } = redactCustomer(order('Jane@Example.com'), 'jane@example.com');
    expect(changed).toBe(true);
    const v = value as Record<string, unknown>;
    expect(v.customer).toEqual({ email: ERASED_EMAIL, name: 'erased', consents: [], external_id: 'erased' });
    expect(v).not.toHaveProperty('billing_address');
    expect(v).not.toHaveProperty('note');
    expect(v.lines).toEqual([{ sku: 'SKU-1', quantity: 1 }]);
    expect(redactCustomer(order('other@example.com'), 'jane@example.com').changed).toBe(false);
  });

  it('erases settled items and deliveries, leaves items still waiting for Odoo and lists them', async () => {
    await item('ord_done', 'completed', NOW, order('jane@example.com'));
    await item('ord_waiting', 'accepted', null, order('jane@example.com'));
    await item('ord_other', 'completed', NOW, order('bob@example.com'));
    await delivery('delivered', NOW, { data: { order: order('jane@example.com') } });
    const report = await eraseCustomer(store, null, 'JANE@example.com');
    expect(report.intakeItemsErased).toEqual(['ord_done']);
    expect(report.intakeItemsPending).toEqual(['ord_waiting']);
    expect(report.deliveriesErased).toBe(1);
    expect(report.odooRecords).toBeNull();
    const rows = await store.query<{ id: string; payload: string }>('SELECT id, payload FROM intake_items ORDER BY id');
    const byId = Object.fromEntries(rows.map((r) => [r.id, r.payload]));
    expect(byId.ord_done).not.toMatch(/jane|Jane Doe|rue de la Paix/i);
    expect(byId.ord_waiting).toMatch(/jane@example.com/);
    expect(byId.ord_other).toMatch(/bob@example.com/);
    const [d] = await store.query<{ body: string }>('SELECT body FROM webhook_deliveries');
    expect(d!.body).not.toMatch(/jane/i);
  });

  it('finds a customer by external id', async () => {
    await item('ord_done', 'completed', NOW, order('jane@example.com'));
    const report = await eraseCustomer(store, null, 'cust-9');
    expect(report.intakeItemsErased).toEqual(['ord_done']);
  });

  it("lists the Odoo records the addon names for the customer, and says when Odoo could not be asked", async () => {
    const report = await eraseCustomer(store, odoo.odoo, 'Deco_Addict@yourcompany.example.com');
    expect(report.odooRecords).toContainEqual(expect.objectContaining({ kind: 'customer', name: 'Deco Addict' }));
    expect(formatErasureReport(report)).toMatch(/customer \d+ {2}Deco Addict/);
    expect((await eraseCustomer(store, odoo.odoo, 'nobody@example.com')).odooRecords).toEqual([]);
    odoo.fake.faults.failNext(1, 'server', { method: 'customer_records' });
    const failed = await eraseCustomer(store, odoo.odoo, 'jane@example.com');
    expect(failed.odooRecords).toBeNull();
    expect(formatErasureReport(failed)).toMatch(/Odoo could not be asked/);
  });
});
