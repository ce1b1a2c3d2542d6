/**
 * An in-memory Odoo for the default test tier, the benchmarks and `npm run demo`: the wire formats
 * of Odoo 18 (JSON-RPC) and 19 (JSON-2), the models and methods the gateway uses, and the
 * `retail_gateway` addon's RPC contract, seeded with a demo catalog, stock and partner.
 *
 *   const sim = await startOdooSimulator();
 *   const odoo = createOdooClient({ url: sim.url, db: sim.db, user: sim.login, apiKey: sim.apiKey });
 *   sim.faults.failNext(2, 'network');   sim.stats.peakActive;   sim.state.setStock('FURN_7800', 'WH', 3);
 */
import type { AddressInfo } from 'node:net';
import { zeroCost, type CostModel } from './cost.js';
import { Faults } from './faults.js';
import { SimStats, createSimServer } from './server.js';
import { SimulatorState } from './state.js';

export { calibratedCost, zeroCost, type CostModel } from './cost.js';
export { Faults, type FaultKind } from './faults.js';
export { SimStats } from './server.js';
export { SimulatorState, type AddPartnerOptions } from './state.js';

export interface OdooSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Database name. Default `simulator`. */
  db?: string;
  /** The admin's API key. Default: random. */
  apiKey?: string;
  /** What the version probe answers. Default `18.0`; `19.0` makes clients pick JSON-2. */
  serverVersion?: string;
  /** Delay per call; zero by default (`calibratedCost` is Odoo 18's). */
  cost?: Partial<CostModel>;
  /** Model calls running at once at most (others wait, like requests queued for Odoo's workers). Default unlimited. */
  maxConcurrent?: number;
  /** The simulator's clock. Default the system clock. */
  now?: () => Date;
}

export interface OdooSimulator {
  url: string;
  db: string;
  /** Login of the admin user the gateway uses with `apiKey`. */
  login: string;
  apiKey: string;
  /** The admin's password (for the web login). */
  password: string;
  /** Data and helpers: add partners, set stock, read the outbox, validate pickings, move the clock. */
  state: SimulatorState;
  faults: Faults;
  stats: SimStats;
  /** The cost model in force; its fields may be changed while running. */
  cost: CostModel;
  close(): Promise<void>;
}

export async function startOdooSimulator(options: OdooSimulatorOptions = {}): Promise<OdooSimulator> {
  const db = options.db ?? 'simulator';
  const state = new SimulatorState({ db, apiKey: options.apiKey, now: options.now });
  const faults = new Faults();
  const stats = new SimStats();
  const cost: CostModel = { ...zeroCost, ...options.cost };
  const maxConcurrent = options.maxConcurrent ?? Number.POSITIVE_INFINITY;
  if (!(maxConcurrent >= 1)) throw new TypeError('maxConcurrent must be at least 1');
  const server = createSimServer({ state, db, serverVersion: options.serverVersion ?? '18.0', cost, maxConcurrent, faults, stats });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    db,
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
