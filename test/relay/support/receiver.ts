/**
 * A webhook receiver for tests: a bare node:http server on 127.0.0.1 that verifies every request
 * with the `standardwebhooks` package (written by nobody here) and records what arrived. Each
 * request's answer can be scripted (status, headers, delay).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  json: { id: string; type: string; subject: string; sequence: number; data: Record<string, unknown> };
  verified: boolean;
  verifyError: string | null;
  answered: number;
  at: number;
}

export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number };

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Verified deliveries only. */
  verified(): Received[];
  /** Secrets the receiver verifies with; a request is verified if any of them matches. */
  secrets: string[];
  /** Decides each answer; default 200. */
  respond: (req: { id: string; count: number; headers: IncomingHttpHeaders }) => Answer;
  /** Resolves once `n` requests arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

export async function startReceiver(secrets: string[] = []): Promise<Receiver> {
  const waiters: { n: number; resolve: () => void }[] = [];
  const counts = new Map<string, number>();
  const r: Receiver = {
    url: '',
    port: 0,
    received: [],
    secrets,
    verified: () => r.received.filter((x) => x.verified),
    respond: () => ({ status: 200 }),
    inFlight: 0,
    maxInFlight: 0,
    waitFor(n, timeoutMs = 30_000) {
      if (r.received.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver: ${r.received.length}/${n} requests arrived`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  const server: Server = createServer((req, res) => {
    r.inFlight++;
    r.maxInFlight = Math.max(r.maxInFlight, r.inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      let verified = false;
      let verifyError: string | null = r.secrets.length ? null : 'no secret';
      for (const s of r.secrets) {
        try {
          new Webhook(s).verify(body, req.headers as Record<string, string>);
          verified = true;
          verifyError = null;
          break;
        } catch (err) {
          verifyError = (err as Error).message;
        }
      }
      const count = (counts.get(id) ?? 0) + 1;
      counts.set(id, count);
      const answer = r.respond({ id, count, headers: req.headers });
      const finish = () => {
        r.received.push({
          id,
          timestamp: String(req.headers['webhook-timestamp'] ?? ''),
          signature: String(req.headers['webhook-signature'] ?? ''),
          body,
          json: JSON.parse(body || '{}'),
          verified,
          verifyError,
          answered: answer.status,
          at: Date.now(),
        });
        r.inFlight--;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end('ok');
        for (const w of [...waiters]) {
          if (r.received.length < w.n) continue;
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      };
      if (answer.delayMs) setTimeout(finish, answer.delayMs);
      else finish();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}`;
  return r;
}
