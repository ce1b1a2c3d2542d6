/**
 * Simulator set-up shared by the security suites: two ordinary channel partners for tenant
 * isolation, and API keys of the gateway's Odoo user added and revoked the way an Odoo admin would.
 */
import { randomBytes } from 'node:crypto';
import type { Scope } from '../../contracts/src/scopes.js';
import type { OdooSimulator } from '../../gateway/src/odoo/simulator/index.js';

/** What a sales channel gets: no customer data, no admin. */
export const CHANNEL_SCOPES: Scope[] = ['products:read', 'inventory:read', 'orders:read', 'orders:write', 'returns:read', 'returns:write', 'shipments:read', 'webhooks:manage', 'events:replay'];

/** (Re)creates `acme` and `globex` with client secrets `<code>-secret`. */
export function seedChannelPartners(sim: OdooSimulator): void {
  for (const code of ['acme', 'globex']) sim.state.addPartner({ code, name: code, scopes: CHANNEL_SCOPES });
}

function apiKeysOf(sim: OdooSimulator): string[] {
  return [...((sim.state.env().row('res.users', sim.state.users.admin.uid)?.api_keys as string[] | undefined) ?? [])];
}

/** A new API key for the gateway's Odoo user (the old ones keep working). */
export function addApiKey(sim: OdooSimulator): string {
  const key = randomBytes(20).toString('hex');
  const keys = [...apiKeysOf(sim), key];
  sim.state.transaction((env) => env.write('res.users', [sim.state.users.admin.uid], { api_keys: keys }));
  return key;
}

/** Revokes one API key of the gateway's Odoo user. */
export function revokeApiKey(sim: OdooSimulator, key: string): void {
  const keys = apiKeysOf(sim).filter((k) => k !== key);
  sim.state.transaction((env) => env.write('res.users', [sim.state.users.admin.uid], { api_keys: keys }));
}

export function apiKeyCount(sim: OdooSimulator): number {
  return apiKeysOf(sim).length;
}
