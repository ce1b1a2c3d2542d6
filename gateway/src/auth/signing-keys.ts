/**
 * The gateway's token signing keys, kept in its store with the private half sealed under the
 * master key, so every replica signs and verifies alike.
 *
 * Lifecycle: one key is active (signs new tokens). Rotation creates a new active key; the previous
 * one stops signing at once but stays published and accepted until `expires_at` (every token it
 * signed has expired: TTL + clock skew + the refresh interval another replica may lag by), then it
 * is deleted.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type CryptoKey, type JWK } from 'jose';
import type { Logger } from 'pino';
import type { SqlExecutor, SqlStore } from '../store/store.js';
import { MasterKeyring, SealError } from './sealed.js';

export type SigningAlg = 'ES256' | 'EdDSA';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key: string;
  created_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

export interface PublicKeyEntry {
  kid: string;
  alg: SigningAlg;
  jwk: JWK;
  key: CryptoKey;
  /** Null for the active key. */
  expiresAt: number | null;
}

export interface ActiveKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
}

export interface SigningKeyStoreOptions {
  store: SqlStore;
  keyring: MasterKeyring;
  alg: SigningAlg;
  /** Token lifetime and clock skew: together, how long a retired key must stay accepted. */
  tokenTtlSeconds: number;
  clockSkewSeconds: number;
  /** How often the keys are re-read from the store (another replica may have rotated). */
  refreshMs?: number;
  /** A kid not in memory re-reads the store at most this often. */
  unknownKidRefreshMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Demo only: rows sealed under a lost ephemeral master key are dropped instead of failing. */
  discardUnreadable?: boolean;
}

const PURPOSE = 'signing-key';
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('retail_gateway_signing_keys'))";

export interface RotationResult {
  kid: string;
  previousKid: string | null;
  /** Milliseconds since epoch: when the previous key stops being accepted. */
  previousExpiresAt: number | null;
}

