/**
 * Client authentication for the token endpoint, through the addon's `authenticate_client` (Odoo
 * keeps the secret hashes). A success is cached for a short while but never past the grace
 * deadline of the secret that matched (`valid_until`); a failure is cached only briefly, so a
 * secret created a moment ago works almost at once. Identical concurrent checks share one call.
 *
 * The cache is keyed by a hash of id and secret: no secret is kept in memory in the clear.
 */
import { createHash } from 'node:crypto';
import type { Scope } from '../../../contracts/src/scopes.js';
import type { OdooClient } from '../odoo/client.js';

export interface AuthenticatedClient {
  partner: string;
  clientId: string;
  scopes: Scope[];
  /** Grace deadline of the matching secret (ms since epoch), null when it has none. */
  validUntil: number | null;
}

export interface ClientAuthenticatorOptions {
  odoo: Pick<OdooClient, 'rpc'>;
  /** How long a success is reused at most. Default 60 s. */
  successTtlMs?: number;
  /** How long a failure is reused. Default 2 s. */
  failureTtlMs?: number;
  now?: () => number;
  maxEntries?: number;
}

interface Entry {
  result: AuthenticatedClient | null;
  until: number;
  clientId: string;
}

export class ClientAuthenticator {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<AuthenticatedClient | null>>();
  private readonly now: () => number;
  private readonly successTtlMs: number;
  private readonly failureTtlMs: number;
  private readonly maxEntries: number;

  constructor(private readonly options: ClientAuthenticatorOptions) {
    this.now = options.now ?? Date.now;
    this.successTtlMs = options.successTtlMs ?? 60_000;
    this.failureTtlMs = options.failureTtlMs ?? 2_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The client, or null when the id or secret is wrong (or the secret's grace has passed). */
  async authenticate(clientId: string, secret: string, requestId?: string): Promise<AuthenticatedClient | null> {
    const key = createHash('sha256').update(clientId).update('\0').update(secret).digest('base64url');
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.result;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.check(key, clientId, secret, requestId).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Forgets every cached answer for a client (after its secret was rotated). */
  forgetClient(clientId: string): void {
    for (const [k, e] of this.cache) if (e.clientId === clientId) this.cache.delete(k);
  }

  /** Forgets every cached answer for a partner's clients. */
  forgetPartner(partner: string): void {
    for (const [k, e] of this.cache) if (e.result?.partner === partner) this.cache.delete(k);
  }

  private async check(key: string, clientId: string, secret: string, requestId?: string): Promise<AuthenticatedClient | null> {
    // Odoo's contract bounds the lengths; anything outside them cannot be a valid client.
    if (clientId.length > 128 || secret.length > 512) return null;
    const answer = await this.options.odoo.rpc('authenticate_client', { client_id: clientId, client_secret: secret }, requestId ? { requestId } : {});
    const now = this.now();
    let entry: Entry;
    if (answer.ok) {
      const validUntil = answer.valid_until ? Date.parse(answer.valid_until) : null;
      const result: AuthenticatedClient = { partner: answer.partner, clientId, scopes: answer.scopes, validUntil };
      if (validUntil !== null && validUntil <= now) return null;
      entry = { result, clientId, until: Math.min(now + this.successTtlMs, validUntil ?? Infinity) };
    } else {
      entry = { result: null, clientId, until: now + this.failureTtlMs };
    }
    if (this.cache.size >= this.maxEntries) this.evict(now);
    this.cache.set(key, entry);
    return entry.result;
  }

  private evict(now: number): void {
    for (const [k, e] of this.cache) if (e.until <= now) this.cache.delete(k);
    if (this.cache.size < this.maxEntries) return;
    let drop = Math.ceil(this.maxEntries / 10);
    for (const k of this.cache.keys()) {
      if (drop-- <= 0) break;
      this.cache.delete(k);
    }
  }
}
