/**
 * The last applied version of each order an inbound provider changes, per provider and partner:
 * the order's modification time (WooCommerce `date_modified_gmt`, Shopify `updated_at`) or the
 * event's time (Stripe `created`) of the newest delivery queued for it. A delivery that carries an
 * older state than that is stale: acknowledged, never queued.
 *
 * `advance` is one compare-and-set statement, run in the same transaction as the queueing of the
 * delivery's items: the row lock (PostgreSQL) or the single writer (SQLite) orders concurrent
 * deliveries of one order, so the intake queue receives its updates in version order and an older
 * one can never be queued after a newer one, whatever the replicas or the interleaving.
 *
 * Rows live as long as their version is within the retention period; a delivery older than that is
 * stale by age alone (see InboundWebhookService), so pruning never lets an old state back in.
 */
import type { SqlExecutor } from '../../store/store.js';
import type { OrderVersion } from './types.js';

export interface OrderVersionKey {
  provider: string;
  partner: string;
}

/** Compare-and-set per rule; `changes` tells whether the delivery is applied. */
const statements: Record<OrderVersion['rule'], string> = {
  newer: `INSERT INTO inbound_order_versions (provider, partner, external_id, version, recorded_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (provider, partner, external_id) DO UPDATE SET version = excluded.version, recorded_at = excluded.recorded_at
    WHERE inbound_order_versions.version < excluded.version`,
  not_older: `INSERT INTO inbound_order_versions (provider, partner, external_id, version, recorded_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (provider, partner, external_id) DO UPDATE SET version = excluded.version, recorded_at = excluded.recorded_at
    WHERE inbound_order_versions.version <= excluded.version`,
  record: `INSERT INTO inbound_order_versions (provider, partner, external_id, version, recorded_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (provider, partner, external_id) DO UPDATE SET
      version = CASE WHEN excluded.version > inbound_order_versions.version THEN excluded.version ELSE inbound_order_versions.version END,
      recorded_at = excluded.recorded_at`,
};

/**
 * Records the delivery's version if its rule lets it in; false when it is stale. Run it inside
 * the transaction that queues the delivery's items.
 */
export async function advanceOrderVersion(tx: SqlExecutor, key: OrderVersionKey, version: OrderVersion, now: number): Promise<boolean> {
  const { changes } = await tx.run(statements[version.rule], [key.provider, key.partner, version.externalId, Math.trunc(version.at), now]);
  return changes > 0;
}

/** The last applied version of an order, or null (tests, support). */
export async function lastOrderVersion(tx: SqlExecutor, key: OrderVersionKey, externalId: string): Promise<number | null> {
  const [row] = await tx.query<{ version: number | string }>(
    'SELECT version FROM inbound_order_versions WHERE provider = ? AND partner = ? AND external_id = ?',
    [key.provider, key.partner, externalId],
  );
  return row ? Number(row.version) : null;
}

/** Forgets versions older than `cutoff` (ms since epoch): deliveries that old are stale by age. */
export async function pruneOrderVersions(tx: SqlExecutor, cutoff: number): Promise<number> {
  const { changes } = await tx.run('DELETE FROM inbound_order_versions WHERE version < ?', [cutoff]);
  return changes;
}
