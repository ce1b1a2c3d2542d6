/**
 * A GET load generator run in its own process, so it does not share the event loop (or a core's
 * worth of CPU) with the server it measures: a 1 s warm-up, then autocannon for the given duration.
 * Prints one JSON line: requests/s, p99 latency, errors, non-2xx.
 *
 *   tsx bench/_get-load.ts <url> <duration s> <connections> [headers as JSON]
 */
import autocannon from 'autocannon';

const [url, duration, connections, headersJson] = process.argv.slice(2);
const headers = headersJson ? (JSON.parse(headersJson) as Record<string, string>) : {};
await autocannon({ url: url!, connections: Number(connections), duration: 1, headers });
const r = await autocannon({ url: url!, connections: Number(connections), duration: Number(duration), headers });
process.stdout.write(`${JSON.stringify({ rps: r.requests.average, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx })}\n`);
