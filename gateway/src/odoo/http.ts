/**
 * The HTTP layer both transports share: one undici `Pool` per Odoo origin (keep-alive, bounded
 * connections, connect/headers/body timeouts) and a JSON POST with a per-call deadline whose
 * failures come back as typed network or timeout errors.
 */
import { Pool } from 'undici';
import { odooErrorFromTransport } from './errors.js';

export interface OdooTimeouts {
  /** TCP (and TLS) connect. Default 5 s. */
  connectMs: number;
  /** From the request sent to the response headers: Odoo's work happens here. Default 60 s. */
  headersMs: number;
  /** Between two chunks of the response body. Default 30 s. */
  bodyMs: number;
  /** The whole call, connect to last byte. Default 60 s; a call may ask for less or more. */
  callMs: number;
}

export const defaultTimeouts: OdooTimeouts = { connectMs: 5_000, headersMs: 60_000, bodyMs: 30_000, callMs: 60_000 };

export interface OdooHttpOptions {
  url: string;
  maxConnections?: number;
  keepAliveMs?: number;
  timeouts?: Partial<OdooTimeouts>;
  userAgent?: string;
}

export interface JsonResponse {
  status: number;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown;
  text: string;
}

export interface OdooHttp {
  readonly timeouts: OdooTimeouts;
  readonly userAgent: string;
  /** POSTs `body` as JSON to `path` (below the URL's own path) and reads the answer. */
  postJson(path: string, body: unknown, options?: { headers?: Record<string, string>; timeoutMs?: number; model?: string; method?: string }): Promise<JsonResponse>;
  /** A GET, for the few read-only endpoints (`/web/version`). */
  getJson(path: string, options?: { timeoutMs?: number }): Promise<JsonResponse>;
  close(): Promise<void>;
}

export function createOdooHttp(options: OdooHttpOptions): OdooHttp {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new TypeError(`Odoo URL is not a valid URL: ${JSON.stringify(options.url)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`Odoo URL must be http(s): ${options.url}`);
  const prefix = base.pathname.replace(/\/+$/, '');
  const timeouts: OdooTimeouts = { ...defaultTimeouts, ...options.timeouts };
  const maxConnections = options.maxConnections ?? 10;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new TypeError('maxConnections must be a positive integer');
  const userAgent = options.userAgent ?? 'retail-gateway';
  const pool = new Pool(base.origin, {
    connections: maxConnections,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveMs ?? 30_000,
    connectTimeout: timeouts.connectMs,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
  });

  async function send(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
    ctx: { model?: string; method?: string },
  ): Promise<JsonResponse> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await pool.request({
        origin: base.origin,
        path: prefix + path,
        method,
        headers: { 'user-agent': userAgent, accept: 'application/json', ...headers },
        body,
        signal: controller.signal,
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text.length ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, text };
    } catch (err) {
      throw odooErrorFromTransport(err, { ...ctx, timedOut: controller.signal.aborted });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    timeouts,
    userAgent,
    postJson(path, payload, opts = {}) {
      return send(
        'POST',
        path,
        JSON.stringify(payload),
        { 'content-type': 'application/json; charset=utf-8', ...opts.headers },
        opts.timeoutMs ?? timeouts.callMs,
        { model: opts.model, method: opts.method },
      );
    },
    getJson(path, opts = {}) {
      return send('GET', path, undefined, {}, opts.timeoutMs ?? timeouts.callMs, {});
    },
    async close() {
      await pool.close();
    },
  };
}
