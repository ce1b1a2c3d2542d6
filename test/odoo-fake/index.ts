/**
 * A fake of the `retail_gateway` addon's RPC contract, for the default test tier, the benchmarks
 * and `npm run demo`: the wire formats of Odoo 18 (JSON-RPC) and 19 (JSON-2), the few generic calls
 * the gateway's client needs (version probe, authentication), and the contract's methods answered
 * from a small in-memory state, seeded with a demo catalog, stock, customers and partner.
 * It is not Odoo: no ORM, no models, no domains. The addon itself is tested against real Odoo.
 *
 *   const odoo = await startOdooFake();
 *   const client = createOdooClient({ url: odoo.url, db: odoo.db, user: odoo.login, apiKey: odoo.apiKey });
 *   odoo.faults.failNext(2, 'network');   odoo.faults.retryItems(1);   odoo.stats.peakActive;
 *   odoo.state.setStock('FURN_7800', 'WH', 3);   odoo.state.shipOrder(id);   odoo.state.outbox();
 */
import type { AddressInfo } from 'node:net';
import { zeroCost, type CostModel } from './cost.js';
import { Faults } from './faults.js';
import { FakeStats, createFakeServer } from './server.js';
import { FakeState } from './state.js';

export { calibratedCost, zeroCost, type CostModel } from './cost.js';
export { Faults, type FaultKind } from './faults.js';
export { FakeStats } from './server.js';
export { FakeState, type AddPartnerOptions, type AddProductOptions } from './state.js';

export interface OdooFakeOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Database name. Default `fake`. */
  db?: string;
  /** The admin's API key. Default: random. */
  apiKey?: string;
  /** What the version probe answers. Default `18.0`; `19.0` makes clients pick JSON-2. */
  serverVersion?: string;
  /** Delay per call; zero by default (`calibratedCost` is Odoo 18's). */
  cost?: Partial<CostModel>;
  /** Calls running at once at most (others wait, like requests queued for Odoo's workers). Default unlimited. */
  maxConcurrent?: number;
  /** The fake's clock. Default the system clock. */
  now?: () => Date;
}

export interface OdooFake {
  url: string;
  db: string;
  /** Login of the admin user the gateway uses with `apiKey` (also an Integration Manager). */
  login: string;
  apiKey: string;
  /** The admin's password (for the dashboard's sign-in). */
  password: string;
  /** Data and the typed API: partners, products, stock, orders, the outbox, the clock. */
  state: FakeState;
  faults: Faults;
  stats: FakeStats;
  /** The cost model in force; its fields may be changed while running. */
  cost: CostModel;
  close(): Promise<void>;
}

export async function startOdooFake(options: OdooFakeOptions = {}): Promise<OdooFake> {
  const state = new FakeState({ db: options.db ?? 'fake', apiKey: options.apiKey, now: options.now });
  const faults = new Faults();
  const stats = new FakeStats();
  const cost: CostModel = { ...zeroCost, ...options.cost };
  const maxConcurrent = options.maxConcurrent ?? Number.POSITIVE_INFINITY;
  if (!(maxConcurrent >= 1)) throw new TypeError('maxConcurrent must be at least 1');
  const server = createFakeServer({ state, serverVersion: options.serverVersion ?? '18.0', cost, maxConcurrent, faults, stats });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    db: state.db,
    login: state.users.admin.login,
    apiKey: state.users.admin.apiKey,
    password: state.users.admin.password,
    state,
    faults,
    stats,
    cost,
    close() {
      closed ??= new Promise<void>((resolve) => {
        faults.reset();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
