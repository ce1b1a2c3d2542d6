/**
 * Keeps this replica's caches current: tails the addon's outbox with `changes_since(cursor)` —
 * a non-claiming read, so every replica sees every event (`claim` would hand each event to one
 * replica only) — and hands each event to the caches (`applyEvent`). The cursor lives in memory:
 * a new replica starts from the current end of the outbox, since its caches start empty and fill
 * from Odoo on a miss; events it missed while down are what reconciliation repairs.
 */
import type { Logger } from 'pino';
import type { EventEnvelope, EventType } from '../../../contracts/src/events.js';
import type { OdooClient } from '../odoo/client.js';

/** Anything that keeps state derived from events. */
export interface CacheSink {
  applyEvent(envelope: EventEnvelope): void | Promise<void>;
}

export interface CacheTailerOptions {
  odoo: Pick<OdooClient, 'rpc'>;
  /** The caches, read on every batch (some are created lazily by their routes). */
  sinks: () => readonly (CacheSink | undefined)[];
  logger: Logger;
  /** Only these types are read (default: the ones caches use). */
  types?: EventType[];
  /** Start here instead of the outbox's end (tests, or a replay of the whole outbox: 0). */
  startCursor?: number;
  /** Poll interval while idle. Default 250 ms. */
  pollMs?: number;
  batchSize?: number;
}

export const CACHE_EVENT_TYPES: EventType[] = ['product.updated', 'inventory.changed', 'customer.updated'];

export class CacheTailer {
  private cursor: number | null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = true;
  private failures = 0;
  /** Events applied since start (metrics, tests). */
  applied = 0;

  constructor(private readonly o: CacheTailerOptions) {
    this.cursor = o.startCursor ?? null;
  }

  get position(): number | null {
    return this.cursor;
  }

  /** Reads and applies everything after the cursor. Returns the number of events applied. */
  tailOnce(): Promise<number> {
    this.running ??= this.tail().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async tail(): Promise<number> {
    const types = this.o.types ?? CACHE_EVENT_TYPES;
    const limit = this.o.batchSize ?? 500;
    if (this.cursor === null) {
      // Find the end: page through without applying (the caches start empty anyway).
      let cursor = 0;
      for (;;) {
        const page = await this.o.odoo.rpc('changes_since', { cursor, types, limit: 1000 });
        cursor = page.cursor;
        if (!page.has_more) break;
      }
      this.cursor = cursor;
      return 0;
    }
    let n = 0;
    let cursor: number = this.cursor;
    for (;;) {
      const page = await this.o.odoo.rpc('changes_since', { cursor, types, limit });
      const sinks = this.o.sinks().filter((s): s is CacheSink => Boolean(s));
      for (const e of page.events) {
        for (const sink of sinks) {
          try {
            await sink.applyEvent(e.envelope as EventEnvelope);
          } catch (err) {
            this.o.logger.warn({ err, event: e.envelope.id }, 'cache tailer: a cache refused an event');
          }
        }
        n++;
      }
      cursor = page.cursor;
      this.cursor = cursor;
      if (!page.has_more) break;
    }
    this.applied += n;
    return n;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.tailOnce().then(
        (n) => {
          this.failures = 0;
          this.schedule(tick, n > 0 ? 0 : (this.o.pollMs ?? 250));
        },
        (err) => {
          if (this.failures++ % 20 === 0) this.o.logger.warn({ err }, 'cache tailer: reading changes from Odoo failed');
          this.schedule(tick, Math.min(5_000, (this.o.pollMs ?? 250) * 2 ** Math.min(this.failures, 5)));
        },
      );
    };
    tick();
  }

  private schedule(fn: () => void, ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(fn, ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
