/**
 * `retail-gateway replay`: puts deliveries back in the queue with their original event id (the
 * `webhook-id` receivers de-duplicate on), then follows them until delivered, with a progress bar
 * on a terminal. The relays running on this store deliver them; `--deliver` delivers from this
 * process too (useful when no relay is running).
 */
import { PartnerCode } from '../../../contracts/src/common.js';
import type { ReplayFilter } from '../relay/deliveries.js';
import { openCliContext, progressBar } from '../relay/cli-support.js';
import { Relay } from '../relay/relay.js';
import type { CliCommand } from './run.js';

const usage = `retail-gateway replay (--event ID | --dead PARTNER | --since ISO-TIME --partner PARTNER) [options]

  --event ID              every delivery of one event
  --dead PARTNER          the partner's dead letters
  --since TIME --partner P  everything delivered (or dead) to P for events since TIME (RFC 3339)
  --subscription N        only this subscription (with --dead or --since)
  --deliver               also deliver from this process
  --no-wait               queue and exit
  --timeout SECONDS       stop following after this long (default 600)`;

export interface ReplayArgs {
  filter: ReplayFilter;
  deliver: boolean;
  wait: boolean;
  timeoutMs: number;
}

export function parseReplayArgs(args: string[]): ReplayArgs | string {
  const opts: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--deliver' || a === '--no-wait') opts[a] = true;
    else if (['--event', '--dead', '--since', '--partner', '--subscription', '--timeout'].includes(a)) {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) return `${a} needs a value`;
      opts[a] = v;
    } else return `unknown argument ${a}`;
  }
  const sub = opts['--subscription'];
  if (sub !== undefined && !/^\d+$/.test(String(sub))) return '--subscription needs a number';
  const subscriptionId = sub === undefined ? undefined : Number(sub);
  const timeout = opts['--timeout'];
  if (timeout !== undefined && !/^\d+$/.test(String(timeout))) return '--timeout needs seconds';
  const partnerOk = (p: unknown) => PartnerCode.safeParse(p).success;
  let filter: ReplayFilter;
  const chosen = ['--event', '--dead', '--since'].filter((k) => opts[k] !== undefined);
  if (chosen.length !== 1) return 'choose one of --event, --dead, --since';
  if (opts['--event'] !== undefined) {
    filter = { kind: 'event', eventId: String(opts['--event']) };
  } else if (opts['--dead'] !== undefined) {
    if (!partnerOk(opts['--dead'])) return `not a partner code: ${opts['--dead']}`;
    filter = { kind: 'dead', partner: String(opts['--dead']), subscriptionId };
  } else {
    const since = Date.parse(String(opts['--since']));
    if (Number.isNaN(since)) return `--since: not a time: ${opts['--since']}`;
    if (!partnerOk(opts['--partner'])) return '--since needs --partner with a partner code';
    filter = { kind: 'since', partner: String(opts['--partner']), sinceMs: since, subscriptionId };
  }
  return { filter, deliver: opts['--deliver'] === true, wait: opts['--no-wait'] !== true, timeoutMs: (timeout === undefined ? 600 : Number(timeout)) * 1000 };
}

export const replayCommand: CliCommand = {
  usage,
  async run(args, config) {
    const parsed = parseReplayArgs(args);
    if (typeof parsed === 'string') {
      process.stderr.write(`retail-gateway replay: ${parsed}\n\nusage: ${usage}\n`);
      return 64;
    }
    const ctx = await openCliContext(config, 'replay');
    if (!ctx) return 78;
    const relay = new Relay({ config, odoo: ctx.odoo, store: ctx.store, logger: ctx.logger, bus: null });
    try {
      const ids = await relay.replay(parsed.filter);
      process.stderr.write(`replaying ${ids.length} deliveries\n`);
      if (ids.length === 0 || !parsed.wait) {
        process.stdout.write(`${JSON.stringify({ replayed: ids.length })}\n`);
        return 0;
      }
      if (parsed.deliver) relay.dispatcher.start();
      const tty = process.stderr.isTTY;
      const deadline = Date.now() + parsed.timeoutMs;
      let pending = ids.length;
      for (;;) {
        pending = await relay.queue.pendingFor(ids);
        const done = ids.length - pending;
        if (tty) process.stderr.write(`\r${progressBar(done, ids.length, 'settled')}`);
        if (pending === 0 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      if (tty) process.stderr.write('\n');
      const byStatus = await relay.queue.countsFor(ids);
      process.stdout.write(`${JSON.stringify({ replayed: ids.length, ...byStatus })}\n`);
      return pending === 0 ? 0 : 75; // EX_TEMPFAIL: still pending at the timeout
    } finally {
      await relay.dispatcher.stop();
      await relay.stop();
      await ctx.close();
    }
  },
};