export class SigningKeyStore {
  private active: ActiveKey | null = null;
  private published = new Map<string, PublicKeyEntry>();
  private loadedAt = 0;
  private lastUnknownKidLoad = 0;
  private loading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly refreshMs: number;
  private readonly unknownKidRefreshMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SigningKeyStoreOptions) {
    this.refreshMs = options.refreshMs ?? 5_000;
    this.unknownKidRefreshMs = options.unknownKidRefreshMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** How long after rotation a previous key stays accepted. */
  get retirementDelayMs(): number {
    return (this.options.tokenTtlSeconds + this.options.clockSkewSeconds) * 1000 + this.refreshMs;
  }

  /** Loads the keys, creating the first one when the store has none. */
  async init(): Promise<void> {
    await this.ensureActive();
    await this.reload();
  }

  private async ensureActive(): Promise<void> {
    await this.options.store.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.query(LOCK);
      const rows = await tx.query<{ kid: string }>('SELECT kid FROM auth_signing_keys WHERE retired_at IS NULL');
      if (rows.length === 0) await this.insertKey(tx);
    });
  }

  /** Re-reads the store every `refreshMs` until `stop()`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.reload().catch((err: unknown) => this.options.logger?.warn({ err }, 'auth: signing keys reload failed'));
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The key that signs new tokens. */
  activeKey(): ActiveKey {
    if (!this.active) throw new Error('signing keys are not loaded: call init() first');
    return this.active;
  }

  /** Keys a token may be verified with, by kid (the active key and the retiring ones). */
  async publicKey(kid: string): Promise<PublicKeyEntry | undefined> {
    let entry = this.published.get(kid);
    if (!entry && this.now() - this.lastUnknownKidLoad >= this.unknownKidRefreshMs) {
      // Another replica may have rotated a moment ago.
      this.lastUnknownKidLoad = this.now();
      await this.reload();
      entry = this.published.get(kid);
    }
    if (entry && entry.expiresAt !== null && entry.expiresAt <= this.now()) return undefined;
    return entry;
  }

  /** The published JWK set (`/.well-known/jwks.json`). */
  jwks(): { keys: JWK[] } {
    const now = this.now();
    return {
      keys: [...this.published.values()]
        .filter((k) => k.expiresAt === null || k.expiresAt > now)
        .map((k) => ({ ...k.jwk, kid: k.kid, alg: k.alg, use: 'sig' })),
    };
  }

  /** Makes a new key active; the previous one stays accepted for `retirementDelayMs`. */
  async rotate(): Promise<RotationResult> {
    const now = this.now();
    const result = await this.options.store.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.query(LOCK);
      const current = await tx.query<{ kid: string }>('SELECT kid FROM auth_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC');
      const expiresAt = now + this.retirementDelayMs;
      await tx.run('UPDATE auth_signing_keys SET retired_at = ?, expires_at = ? WHERE retired_at IS NULL', [now, expiresAt]);
      const kid = await this.insertKey(tx);
      await tx.run('DELETE FROM auth_signing_keys WHERE expires_at IS NOT NULL AND expires_at <= ?', [now]);
      return { kid, previousKid: current[0]?.kid ?? null, previousExpiresAt: current.length ? expiresAt : null };
    });
    await this.reload();
    return result;
  }

  /** Re-seals every private key under the current master key; answers how many rows changed. */
  async reseal(tx: SqlExecutor): Promise<number> {
    const { keyring } = this.options;
    const rows = await tx.query<{ kid: string; private_key: string }>('SELECT kid, private_key FROM auth_signing_keys');
    let changed = 0;
    for (const row of rows) {
      if (MasterKeyring.keyIdOf(row.private_key) === keyring.currentId) continue;
      const plain = keyring.open(row.private_key, `${PURPOSE}:${row.kid}`);
      await tx.run('UPDATE auth_signing_keys SET private_key = ? WHERE kid = ?', [keyring.seal(plain, `${PURPOSE}:${row.kid}`), row.kid]);
      changed++;
    }
    return changed;
  }

  /** Keys still sealed under another master key than the current one (0 after a complete reseal). */
  async countSealedUnderOtherKeys(db: SqlExecutor = this.options.store): Promise<number> {
    const [row] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM auth_signing_keys WHERE private_key NOT LIKE ?', [`v1.${this.options.keyring.currentId}.%`]);
    return Number(row?.n ?? 0);
  }

  /** Re-reads every key from the store; concurrent callers share one read. */
  reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const now = this.now();
    const rows = await this.options.store.query<SigningKeyRow>(
      'SELECT kid, alg, public_jwk, private_key, created_at, retired_at, expires_at FROM auth_signing_keys WHERE expires_at IS NULL OR expires_at > ? ORDER BY created_at DESC',
      [now],
    );
    const published = new Map<string, PublicKeyEntry>();
    let active: ActiveKey | null = null;
    for (const row of rows) {
      const alg = row.alg as SigningAlg;
      const existing = this.published.get(row.kid);
      const jwk = JSON.parse(row.public_jwk) as JWK;
      const key = existing?.key ?? ((await importJWK(jwk, alg)) as CryptoKey);
      published.set(row.kid, { kid: row.kid, alg, jwk, key, expiresAt: row.expires_at === null ? null : Number(row.expires_at) });
      if (row.retired_at === null && !active) {
        if (this.active?.kid === row.kid) {
          active = this.active;
        } else {
          try {
            const pem = this.options.keyring.open(row.private_key, `${PURPOSE}:${row.kid}`).toString('utf8');
            active = { kid: row.kid, alg, privateKey: await importPKCS8(pem, alg) };
          } catch (err) {
            if (!(err instanceof SealError) || !this.options.discardUnreadable) throw err;
            this.options.logger?.warn({ kid: row.kid }, 'auth: dropping a signing key sealed under a previous ephemeral demo master key');
            await this.options.store.run('DELETE FROM auth_signing_keys WHERE kid = ?', [row.kid]);
            published.delete(row.kid);
          }
        }
      }
    }
    if (!active) {
      if (this.options.discardUnreadable) {
        await this.ensureActive();
        return this.load();
      }
      throw new Error('no active signing key in the store');
    }
    this.published = published;
    this.active = active;
    this.loadedAt = now;
  }

  /** When the keys were last read from the store (ms since epoch). */
  get lastLoadedAt(): number {
    return this.loadedAt;
  }

  private async insertKey(tx: SqlExecutor): Promise<string> {
    const { alg, keyring } = this.options;
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const kid = `${new Date(this.now()).toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    const jwk = await exportJWK(publicKey);
    const pem = await exportPKCS8(privateKey);
    await tx.run('INSERT INTO auth_signing_keys (kid, alg, public_jwk, private_key, created_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, NULL, NULL)', [
      kid,
      alg,
      JSON.stringify(jwk),
      keyring.seal(pem, `${PURPOSE}:${kid}`),
      this.now(),
    ]);
    this.options.logger?.info({ kid, alg }, 'auth: new signing key');
    return kid;
  }
}
