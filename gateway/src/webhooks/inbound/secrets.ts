/**
 * Inbound secrets from the partner registry (Odoo, addon RPC `partners` → `inbound_secrets`).
 * Every secret whose `valid_until` is null or still ahead is accepted, so during a rotation both
 * the new and the previous secret verify (a secret's deadline is checked at each request). Reads go
 * through the auth module's PartnerCache, so a newly issued secret is seen within its refresh
 * interval (≤ 30 s); without one, a private cache refreshed every `maxAgeMs`.
 */
import type { InboundProvider, PartnerRecord } from '../../../../contracts/src/partner.js';
import { PartnerCache } from '../../auth/partners.js';
import type { OdooClient } from '../../odoo/client.js';

export interface InboundSecretSource {
  /** The partner's secrets for the provider valid at `now`; null when the partner is unknown, inactive or has none. */
  secretsFor(partner: string, provider: InboundProvider, now: number): Promise<string[] | null>;
}

/** The valid secrets of a partner record at `now`. */
export function validSecrets(record: PartnerRecord | undefined, provider: InboundProvider, now: number): string[] | null {
  if (!record || !record.active) return null;
  const versions = record.inbound_secrets[provider] ?? [];
  const valid = versions.filter((v) => v.valid_until === null || Date.parse(v.valid_until) > now).map((v) => v.secret);
  return valid.length ? valid : null;
}

export interface RegistrySecretSourceOptions {
  /** The gateway's shared partner cache, when one runs; otherwise one is made for inbound webhooks. */
  cache?: PartnerCache;
  odoo: Pick<OdooClient, 'rpc'>;
  /** A record older than this is refreshed before use. Default 10 s. */
  maxAgeMs?: number;
  now?: () => number;
}

export function registrySecretSource(options: RegistrySecretSourceOptions): InboundSecretSource {
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? 10_000;
  // The shared cache refreshes itself on a timer; a private one is refreshed here when stale, in the
  // background once it holds a registry, so an unreachable Odoo never delays a provider's answer.
  const own = !options.cache;
  const cache = options.cache ?? new PartnerCache({ odoo: options.odoo, refreshMs: Math.min(maxAgeMs, 30_000), now, missRefreshMs: 2_000 });
  return {
    async secretsFor(partner, provider, at) {
      if (own && now() - cache.loadedAt > maxAgeMs) {
        const refreshing = cache.refresh().catch(() => undefined);
        if (cache.loadedAt === 0) await refreshing;
      }
      return validSecrets(await cache.lookup(partner), provider, at);
    },
  };
}

/** Secrets held in memory (tests, and tools that verify a payload offline). */
export function staticSecretSource(records: PartnerRecord[]): InboundSecretSource & { set(record: PartnerRecord): void } {
  const byCode = new Map(records.map((r) => [r.code, r]));
  return {
    async secretsFor(partner, provider, at) {
      return validSecrets(byCode.get(partner), provider, at);
    },
    set(record) {
      byCode.set(record.code, record);
    },
  };
}
