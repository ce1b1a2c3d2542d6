/**
 * `retail-gateway relay`: the outbox relay alone (no HTTP), for running it apart from the API
 * replicas. Several may run on one Odoo: the outbox's leases share the work. Stops cleanly on
 * SIGTERM/SIGINT (finishes requests in flight, records and reports their outcomes).
 */
import { openCliContext } from '../relay/cli-support.js';
import { Relay } from '../relay/relay.js';
import type { CliCommand } from './run.js';

export const relayCommand: CliCommand = {
  usage: 'retail-gateway relay\n\nRuns until SIGTERM or SIGINT. GATEWAY_STORE_URL shares deliveries between relays on several hosts.',
  async run(args, config) {
    if (args.length > 0) {
      process.stderr.write(`retail-gateway relay: unexpected argument ${args[0]}\n`);
      return 64;
    }
    const ctx = await openCliContext(config, 'relay', false);
    if (!ctx) return 78;
    const relay = new Relay({ config, odoo: ctx.odoo, store: ctx.store, logger: ctx.logger });
    relay.start();
    const stop = async (signal: NodeJS.Signals) => {
      ctx.logger.info({ signal }, 'relay: stopping');
      await relay.stop();
      await ctx.close();
      ctx.logger.flush();
      process.exit(0);
    };
    process.once('SIGTERM', (s) => void stop(s));
    process.once('SIGINT', (s) => void stop(s));
    return undefined;
  },
};
