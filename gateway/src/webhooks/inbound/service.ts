/**
 * Receives one inbound commerce webhook: finds the partner's secrets for the provider, verifies
 * the signature over the raw bytes and the replay window, maps the payload to canonical contract
 * objects, de-duplicates by the provider's delivery id and queues the objects durably. The
 * provider gets its 2xx as soon as the items are committed; Odoo is never called on this path.
 *
 * Two rules keep a signed body from being used as something else or at another time:
 *
 * - A body is applied only as what it proves it is: each provider checks the topic it was
 *   delivered under against the body (Shopify's and WooCommerce's topic headers are unsigned);
 *   a body that does not prove it is refused 422 `topic_mismatch` and nothing is queued.
 * - An order's state is applied only when it is newer than the last one applied for that order
 *   (versions.ts): an older update, a replayed one, or one older than the retention period is
 *   acknowledged as `stale` (200, so the provider stops retrying) and never queued.
 *
 * Outcomes (HTTP): 200 accepted, duplicate, stale, ignored (unknown topic) or ping; 401 bad
 * signature or replay; 404 unknown provider or partner (one answer for both); 422 an authentic
 * payload that cannot be mapped, or one that does not prove its topic; 400 no delivery id; 409 a
 * copy of the same delivery still being queued.
 */
import type { Logger } from 'pino';
import client from 'prom-client';
import { PartnerCode } from '../../../../contracts/src/common.js';
import { InboundProvider } from '../../../../contracts/src/partner.js';
import { ApiError } from '../../errors.js';
import type { Order } from '../../../../contracts/src/order.js';
import type { AtpService } from '../../atp/service.js';
import type { AcceptInput, IntakeQueue, IntakeSource } from '../../intake/queue.js';
import type { SqlStore } from '../../store/store.js';
import { InboundDeliveries, type DeliveryKey } from './deliveries.js';
import type { InboundSecretSource } from './secrets.js';
import { shopify } from './shopify.js';
import { standard } from './standard.js';
import { stripe } from './stripe.js';
import type { InboundItem, InboundProviderModule, MapContext, OrderVersion } from './types.js';
import { advanceOrderVersion, pruneOrderVersions } from './versions.js';
import { woocommerce } from './woocommerce.js';

export const inboundProviders: Record<InboundProvider, InboundProviderModule> = { shopify, woocommerce, stripe, standard };

export type InboundOutcome =
  | 'accepted'
  | 'duplicate'
  | 'stale'
  | 'ignored'
  | 'ping'
  | 'invalid_signature'
  | 'unknown_endpoint'
  | 'unprocessable'
  | 'topic_mismatch'
  | 'missing_delivery_id'
  | 'in_progress'
  | 'error';

export interface InboundAck {
  received: true;
  provider: InboundProvider;
  delivery_id: string | null;
  /**
   * accepted: queued now; duplicate: this delivery id was seen before; stale: an older state of the
   * order than one already applied, acknowledged and not queued; ignored: a topic the gateway does
   * not act on; ping: an endpoint test.
   */
  outcome: 'accepted' | 'duplicate' | 'stale' | 'ignored' | 'ping';
  /** The intake items (poll `GET /v1/orders/{id}` and friends). */
  intake_ids: string[];
}

export interface InboundRequestInput {
  provider: string;
  partner: string;
  headers: Headers;
  rawBody: Buffer;
  requestId: string;
}

export interface InboundWebhookServiceOptions {
  store: SqlStore;
  intake: Pick<IntakeQueue, 'acceptIf'>;
  secrets: InboundSecretSource;
  now?: () => number;
  logger?: Logger;
  /** Where the counters go (the gateway's metrics registry); a private one when absent. */
  registry?: client.Registry;
  /** Replay windows in seconds, per provider (defaults: Stripe and Standard 300, Shopify 48 h). */
  toleranceSeconds?: Partial<Record<InboundProvider, number>>;
  /**
   * Delivery records and order versions are kept this long; an order update whose version is older
   * than this is stale by age (from providers that sign no timestamp).
   */
  retentionMs?: number;
  /** How long a copy waits for another copy of the same delivery that is being queued. */
  duplicateWaitMs?: number;
  /**
   * Available-to-promise: a storefront's order is promised as it is queued. The storefront has
   * taken the money already, so it is never refused: it is promised whatever is left (policy
   * `accept`), the units beyond counted as oversold.
   */
  atp?: Pick<AtpService, 'promise' | 'release'>;
}

const NOT_FOUND = 'No inbound webhook endpoint at this address.';

