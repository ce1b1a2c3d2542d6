import type { Logger } from 'pino';
import type { OdooClient } from '../odoo/client.js';

export interface OdooState {
  status: 'up' | 'down' | 'unknown';
  version: string | null;
  transport: string | null;
  checkedAt: string | null;
  lastError: string | null;
}

/**
 * Probes Odoo in the background so `/readyz` can report its state without calling it per request.
 * Odoo being down never makes the gateway unready: writes queue durably.
 */
export class OdooMonitor {
  private state: OdooState = { status: 'unknown', version: null, transport: null, checkedAt: null, lastError: null };
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly odoo: OdooClient,
    private readonly logger: Logger,
    private readonly intervalMs = 15_000,
  ) {}

  current(): OdooState {
    return this.state;
  }

  async check(): Promise<OdooState> {
    const checkedAt = new Date().toISOString();
    try {
      const v = await this.odoo.version();
      if (this.state.status === 'down') this.logger.info('odoo is reachable again');
      this.state = { status: 'up', version: v.serverVersion, transport: v.transport, checkedAt, lastError: null };
    } catch (err) {
      if (this.state.status !== 'down') this.logger.warn({ err }, 'odoo is unreachable');
      this.state = { ...this.state, status: 'down', checkedAt, lastError: (err as Error).message };
    }
    return this.state;
  }

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
