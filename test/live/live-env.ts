/**
 * The live tier's settings: a real Odoo given by ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY
 * (or ODOO_PASSWORD). Without them every live suite is skipped, and the skip is said once.
 *
 * ODOO_USER is the gateway's technical user (only the addon's service group): it can call the
 * addon's RPC methods and read orders and transfers, nothing more. What a person does in Odoo
 * itself (registering a partner, entering and confirming an order, validating a transfer) goes
 * through the back office user ODOO_ADMIN_LOGIN with ODOO_ADMIN_API_KEY or ODOO_ADMIN_PASSWORD
 * (Odoo's demo `admin` / `admin` by default).
 */
import { existsSync } from 'node:fs';
import OdooAwait from 'odoo-await';
import { CHROMIUM } from '../e2e/chromium.js';
import { createOdooClient, type OdooClient, type OdooClientOptions } from '../../gateway/src/odoo/client.js';

export interface LiveOdoo {
  url: string;
  db: string;
  user: string;
  apiKey?: string;
  password?: string;
  /** A user without internal rights (Odoo's demo portal user by default). */
  portal: { login: string; password: string };
  /** A back office user with the rights of an Odoo administrator. */
  admin: { login: string; apiKey?: string; password?: string };
  /**
   * That user's password for the web client (an API key does not log in to it): ODOO_ADMIN_PASSWORD,
   * or Odoo's demo `admin` when neither a password nor an API key is given. Undefined otherwise.
   */
  adminWebPassword?: string;
}

export const SKIP_MESSAGE = 'live tier skipped: set ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY to run it against a real Odoo';

function read(): LiveOdoo | null {
  const env = process.env;
  if (!env.ODOO_URL || !env.ODOO_DB || !env.ODOO_USER || !(env.ODOO_API_KEY || env.ODOO_PASSWORD)) return null;
  return {
    url: env.ODOO_URL,
    db: env.ODOO_DB,
    user: env.ODOO_USER,
    apiKey: env.ODOO_API_KEY || undefined,
    password: env.ODOO_PASSWORD || undefined,
    portal: { login: env.ODOO_PORTAL_LOGIN ?? 'portal', password: env.ODOO_PORTAL_PASSWORD ?? 'portal' },
    admin: env.ODOO_ADMIN_API_KEY
      ? { login: env.ODOO_ADMIN_LOGIN ?? 'admin', apiKey: env.ODOO_ADMIN_API_KEY }
      : { login: env.ODOO_ADMIN_LOGIN ?? 'admin', password: env.ODOO_ADMIN_PASSWORD ?? 'admin' },
    adminWebPassword: env.ODOO_ADMIN_PASSWORD || (env.ODOO_ADMIN_API_KEY ? undefined : 'admin'),
  };
}

export const live = read();

/**
 * The web-client test (`odoo-ui.test.ts`) also needs the back office user's password (the web client
 * takes no API key) and Chromium; without them it is skipped with this reason (null: it runs, or the
 * whole live tier is skipped and says so).
 */
const uiMissing = !live ? null : !live.adminWebPassword ? 'ODOO_ADMIN_PASSWORD (the web client takes a password, not an API key)' : !existsSync(CHROMIUM) ? `Chromium at ${CHROMIUM} (apt-get install chromium)` : null;
export const liveUi = live !== null && uiMissing === null;
export const LIVE_UI_SKIP_MESSAGE = uiMissing ? `live Odoo UI test skipped: set ${uiMissing}` : null;

/** The gateway's own client on the live Odoo. */
export function liveClient(extra: Partial<OdooClientOptions> = {}): OdooClient {
  if (!live) throw new Error(SKIP_MESSAGE);
  return createOdooClient({ url: live.url, db: live.db, user: live.user, apiKey: live.apiKey, password: live.password, ...extra });
}

/** The gateway's client as the back office user, for what a person does in Odoo itself. */
export function backOfficeClient(extra: Partial<OdooClientOptions> = {}): OdooClient {
  if (!live) throw new Error(SKIP_MESSAGE);
  return createOdooClient({ url: live.url, db: live.db, user: live.admin.login, apiKey: live.admin.apiKey, password: live.admin.password, ...extra });
}

/** An independent reader over XML-RPC (odoo-await), to check what the gateway's client wrote. */
export async function independentReader(): Promise<OdooAwait> {
  if (!live) throw new Error(SKIP_MESSAGE);
  const reader = new OdooAwait({ baseUrl: live.url, db: live.db, username: live.user, password: (live.apiKey ?? live.password)! });
  await reader.connect();
  return reader;
}