/** The counted outcome of each refusal (any other error counts as `error`). */
const refusalOutcome: Partial<Record<ApiError['code'], InboundOutcome>> = {
  invalid_signature: 'invalid_signature',
  not_found: 'unknown_endpoint',
  validation_failed: 'unprocessable',
  topic_mismatch: 'topic_mismatch',
  invalid_request: 'missing_delivery_id',
  conflict: 'in_progress',
};
const DEFAULT_RETENTION_MS = 30 * 86_400_000;

/** How repeats of each kind are recognised by the intake queue (per partner and kind). */
function dedupeKey(item: InboundItem, provider: string, deliveryId: string): string {
  switch (item.kind) {
    case 'payment':
      return `txn:${(item.payload as { transaction_id: string }).transaction_id}`;
    case 'order_update':
      return `${provider}:${deliveryId}`;
    default:
      return item.externalId;
  }
}

export class InboundWebhookService {
  readonly deliveries: InboundDeliveries;
  readonly counter: client.Counter<'provider' | 'outcome'>;
  private readonly now: () => number;
  private lastPrune = 0;

  constructor(private readonly options: InboundWebhookServiceOptions) {
    this.now = options.now ?? Date.now;
    this.deliveries = new InboundDeliveries(options.store, this.now);
    const registers = [options.registry ?? new client.Registry()];
    const existing = options.registry?.getSingleMetric('gateway_inbound_webhooks_total');
    this.counter =
      (existing as client.Counter<'provider' | 'outcome'> | undefined) ??
      new client.Counter({
        name: 'gateway_inbound_webhooks_total',
        help: 'Inbound commerce webhooks by provider and outcome (accepted, duplicate, ignored, invalid_signature, unprocessable, …)',
        labelNames: ['provider', 'outcome'],
        registers,
      });
  }

  /** The counter's value for a provider and outcome (tests, dashboard). */
  async count(provider: string, outcome: InboundOutcome): Promise<number> {
    const { values } = await this.counter.get();
    return values.find((v) => v.labels.provider === provider && v.labels.outcome === outcome)?.value ?? 0;
  }

  async receive(input: InboundRequestInput): Promise<InboundAck> {
    const known = InboundProvider.safeParse(input.provider);
    const providerLabel = known.success ? known.data : 'unknown';
    try {
      return await this.process(input);
    } catch (err) {
      const outcome: InboundOutcome = (err instanceof ApiError && refusalOutcome[err.code]) || 'error';
      this.counter.inc({ provider: providerLabel, outcome });
      throw err;
    }
  }

