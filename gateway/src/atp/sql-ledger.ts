/**
 * The promise ledger in the gateway's SQL store (ledger.ts has the semantics). One row per order
 * and item. A `take` is one transaction: SQLite serialises writers (BEGIN IMMEDIATE); PostgreSQL
 * takes a transaction-scoped advisory lock per order and per item (items in sorted order, so two
 * takes never deadlock) before it sums and inserts, so replicas sharing the database agree.
 */
import type { Migration, SqlExecutor, SqlStore } from '../store/store.js';
import { oversoldUnits, type AtpLedger, type AtpLine, type PromisedTotals, type TakeResult } from './ledger.js';

export const atpMigrations: Migration[] = [
  {
    id: 'atp-001-promises',
    sqlite: `CREATE TABLE atp_promises (
  order_key TEXT NOT NULL,
  item_key TEXT NOT NULL,
  qty REAL NOT NULL,
  expires_at INTEGER NOT NULL,
  settled_at INTEGER,
  PRIMARY KEY (order_key, item_key)
);
CREATE INDEX atp_promises_item ON atp_promises (item_key, settled_at);
CREATE INDEX atp_promises_expiry ON atp_promises (expires_at);`,
    postgres: `CREATE TABLE atp_promises (
  order_key TEXT NOT NULL,
  item_key TEXT NOT NULL,
  qty DOUBLE PRECISION NOT NULL,
  expires_at BIGINT NOT NULL,
  settled_at BIGINT,
  PRIMARY KEY (order_key, item_key)
);
CREATE INDEX atp_promises_item ON atp_promises (item_key, settled_at);
CREATE INDEX atp_promises_expiry ON atp_promises (expires_at);`,
  },
];

export class SqlAtpLedger implements AtpLedger {
  readonly backend: 'sqlite' | 'postgres';

  constructor(private readonly store: SqlStore) {
    this.backend = store.dialect;
  }

  take(orderKey: string, lines: readonly AtpLine[], opts: { force: boolean; now: number; ttlMs: number }): Promise<TakeResult> {
    return this.store.transaction(async (tx) => {
      if (tx.dialect === 'postgres') {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('atp-order'), hashtext(?))", [orderKey]);
        for (const key of [...new Set(lines.map((l) => l.itemKey))].sort()) {
          await tx.query("SELECT pg_advisory_xact_lock(hashtext('atp-item'), hashtext(?))", [key]);
        }
      }
      const [held] = await tx.query('SELECT 1 AS x FROM atp_promises WHERE order_key = ? LIMIT 1', [orderKey]);
      if (held) return { state: 'held' } as const;
      const used = await Promise.all(lines.map((l) => this.used(tx, l)));
      const short = lines
        .map((l, i) => ({ itemKey: l.itemKey, requested: l.qty, available: Math.max(0, l.limit - used[i]!) }))
        .filter((s, i) => used[i]! + lines[i]!.qty > lines[i]!.limit);
      if (short.length > 0 && !opts.force) return { state: 'short', short } as const;
      for (const l of lines) {
        await tx.run('INSERT INTO atp_promises (order_key, item_key, qty, expires_at) VALUES (?, ?, ?, ?)', [orderKey, l.itemKey, l.qty, opts.now + opts.ttlMs]);
      }
      const oversold = lines.map((l, i) => ({ itemKey: l.itemKey, units: oversoldUnits(used[i]!, l.qty, l.limit) })).filter((o) => o.units > 0);
      return { state: 'taken', oversold } as const;
    });
  }

  private async used(tx: SqlExecutor, line: AtpLine): Promise<number> {
    const [row] = await tx.query<{ v: number | string | null }>(
      'SELECT SUM(qty) AS v FROM atp_promises WHERE item_key = ? AND (settled_at IS NULL OR settled_at >= ?)',
      [line.itemKey, line.basisAt],
    );
    return Number(row?.v ?? 0);
  }

  async settle(orderKeys: readonly string[], now: number): Promise<void> {
    if (orderKeys.length === 0) return;
    await this.store.run(`UPDATE atp_promises SET settled_at = ? WHERE settled_at IS NULL AND order_key IN (${orderKeys.map(() => '?').join(', ')})`, [now, ...orderKeys]);
  }

  async release(orderKeys: readonly string[]): Promise<void> {
    if (orderKeys.length === 0) return;
    await this.store.run(`DELETE FROM atp_promises WHERE order_key IN (${orderKeys.map(() => '?').join(', ')})`, [...orderKeys]);
  }

  async totals(): Promise<PromisedTotals[]> {
    const rows = await this.store.query<{ item_key: string; settled_at: number | string | null; q: number | string }>(
      'SELECT item_key, settled_at, SUM(qty) AS q FROM atp_promises GROUP BY item_key, settled_at',
    );
    const byKey = new Map<string, PromisedTotals>();
    for (const r of rows) {
      let t = byKey.get(r.item_key);
      if (!t) byKey.set(r.item_key, (t = { itemKey: r.item_key, open: 0, settled: [] }));
      if (r.settled_at === null) t.open += Number(r.q);
      else t.settled.push({ at: Number(r.settled_at), qty: Number(r.q) });
    }
    return [...byKey.values()];
  }

  async expired(now: number, limit: number): Promise<string[]> {
    const rows = await this.store.query<{ order_key: string }>(
      'SELECT order_key FROM atp_promises WHERE settled_at IS NULL AND expires_at < ? GROUP BY order_key ORDER BY MIN(expires_at) LIMIT ?',
      [now, limit],
    );
    return rows.map((r) => r.order_key);
  }

  async extend(orderKeys: readonly string[], until: number): Promise<void> {
    if (orderKeys.length === 0) return;
    await this.store.run(`UPDATE atp_promises SET expires_at = ? WHERE settled_at IS NULL AND order_key IN (${orderKeys.map(() => '?').join(', ')})`, [until, ...orderKeys]);
  }

  async purgeSettled(before: number): Promise<number> {
    const rows = await this.store.query<{ order_key: string }>('SELECT DISTINCT order_key FROM atp_promises WHERE settled_at IS NOT NULL AND settled_at < ?', [before]);
    await this.store.run('DELETE FROM atp_promises WHERE settled_at IS NOT NULL AND settled_at < ?', [before]);
    return rows.length;
  }

  async close(): Promise<void> {
    // the store belongs to the services
  }
}
