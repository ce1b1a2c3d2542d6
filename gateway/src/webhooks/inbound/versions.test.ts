import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test/support/postgres.js';
import { PostgresStore } from '../../store/postgres.js';
import { SqliteStore } from '../../store/sqlite.js';
import type { SqlStore } from '../../store/store.js';
import { inboundWebhookMigrations } from './migrations.js';
import type { OrderVersion } from './types.js';
import { advanceOrderVersion, lastOrderVersion, pruneOrderVersions } from './versions.js';

const suites: Array<[string, () => Promise<{ store: SqlStore; cleanup: () => Promise<void> }>]> = [
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rg-versions-'));
      const store = new SqliteStore(join(dir, 'gateway.sqlite'));
      return { store, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  ],
  [
    'postgres',
    async () => {
      const db = await createTestDatabase('rg_versions');
      const store = new PostgresStore(db.url, { max: 6 });
      return { store, cleanup: async () => { await store.close(); await db.drop(); } };
    },
  ],
];

const key = { provider: 'woocommerce', partner: 'acme' };
const v = (externalId: string, at: number, rule: OrderVersion['rule']): OrderVersion => ({ externalId, at, rule });

describe.each(suites)('order versions on %s', (_name, open) => {
  let store: SqlStore;
  let cleanup: () => Promise<void>;
  const advance = (version: OrderVersion) => store.transaction((tx) => advanceOrderVersion(tx, key, version, 1));

  beforeAll(async () => {
    ({ store, cleanup } = await open());
    await store.migrate(inboundWebhookMigrations);
  });
  afterAll(async () => cleanup());

  it('applies a newer state, refuses an older or equal one (newer)', async () => {
    expect(await advance(v('A', 2_000, 'newer'))).toBe(true);
    expect(await advance(v('A', 1_000, 'newer'))).toBe(false);
    expect(await advance(v('A', 2_000, 'newer'))).toBe(false);
    expect(await advance(v('A', 3_000, 'newer'))).toBe(true);
    expect(await lastOrderVersion(store, key, 'A')).toBe(3_000);
  });

  it('applies an event of the same time but not an older one (not_older)', async () => {
    expect(await advance(v('B', 2_000, 'not_older'))).toBe(true);
    expect(await advance(v('B', 2_000, 'not_older'))).toBe(true);
    expect(await advance(v('B', 1_999, 'not_older'))).toBe(false);
  });

  it('always applies a record, keeping the newest version it has seen', async () => {
    expect(await advance(v('C', 5_000, 'record'))).toBe(true);
    expect(await advance(v('C', 1_000, 'record'))).toBe(true);
    expect(await lastOrderVersion(store, key, 'C')).toBe(5_000);
    expect(await advance(v('C', 4_000, 'newer'))).toBe(false);
  });

  it('keeps orders, providers and partners apart', async () => {
    await advance(v('D', 9_000, 'newer'));
    expect(await store.transaction((tx) => advanceOrderVersion(tx, { provider: 'shopify', partner: 'acme' }, v('D', 1_000, 'newer'), 1))).toBe(true);
    expect(await store.transaction((tx) => advanceOrderVersion(tx, { provider: 'woocommerce', partner: 'globex' }, v('D', 1_000, 'newer'), 1))).toBe(true);
    expect(await advance(v('E', 1_000, 'newer'))).toBe(true);
  });

  it('lets concurrent versions in only in increasing order, the newest last', async () => {
    const applied: number[] = [];
    const versions = Array.from({ length: 30 }, (_, i) => (i * 7919) % 30).map((n) => n + 1);
    await Promise.all(
      versions.map((n) =>
        store.transaction(async (tx) => {
          if (await advanceOrderVersion(tx, key, v('F', n, 'newer'), 1)) applied.push(n);
        }),
      ),
    );
    expect(applied.at(-1)).toBe(30);
    expect([...applied].sort((a, b) => a - b)).toEqual(applied);
    expect(await lastOrderVersion(store, key, 'F')).toBe(30);
  });

  it('prunes versions older than the cutoff only', async () => {
    await advance(v('G', 100, 'newer'));
    await advance(v('H', 10_000_000, 'newer'));
    expect(await pruneOrderVersions(store, 1_000)).toBeGreaterThanOrEqual(1);
    expect(await lastOrderVersion(store, key, 'G')).toBeNull();
    expect(await lastOrderVersion(store, key, 'H')).toBe(10_000_000);
  });
});
