/**
 * Sends one signed webhook over undici. Connections go through an Agent whose `connect.lookup`
 * refuses internal addresses (see target-policy.ts); a URL with a literal IP address never reaches
 * a lookup, so it is checked here before the request. Connect and response timeouts are bounded.
 */
import { isIP } from 'node:net';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { isRetryableStatus, parseRetryAfter } from '../../relay/schedule.js';
import { TargetRefusedError, type TargetPolicy } from './target-policy.js';

export interface SendOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What one attempt came to. `retryable` false with `ok` false means final (dead-letter). */
export interface SendOutcome {
  ok: boolean;
  retryable: boolean;
  status: number | null;
  /** The receiver's `Retry-After`, in ms, when it sent one. */
  retryAfterMs: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookSenderOptions {
  policy: TargetPolicy;
  connectTimeoutMs?: number;
  /** Time allowed for the answer (headers and body) after the request was sent. */
  responseTimeoutMs?: number;
  /** Connections per endpoint origin. */
  connectionsPerOrigin?: number;
  userAgent?: string;
}

export interface WebhookSender {
  send(options: SendOptions): Promise<SendOutcome>;
  close(): Promise<void>;
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const responseTimeoutMs = options.responseTimeoutMs ?? 15_000;
  const agent = new Agent({
    connect: { timeout: connectTimeoutMs, lookup: options.policy.guardedLookup as never },
    connections: options.connectionsPerOrigin ?? 16,
    headersTimeout: responseTimeoutMs,
    bodyTimeout: responseTimeoutMs,
    keepAliveTimeout: 10_000,
  });
  const userAgent = options.userAgent ?? 'retail-gateway-webhooks/1';

  // Endpoints are few and their URLs repeat: parse each once.
  const parsed = new Map<string, { origin: string; path: string; host: string; literal: boolean } | null>();
  function parse(url: string) {
    let p = parsed.get(url);
    if (p === undefined) {
      try {
        const u = new URL(url);
        const host = u.hostname.replace(/^\[|\]$/g, '');
        p = { origin: u.origin, path: u.pathname + u.search, host, literal: isIP(host) !== 0 };
      } catch {
        p = null;
      }
      if (parsed.size > 10_000) parsed.clear();
      parsed.set(url, p);
    }
    return p;
  }

  async function send({ url, headers, body }: SendOptions): Promise<SendOutcome> {
    const started = performance.now();
    const done = (o: Omit<SendOutcome, 'durationMs'>): SendOutcome => ({ ...o, durationMs: performance.now() - started });
    const target = parse(url);
    if (!target) return done({ ok: false, retryable: false, status: null, retryAfterMs: null, error: 'invalid URL' });
    const { host } = target;
    if (target.literal && !options.policy.addressAllowed(host, host)) {
      return done({ ok: false, retryable: false, status: null, retryAfterMs: null, error: `refused: ${host} is an internal address` });
    }
    try {
      const res: Dispatcher.ResponseData = await agent.request({
        origin: target.origin,
        path: target.path,
        method: 'POST',
        headers: { ...headers, 'user-agent': userAgent },
        body,
      } as Dispatcher.RequestOptions);
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const status = res.statusCode;
      if (status >= 200 && status < 300) return done({ ok: true, retryable: false, status, retryAfterMs: null, error: null });
      const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'], Date.now()) : null;
      return done({ ok: false, retryable: isRetryableStatus(status), status, retryAfterMs, error: `HTTP ${status}` });
    } catch (err) {
      const refused = findRefusal(err);
      if (refused) return done({ ok: false, retryable: false, status: null, retryAfterMs: null, error: `refused: ${refused.message}` });
      return done({ ok: false, retryable: true, status: null, retryAfterMs: null, error: describeNetworkError(err) });
    }
  }

  return { send, close: () => agent.close() };
}

function findRefusal(err: unknown): TargetRefusedError | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TargetRefusedError) return e;
    if ((e as { code?: string }).code === 'ERR_WEBHOOK_TARGET_REFUSED') return e as TargetRefusedError;
  }
  return null;
}

function describeNetworkError(err: unknown): string {
  if (err instanceof undiciErrors.ConnectTimeoutError) return 'connect timeout';
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) return 'response timeout';
  if ((err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError') return 'timeout';
  const code = (err as { code?: string })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  const message = (err as Error)?.message ?? String(err);
  return (code ? `${code}: ${message}` : message).slice(0, 500);
}
