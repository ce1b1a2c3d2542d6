/**
 * Standard Webhooks (standardwebhooks.com, spec 1.0): `webhook-id`, `webhook-timestamp` (Unix
 * seconds) and `webhook-signature` (space-separated `v1,<base64>` entries), each the base64
 * HMAC-SHA256 of `${id}.${timestamp}.${rawBody}` keyed with the base64-decoded part of the
 * `whsec_…` secret. The timestamp must be within the tolerance (300 s) either way.
 *
 * The body is the canonical envelope of contracts/src/inbound.ts: `{ type, timestamp?, data }`
 * with `type` one of order.created, order.updated, order.cancelled, payment, return.created and
 * `data` the matching contract object.
 *
 * The type is read from the signed body, never from a header (`standardBodyProvesTopic`), and the
 * delivery id and timestamp are signed, so a body cannot be re-aimed or replayed outside the window.
 */
import { inboundEnvelopeData, inboundEnvelopeTypes, type InboundEnvelopeType } from '../../../../contracts/src/inbound.js';
import { anyDigestMatches, decodeBase64Digest, hmacSha256 } from './crypto.js';
import { isRecord, jsonBody, mapping, validated, fail, requireTopicProof } from './mapping.js';
import type { InboundItem, InboundItemKind, InboundProviderModule, InboundRequest, MapContext, MapResult, TopicProof, VerifyOptions, VerifyResult } from './types.js';

const kindOf: Record<InboundEnvelopeType, InboundItemKind> = {
  'order.created': 'order',
  'order.updated': 'order_update',
  'order.cancelled': 'cancel',
  payment: 'payment',
  'return.created': 'return',
};

/** The HMAC key of a `whsec_<base64>` secret (a bare base64 secret is accepted too). */
export function standardSecretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

function verify(req: InboundRequest, { secrets, now, toleranceSeconds }: VerifyOptions): VerifyResult {
  const id = req.headers.get('webhook-id')?.trim();
  const ts = req.headers.get('webhook-timestamp')?.trim();
  const header = req.headers.get('webhook-signature');
  if (!header || !id || !ts) return { ok: false, reason: 'missing_signature' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'malformed_signature' };
  const given = header
    .split(' ')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => decodeBase64Digest(entry.slice(3)));
  if (given.length === 0) return { ok: false, reason: 'malformed_signature' };
  const matches = secrets.map((s) => anyDigestMatches(hmacSha256(standardSecretKey(s), `${id}.${ts}.`, req.rawBody), given));
  if (!matches.includes(true)) return { ok: false, reason: 'signature_mismatch' };
  if (Math.abs(now / 1000 - Number(ts)) > toleranceSeconds) return { ok: false, reason: 'timestamp_outside_window' };
  let type = '';
  try {
    const body: unknown = JSON.parse(req.rawBody.toString('utf8'));
    if (isRecord(body) && typeof body.type === 'string') type = body.type;
  } catch {
    // Not JSON: the mapper answers 422.
  }
  return { ok: true, deliveryId: id, topic: type };
}

/** A Standard Webhooks body proves its type by carrying it: the topic is the signed body's `type`. */
export const standardBodyProvesTopic: TopicProof = (topic, body) => (body.type === topic ? null : 'the type is the one in the signed body');

async function map(ctx: MapContext): Promise<MapResult> {
  let type: unknown;
  const result = await mapping((): InboundItem[] => {
    const body = jsonBody((t) => JSON.parse(t), ctx.rawBody);
    type = body.type;
    if (typeof type !== 'string') fail('type', 'is required');
    requireTopicProof(standardBodyProvesTopic(ctx.topic, body));
    if (!(inboundEnvelopeTypes as string[]).includes(type)) return [];
    const known = type as InboundEnvelopeType;
    const data = validated(inboundEnvelopeData[known], body.data, 'data') as { external_id: string };
    return [{ kind: kindOf[known], externalId: data.external_id, payload: data }];
  });
  if (result.outcome === 'mapped' && result.items.length === 0) return { outcome: 'ignored', reason: `type ${String(type)} is not handled` };
  return result;
}

export const standard: InboundProviderModule = {
  name: 'standard',
  defaultToleranceSeconds: 300,
  signsTimestamp: true,
  verify,
  map,
};
