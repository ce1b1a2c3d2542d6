/**
 * The promise ledger in the gateway's SQL store (ledger.ts has the semantics). One row per order
 * and item. A `take` is one transaction: SQLite serialises writers (BEGIN IMMEDIATE); PostgreSQL
 * takes a transaction-scoped advisory lock per order and per item (items in sorted order, so two
 * takes never deadlock) before it sums and inserts, so replicas sharing the database agree.
 */
import { sqlByCount, sqlList, type Migration, type SqlExecutor, type SqlStore } from '../store/store.js';
import { oversoldUnits, type AtpLedger, type AtpLine, type PromisedTotals, type TakeOptions, type TakeResult } from './ledger.js';

/** The promises' table on SQLite, as atp-001 made it and atp-003 remade it. */
const sqlitePromises = (name: string, options: '' | ' WITHOUT ROWID') => `CREATE TABLE ${name} (
  order_key TEXT NOT NULL,
  item_key TEXT NOT NULL,
  qty REAL NOT NULL,
  expires_at INTEGER NOT NULL,
  settled_at INTEGER,
  PRIMARY KEY (order_key, item_key)
)${options};`;

/** Settled promises by item, with their units (atp-003). */
const settledIndex = 'CREATE INDEX atp_promises_settled ON atp_promises (item_key, settled_at, qty) WHERE settled_at IS NOT NULL;';

