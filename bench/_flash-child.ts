/**
 * One gateway process of the flash-sale benchmark: argv[2] is the fake Odoo's address and login
 * (JSON), argv[3] the extra environment (JSON). Prints `{"url": …}` when listening; stops when its
 * stdin closes.
 */
import { startBenchGateway } from './_gateway.js';

const sim = JSON.parse(process.argv[2]!) as { url: string; db: string; login: string; apiKey: string };
const env = JSON.parse(process.argv[3]!) as Record<string, string>;
const bench = await startBenchGateway(sim as never, env);
process.stdout.write(`${JSON.stringify({ url: bench.gateway.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void bench.close().then(() => process.exit(0));
});
