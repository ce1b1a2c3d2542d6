/**
 * The `retail-gateway` command line. Each command lives in its own file; this one only dispatches.
 *
 * A command's module (and everything it pulls in: Hono, zod, the stores, the Odoo client) is
 * imported only when that command runs or prints its own help, and the configuration is parsed
 * only then: `retail-gateway --help` loads nothing but this file.
 */
import type { Config, ConfigNeeds } from '../config.js';

export interface CliCommand {
  usage: string;
  /** What the command needs of the configuration beyond a valid environment (serve: a real Odoo). */
  needs?: ConfigNeeds;
  run(args: string[], config: Config): Promise<number | undefined>;
}

/** A command as the dispatcher knows it before loading it: its one-line summary and its module. */
export interface CliEntry {
  summary: string;
  load(): Promise<CliCommand>;
}

const serveCommand: CliCommand = {
  usage: 'retail-gateway serve',
  needs: { odoo: true },
  async run(_args, config) {
    const { startGateway } = await import('../server.js');
    await startGateway({ config, handleSignals: true });
    return undefined;
  },
};

/** Commands by name; features register theirs here. */
export const commands: Record<string, CliEntry> = {
  serve: { summary: 'serve the HTTP API, the relay and the intake drainer', load: async () => serveCommand },
  rotate: {
    summary: 'rotate a credential (signing key, master key, Odoo key, client / subscription / inbound secret)',
    load: async () => (await import('./rotate.js')).rotateCommand,
  },
  'erase-customer': {
    summary: "erase a customer's personal data from the gateway store; list the Odoo records holding it",
    load: async () => (await import('./erase-customer.js')).eraseCustomerCommand,
  },
  relay: {
    summary: 'run the outbox relay alone: signed webhooks, retries, dead letters, the event bus',
    load: async () => (await import('./relay.js')).relayCommand,
  },
  replay: {
    summary: 'replay webhook deliveries (one event, dead letters, or since a time), keeping webhook-id',
    load: async () => (await import('./replay.js')).replayCommand,
  },
  reconcile: {
    summary: "compare each replica's served availability with Odoo for every SKU, repair drift, report",
    load: async () => (await import('./reconcile.js')).reconcileCommand,
  },
  intake: {
    summary: 'show the intake queue, or requeue items that spent their attempts',
    load: async () => (await import('./intake.js')).intakeCommand,
  },
  partner: {
    summary: 'register a partner in Odoo and print its client id and secret (once)',
    load: async () => (await import('./partner.js')).partnerCommand,
  },
};

export function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'usage: retail-gateway <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration comes from the environment (see README, "Configuration").',
    'Run `retail-gateway <command> --help` for a command\'s options.',
  ].join('\n');
}

/**
 * Runs the command `argv` names. `config` is called only when a command actually runs (not for
 * help), so help works without a valid environment and without loading the configuration schema.
 * A start-up failure propagates as a `StartupError` (see `startup-error.ts`) for the caller to report.
 */
export async function runCli(argv: string[], config: (needs: ConfigNeeds) => Config | Promise<Config>): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    process.stderr.write(`retail-gateway: unknown command "${name}"\n\n${helpText()}\n`);
    return 64; // EX_USAGE
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: ${command.usage}\n\n${entry.summary}\n`);
    return 0;
  }
  return command.run(rest, await config(command.needs ?? {}));
}
