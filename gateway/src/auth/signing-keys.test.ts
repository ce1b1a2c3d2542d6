import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader, jwtVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { listAudit, recordAudit } from '../audit/log.js';
import { migrations } from '../store/migrations.js';
import { PostgresStore } from '../store/postgres.js';
import { SqliteStore } from '../store/sqlite.js';
import type { SqlStore } from '../store/store.js';
import { SealedSecrets } from './sealed-secrets.js';
import { MasterKeyring, SealError } from './sealed.js';
import { SigningKeyStore } from './signing-keys.js';
import { TokenIssuer } from './tokens.js';

interface Backend {
  name: string;
  open(): Promise<SqlStore>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'rg-keys-'));
  return {
    name: 'sqlite',
    open: async () => new SqliteStore(join(dir, 'gateway.sqlite')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgresBackend(): Backend {
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  return {
    name: 'postgres',
    open: async () => {
      db ??= await createTestDatabase('rg_auth');
      return new PostgresStore(db.url, { max: 4 });
    },
    cleanup: async () => db?.drop(),
  };
}

const ISSUER = 'https://gateway.example';

for (const make of [sqliteBackend, postgresBackend]) {
  const backend = make();
  describe(`signing keys and sealed secrets on ${backend.name}`, () => {
    const masterA = randomBytes(32);
    const masterB = randomBytes(32);
    let store: SqlStore;
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const now = () => clock;
    const keysWith = (keyring: MasterKeyring, s: SqlStore = store) =>
      new SigningKeyStore({ store: s, keyring, alg: 'ES256', tokenTtlSeconds: 600, clockSkewSeconds: 30, refreshMs: 1000, now });

    beforeAll(async () => {
      store = await backend.open();
      await store.migrate(migrations);
    });
    afterAll(async () => {
      await store.close();
      await backend.cleanup();
    });

    it('creates one active key, publishes it, and signs RFC 9068 tokens that verify against the JWKS', async () => {
      const keys = keysWith(new MasterKeyring(masterA));
      await keys.init();
      await keys.init(); // a second replica starting finds the key and makes no other
      const rows = await store.query<{ kid: string }>('SELECT kid FROM auth_signing_keys');
      expect(rows).toHaveLength(1);
      const issuer = new TokenIssuer({ keys, issuer: ISSUER, ttlSeconds: 600, now });
      const t = await issuer.issue({ partner: 'acme', clientId: 'acme', scopes: ['products:read', 'orders:read'] });
      const header = decodeProtectedHeader(t.accessToken);
      expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: rows[0]!.kid });
      const { payload } = await jwtVerify(t.accessToken, createLocalJWKSet(keys.jwks()), { issuer: ISSUER, audience: ISSUER, currentDate: new Date(clock) });
      expect(payload).toMatchObject({ sub: 'acme', client_id: 'acme', scope: 'products:read orders:read', iss: ISSUER, aud: ISSUER });
      expect(payload.exp! - payload.iat!).toBe(600);
      expect(typeof payload.jti).toBe('string');
    });

    it('EdDSA keys work the same way when configured', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rg-eddsa-'));
      const own = new SqliteStore(join(dir, 'g.sqlite'));
      try {
        await own.migrate(migrations);
        const keys = new SigningKeyStore({ store: own, keyring: new MasterKeyring(masterA), alg: 'EdDSA', tokenTtlSeconds: 300, clockSkewSeconds: 30, now });
        await keys.init();
        const t = await new TokenIssuer({ keys, issuer: ISSUER, ttlSeconds: 300, now }).issue({ partner: 'acme', clientId: 'acme', scopes: ['products:read'] });
        expect(decodeProtectedHeader(t.accessToken).alg).toBe('EdDSA');
        expect(keys.jwks().keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
        const { payload } = await jwtVerify(t.accessToken, createLocalJWKSet(keys.jwks()), { issuer: ISSUER, audience: ISSUER, currentDate: new Date(clock) });
        expect(payload.sub).toBe('acme');
      } finally {
        await own.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('stores the private key sealed, never in the clear', async () => {
      const [row] = await store.query<{ private_key: string }>('SELECT private_key FROM auth_signing_keys');
      expect(row!.private_key).toMatch(/^v1\.[0-9a-f]{16}\./);
      expect(row!.private_key).not.toContain('PRIVATE KEY');
    });

    it('rotation: the new key signs at once, the old one stays published until TTL + skew, then retires', async () => {
      const keys = keysWith(new MasterKeyring(masterA));
      await keys.init();
      const before = keys.activeKey().kid;
      const r = await keys.rotate();
      expect(r.previousKid).toBe(before);
      expect(keys.activeKey().kid).toBe(r.kid);
      expect(r.previousExpiresAt).toBe(clock + (600 + 30) * 1000 + 1000);
      expect(keys.jwks().keys.map((k) => k.kid).sort()).toEqual([before, r.kid].sort());
      expect(await keys.publicKey(before)).toBeDefined();

      // Another replica sees the same keys.
      const other = keysWith(new MasterKeyring(masterA));
      await other.init();
      expect(other.activeKey().kid).toBe(r.kid);

      clock = r.previousExpiresAt! + 1;
      expect(await keys.publicKey(before)).toBeUndefined();
      await keys.reload();
      expect(keys.jwks().keys.map((k) => k.kid)).toEqual([r.kid]);
      await keys.rotate(); // deletes keys past their deadline
      const left = await store.query<{ kid: string }>('SELECT kid FROM auth_signing_keys WHERE kid = ?', [before]);
      expect(left).toHaveLength(0);
    });

    it('master-key rotation: rows sealed under the old key open with it as previous, and re-seal under the new one', async () => {
      const secretsA = new SealedSecrets(store, new MasterKeyring(masterA), now);
      await secretsA.put('odoo_api_key', 'key-one-1234');
      const ringB = new MasterKeyring(masterB, masterA);
      // B alone cannot read what A sealed…
      await expect(keysWith(new MasterKeyring(masterB)).init()).rejects.toBeInstanceOf(SealError);
      // …B with A as previous can, and re-seals everything under B in one transaction.
      const keysB = keysWith(ringB);
      await keysB.init();
      const secretsB = new SealedSecrets(store, ringB, now);
      expect((await secretsB.get('odoo_api_key'))!.value).toBe('key-one-1234');
      const changed = await store.transaction(async (tx) => (await keysB.reseal(tx)) + (await secretsB.reseal(tx)));
      expect(changed).toBeGreaterThanOrEqual(2);
      const rows = await store.query<{ private_key: string }>('SELECT private_key FROM auth_signing_keys');
      for (const row of rows) expect(row.private_key.startsWith(`v1.${ringB.currentId}.`)).toBe(true);
      // Now B alone is enough, and A alone is not.
      const onlyB = keysWith(new MasterKeyring(masterB));
      await onlyB.init();
      expect(onlyB.activeKey().kid).toBe(keysB.activeKey().kid);
      expect((await new SealedSecrets(store, new MasterKeyring(masterB), now).get('odoo_api_key'))!.value).toBe('key-one-1234');
      await expect(new SealedSecrets(store, new MasterKeyring(masterA), now).get('odoo_api_key')).rejects.toBeInstanceOf(SealError);
    });

    it('a sealed value cannot be moved to another row', async () => {
      const ring = new MasterKeyring(masterB);
      const sealed = ring.seal('abc', 'secret:one');
      expect(ring.open(sealed, 'secret:one').toString()).toBe('abc');
      expect(() => ring.open(sealed, 'secret:two')).toThrow(SealError);
    });

    it('audit log: entries are kept newest first and secrets in details are redacted', async () => {
      await recordAudit(store, { who: 'demo/demo', action: 'rotate.client_secret', target: 'acme', fromIp: '127.0.0.1', details: { client_id: 'acme', client_secret: 'hunter2', previous_valid_until: '2026-01-02T00:00:00Z' } });
      await recordAudit(store, { who: 'cli:ops', action: 'rotate.signing_key', target: 'k2', details: { previous_kid: 'k1' } });
      const entries = await listAudit(store, { limit: 10 });
      expect(entries[0]).toMatchObject({ who: 'cli:ops', action: 'rotate.signing_key', target: 'k2', from_ip: null, details: { previous_kid: 'k1' } });
      expect(entries[1]).toMatchObject({ who: 'demo/demo', target: 'acme', from_ip: '127.0.0.1', details: { client_id: 'acme', client_secret: '[redacted]' } });
      expect(JSON.stringify(entries)).not.toContain('hunter2');
      expect(Date.parse(entries[0]!.at)).not.toBeNaN();
    });
  });
}
