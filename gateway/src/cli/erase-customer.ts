/**
 * `retail-gateway erase-customer <email|external id>`: erases a customer's personal data from the
 * gateway's store and lists the Odoo records that hold it.
 */
import { userInfo } from 'node:os';
import { recordAudit } from '../audit/log.js';
import { createLogger } from '../logger.js';
import { odooClientFromConfig } from '../odoo/from-config.js';
import { eraseCustomer, formatErasureReport } from '../retention/erase.js';
import { openMigratedStore } from '../store/open.js';
import { migrations } from '../store/migrations.js';
import type { CliCommand } from './run.js';

export const eraseCustomerCommand: CliCommand = {
  usage: 'retail-gateway erase-customer <email | external id>',
  async run(args, config) {
    const ident = args.find((a) => !a.startsWith('-'));
    if (!ident) {
      process.stderr.write(`usage: ${eraseCustomerCommand.usage}\n`);
      return 64;
    }
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const store = await openMigratedStore(config, migrations);
    const odoo = config.odoo ? odooClientFromConfig(config.odoo, logger) : null;
    try {
      const report = await eraseCustomer(store, odoo, ident);
      // The audit entry names what was done, never the customer's address itself.
      await recordAudit(store, {
        who: `cli:${userInfo().username}`,
        action: 'erase.customer',
        target: ident.includes('@') ? 'customer by e-mail' : 'customer by external id',
        details: { intake_items: report.intakeItemsErased.length, deliveries: report.deliveriesErased, pending: report.intakeItemsPending.length },
      });
      process.stdout.write(`${formatErasureReport(report)}\n`);
      return report.intakeItemsPending.length ? 75 : 0; // EX_TEMPFAIL: run again later
    } finally {
      await odoo?.close();
      await store.close();
    }
  },
};