export const atpMigrations: Migration[] = [
  {
    id: 'atp-001-promises',
    sqlite: `${sqlitePromises('atp_promises', '')}
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
  {
    // The open (unsettled) units per item, kept with every change: a take reads one row instead of
    // summing every open promise of the item, and the replicas' poll reads one row per item.
    id: 'atp-002-open-totals',
    sqlite: `CREATE TABLE atp_open (item_key TEXT PRIMARY KEY, qty REAL NOT NULL);
INSERT INTO atp_open (item_key, qty) SELECT item_key, SUM(qty) FROM atp_promises WHERE settled_at IS NULL GROUP BY item_key;`,
    postgres: `CREATE TABLE atp_open (item_key TEXT PRIMARY KEY, qty DOUBLE PRECISION NOT NULL);
INSERT INTO atp_open (item_key, qty) SELECT item_key, SUM(qty) FROM atp_promises WHERE settled_at IS NULL GROUP BY item_key;`,
  },
  {
    // A promise is written with every order line and read by its item only once settled (the open
    // units are in `atp_open`): the item index holds settled promises alone, with their units (the
    // replicas' poll and a take's settled sum read it without the table), and SQLite keeps the rows
    // in their primary key (WITHOUT ROWID). A line's promise went from four B-tree entries to two;
    // the accept harness: its INSERT 11.0 → 5.1 µs for two lines, and the poll's scan of every
    // promise, open ones included, is gone (docs/performance.md, seventh pass).
    id: 'atp-003-settled-index',
    sqlite: `${sqlitePromises('atp_promises_next', ' WITHOUT ROWID')}
INSERT INTO atp_promises_next (order_key, item_key, qty, expires_at, settled_at) SELECT order_key, item_key, qty, expires_at, settled_at FROM atp_promises;
DROP TABLE atp_promises;
ALTER TABLE atp_promises_next RENAME TO atp_promises;
${settledIndex}
CREATE INDEX atp_promises_expiry ON atp_promises (expires_at);`,
    postgres: `DROP INDEX atp_promises_item;
${settledIndex}`,
  },
];

/** Item keys in one order everywhere rows of `atp_open` are locked, so two writers cannot deadlock. */
const inItemOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Takes the open units of these orders' unsettled promises off `atp_open` (before they settle or go). */
async function closeOpen(tx: SqlExecutor, orderKeys: readonly string[]): Promise<void> {
  const rows = await tx.query<{ item_key: string; q: number | string }>(
    `SELECT item_key, SUM(qty) AS q FROM atp_promises WHERE settled_at IS NULL AND order_key IN (${sqlList(orderKeys.length)}) GROUP BY item_key`,
    [...orderKeys],
  );
  // In item order, as takes lock them, so a take and a release of two shared items cannot deadlock.
  rows.sort((a, b) => inItemOrder(a.item_key, b.item_key));
  for (const r of rows) await tx.run('UPDATE atp_open SET qty = qty - ? WHERE item_key = ?', [Number(r.q), r.item_key]);
}

/**
 * The reading half of a take, in the caller's transaction: whether the order holds a promise
 * already, else whether its lines fit (or, with `force`, how many units would be oversold).
 * Writes nothing but PostgreSQL's transaction-scoped locks; `recordTake` writes what it found.
 */
export async function checkTake(tx: SqlExecutor, orderKey: string, lines: readonly AtpLine[], force: boolean): Promise<TakeResult> {
  if (tx.dialect === 'postgres') {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('atp-order'), hashtext(?))", [orderKey]);
    for (const key of [...new Set(lines.map((l) => l.itemKey))].sort()) {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('atp-item'), hashtext(?))", [key]);
    }
  }
  const [held] = await tx.query('SELECT 1 AS x FROM atp_promises WHERE order_key = ? LIMIT 1', [orderKey]);
  if (held) return { state: 'held' };
  const used = await usedUnits(tx, lines);
  const short = lines
    .map((l, i) => ({ itemKey: l.itemKey, requested: l.qty, available: Math.max(0, l.limit - used[i]!) }))
    .filter((s, i) => used[i]! + lines[i]!.qty > lines[i]!.limit);
  if (short.length > 0 && !force) return { state: 'short', short };
  const oversold = lines.map((l, i) => ({ itemKey: l.itemKey, units: oversoldUnits(used[i]!, l.qty, l.limit) })).filter((o) => o.units > 0);
  return { state: 'taken', oversold };
}

const insertPromisesSql = sqlByCount((n) => `INSERT INTO atp_promises (order_key, item_key, qty, expires_at) VALUES ${sqlList(n, '(?, ?, ?, ?)')}`);
const addOpenSql = sqlByCount((n) => `INSERT INTO atp_open (item_key, qty) VALUES ${sqlList(n, '(?, ?)')} ON CONFLICT (item_key) DO UPDATE SET qty = atp_open.qty + excluded.qty`);
const usedUnitsSql = sqlByCount((n) =>
  Array.from(
    { length: n },
    (_, i) => `SELECT ${i} AS i, (SELECT qty FROM atp_open WHERE item_key = ?) AS o, (SELECT SUM(qty) FROM atp_promises WHERE item_key = ? AND settled_at >= ?) AS s`,
  ).join(' UNION ALL '),
);

/** The writing half of a take (after a `checkTake` that answered `taken`, in the same transaction). */
export async function recordTake(tx: SqlExecutor, orderKey: string, lines: readonly AtpLine[], expiresAt: number): Promise<void> {
  if (lines.length === 0) return;
  // One statement a table for the whole order (an order has one line per item: the primary key);
  // rows in item order, as every writer of `atp_open` locks them.
  const sorted = [...lines].sort((a, b) => inItemOrder(a.itemKey, b.itemKey));
  await tx.run(
    insertPromisesSql(sorted.length),
    sorted.flatMap((l) => [orderKey, l.itemKey, l.qty, expiresAt]),
  );
  await tx.run(
    addOpenSql(sorted.length),
    sorted.flatMap((l) => [l.itemKey, l.qty]),
  );
}

/**
 * The units each line's item has promised already: its open promises, and the settled ones
 * Odoo's figure (computed at the line's basisAt) does not include yet. One statement for all lines.
 */
async function usedUnits(tx: SqlExecutor, lines: readonly AtpLine[]): Promise<number[]> {
  if (lines.length === 0) return [];
  const rows = await tx.query<{ i: number | string; o: number | string | null; s: number | string | null }>(
    usedUnitsSql(lines.length),
    lines.flatMap((l) => [l.itemKey, l.itemKey, l.basisAt]),
  );
  const used = lines.map(() => 0);
  for (const r of rows) used[Number(r.i)] = Math.max(0, Number(r.o ?? 0)) + Number(r.s ?? 0);
  return used;
}

export class SqlAtpLedger implements AtpLedger {
  readonly backend: 'sqlite' | 'postgres';

  /** The takes run in the intake queue's group commit (see `AtpLedger.joinsIntake`). */
  readonly joinsIntake: boolean;
  private readonly write: <T>(op: (tx: SqlExecutor) => Promise<T>) => Promise<T>;

  /**
   * @param groupWrite where a take runs: by default a transaction of its own; on SQLite the intake
   *   queue's group commit, so the takes of a burst share commits (one fsync each) with the accepts
   *   beside them instead of paying one each. SQLite has one writer, so the takes of a group still
   *   run one after another and each sees the ones before it.
   */
  constructor(
    private readonly store: SqlStore,
    groupWrite?: <T>(op: (tx: SqlExecutor) => Promise<T>) => Promise<T>,
  ) {
    this.backend = store.dialect;
    this.write = groupWrite ?? ((op) => store.transaction(op));
    this.joinsIntake = groupWrite !== undefined;
  }

  take(orderKey: string, lines: readonly AtpLine[], opts: TakeOptions): Promise<TakeResult> {
    return this.write(async (tx) => {
      const result = await checkTake(tx, orderKey, lines, opts.force);
      if (result.state === 'taken') await recordTake(tx, orderKey, lines, opts.now + opts.ttlMs);
      const committed = opts.committed;
      if (committed) tx.afterCommit(() => committed(result));
      return result;
    });
  }

  async settle(orderKeys: readonly string[], now: number, committed?: () => void): Promise<void> {
    if (orderKeys.length === 0) return committed?.();
    await this.store.transaction(async (tx) => {
      await closeOpen(tx, orderKeys);
      await tx.run(`UPDATE atp_promises SET settled_at = ? WHERE settled_at IS NULL AND order_key IN (${sqlList(orderKeys.length)})`, [now, ...orderKeys]);
      if (committed) tx.afterCommit(committed);
    });
  }

  async release(orderKeys: readonly string[], committed?: () => void): Promise<void> {
    if (orderKeys.length === 0) return committed?.();
    await this.store.transaction(async (tx) => {
      await closeOpen(tx, orderKeys);
      await tx.run(`DELETE FROM atp_promises WHERE order_key IN (${sqlList(orderKeys.length)})`, [...orderKeys]);
      if (committed) tx.afterCommit(committed);
    });
  }

  async totals(atRead?: () => void): Promise<PromisedTotals[]> {
    // Both reads in one transaction: one state of the ledger, and `atRead` at the instant it is read.
    const rows = await this.store.transaction(async (tx) => {
      atRead?.();
      return [
        ...(await tx.query<{ item_key: string; settled_at: null; q: number | string }>('SELECT item_key, NULL AS settled_at, qty AS q FROM atp_open WHERE qty > 0')),
        ...(await tx.query<{ item_key: string; settled_at: number | string; q: number | string }>(
          'SELECT item_key, settled_at, SUM(qty) AS q FROM atp_promises WHERE settled_at IS NOT NULL GROUP BY item_key, settled_at',
        )),
      ];
    });
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
    await this.store.run(`UPDATE atp_promises SET expires_at = ? WHERE settled_at IS NULL AND order_key IN (${sqlList(orderKeys.length)})`, [until, ...orderKeys]);
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
