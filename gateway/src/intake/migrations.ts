/**
 * Tables of the intake queue, its idempotency records and the gateway's own events.
 * Times are integers (ms since epoch) in both dialects; payloads are JSON text.
 */
import type { Migration } from '../store/store.js';

const items = (serial: string, int: string) => `
CREATE TABLE intake_items (
  seq ${serial},
  id TEXT NOT NULL UNIQUE,
  partner TEXT NOT NULL,
  kind TEXT NOT NULL,
  external_id TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  order_ref TEXT,
  source TEXT NOT NULL,
  request_id TEXT NOT NULL,
  shadow ${int} NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  outcome TEXT,
  odoo_id ${int},
  odoo_name TEXT,
  related TEXT,
  reasons TEXT,
  attempts ${int} NOT NULL DEFAULT 0,
  next_attempt_at ${int} NOT NULL,
  lease_until ${int},
  leased_by TEXT,
  last_error TEXT,
  duplicates ${int} NOT NULL DEFAULT 0,
  accepted_at ${int} NOT NULL,
  updated_at ${int} NOT NULL,
  completed_at ${int},
  UNIQUE (partner, kind, dedupe_key)
);
CREATE INDEX intake_items_status_seq ON intake_items (status, seq);
CREATE INDEX intake_items_order_ref ON intake_items (partner, order_ref, kind);
CREATE INDEX intake_items_partner_external ON intake_items (partner, external_id);
`;

const idempotency = (int: string) => `
CREATE TABLE idempotency_keys (
  partner TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  state TEXT NOT NULL,
  locked_until ${int},
  response_status ${int},
  response_headers TEXT,
  response_body TEXT,
  created_at ${int} NOT NULL,
  expires_at ${int} NOT NULL,
  PRIMARY KEY (partner, key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
`;

const events = (serial: string, int: string) => `
CREATE TABLE gateway_events (
  seq ${serial},
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  partner TEXT NOT NULL,
  subject TEXT NOT NULL,
  sequence ${int} NOT NULL,
  envelope TEXT NOT NULL,
  created_at ${int} NOT NULL,
  published_at ${int}
);
CREATE INDEX gateway_events_unpublished ON gateway_events (published_at, seq);
`;

/** The lookups by order_ref and by external id, for every kind but orders (see 0104 below). */
const itemLookups = `DROP INDEX intake_items_order_ref;
DROP INDEX intake_items_partner_external;
CREATE INDEX intake_items_order_ref ON intake_items (partner, order_ref, kind) WHERE kind <> 'order';
CREATE INDEX intake_items_partner_external ON intake_items (partner, external_id, kind) WHERE kind <> 'order';`;

export const intakeMigrations: Migration[] = [
  {
    id: '0100_intake_items',
    sqlite: items('INTEGER PRIMARY KEY', 'INTEGER'),
    postgres: items('BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY', 'BIGINT'),
  },
  { id: '0101_idempotency_keys', sqlite: idempotency('INTEGER'), postgres: idempotency('BIGINT') },
  {
    id: '0102_gateway_events',
    sqlite: events('INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER'),
    postgres: events('BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY', 'BIGINT'),
  },
  {
    // Attempts that failed transiently (network, Odoo down, the addon's `retry`) are counted apart
    // from the attempts a permanent error spends.
    id: '0103_intake_transient_attempts',
    sqlite: 'ALTER TABLE intake_items ADD COLUMN transient_attempts INTEGER NOT NULL DEFAULT 0;',
    postgres: 'ALTER TABLE intake_items ADD COLUMN transient_attempts BIGINT NOT NULL DEFAULT 0;',
  },
  {
    // Orders, the burst's rows, leave the two lookup indexes: an order's order_ref and external id
    // are its dedupe key (IntakeQueue.prepare holds them to it), so the unique (partner, kind,
    // dedupe_key) index finds it by either. Two index entries fewer an order: the intake row's
    // INSERT went from 17.0 to 9.3 µs in the accept harness (docs/performance.md, seventh pass).
    id: '0104_intake_lookups_without_orders',
    sqlite: itemLookups,
    postgres: itemLookups,
  },
  {
    // Events are marked published by seq; their id (a UUIDv7) needs no unique index of its own.
    id: '0105_gateway_events_without_id_index',
    sqlite: `CREATE TABLE gateway_events_next (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  partner TEXT NOT NULL,
  subject TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  envelope TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  published_at INTEGER
);
INSERT INTO gateway_events_next (seq, id, type, partner, subject, sequence, envelope, created_at, published_at)
  SELECT seq, id, type, partner, subject, sequence, envelope, created_at, published_at FROM gateway_events ORDER BY seq;
DELETE FROM sqlite_sequence WHERE name = 'gateway_events_next';
UPDATE sqlite_sequence SET name = 'gateway_events_next' WHERE name = 'gateway_events';
DROP TABLE gateway_events;
ALTER TABLE gateway_events_next RENAME TO gateway_events;
CREATE INDEX gateway_events_unpublished ON gateway_events (published_at, seq);`,
    postgres: 'ALTER TABLE gateway_events DROP CONSTRAINT IF EXISTS gateway_events_id_key;',
  },
];
