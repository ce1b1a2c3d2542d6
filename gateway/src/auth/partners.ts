/**
 * The partner registry as this replica knows it: read from Odoo through the addon's `partners`
 * RPC and refreshed at least every `refreshMs` (≤ 30 s), so a partner disabled in Odoo stops being
 * served within that interval. A refresh that fails keeps the last known registry.
 */
import type { Logger } from 'pino';
import type { PartnerRecord } from '../../../contracts/src/partner.js';
import type { OdooClient } from '../odoo/client.js';

export interface PartnerCacheOptions {
  odoo: Pick<OdooClient, 'rpc'>;
  refreshMs: number;
  logger?: Logger;
  now?: () => number;
  /** An unknown code triggers a refresh at most this often. */
  missRefreshMs?: number;
}

/** Called after a refresh with the codes whose record changed (or disappeared). */
export type PartnerChangeListener = (changed: string[]) => void;

export class PartnerCache {
  private partners = new Map<string, PartnerRecord>();
  private issuers = new Map<string, PartnerRecord>();
  private refreshing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastRefresh = 0;
  private lastSuccess = 0;
  private readonly listeners: PartnerChangeListener[] = [];
  private readonly now: () => number;

  constructor(private readonly options: PartnerCacheOptions) {
    if (!(options.refreshMs > 0 && options.refreshMs <= 30_000)) throw new RangeError('partner refresh interval must be within (0, 30 s]');
    this.now = options.now ?? Date.now;
  }

  /** The partner, if known and whatever its status. */
  get(code: string): PartnerRecord | undefined {
    return this.partners.get(code);
  }

  /** The federated partner whose tokens carry this issuer. */
  byIssuer(issuer: string): PartnerRecord | undefined {
    return this.issuers.get(issuer);
  }

  /** Every known partner. */
  all(): PartnerRecord[] {
    return [...this.partners.values()];
  }

  /**
   * Like `get`, but an unknown code refreshes first: a partner created a moment ago. An unproven
   * code refreshes at most once per `missRefreshMs`, so unknown codes cannot hammer Odoo. A code
   * Odoo has just vouched for (`vouched`: its client secret was accepted) refreshes whatever the
   * time since the last refresh, and again if the refresh it joined had started before the
   * partner existed.
   */
  async lookup(code: string, options: { vouched?: boolean } = {}): Promise<PartnerRecord | undefined> {
    const found = this.partners.get(code);
    if (found) return found;
    if (!options.vouched && this.now() - this.lastRefresh < (this.options.missRefreshMs ?? 2_000)) return undefined;
    const joined = this.refreshing !== null;
    await this.refresh().catch(() => undefined);
    if (options.vouched && joined && !this.partners.has(code)) await this.refresh().catch(() => undefined);
    return this.partners.get(code);
  }

  /** Milliseconds since epoch of the last successful refresh (0: never). */
  get loadedAt(): number {
    return this.lastSuccess;
  }

  onChange(listener: PartnerChangeListener): void {
    this.listeners.push(listener);
  }

  /** Reads the registry now; concurrent callers share one call. */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.options.logger?.warn({ err: { message: (err as Error).message } }, 'auth: partner registry refresh failed, keeping the last one'));
    }, this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async load(): Promise<void> {
    this.lastRefresh = this.now();
    const { partners } = await this.options.odoo.rpc('partners', {});
    const next = new Map(partners.map((p) => [p.code, p]));
    const issuers = new Map<string, PartnerRecord>();
    for (const p of partners) if (p.issuer && p.jwks_url) issuers.set(p.issuer, p);
    const changed: string[] = [];
    for (const [code, old] of this.partners) {
      const now = next.get(code);
      if (!now || now.updated_at !== old.updated_at || now.active !== old.active || now.scopes.join(' ') !== old.scopes.join(' ')) changed.push(code);
    }
    this.partners = next;
    this.issuers = issuers;
    this.lastSuccess = this.now();
    if (changed.length) for (const l of this.listeners) l(changed);
  }
}
