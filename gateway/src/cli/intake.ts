/**
 * `retail-gateway intake status | requeue [--partner CODE]`: the intake queue as an operator sees
 * it. `requeue` puts items that spent their attempts (`failed`) back in the queue; any gateway's
 * drainer picks them up on its next poll. Safe to repeat: the addon answers `duplicate` for an
 * item that reached Odoo after all.
 */
import { userInfo } from 'node:os';
import { recordAudit } from '../audit/log.js';
import { IntakeQueue } from '../intake/queue.js';
import { openMigratedStore } from '../store/open.js';
import { migrations } from '../store/migrations.js';
import type { CliCommand } from './run.js';

const usage = `retail-gateway intake <status | requeue> [--partner CODE]

  status                   items by status in the gateway store
  requeue [--partner CODE] put failed items back in the queue (all partners, or one)`;

export const intakeCommand: CliCommand = {
  usage,
  async run(args, config) {
    const [action, ...rest] = args;
    let partner: string | undefined;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '--partner' && rest[i + 1]) partner = rest[++i];
      else {
        process.stderr.write(`retail-gateway intake: unexpected argument ${rest[i]}\n\nusage: ${usage}\n`);
        return 64;
      }
    }
    if (action !== 'status' && action !== 'requeue') {
      process.stderr.write(`usage: ${usage}\n`);
      return 64;
    }
    const store = await openMigratedStore(config, migrations);
    try {
      const queue = new IntakeQueue({ store });
      if (action === 'requeue') {
        const requeued = await queue.requeueFailed(partner);
        await recordAudit(store, { who: `cli:${userInfo().username}`, action: 'intake.requeue', target: partner ?? '*', details: { requeued } });
        process.stdout.write(`requeued ${requeued} failed item(s)${partner ? ` of ${partner}` : ''}\n`);
      }
      const depth = await queue.depth();
      process.stdout.write(`${Object.entries(depth).map(([status, n]) => `${status} ${n}`).join(', ')}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
