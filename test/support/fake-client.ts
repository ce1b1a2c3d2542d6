/**
 * For unit suites that need an Odoo: one fake of the addon's contract (test/odoo-fake) and the
 * gateway's client on it for the whole file (started in beforeAll, closed in afterAll), a counter
 * of calls per method, and a builder of event envelopes as the cache tailer hands them over.
 */
import { afterAll, beforeAll } from 'vitest';
import type { EventEnvelope } from '../../contracts/src/events.js';
import { createOdooClient, type OdooClient, type OdooClientOptions } from '../../gateway/src/odoo/client.js';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';

export interface FakeClient {
  readonly fake: OdooFake;
  readonly odoo: OdooClient;
  /** Calls of `method` on any model so far. */
  calls(method: string): number;
}

/** `client` overrides the client's options, e.g. `{ retry: { attempts: 1 } }` so a fault shows at once. */
export function useFakeClient(client: Partial<OdooClientOptions> = {}): FakeClient {
  let fake: OdooFake | undefined;
  let odoo: OdooClient | undefined;
  beforeAll(async () => {
    fake = await startOdooFake();
    odoo = createOdooClient({ url: fake.url, db: fake.db, user: fake.login, apiKey: fake.apiKey, ...client });
  });
  afterAll(async () => {
    await odoo?.close();
    await fake?.close();
  });
  return {
    get fake() {
      return fake!;
    },
    get odoo() {
      return odoo!;
    },
    calls: (method) => fake!.stats.callsOf(method),
  };
}

export const testEnvelope = <T extends EventEnvelope['type']>(type: T, data: Extract<EventEnvelope, { type: T }>['data'], time: string) =>
  ({ id: `e-${Math.random()}`, source: 'odoo://fake', specversion: '1.0', type, time, subject: 'product.product/1', datacontenttype: 'application/json', sequence: 1, data }) as EventEnvelope;
