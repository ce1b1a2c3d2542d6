/**
 * `retail-gateway` entry point: dispatches to a command, which gets the configuration parsed once.
 * Nothing heavy is imported here: `--help` answers without loading the gateway (see `cli/run.ts`).
 *
 * A start-up failure (configuration, port, store: `startup-error.ts`) is reported as one line per
 * problem with its exit code; anything else is a defect and keeps its stack trace.
 */
import { runCli } from './cli/run.js';
import { reportStartupFailure } from './startup-error.js';

try {
  const code = await runCli(process.argv.slice(2), async (needs) => {
    // Loaded first: zod 4 schemas get `.openapi()` only if this ran before they were built.
    await import('@hono/zod-openapi');
    const { loadConfig } = await import('./config.js');
    return loadConfig(process.env, needs);
  });
  if (code !== undefined) process.exitCode = code;
} catch (err) {
  const code = reportStartupFailure(err, 'retail-gateway');
  if (code === undefined) throw err;
  // Nothing was started that must be stopped: what was opened was closed before the error left.
  process.exit(code);
}
