import type { Migration } from '../../store/store.js';

const deliveries = `CREATE TABLE inbound_webhook_deliveries (
  provider TEXT NOT NULL,
  partner TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  status TEXT NOT NULL,
  claim_token TEXT NOT NULL,
  claimed_at BIGINT NOT NULL,
  completed_at BIGINT,
  intake_ids TEXT,
  PRIMARY KEY (provider, partner, delivery_id)
)`;
const deliveriesIndex = 'CREATE INDEX inbound_webhook_deliveries_claimed_at ON inbound_webhook_deliveries (claimed_at)';
const refs = `CREATE TABLE inbound_payment_refs (
  provider TEXT NOT NULL,
  partner TEXT NOT NULL,
  ref TEXT NOT NULL,
  order_external_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (provider, partner, ref)
)`;

const versions = `CREATE TABLE inbound_order_versions (
  provider TEXT NOT NULL,
  partner TEXT NOT NULL,
  external_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  recorded_at BIGINT NOT NULL,
  PRIMARY KEY (provider, partner, external_id)
)`;
const versionsIndex = 'CREATE INDEX inbound_order_versions_version ON inbound_order_versions (version)';

/**
 * Inbound webhook de-duplication: one row per provider delivery id and partner, claimed before the
 * items are queued and completed after; and the payment references (Stripe PaymentIntents) seen
 * with an order id, for refunds that do not repeat it.
 */
export const inboundWebhookMigrations: Migration[] = [
  {
    id: 'inbound-webhooks-001-deliveries',
    sqlite: `${deliveries};\n${deliveriesIndex};\n${refs};`,
    postgres: `${deliveries};\n${deliveriesIndex};\n${refs};`,
  },
  {
    // The last applied version of each order per provider and partner (versions.ts).
    id: 'inbound-webhooks-002-order-versions',
    sqlite: `${versions};\n${versionsIndex};`,
    postgres: `${versions};\n${versionsIndex};`,
  },
];
