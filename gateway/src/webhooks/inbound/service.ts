/**
 * Receives one inbound commerce webhook: finds the partner's secrets for the provider, verifies
 * the signature over the raw bytes and the replay window, maps the payload to canonical contract
 * objects, de-duplicates by the provider's delivery id and queues the objects durably. The
 * provider gets its 2xx as soon as the items are committed; Odoo is never called on this path.
 *
 * Outcomes (HTTP): 200 accepted, duplicate, ignored (unknown topic) or ping; 401 bad signature or
 * replay; 404 unknown provider or partner (one answer for both); 422 an authentic payload that
 * cannot be mapped; 400 no delivery id; 409 a copy of the same delivery still being queued.
 */
import type { Logger } from 'pino';
import client from 'prom-client';
import { PartnerCode } from '../../../../contracts/src/common.js';
import { InboundProvider } from '../../../../contracts/src/partner.js';
import { ApiError } from '../../errors.js';
import type { AcceptInput, Accepted, IntakeSource } from '../../intake/queue.js';
import type { SqlStore } from '../../store/store.js';
import { InboundDeliveries, type DeliveryKey } from './deliveries.js';
import type { InboundSecretSource } from './secrets.js';
import { shopify } from './shopify.js';
import { standard } from './standard.js';
import { stripe } from './stripe.js';
import type { InboundItem, InboundProviderModule, MapContext } from './types.js';
import { woocommerce } from './woocommerce.js';

export const inboundProviders: Record<InboundProvider, InboundProviderModule> = { shopify, woocommerce, stripe, standard };

export type InboundOutcome =
  | 'accepted'
  | 'duplicate'
  | 'ignored'
  | 'ping'
  | 'invalid_signature'
  | 'unknown_endpoint'
  | 'unprocessable'
  | 'missing_delivery_id'
  | 'in_progress'
  | 'error';

export interface InboundAck {
  received: true;
  provider: InboundProvider;
  delivery_id: string | null;
  /** accepted: queued now; duplicate: this delivery id was queued before; ignored: a topic the gateway does not act on; ping: an endpoint test. */
  outcome: 'accepted' | 'duplicate' | 'ignored' | 'ping';
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
  intake: { accept(input: AcceptInput): Promise<Accepted> };
  secrets: InboundSecretSource;
  now?: () => number;
  logger?: Logger;
  /** Where the counters go (the gateway's metrics registry); a private one when absent. */
  registry?: client.Registry;
  /** Replay windows in seconds, per provider (defaults: Stripe and Standard 300, Shopify 48 h). */
  toleranceSeconds?: Partial<Record<InboundProvider, number>>;
  /** Delivery records are kept this long (replays older than this are only stopped by the queue's own de-duplication). */
  retentionMs?: number;
  /** How long a copy waits for another copy of the same delivery that is being queued. */
  duplicateWaitMs?: number;
}

const NOT_FOUND = 'No inbound webhook endpoint at this address.';

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
      const outcome: InboundOutcome =
        err instanceof ApiError
          ? err.code === 'invalid_signature'
            ? 'invalid_signature'
            : err.code === 'not_found'
              ? 'unknown_endpoint'
              : err.code === 'validation_failed'
                ? 'unprocessable'
                : err.code === 'invalid_request'
                  ? 'missing_delivery_id'
                  : err.code === 'conflict'
                    ? 'in_progress'
                    : 'error'
          : 'error';
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

    try {
      const ids: string[] = [];
      for (const item of mapped.items) {
        const accepted = await this.options.intake.accept({
          partner: input.partner,
          kind: item.kind,
          externalId: item.externalId,
          payload: item.payload,
          requestId: input.requestId,
          source: provider satisfies IntakeSource,
          dedupeKey: dedupeKey(item, provider, verified.deliveryId),
        });
        ids.push(accepted.id);
      }
      for (const ref of module.paymentRefs?.(mapped.items, ctx) ?? []) {
        await this.deliveries.rememberPaymentRef(provider, input.partner, ref.ref, ref.orderExternalId);
      }
      await this.deliveries.complete(key, claim.token, ids);
      return this.ack(provider, verified.deliveryId, 'accepted', ids);
    } catch (err) {
      await this.deliveries.release(key, claim.token).catch(() => undefined);
      throw err;
    }
  }

  private ack(provider: InboundProvider, deliveryId: string | null, outcome: InboundAck['outcome'], ids: string[]): InboundAck {
    this.counter.inc({ provider, outcome });
    return { received: true, provider, delivery_id: deliveryId, outcome, intake_ids: ids };
  }

  private maybePrune(now: number): void {
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    const retention = this.options.retentionMs ?? 30 * 86_400_000;
    this.deliveries.prune(retention).catch((err: Error) => this.options.logger?.warn({ err: err.message }, 'inbound webhooks: pruning delivery records failed'));
  }
}
