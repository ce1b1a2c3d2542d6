/**
 * `retail-gateway` entry point: dispatches to a command, which gets the configuration parsed once.
 * Nothing heavy is imported here: `--help` answers without loading the gateway (see `cli/run.ts`).
 */
import { runCli } from './cli/run.js';

/** Set by a configuration error, so it is reported as one and not as a crash. */
class ConfigFailure extends Error {}

try {
  const code = await runCli(process.argv.slice(2), async () => {
    // Loaded first: zod 4 schemas get `.openapi()` only if this ran before they were built.
    await import('@hono/zod-openapi');
    const { ConfigError, loadConfig } = await import('./config.js');
    try {
      return loadConfig(process.env);
    } catch (err) {
      throw err instanceof ConfigError ? new ConfigFailure(err.message) : err;
    }
  });
  if (code !== undefined) process.exitCode = code;
} catch (err) {
  if (err instanceof ConfigFailure) {
    process.stderr.write(`retail-gateway: ${err.message}\n`);
    process.exitCode = 78; // EX_CONFIG
  } else {
    throw err;
  }
}