  private async process(input: InboundRequestInput): Promise<InboundAck> {
    const providerParsed = InboundProvider.safeParse(input.provider);
    if (!providerParsed.success || !PartnerCode.safeParse(input.partner).success) throw new ApiError('not_found', NOT_FOUND);
    const provider = providerParsed.data;
    const module = inboundProviders[provider];
    const now = this.now();
    this.maybePrune(now);

    const secrets = await this.options.secrets.secretsFor(input.partner, provider, now);
    if (!secrets) throw new ApiError('not_found', NOT_FOUND);

    const request = { headers: input.headers, rawBody: input.rawBody };
    if (module.isPing?.(request)) return this.ack(provider, null, 'ping', []);

    const tolerance = this.options.toleranceSeconds?.[provider] ?? module.defaultToleranceSeconds ?? 0;
    const verified = module.verify(request, { secrets, now, toleranceSeconds: tolerance });
    if (!verified.ok) {
      this.options.logger?.info({ provider, partner: input.partner, reason: verified.reason }, 'inbound webhook refused');
      throw new ApiError('invalid_signature', 'The webhook signature does not verify.', { reason: verified.reason });
    }

    const ctx: MapContext = {
      topic: verified.topic,
      rawBody: input.rawBody,
      headers: input.headers,
      orderForPaymentRef: (ref) => this.deliveries.orderForPaymentRef(provider, input.partner, ref),
    };
    const mapped = await module.map(ctx);
    if (mapped.outcome === 'ignored') {
      this.options.logger?.info({ provider, partner: input.partner, topic: verified.topic }, 'inbound webhook topic ignored');
      return this.ack(provider, verified.deliveryId || null, 'ignored', []);
    }
    if (mapped.outcome === 'unprocessable') {
      throw new ApiError('validation_failed', `The ${provider} payload for topic "${verified.topic}" cannot be mapped to the gateway's contract.`, mapped.details);
    }
    if (mapped.outcome === 'topic_mismatch') {
      this.options.logger?.warn({ provider, partner: input.partner, topic: verified.topic }, 'inbound webhook body does not prove its topic');
      throw new ApiError('topic_mismatch', `The ${provider} body does not prove the topic "${verified.topic}" it was delivered under.`, { reason: mapped.reason });
    }
    if (!verified.deliveryId) throw new ApiError('invalid_request', 'The webhook carries no delivery id.');

    const key: DeliveryKey = { provider, partner: input.partner, deliveryId: verified.deliveryId };
    let claim = await this.deliveries.claim(key, verified.topic);
    if (claim.state === 'busy') {
      const ids = await this.deliveries.waitDone(key, this.options.duplicateWaitMs ?? 5_000);
      if (ids) return this.ack(provider, verified.deliveryId, 'duplicate', ids);
      claim = await this.deliveries.claim(key, verified.topic);
      if (claim.state === 'busy') throw new ApiError('conflict', 'This delivery is being processed by another request; retry later.');
    }
    if (claim.state === 'done') return this.ack(provider, verified.deliveryId, 'duplicate', claim.intakeIds);

    const promises: (string | null)[] = [];
    let queued = false;
    try {
      const version = mapped.version;
      const stale = version ? this.staleByAge(module, version, now) : false;
      const oversold: (AcceptInput['oversold'] | undefined)[] = [];
      if (!stale && this.options.atp) {
        for (const item of mapped.items) {
          if (item.kind !== 'order') {
            promises.push(null);
            oversold.push(undefined);
            continue;
          }
          const held = await this.options.atp.promise(input.partner, item.payload as Order, 'accept', { requestId: input.requestId });
          promises.push(held.state === 'taken' ? held.key : null);
          oversold.push(held.state === 'taken' && held.oversold.length > 0 ? { policy: 'accept', lines: held.oversold } : undefined);
        }
      }
      const accepted = stale
        ? null
        : await this.options.intake.acceptIf(
            mapped.items.map((item, i) => ({
              partner: input.partner,
              kind: item.kind,
              externalId: item.externalId,
              payload: item.payload,
              requestId: input.requestId,
              source: provider satisfies IntakeSource,
              dedupeKey: dedupeKey(item, provider, verified.deliveryId),
              ...(oversold[i] ? { oversold: oversold[i] } : {}),
            })),
            async (tx) => !version || advanceOrderVersion(tx, { provider, partner: input.partner }, version, this.now()),
          );
      queued = true;
      // A promise taken for an order that was not queued now (a repeat, a stale state) is dropped.
      for (const [i, key] of promises.entries()) if (key && (!accepted || accepted[i]?.duplicate)) await this.options.atp?.release(key);
      if (!accepted) {
        // An older state than one already applied (or too old to order): acknowledged, never queued.
        await this.deliveries.complete(key, claim.token, []);
        this.options.logger?.info({ provider, partner: input.partner, topic: verified.topic }, 'inbound webhook stale: an older state of the order than the last applied');
        return this.ack(provider, verified.deliveryId, 'stale', []);
      }
      const ids = accepted.map((a) => a.id);
      for (const ref of module.paymentRefs?.(mapped.items, ctx) ?? []) {
        await this.deliveries.rememberPaymentRef(provider, input.partner, ref.ref, ref.orderExternalId);
      }
      await this.deliveries.complete(key, claim.token, ids);
      return this.ack(provider, verified.deliveryId, 'accepted', ids);
    } catch (err) {
      if (!queued) for (const p of promises) if (p) await this.options.atp?.release(p).catch(() => undefined);
      await this.deliveries.release(key, claim.token).catch(() => undefined);
      throw err;
    }
  }

  private ack(provider: InboundProvider, deliveryId: string | null, outcome: InboundAck['outcome'], ids: string[]): InboundAck {
    this.counter.inc({ provider, outcome });
    return { received: true, provider, delivery_id: deliveryId, outcome, intake_ids: ids };
  }

  /**
   * A state older than the retention period cannot be ordered any more (its successors' versions
   * may have been pruned): from providers that sign no timestamp (a captured body can be re-sent at
   * any time), an ordered delivery that old is stale.
   */
  private staleByAge(module: InboundProviderModule, version: OrderVersion, now: number): boolean {
    if (version.rule === 'record' || module.signsTimestamp) return false;
    return version.at < now - (this.options.retentionMs ?? DEFAULT_RETENTION_MS);
  }

  private maybePrune(now: number): void {
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    const retention = this.options.retentionMs ?? DEFAULT_RETENTION_MS;
    const cutoff = now - retention;
    pruneOrderVersions(this.options.store, cutoff).catch((err: Error) => this.options.logger?.warn({ err: err.message }, 'inbound webhooks: pruning order versions failed'));
    this.deliveries.prune(retention).catch((err: Error) => this.options.logger?.warn({ err: err.message }, 'inbound webhooks: pruning delivery records failed'));
  }
}
