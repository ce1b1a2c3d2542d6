/**
 * A partner of its own in the live Odoo and a gateway process serving it: the setup of the live
 * tests that go through the API. The partner is created by the back-office user (as an admin does in
 * Odoo), its secret issued by the addon, and it is archived again by `close()`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OdooClient } from '../../gateway/src/odoo/client.js';
import { spawnGateway, tokenFrom, type ChildGateway } from '../intake/child.js';
import { backOfficeClient, live, liveClient, SKIP_MESSAGE } from './live-env.js';

export interface LivePartnerGateway {
  gateway: ChildGateway;
  /** The gateway's own client (the technical user). */
  odoo: OdooClient;
  /** The back-office user, for what a person does in Odoo itself. */
  backOffice: OdooClient;
  partnerId: number;
  token: string;
  /** fetch against the gateway with the partner's token and a JSON content type. */
  call(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function livePartnerGateway(o: { code: string; name: string; scopes: string; vals?: Record<string, unknown>; env?: Record<string, string>; beforeStart?: (odoo: OdooClient) => Promise<unknown> }): Promise<LivePartnerGateway> {
  if (!live) throw new Error(SKIP_MESSAGE);
  const dir = mkdtempSync(join(tmpdir(), 'rg-live-'));
  const odoo = liveClient();
  const backOffice = backOfficeClient();
  let gateway: ChildGateway | undefined;
  let partnerId = 0;
  const close = async () => {
    await gateway?.stop();
    if (partnerId) await backOffice.call('retail_gateway.partner', 'write', { ids: [partnerId], kwargs: { vals: { active: false } } }).catch(() => undefined);
    await odoo.close();
    await backOffice.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    [partnerId] = (await backOffice.call<number[]>('retail_gateway.partner', 'create', {
      kwargs: { vals_list: [{ code: o.code, name: o.name, scopes: o.scopes, tier: 'internal', mode: 'live', ...o.vals }] },
    })) as [number];
    const { client_id, client_secret } = await odoo.rpc('rotate_client_secret', { partner: o.code, grace_seconds: 0 });
    // What the gateway must find in the registry when it starts (e.g. an inbound provider secret).
    await o.beforeStart?.(odoo);
    gateway = await spawnGateway({
      ODOO_URL: live.url,
      ODOO_DB: live.db,
      ODOO_USER: live.user,
      ...(live.apiKey ? { ODOO_API_KEY: live.apiKey } : { ODOO_PASSWORD: live.password! }),
      GATEWAY_DATA_DIR: dir,
      GATEWAY_MASTER_KEY: randomBytes(32).toString('base64'),
      GATEWAY_RELAY: 'false',
      GATEWAY_INTAKE_POLL_MS: '50',
      ...o.env,
    });
    const token = await tokenFrom(gateway.url, client_id, client_secret);
    const url = gateway.url;
    return {
      gateway,
      odoo,
      backOffice,
      partnerId,
      token,
      call: (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
