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
];
