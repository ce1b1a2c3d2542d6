/**
 * For unit suites that need an Odoo: one simulator and the gateway's client on it for the whole
 * file (started in beforeAll, closed in afterAll), a counter of calls per method, and a builder of
 * event envelopes as the cache tailer hands them over.
 */
import { afterAll, beforeAll } from 'vitest';
import type { EventEnvelope } from '../../contracts/src/events.js';
import { createOdooClient, type OdooClient, type OdooClientOptions } from '../../gateway/src/odoo/client.js';
import { startOdooSimulator } from '../../gateway/src/odoo/simulator/index.js';

type Simulator = Awaited<ReturnType<typeof startOdooSimulator>>;

export interface SimulatorClient {
  readonly sim: Simulator;
  readonly odoo: OdooClient;
  /** Calls of `method` on any model so far. */
  calls(method: string): number;
}

/** `client` overrides the client's options, e.g. `{ retry: { attempts: 1 } }` so a fault shows at once. */
export function useSimulatorClient(client: Partial<OdooClientOptions> = {}): SimulatorClient {
  let sim: Simulator | undefined;
  let odoo: OdooClient | undefined;
  beforeAll(async () => {
    sim = await startOdooSimulator();
    odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey, ...client });
  });
  afterAll(async () => {
    await odoo?.close();
    await sim?.close();
  });
  return {
    get sim() {
      return sim!;
    },
    get odoo() {
      return odoo!;
    },
    calls: (method) => [...sim!.stats.byMethod].filter(([k]) => k.endsWith(`.${method}`)).reduce((s, [, n]) => s + n, 0),
  };
}

export const testEnvelope = <T extends EventEnvelope['type']>(type: T, data: Extract<EventEnvelope, { type: T }>['data'], time: string) =>
  ({ id: `e-${Math.random()}`, source: 'odoo://sim', specversion: '1.0', type, time, subject: 'product.product/1', datacontenttype: 'application/json', sequence: 1, data }) as EventEnvelope;
