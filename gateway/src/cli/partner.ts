/**
 * `retail-gateway partner create <code> --scopes <scope,...> [--name NAME] [--tier T] [--mode M] [--oversell P]`:
 * registers a partner in Odoo through the addon's `create_partner` and prints its client id and
 * client secret once, on stdout: what a partner needs for its first token (`POST /oauth/token`).
 * An existing code is refused, never overwritten (rotate a secret with `retail-gateway rotate`).
 */
import { PartnerCode } from '../../../contracts/src/common.js';
import { OversellPolicy } from '../../../contracts/src/partner.js';
import { RateLimitTier, Scope } from '../../../contracts/src/scopes.js';
import type { RpcArgs } from '../../../contracts/src/odoo-rpc.js';
import type { Config } from '../config.js';
import { createLogger } from '../logger.js';
import type { OdooClient } from '../odoo/client.js';
import { odooClientFromConfig } from '../odoo/from-config.js';
import type { CliCommand } from './run.js';

const usage = `retail-gateway partner create <code> --scopes <scope,...> [--name NAME] [--tier standard|premium|internal] [--mode live|shadow] [--oversell reject|backorder|accept]

  Registers a partner in Odoo and prints its client id and client secret (shown once).
  scopes: ${Scope.options.join(', ')}
  (give admin only to internal consumers: a data warehouse, your own tools)`;

export type PartnerCreateArgs = RpcArgs<'create_partner'>;

export function parsePartnerArgs(args: string[]): PartnerCreateArgs | string {
  const [sub, ...rest] = args;
  if (sub !== 'create') return 'the only subcommand is create';
  const positional: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a.startsWith('--')) {
      const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (!['scopes', 'name', 'tier', 'mode', 'oversell'].includes(key)) return `unknown option --${key}`;
      const value = inline ?? rest[++i];
      if (value === undefined || value === '') return `--${key} needs a value`;
      options[key] = value;
    } else {
      positional.push(a);
    }
  }
  if (positional.length !== 1) return 'create takes one partner code';
  const code = positional[0]!;
  if (!PartnerCode.safeParse(code).success) return `not a partner code: ${code} (2 to 63 lower-case letters, digits, '-' or '_')`;
  if (!options.scopes) return '--scopes is required (comma- or space-separated)';
  const scopes = [...new Set(options.scopes.split(/[\s,]+/).filter(Boolean))];
  const unknown = scopes.filter((s) => !Scope.safeParse(s).success);
  if (unknown.length || !scopes.length) return `unknown scopes: ${unknown.join(', ') || '(none given)'}; one of ${Scope.options.join(', ')}`;
  const tier = options.tier === undefined ? undefined : RateLimitTier.safeParse(options.tier);
  if (tier && !tier.success) return `--tier: one of ${RateLimitTier.options.join(', ')}`;
  if (options.mode !== undefined && !['live', 'shadow'].includes(options.mode)) return '--mode: live or shadow';
  const oversell = options.oversell === undefined ? undefined : OversellPolicy.safeParse(options.oversell);
  if (oversell && !oversell.success) return `--oversell: one of ${OversellPolicy.options.join(', ')}`;
  const name = options.name?.trim();
  if (options.name !== undefined && (!name || name.length > 128)) return '--name: 1 to 128 characters';
  return {
    code,
    scopes: scopes as Scope[],
    ...(name ? { name } : {}),
    ...(tier?.success ? { tier: tier.data } : {}),
    ...(options.mode ? { mode: options.mode as 'live' | 'shadow' } : {}),
    ...(oversell?.success ? { oversell_policy: oversell.data } : {}),
  };
}

/** What the command prints: the credentials once, and how to use them. */
export function describeCreated(answer: { client_id: string; client_secret: string; partner: { code: string; scopes: string[] } }, publicUrl: string): string {
  return [
    `partner:       ${answer.partner.code}`,
    `scopes:        ${answer.partner.scopes.join(' ')}`,
    `client_id:     ${answer.client_id}`,
    `client_secret: ${answer.client_secret}`,
    '',
    'The client secret is shown once: hand it to the partner now. Its first token:',
    `  curl -s -u '${answer.client_id}:<client_secret>' -d grant_type=client_credentials ${publicUrl}/oauth/token`,
  ].join('\n');
}

export async function createPartner(odoo: OdooClient, args: PartnerCreateArgs, publicUrl: string): Promise<string> {
  const answer = await odoo.rpc('create_partner', args);
  return describeCreated(answer, publicUrl);
}

export const partnerCommand: CliCommand = {
  usage,
  async run(args: string[], config: Config) {
    const parsed = parsePartnerArgs(args);
    if (typeof parsed === 'string') {
      process.stderr.write(`retail-gateway partner: ${parsed}\n\nusage: ${usage}\n`);
      return 64;
    }
    if (!config.odoo) {
      process.stderr.write('retail-gateway partner: ODOO_URL is not set (for `npm run demo`, paste the `export` line it prints)\n');
      return 78;
    }
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const odoo = odooClientFromConfig(config.odoo, logger);
    try {
      process.stdout.write(`${await createPartner(odoo, parsed, config.publicUrl)}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`retail-gateway partner create: ${(err as Error).message}\n`);
      return 65;
    } finally {
      await odoo.close();
    }
  },
};
