/**
 * `retail-gateway` entry point: parses the configuration once and dispatches to a command.
 */
// Loaded first: zod 4 schemas get `.openapi()` only if this ran before they were built.
import '@hono/zod-openapi';
import { ConfigError, loadConfig } from './config.js';
import { runCli } from './cli/run.js';

try {
  const config = loadConfig(process.env);
  const code = await runCli(process.argv.slice(2), config);
  if (code !== undefined) process.exitCode = code;
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`retail-gateway: ${err.message}\n`);
    process.exitCode = 78; // EX_CONFIG
  } else {
    throw err;
  }
}
