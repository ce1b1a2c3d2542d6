/**
 * The subscriptions the relay delivers to, with their signing secrets, read from the partner
 * registry in Odoo (`partners` RPC) and kept for a short time. The routes that change a
 * subscription invalidate it, so a new endpoint receives the next event.
 */
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { PartnerCache } from '../auth/partners.js';
import type { OdooClient } from '../odoo/client.js';

export type SubscriptionEntry = PartnerRecord['subscriptions'][number];

export interface PartnerDirectory {
  /** Every partner with its subscriptions (cached). */
  partners(): Promise<readonly PartnerRecord[]>;
  /** A subscription by id, with its partner (cached; refreshed once on a miss). */
  subscription(id: number): Promise<{ partner: PartnerRecord; subscription: SubscriptionEntry } | null>;
  /** Forget the cache: the next read asks Odoo (awaiting it, when the implementation re-reads at once). */
  invalidate(): void | Promise<void>;
}

export interface OdooPartnerDirectoryOptions {
  odoo: OdooClient;
  /** How long a read of the registry is used. Default 5 s. */
  ttlMs?: number;
  now?: () => number;
}

export function createOdooPartnerDirectory(options: OdooPartnerDirectoryOptions): PartnerDirectory {
  const ttlMs = options.ttlMs ?? 5_000;
  const now = options.now ?? Date.now;
  interface Snapshot {
    at: number;
    partners: readonly PartnerRecord[];
    byId: Map<number, { partner: PartnerRecord; subscription: SubscriptionEntry }>;
  }
  let cached: Snapshot | null = null;
  let inflight: Promise<Snapshot> | null = null;
  let generation = 0;

  async function load(): Promise<Snapshot> {
    const gen = generation;
    const { partners } = await options.odoo.rpc('partners', {});
    const byId = new Map<number, { partner: PartnerRecord; subscription: SubscriptionEntry }>();
    for (const partner of partners) for (const subscription of partner.subscriptions) byId.set(subscription.id, { partner, subscription });
    const fresh = { at: now(), partners, byId };
    if (gen === generation) cached = fresh;
    return fresh;
  }

  async function current(force = false): Promise<Snapshot> {
    if (!force && cached && now() - cached.at < ttlMs) return cached;
    inflight ??= load().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  return {
    async partners() {
      return (await current()).partners;
    },
    async subscription(id) {
      const c = await current();
      const hit = c.byId.get(id);
      if (hit) return hit;
      return (await current(true)).byId.get(id) ?? null;
    },
    invalidate() {
      generation++;
      cached = null;
    },
  };
}

/** A directory over a fixed list of partners (the in-memory implementation of the port). */
export function createStaticPartnerDirectory(list: PartnerRecord[]): PartnerDirectory & { set(list: PartnerRecord[]): void } {
  let partners = list;
  return {
    async partners() {
      return partners;
    },
    async subscription(id) {
      for (const partner of partners) {
        const subscription = partner.subscriptions.find((s) => s.id === id);
        if (subscription) return { partner, subscription };
      }
      return null;
    },
    invalidate() {},
    set(next) {
      partners = next;
    },
  };
}

/**
 * A directory over the auth module's partner cache, so the relay and token checks see one registry:
 * a secret rotated through the gateway (which refreshes that cache) signs the next delivery.
 */
export function createPartnerCacheDirectory(cache: Pick<PartnerCache, 'all' | 'refresh' | 'loadedAt'>, options: { missRefreshMs?: number; now?: () => number } = {}): PartnerDirectory {
  const now = options.now ?? Date.now;
  let lastMissRefresh = 0;
  const find = (id: number) => {
    for (const partner of cache.all()) {
      const subscription = partner.subscriptions.find((s) => s.id === id);
      if (subscription) return { partner, subscription };
    }
    return null;
  };
  return {
    async partners() {
      if (cache.loadedAt === 0) await cache.refresh();
      return cache.all();
    },
    async subscription(id) {
      if (cache.loadedAt === 0) await cache.refresh();
      const hit = find(id);
      if (hit || now() - lastMissRefresh < (options.missRefreshMs ?? 1_000)) return hit;
      lastMissRefresh = now();
      await cache.refresh();
      return find(id);
    },
    invalidate() {
      return cache.refresh();
    },
  };
}
