/**
 * Entity tags for cached reads: a hash of the body the client would get, so equal answers carry
 * equal tags on every replica, and `If-None-Match` (RFC 9110 §13.1.2, weak comparison) answers 304.
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';

export function etagOf(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** Whether an `If-None-Match` header matches the tag (`*` matches any). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v.replace(/^W\//, '') === opaque;
  });
}

/** A JSON body serialised once with its tag, so a cached answer can be sent again as it is. */
export interface TaggedJson {
  body: string;
  etag: string;
}

export function taggedJson(value: unknown): TaggedJson {
  const body = JSON.stringify(value);
  return { body, etag: etagOf(body) };
}

/** Answers a serialised JSON body with its ETag, or 304 when the client already holds it. */
export function sendTaggedJson(c: Context, { body, etag }: TaggedJson, extraHeaders: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { ETag: etag, 'Cache-Control': 'private, no-cache', ...extraHeaders };
  if (ifNoneMatchHits(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  headers['Content-Type'] = 'application/json';
  return c.body(body, 200, headers);
}

/** Answers a JSON body with its ETag, or 304 when the client already holds it. */
export function jsonWithEtag(c: Context, value: unknown, extraHeaders: Record<string, string> = {}): Response {
  return sendTaggedJson(c, taggedJson(value), extraHeaders);
}
