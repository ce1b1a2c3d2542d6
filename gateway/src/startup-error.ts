/**
 * The one way a process fails to start: a `StartupError` of a class (configuration, listening
 * socket, store) carrying one line per problem, reported by `reportStartupFailure` as exactly those
 * lines on stderr (no stack trace) and an exit code per class. The gateway, every command and the
 * demo report through it. Anything else is a defect and keeps its stack trace.
 *
 * This module imports nothing heavy: `main.ts` loads it before any command.
 */

/** Exit codes per class (sysexits.h), documented in the README ("Start-up errors"). */
export const STARTUP_EXIT_CODES = {
  /** A variable is missing or wrong (EX_CONFIG). */
  config: 78,
  /** The HTTP port cannot be bound: in use, not permitted, or the address is not on this machine (EX_UNAVAILABLE). */
  listen: 69,
  /** The store cannot be opened: data directory not writable, PostgreSQL unreachable or refusing (EX_IOERR). */
  store: 74,
} as const;

export type StartupFailureClass = keyof typeof STARTUP_EXIT_CODES;

export class StartupError extends Error {
  constructor(
    readonly kind: StartupFailureClass,
    /** One line each, naming what to change (a variable, a port, a directory). */
    readonly problems: string[],
    message = problems.join('; '),
  ) {
    super(message);
    this.name = 'StartupError';
  }

  get exitCode(): number {
    return STARTUP_EXIT_CODES[this.kind];
  }
}

/**
 * Writes a start-up failure as one line per problem (`<prefix>: <problem>`) and returns its exit
 * code; undefined (nothing written) for any other error, which the caller rethrows.
 */
export function reportStartupFailure(err: unknown, prefix: string, write: (line: string) => void = (l) => process.stderr.write(l)): number | undefined {
  if (!(err instanceof StartupError)) return undefined;
  for (const problem of err.problems) write(`${prefix}: ${problem}\n`);
  return err.exitCode;
}

/** Why `listen` failed, as a start-up error; undefined for an error that is not about the address. */
export function listenFailure(err: unknown, host: string, port: number): StartupError | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const where = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new StartupError('listen', [`cannot listen on ${where}: the port is already in use by another process (choose another GATEWAY_PORT, or stop that process)`]);
    case 'EACCES':
    case 'EPERM':
      return new StartupError('listen', [`cannot listen on ${where}: not permitted (ports below 1024 need privileges; choose a GATEWAY_PORT of 1024 or more)`]);
    case 'EADDRNOTAVAIL':
      return new StartupError('listen', [`cannot listen on ${where}: GATEWAY_HOST is not an address of this machine`]);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StartupError('listen', [`cannot listen on ${where}: GATEWAY_HOST does not resolve`]);
    default:
      return undefined;
  }
}
