/**
 * Rotation of every credential, for the admin routes and the CLI alike. Each rotation keeps the
 * old credential working for an overlap, so no legitimate request fails, and is audited (who,
 * when, which credential; never the secret).
 *
 * - signing key: a new key signs at once; the old one stays published and accepted until every
 *   token it signed has expired, then retires.
 * - master key: every sealed row is re-encrypted under GATEWAY_MASTER_KEY; the old key
 *   (GATEWAY_MASTER_KEY_PREVIOUS) stays accepted until that transaction commits.
 * - Odoo API key: checked against Odoo, stored sealed, swapped into the client; other replicas
 *   pick it up from the store.
 * - client secret, subscription signing secret, inbound provider secret: issued in Odoo through
 *   the addon, with a grace deadline for the previous one.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { InboundProvider } from '../../../contracts/src/partner.js';
import { recordAudit } from '../audit/log.js';
import type { OdooClient } from '../odoo/client.js';
import { OdooError } from '../odoo/errors.js';
import { SealError } from './sealed.js';
import type { SqlStore } from '../store/store.js';
import type { AuthService } from './service.js';

/** Who asked for a rotation, for the audit log. */
export interface Actor {
  who: string;
  fromIp?: string | null;
  requestId?: string;
}

/** Overlap during which the previous partner secret keeps working, unless the caller says otherwise. */
export const DEFAULT_GRACE_SECONDS = 24 * 3600;

export const rotatable = ['signing-key', 'master-key', 'odoo-key', 'client-secret', 'subscription-secret', 'inbound-secret'] as const;
export type Rotatable = (typeof rotatable)[number];

export class RotationError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid_request' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'RotationError';
  }
}

export interface RotationDeps {
  auth: AuthService;
  store: SqlStore;
  odoo: OdooClient;
  logger?: Logger;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class Rotations {
  constructor(private readonly deps: RotationDeps) {}

  async signingKey(actor: Actor): Promise<{ kid: string; previous_kid: string | null; previous_valid_until: string | null }> {
    const r = await this.deps.auth.keys.rotate();
    const result = { kid: r.kid, previous_kid: r.previousKid, previous_valid_until: iso(r.previousExpiresAt) };
    await this.audit(actor, 'rotate.signing_key', r.kid, result);
    return result;
  }

  /** Re-seals every stored secret under the current master key, in one transaction. */
  async masterKey(actor: Actor): Promise<{ master_key_id: string; resealed: number }> {
    const { auth, store } = this.deps;
    let resealed: number;
    try {
      resealed = await store.transaction(async (tx) => (await auth.keys.reseal(tx)) + (await auth.secrets.reseal(tx)));
    } catch (err) {
      if (err instanceof SealError) throw new RotationError('conflict', `${err.message}; nothing was changed`);
      throw err;
    }
    if ((await auth.keys.countSealedUnderOtherKeys()) !== 0) throw new RotationError('conflict', 'some signing keys are still sealed under another master key; run the rotation again');
    const result = { master_key_id: auth.keyring.currentId, resealed };
    await this.audit(actor, 'rotate.master_key', auth.keyring.currentId, result);
    return result;
  }

  async odooKey(actor: Actor, secret: string): Promise<{ version: number }> {
    const manager = this.deps.auth.odooKey;
    if (!manager) throw new RotationError('conflict', 'this Odoo client cannot swap its key at runtime');
    if (typeof secret !== 'string' || secret.length < 8 || secret.length > 512) throw new RotationError('invalid_request', 'the new Odoo API key must be 8 to 512 characters');
    let result: { version: number };
    try {
      result = await manager.rotate(secret);
    } catch (err) {
      if (err instanceof OdooError && err.kind === 'auth') throw new RotationError('invalid_request', 'Odoo refused the new API key; the current one stays in use');
      throw err;
    }
    await this.audit(actor, 'rotate.odoo_key', 'odoo', result);
    return result;
  }

  async clientSecret(actor: Actor, partner: string, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<{ client_id: string; client_secret: string; previous_valid_until: string | null }> {
    await this.knownPartner(partner);
    const r = await this.deps.odoo.rpc('rotate_client_secret', { partner, grace_seconds: graceSeconds }, { requestId: actor.requestId });
    this.deps.auth.clients.forgetClient(r.client_id);
    await this.audit(actor, 'rotate.client_secret', partner, { client_id: r.client_id, grace_seconds: graceSeconds, previous_valid_until: r.previous_valid_until });
    return r;
  }

  async subscriptionSecret(actor: Actor, partner: string, subscriptionId: number, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<{ secret: string; previous_valid_until: string | null }> {
    const p = await this.knownPartner(partner);
    if (!p.subscriptions.some((s) => s.id === subscriptionId)) {
      await this.deps.auth.partners.refresh();
      if (!this.deps.auth.partners.get(partner)?.subscriptions.some((s) => s.id === subscriptionId)) {
        throw new RotationError('not_found', `partner ${partner} has no subscription ${subscriptionId}`);
      }
    }
    const r = await this.deps.odoo.rpc('rotate_subscription_secret', { partner, id: subscriptionId, grace_seconds: graceSeconds }, { requestId: actor.requestId });
    await this.deps.auth.partners.refresh().catch(() => undefined);
    await this.audit(actor, 'rotate.subscription_secret', `${partner}/${subscriptionId}`, { grace_seconds: graceSeconds, previous_valid_until: r.previous_valid_until });
    return r;
  }

  /**
   * Sets a partner's new inbound secret for a provider. Shopify, WooCommerce and Stripe issue
   * their own secrets, so the caller passes it; for Standard Webhooks one is generated when absent.
   */
  async inboundSecret(actor: Actor, partner: string, provider: InboundProvider, secret: string | undefined, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<{ secret?: string; previous_valid_until: string | null }> {
    await this.knownPartner(partner);
    let generated: string | undefined;
    if (!secret) {
      if (provider !== 'standard') throw new RotationError('invalid_request', `the new ${provider} secret comes from ${provider}: pass it`);
      generated = `whsec_${randomBytes(24).toString('base64')}`;
    }
    const value = secret ?? generated!;
    if (value.length < 8 || value.length > 512) throw new RotationError('invalid_request', 'the secret must be 8 to 512 characters');
    const r = await this.deps.odoo.rpc('rotate_inbound_secret', { partner, provider, secret: value, grace_seconds: graceSeconds }, { requestId: actor.requestId });
    await this.deps.auth.partners.refresh().catch(() => undefined);
    await this.audit(actor, 'rotate.inbound_secret', `${partner}/${provider}`, { grace_seconds: graceSeconds, previous_valid_until: r.previous_valid_until });
    return generated ? { secret: generated, previous_valid_until: r.previous_valid_until } : { previous_valid_until: r.previous_valid_until };
  }

  private async knownPartner(code: string) {
    const p = this.deps.auth.partners.get(code) ?? (await this.deps.auth.partners.refresh().then(() => this.deps.auth.partners.get(code)));
    if (!p) throw new RotationError('not_found', `no partner ${code}`);
    return p;
  }

  private async audit(actor: Actor, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    await recordAudit(this.deps.store, { who: actor.who, action, target, fromIp: actor.fromIp ?? null, details: { ...details, ...(actor.requestId ? { request_id: actor.requestId } : {}) } });
    this.deps.logger?.info({ who: actor.who, action, target }, 'credential rotated');
  }
}

