import { intakeMigrations } from '../intake/migrations.js';
import type { Migration } from './store.js';
import { authMigrations } from '../auth/migrations.js';
import { auditMigrations } from '../audit/log.js';
import { inboundWebhookMigrations } from '../webhooks/inbound/migrations.js';
import { relayMigrations } from '../relay/migrations.js';
import { dashboardMigrations } from '../dashboard/sessions.js';
import { atpMigrations } from '../atp/sql-ledger.js';

/**
 * Every schema change of the gateway's store, in order. Features append theirs; an applied
 * migration is never edited, only followed by a new one.
 */
export const migrations: Migration[] = [...intakeMigrations, ...authMigrations, ...auditMigrations, ...inboundWebhookMigrations, ...relayMigrations, ...dashboardMigrations, ...atpMigrations];
