/**
 * The `retail-gateway` command line. Each command lives in its own file; this one only dispatches.
 */
import type { Config } from '../config.js';
import { startGateway } from '../server.js';
import { rotateCommand } from './rotate.js';
import { eraseCustomerCommand } from './erase-customer.js';
import { relayCommand } from './relay.js';
import { replayCommand } from './replay.js';
import { reconcileCommand } from './reconcile.js';
import { intakeCommand } from './intake.js';
import { partnerCommand } from './partner.js';

export interface CliCommand {
  summary: string;
  usage: string;
  run(args: string[], config: Config): Promise<number | undefined>;
}

const serveCommand: CliCommand = {
  summary: 'serve the HTTP API, the relay and the intake drainer',
  usage: 'retail-gateway serve',
  async run(_args, config) {
    await startGateway({ config, handleSignals: true });
    return undefined;
  },
};

/** Commands by name; features register theirs here. */
export const commands: Record<string, CliCommand> = { serve: serveCommand, rotate: rotateCommand, 'erase-customer': eraseCustomerCommand,
  relay: relayCommand, replay: replayCommand, reconcile: reconcileCommand, intake: intakeCommand,
  partner: partnerCommand };

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

export async function runCli(argv: string[], config: Config): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`retail-gateway: unknown command "${name}"\n\n${helpText()}\n`);
    return 64; // EX_USAGE
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  return command.run(rest, config);
}
