/**
 * The request body limit, reading the body straight from Node's `IncomingMessage` when the app is
 * served by @hono/node-server.
 *
 * Hono's `bodyLimit` asks for `c.req.raw.body`, which makes @hono/node-server build the whole
 * WHATWG `Request` (an `AbortController`, a web `ReadableStream` over the socket), and
 * `c.req.text()` then reads the body through that stream: measured ≈ 10% of an order intake's
 * CPU. Here the bytes are collected from the Node stream with the same limit (a declared
 * `Content-Length` over the limit is refused before reading; otherwise the count is checked as the
 * bytes arrive) and handed to Hono's body cache, so `c.req.arrayBuffer()`, `text()`, `json()`,
 * `parseBody()` and the validators read them from there. Anywhere else (`app.request()` in tests,
 * another runtime) Hono's own `bodyLimit` runs.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../context.js';
import { ApiError } from '../errors.js';

export interface NodeBodyLimitOptions {
  maxSize: number;
  /** Called (and its result returned or thrown) when the body is over the limit. */
  onError: (c: Context<AppEnv>) => Response | Promise<Response>;
}

class TooLarge extends Error {}

function incomingOf(c: Context<AppEnv>): IncomingMessage | undefined {
  const env = c.env as { incoming?: unknown } | undefined;
  const incoming = env?.incoming;
  return incoming && typeof (incoming as IncomingMessage).on === 'function' && Array.isArray((incoming as IncomingMessage).rawHeaders) ? (incoming as IncomingMessage) : undefined;
}

/** Reads the whole body, failing with `TooLarge` as soon as more than `max` bytes arrived. */
function readAll(incoming: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        // Stop reading; the answer (413) is written and the connection handling is Node's.
        incoming.pause();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => onError(new Error('request aborted'));
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onError);
    incoming.once('aborted', onAborted);
  });
}

/**
 * The whole body, or null when it is over `maxSize`: a declared `Content-Length` over it (without
 * chunked transfer) is refused before reading, otherwise the count is checked as the bytes arrive.
 * The middleware below and the order lane (fast-lane/order-lane.ts) read bodies with it.
 */
export async function readLimitedBody(incoming: IncomingMessage, maxSize: number): Promise<Buffer | null> {
  const declared = incoming.headers['content-length'];
  if (declared !== undefined && incoming.headers['transfer-encoding'] === undefined && parseInt(declared || '0', 10) > maxSize) return null;
  try {
    return await readAll(incoming, maxSize);
  } catch (err) {
    if (err instanceof TooLarge) return null;
    throw err;
  }
}

const utf8 = new TextDecoder();

/** A body's text with WHATWG `text()` semantics: UTF-8, a leading BOM dropped, bad sequences replaced. */
export function bodyText(bytes: Buffer): string {
  return utf8.decode(bytes);
}

/** The 413 of a body over the gateway's limit (GATEWAY_BODY_LIMIT_BYTES). */
export function payloadTooLarge(maxSize: number): ApiError {
  return new ApiError('payload_too_large', `The request body exceeds ${maxSize} bytes.`);
}

export function nodeBodyLimit(options: NodeBodyLimitOptions): MiddlewareHandler<AppEnv> {
  const fallback = honoBodyLimit({ maxSize: options.maxSize, onError: options.onError });
  const { maxSize } = options;
  return async function nodeBodyLimitMiddleware(c, next) {
    const incoming = incomingOf(c);
    // Hono's limit reads `c.req.raw.body`; once the WHATWG Request exists the body belongs to it.
    if (!incoming || incoming.readableDidRead || incoming.readableEnded) return fallback(c, next);
    const bytes = await readLimitedBody(incoming, maxSize);
    if (!bytes) return options.onError(c);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    // `arrayBuffer` first: Hono converts any other form (formData, blob) from the first cached one.
    // (Hono keeps promises in the cache, though its type names the resolved values.)
    const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
    cache.arrayBuffer = Promise.resolve(buffer);
    cache.text = Promise.resolve(bodyText(bytes));
    await next();
  };
}
