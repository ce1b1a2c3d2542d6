import type { Migration } from '../store/store.js';

/**
 * Tables of the auth feature: signing keys and other sealed secrets (encrypted with the master
 * key, see sealed.ts). Times are milliseconds since the epoch.
 */
export const authMigrations: Migration[] = [
  {
    id: 'auth-001-signing-keys',
    sqlite: `CREATE TABLE auth_signing_keys (
      kid TEXT PRIMARY KEY,
      alg TEXT NOT NULL,
      public_jwk TEXT NOT NULL,
      private_key TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      retired_at INTEGER,
      expires_at INTEGER
    );
    CREATE TABLE auth_sealed_secrets (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      version INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );`,
    postgres: `CREATE TABLE auth_signing_keys (
      kid TEXT PRIMARY KEY,
      alg TEXT NOT NULL,
      public_jwk TEXT NOT NULL,
      private_key TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      retired_at BIGINT,
      expires_at BIGINT
    );
    CREATE TABLE auth_sealed_secrets (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      version INTEGER NOT NULL,
      updated_at BIGINT NOT NULL
    );`,
  },
];
