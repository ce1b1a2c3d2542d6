/**
 * Named secrets the gateway itself uses (today: the rotated Odoo API key), sealed under the master
 * key in the store. A version number lets replicas notice a change cheaply.
 */
import type { SqlExecutor, SqlStore } from '../store/store.js';
import { MasterKeyring } from './sealed.js';

export interface StoredSecret {
  value: string;
  version: number;
  updatedAt: number;
}

const purpose = (name: string) => `secret:${name}`;

export class SealedSecrets {
  constructor(
    private readonly store: SqlStore,
    private readonly keyring: MasterKeyring,
    private readonly now: () => number = Date.now,
  ) {}

  async get(name: string): Promise<StoredSecret | null> {
    const rows = await this.store.query<{ value: string; version: number; updated_at: number }>(
      'SELECT value, version, updated_at FROM auth_sealed_secrets WHERE name = ?',
      [name],
    );
    const row = rows[0];
    if (!row) return null;
    return { value: this.keyring.open(row.value, purpose(name)).toString('utf8'), version: Number(row.version), updatedAt: Number(row.updated_at) };
  }

  /** The stored version only (no decryption), to poll for changes. */
  async version(name: string): Promise<number | null> {
    const rows = await this.store.query<{ version: number }>('SELECT version FROM auth_sealed_secrets WHERE name = ?', [name]);
    return rows[0] ? Number(rows[0].version) : null;
  }

  async put(name: string, value: string): Promise<number> {
    return this.store.transaction(async (tx) => {
      const rows = await tx.query<{ version: number }>('SELECT version FROM auth_sealed_secrets WHERE name = ?', [name]);
      const version = rows[0] ? Number(rows[0].version) + 1 : 1;
      const sealed = this.keyring.seal(value, purpose(name));
      if (rows[0]) {
        await tx.run('UPDATE auth_sealed_secrets SET value = ?, version = ?, updated_at = ? WHERE name = ?', [sealed, version, this.now(), name]);
      } else {
        await tx.run('INSERT INTO auth_sealed_secrets (name, value, version, updated_at) VALUES (?, ?, ?, ?)', [name, sealed, version, this.now()]);
      }
      return version;
    });
  }

  /** Re-seals every secret under the current master key; answers how many rows changed. */
  async reseal(tx: SqlExecutor): Promise<number> {
    const rows = await tx.query<{ name: string; value: string }>('SELECT name, value FROM auth_sealed_secrets');
    let changed = 0;
    for (const row of rows) {
      if (MasterKeyring.keyIdOf(row.value) === this.keyring.currentId) continue;
      const plain = this.keyring.open(row.value, purpose(row.name));
      await tx.run('UPDATE auth_sealed_secrets SET value = ? WHERE name = ?', [this.keyring.seal(plain, purpose(row.name)), row.name]);
      changed++;
    }
    return changed;
  }
}
