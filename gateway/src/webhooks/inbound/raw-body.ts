/**
 * The request body as the exact bytes that were sent: signatures are computed over them, so
 * nothing may parse, re-encode or trim the body before verification. The app's body-limit
 * middleware already refuses an oversized body; the limit is checked again here because a body
 * without Content-Length is only measured while it is read.
 */
import type { Context } from 'hono';
import { ApiError } from '../../errors.js';

export async function readRawBody(c: Context, limitBytes: number): Promise<Buffer> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > limitBytes) throw new ApiError('payload_too_large', `The request body exceeds ${limitBytes} bytes.`);
  const body = Buffer.from(await c.req.arrayBuffer());
  if (body.length > limitBytes) throw new ApiError('payload_too_large', `The request body exceeds ${limitBytes} bytes.`);
  return body;
}
