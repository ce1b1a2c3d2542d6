/**
 * The load generator of bench/intake.ts, run in its own process so it does not share the event
 * loop with the server it measures: autocannon, POSTing the golden order with a fresh external id
 * and Idempotency-Key per request. Prints one JSON line: requests/s, p99, errors, non-2xx and the
 * external ids answered 202. Requests/s is every response over the time from the start to the
 * last response, the same way for a run bounded by time and one bounded by count (autocannon
 * notices the end of a count-bounded run only at its next one-second tick, so its own duration and
 * per-second average are rounded to whole seconds).
 *
 *   tsx bench/_load.ts <url> <prefix> <duration s | N requests, e.g. 3000r> <connections> [authorization]
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, prefix, duration, connections, authorization] = process.argv.slice(2);
const order = readFileSync(new URL('../contracts/examples/api/order.json', import.meta.url), 'utf8');
const body = JSON.stringify(JSON.parse(order));
const marker = `"external_id":"${(JSON.parse(order) as { external_id: string }).external_id}"`;
const accepted: string[] = [];
let n = 0;
let responses = 0;
let lastResponseAt = 0;
const startedAt = performance.now();
const result = await autocannon({
  url: url!,
  connections: Number(connections),
  ...(duration!.endsWith('r') ? { amount: Number(duration!.slice(0, -1)) } : { duration: Number(duration) }),
  requests: [
    {
      method: 'POST',
      setupRequest: (req: { headers: Record<string, string>; body?: string }) => {
        const id = `${prefix}-${n++}`;
        req.headers = { ...(authorization ? { authorization } : {}), 'content-type': 'application/json', 'idempotency-key': id };
        req.body = body.replace(marker, `"external_id":"${id}"`);
        return req;
      },
      onResponse: (status: number, resBody: string) => {
        responses++;
        lastResponseAt = performance.now();
        if (status === 202) accepted.push((JSON.parse(resBody) as { external_id: string }).external_id);
      },
    },
  ] as never,
});
process.stdout.write(`${JSON.stringify({ rps: Math.round((responses * 1000) / Math.max(1, lastResponseAt - startedAt)), p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx, accepted })}\n`);
