/**
 * Tells Odoo how deliveries went, in batches (`report_deliveries`), so the sync status on each
 * record is current: `delivered`, `failed` (still retrying) or `dead`. A report that fails is
 * sent again on the next round; rows changed meanwhile are reported with their newer state.
 */
import type { Logger } from 'pino';
import type { OdooClient } from '../odoo/client.js';
import type { DeliveryQueue, DeliveryRow } from './deliveries.js';

export interface ReporterOptions {
  queue: DeliveryQueue;
  odoo: OdooClient;
  logger: Logger;
  /** Longest a result waits before it is reported. Default 1 s. */
  intervalMs?: number;
  batchSize?: number;
}

export function reportStatus(row: Pick<DeliveryRow, 'status'>): 'delivered' | 'failed' | 'dead' {
  return row.status === 'delivered' ? 'delivered' : row.status === 'dead' ? 'dead' : 'failed';
}

export class DeliveryReporter {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(private readonly o: ReporterOptions) {}

  /** Reports everything pending, in batches. Returns the number of outcomes reported. */
  reportOnce(): Promise<number> {
    this.running ??= this.report().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async report(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.o.queue.unreported(this.o.batchSize ?? 500);
      if (rows.length === 0) return total;
      await this.o.odoo.rpc('report_deliveries', {
        results: rows.map((r) => ({
          event_id: r.event_id,
          partner: r.partner,
          subscription_id: Number(r.subscription_id),
          status: reportStatus(r),
          attempts: r.attempts,
          last_error: r.last_error ? r.last_error.slice(0, 1000) : null,
          at: new Date(Number(r.updated_at)).toISOString(),
          next_attempt_at: r.status === 'pending' && r.attempts > 0 ? new Date(Number(r.next_attempt_at)).toISOString() : null,
        })),
      });
      await this.o.queue.markReported(rows);
      total += rows.length;
      if (rows.length < (this.o.batchSize ?? 500)) return total;
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.reportOnce().catch((err) => this.o.logger.warn({ err }, 'relay: reporting deliveries to Odoo failed; will retry'));
    }, this.o.intervalMs ?? 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.reportOnce().catch(() => undefined);
  }
}
