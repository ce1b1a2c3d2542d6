/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` is
 * `v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`, one space-separated entry per
 * active secret, so a receiver holding either the old or the new secret verifies during a rotation.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** A secret version as the partner registry keeps it. */
export interface SigningSecret {
  secret: string;
  /** ISO time after which the secret stops being used; null: no deadline. */
  valid_until: string | null;
}

const keys = new Map<string, Buffer>();

/** The key bytes of a `whsec_…` secret (base64 after the prefix). */
export function secretKey(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
    if (key.length === 0) throw new TypeError('webhook signing secret is empty');
    if (keys.size > 10_000) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/** A new secret in the `whsec_…` form: 32 random bytes, base64. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/** The secrets still valid at `nowMs`; the newest (listed first by the registry) first. */
export function activeSecrets(secrets: readonly SigningSecret[], nowMs: number): string[] {
  return secrets.filter((s) => s.valid_until === null || Date.parse(s.valid_until) > nowMs).map((s) => s.secret);
}

/** One `v1,<sig>` signature. */
export function signOnce(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The `webhook-signature` header value: one signature per secret, space-separated. */
export function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  if (secrets.length === 0) throw new TypeError('no active signing secret');
  return secrets.map((s) => signOnce(secretKey(s), id, timestampSeconds, body)).join(' ');
}

/** The three Standard Webhooks headers plus the content type, for one delivery attempt. */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatureHeader(secrets, id, timestampSeconds, body),
  };
}
