/**
 * `retail-gateway reconcile`: asks each gateway replica to compare the availability it serves
 * with Odoo's for every SKU and repair drift (`POST /admin/reconcile`), and prints the reports.
 * The command signs a short-lived admin token with the gateway's own key (same store and master
 * key), for a partner holding the `admin` scope.
 */
import { createAuthService } from '../auth/service.js';
import type { ReconcileReport } from '../reconcile/availability.js';
import { openCliContext } from '../relay/cli-support.js';
import type { CliCommand } from './run.js';

const usage = `retail-gateway reconcile [--gateway URL]... [--as PARTNER] [--dry-run]

  --gateway URL   a replica to reconcile (repeatable; default GATEWAY_PUBLIC_URL)
  --as PARTNER    the admin partner the token is issued for (default: the first partner with admin)
  --dry-run       report drift, repair nothing`;

export const reconcileCommand: CliCommand = {
  usage,
  async run(args, config) {
    const gateways: string[] = [];
    let as: string | undefined;
    let dryRun = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--dry-run') dryRun = true;
      else if (a === '--gateway' && args[i + 1]) gateways.push(args[++i]!.replace(/\/+$/, ''));
      else if (a === '--as' && args[i + 1]) as = args[++i];
      else {
        process.stderr.write(`retail-gateway reconcile: unexpected argument ${a}\n\nusage: ${usage}\n`);
        return 64;
      }
    }
    if (gateways.length === 0) gateways.push(config.publicUrl);
    const ctx = await openCliContext(config, 'reconcile');
    if (!ctx) return 78;
    try {
      const auth = await createAuthService({ config, store: ctx.store, odoo: ctx.odoo, logger: ctx.logger, offline: true });
      const { partners } = await ctx.odoo.rpc('partners', {});
      const admin = partners.find((p) => p.active && p.scopes.includes('admin') && (as === undefined || p.code === as));
      if (!admin) {
        process.stderr.write(`retail-gateway reconcile: no active partner with the admin scope${as ? ` named ${as}` : ''}\n`);
        return 65;
      }
      const { accessToken } = await auth.tokens.issue({ partner: admin.code, clientId: 'cli:reconcile', scopes: ['admin'] });
      let failed = 0;
      const reports: (ReconcileReport & { gateway: string })[] = [];
      for (const gateway of gateways) {
        const res = await fetch(`${gateway}/admin/reconcile${dryRun ? '?dry_run=true' : ''}`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } }).catch(
          (err: Error) => err,
        );
        if (res instanceof Error || !res.ok) {
          failed++;
          process.stderr.write(`${gateway}: ${res instanceof Error ? res.message : `${res.status} ${await res.text()}`}\n`);
          continue;
        }
        const report = (await res.json()) as ReconcileReport;
        reports.push({ gateway, ...report });
        process.stderr.write(`${gateway}: checked ${report.checked}, cached ${report.cached}, drifted ${report.drifted}, repaired ${report.repaired}\n`);
      }
      process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      return failed > 0 ? 69 : 0; // EX_UNAVAILABLE when a replica could not be reached
    } finally {
      await ctx.close();
    }
  },
};
