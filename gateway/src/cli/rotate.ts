/**
 * `retail-gateway rotate <what> [partner] [subscription|provider] [--grace SECONDS]`: the same
 * rotations as the `/admin/rotate/...` routes, from a shell on a gateway host (same store, same
 * Odoo), audited as `cli:<os user>`. A new secret is printed once, on stdout; a secret the
 * operator supplies (Odoo API key, a provider's inbound secret) is read from stdin, never from
 * the command line where `ps` would show it.
 */
import { userInfo } from 'node:os';
import { InboundProvider } from '../../../contracts/src/partner.js';
import { PartnerCode } from '../../../contracts/src/common.js';
import { Rotations, RotationError, rotatable, type Rotatable } from '../auth/rotation.js';
import { createAuthService } from '../auth/service.js';
import type { Config } from '../config.js';
import { createLogger } from '../logger.js';
import { odooClientFromConfig } from '../odoo/from-config.js';
import { migrations } from '../store/migrations.js';
import { openMigratedStore } from '../store/open.js';
import { StartupError } from '../startup-error.js';
import type { CliCommand } from './run.js';

const usage = `retail-gateway rotate <what> [args] [--grace SECONDS]

  signing-key                          new token signing key; the old one is accepted until its tokens expired
  master-key                           re-encrypt stored secrets under GATEWAY_MASTER_KEY
                                       (set GATEWAY_MASTER_KEY_PREVIOUS to the old key until this finished)
  odoo-key                             switch to a new Odoo API key, read from stdin
  client-secret <partner>              new client secret (printed once); the old one works for --grace (default 86400)
  subscription-secret <partner> <id>   new webhook signing secret (printed once); both sign during --grace
  inbound-secret <partner> <provider>  new inbound secret for shopify|woocommerce|stripe|standard, read from stdin
                                       (standard: generated and printed when stdin is empty)`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

interface Parsed {
  what: Rotatable;
  positional: string[];
  grace: number | undefined;
}

export function parseRotateArgs(args: string[]): Parsed | string {
  const positional: string[] = [];
  let grace: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--grace') {
      const v = args[++i];
      if (!v || !/^\d+$/.test(v) || Number(v) > 30 * 86400) return '--grace needs a number of seconds (at most 30 days)';
      grace = Number(v);
    } else if (a.startsWith('--')) {
      return `unknown option ${a}`;
    } else {
      positional.push(a);
    }
  }
  const [what, ...rest] = positional;
  if (!what || !(rotatable as readonly string[]).includes(what)) return `what to rotate: one of ${rotatable.join(', ')}`;
  const need = { 'signing-key': 0, 'master-key': 0, 'odoo-key': 0, 'client-secret': 1, 'subscription-secret': 2, 'inbound-secret': 2 }[what as Rotatable];
  if (rest.length !== need) return `${what} takes ${need} argument(s)`;
  if (need >= 1 && !PartnerCode.safeParse(rest[0]).success) return `not a partner code: ${rest[0]}`;
  if (what === 'subscription-secret' && !/^\d+$/.test(rest[1]!)) return `not a subscription id: ${rest[1]}`;
  if (what === 'inbound-secret' && !InboundProvider.safeParse(rest[1]).success) return `provider: one of ${InboundProvider.options.join(', ')}`;
  return { what: what as Rotatable, positional: rest, grace };
}

export const rotateCommand: CliCommand = {
  usage,
  async run(args: string[], config: Config) {
    const parsed = parseRotateArgs(args);
    if (typeof parsed === 'string') {
      process.stderr.write(`retail-gateway rotate: ${parsed}\n\nusage: ${usage}\n`);
      return 64;
    }
    if (!config.odoo) {
      process.stderr.write('retail-gateway rotate: ODOO_URL is not set (the demo keeps everything in memory; nothing to rotate)\n');
      return 78;
    }
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const store = await openMigratedStore(config, migrations);
    const odoo = odooClientFromConfig(config.odoo, logger);
    try {
      const auth = await createAuthService({ config, store, odoo, logger, offline: true });
      const rotations = new Rotations({ auth, store, odoo, logger });
      const actor = { who: `cli:${userInfo().username}` };
      const [a, b] = parsed.positional;
      let result: unknown;
      switch (parsed.what) {
        case 'signing-key':
          result = await rotations.signingKey(actor);
          break;
        case 'master-key':
          result = await rotations.masterKey(actor);
          break;
        case 'odoo-key': {
          const key = await readStdin();
          if (!key) {
            process.stderr.write('retail-gateway rotate odoo-key: pipe the new API key on stdin\n');
            return 64;
          }
          result = await rotations.odooKey(actor, key);
          break;
        }
        case 'client-secret':
          result = await rotations.clientSecret(actor, a!, parsed.grace);
          break;
        case 'subscription-secret':
          result = await rotations.subscriptionSecret(actor, a!, Number(b), parsed.grace);
          break;
        case 'inbound-secret':
          result = await rotations.inboundSecret(actor, a!, InboundProvider.parse(b), (await readStdin()) || undefined, parsed.grace);
          break;
      }
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    } catch (err) {
      if (err instanceof StartupError) throw err; // a configuration problem: reported with its exit code
      process.stderr.write(`retail-gateway rotate ${parsed.what}: ${err instanceof RotationError ? err.message : (err as Error).message}\n`);
      return err instanceof RotationError ? 65 : 1;
    } finally {
      await odoo.close();
      await store.close();
    }
  },
};
