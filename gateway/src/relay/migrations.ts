import type { Migration } from '../store/store.js';

/**
 * The relay's tables in the gateway store.
 *
 * - `webhook_deliveries`: one row per (event, subscription), the durable unit of delivery. Unique on
 *   (event_id, subscription_id), so an event claimed twice (an expired lease) never delivers twice.
 *   `lease_until` lets several replicas sharing a PostgreSQL store work the same table.
 * - `webhook_attempts`: every attempt's outcome, for the partner's delivery log.
 * - `webhook_endpoints`: consecutive failures per subscription, for auto-disable.
 */
export const relayMigrations: Migration[] = [
  {
    id: 'relay-001-deliveries',
    sqlite: `
      CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL,
        source TEXT NOT NULL,
        subscription_id INTEGER NOT NULL,
        partner TEXT NOT NULL,
        event_type TEXT NOT NULL,
        aggregate TEXT NOT NULL,
        body TEXT NOT NULL,
        event_time INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER,
        last_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        delivered_at INTEGER,
        replays INTEGER NOT NULL DEFAULT 0,
        report_pending INTEGER NOT NULL DEFAULT 0,
        UNIQUE (event_id, subscription_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
      CREATE INDEX webhook_deliveries_order ON webhook_deliveries (subscription_id, aggregate, status, id);
      CREATE INDEX webhook_deliveries_partner ON webhook_deliveries (partner, status, event_time);
      CREATE INDEX webhook_deliveries_report ON webhook_deliveries (report_pending);
      CREATE TABLE webhook_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_id INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        at INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL
      );
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
      CREATE TABLE webhook_endpoints (
        subscription_id INTEGER PRIMARY KEY,
        partner TEXT NOT NULL,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        failing_since INTEGER,
        disabled_at INTEGER
      );`,
    postgres: `
      CREATE TABLE webhook_deliveries (
        id BIGSERIAL PRIMARY KEY,
        event_id TEXT NOT NULL,
        source TEXT NOT NULL,
        subscription_id BIGINT NOT NULL,
        partner TEXT NOT NULL,
        event_type TEXT NOT NULL,
        aggregate TEXT NOT NULL,
        body TEXT NOT NULL,
        event_time BIGINT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_until BIGINT,
        last_status INTEGER,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        delivered_at BIGINT,
        replays INTEGER NOT NULL DEFAULT 0,
        report_pending INTEGER NOT NULL DEFAULT 0,
        UNIQUE (event_id, subscription_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
      CREATE INDEX webhook_deliveries_order ON webhook_deliveries (subscription_id, aggregate, status, id);
      CREATE INDEX webhook_deliveries_partner ON webhook_deliveries (partner, status, event_time);
      CREATE INDEX webhook_deliveries_report ON webhook_deliveries (report_pending) WHERE report_pending = 1;
      CREATE TABLE webhook_attempts (
        id BIGSERIAL PRIMARY KEY,
        delivery_id BIGINT NOT NULL,
        attempt INTEGER NOT NULL,
        at BIGINT NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL
      );
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
      CREATE TABLE webhook_endpoints (
        subscription_id BIGINT PRIMARY KEY,
        partner TEXT NOT NULL,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        failing_since BIGINT,
        disabled_at BIGINT
      );`,
  },
];
