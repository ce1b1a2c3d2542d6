/**
 * Envelope encryption of secrets at rest (signing keys, the rotated Odoo API key) with the master
 * key: AES-256-GCM from node:crypto, a fresh 96-bit IV per value, and the value's purpose bound in
 * as additional authenticated data so a sealed value cannot be moved to another row.
 *
 * Sealed form: `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url parts). The key id is a short
 * fingerprint of the master key, so a store can tell which rows still need re-encryption after a
 * master-key rotation without trying to decrypt them.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

/** A short, non-secret fingerprint of a master key (first 8 bytes of SHA-256 of a labelled hash). */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('retail-gateway master key id\0').update(key).digest('hex').slice(0, 16);
}

/** The master keys a process knows: the current one seals, both open. */
export class MasterKeyring {
  readonly currentId: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, previous: Buffer | null = null) {
    if (current.length !== 32) throw new TypeError('master key must be 32 bytes');
    if (previous && previous.length !== 32) throw new TypeError('previous master key must be 32 bytes');
    this.currentId = masterKeyId(current);
    this.keys.set(this.currentId, current);
    if (previous) this.keys.set(masterKeyId(previous), previous);
  }

  /** Whether a value sealed under `keyId` can be opened. */
  knows(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  seal(plaintext: string | Buffer, purpose: string): string {
    const key = this.keys.get(this.currentId)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(purpose));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return ['v1', this.currentId, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, purpose: string): Buffer {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new SealError('not a sealed value');
    const [, keyId, iv, ct, tag] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new SealError(`sealed with an unknown master key (${keyId}): set GATEWAY_MASTER_KEY_PREVIOUS to the key it was sealed with`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
    } catch {
      throw new SealError('sealed value failed authentication (tampered, or sealed for another purpose)');
    }
  }

  /** The key id a sealed value was sealed under. */
  static keyIdOf(sealed: string): string | undefined {
    return sealed.split('.')[1];
  }
}
