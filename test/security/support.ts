/**
 * FakeOdoo set-up shared by the security suites: two ordinary channel partners for tenant
 * isolation, an operator partner with the `admin` scope, and API keys of the gateway's Odoo user added and revoked the way an Odoo admin would.
 */
import { randomBytes } from 'node:crypto';
import type { Scope } from '../../contracts/src/scopes.js';
import type { OdooFake } from '../odoo-fake/index.js';

/** What a sales channel gets: no customer data, no admin. */
export const CHANNEL_SCOPES: Scope[] = ['products:read', 'inventory:read', 'orders:read', 'orders:write', 'returns:read', 'returns:write', 'shipments:read', 'webhooks:manage', 'events:replay'];

/**
 * (Re)creates `acme` and `globex` with client secrets `<code>-secret`, and `ops`, the operator with
 * the `admin` scope (client secret `ops-secret`; the demo partner has every scope but `admin`).
 */
export function seedChannelPartners(sim: OdooFake): void {
  for (const code of ['acme', 'globex']) sim.state.addPartner({ code, name: code, scopes: CHANNEL_SCOPES });
  sim.state.addPartner({ code: 'ops', name: 'Operations', scopes: ['admin'] });
}

function apiKeysOf(sim: OdooFake): string[] {
  return sim.state.apiKeys(sim.login);
}

/** A new API key for the gateway's Odoo user (the old ones keep working). */
export function addApiKey(sim: OdooFake): string {
  const key = randomBytes(20).toString('hex');
  const keys = [...apiKeysOf(sim), key];
  sim.state.setApiKeys(sim.login, keys);
  return key;
}

/** Revokes one API key of the gateway's Odoo user. */
export function revokeApiKey(sim: OdooFake, key: string): void {
  sim.state.setApiKeys(sim.login, apiKeysOf(sim).filter((k) => k !== key));
}

export function apiKeyCount(sim: OdooFake): number {
  return apiKeysOf(sim).length;
}
