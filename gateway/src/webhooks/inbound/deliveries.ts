/**
 * The record of inbound deliveries by the provider's delivery id, in the gateway's store. A
 * delivery is claimed (one winner among concurrent copies), its items are queued, and the claim is
 * completed with their intake ids. A copy that arrives while another holds the claim waits for it;
 * a claim whose holder died (older than the lease) is taken over, and the intake queue's own
 * de-duplication keeps that takeover from queueing anything twice.
 */
import { randomUUID } from 'node:crypto';
import type { SqlStore } from '../../store/store.js';

export interface DeliveryKey {
  provider: string;
  partner: string;
  deliveryId: string;
}

export type ClaimResult =
  | { state: 'claimed'; token: string }
  | { state: 'done'; intakeIds: string[] }
  | { state: 'busy' };

interface Row {
  status: string;
  claimed_at: number | string;
  intake_ids: string | null;
}

export class InboundDeliveries {
  constructor(
    private readonly store: SqlStore,
    private readonly now: () => number,
    /** A claim older than this is presumed abandoned by a dead process. */
    private readonly leaseMs = 30_000,
  ) {}

  /** Claims the delivery for processing, or says it was already processed, or that another copy holds it. */
  async claim(key: DeliveryKey, topic: string): Promise<ClaimResult> {
    const token = randomUUID();
    const now = this.now();
    const inserted = await this.store.run(
      `INSERT INTO inbound_webhook_deliveries (provider, partner, delivery_id, topic, status, claim_token, claimed_at)
       VALUES (?, ?, ?, ?, 'claimed', ?, ?) ON CONFLICT (provider, partner, delivery_id) DO NOTHING`,
      [key.provider, key.partner, key.deliveryId, topic, token, now],
    );
    if (inserted.changes === 1) return { state: 'claimed', token };
    const row = await this.read(key);
    if (!row) return this.claim(key, topic);
    if (row.status === 'done') return { state: 'done', intakeIds: row.intake_ids ? (JSON.parse(row.intake_ids) as string[]) : [] };
    const takeover = await this.store.run(
      `UPDATE inbound_webhook_deliveries SET claim_token = ?, claimed_at = ?
       WHERE provider = ? AND partner = ? AND delivery_id = ? AND status = 'claimed' AND claimed_at < ?`,
      [token, now, key.provider, key.partner, key.deliveryId, now - this.leaseMs],
    );
    return takeover.changes === 1 ? { state: 'claimed', token } : { state: 'busy' };
  }

  /** Waits (polling) until the delivery is done or `timeoutMs` passed. */
  async waitDone(key: DeliveryKey, timeoutMs: number, pollMs = 20): Promise<string[] | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = await this.read(key);
      if (row?.status === 'done') return row.intake_ids ? (JSON.parse(row.intake_ids) as string[]) : [];
      if (!row || Date.now() >= deadline) return null;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Marks the claimed delivery done with the intake ids its items got. */
  async complete(key: DeliveryKey, token: string, intakeIds: string[]): Promise<void> {
    await this.store.run(
      `UPDATE inbound_webhook_deliveries SET status = 'done', completed_at = ?, intake_ids = ?
       WHERE provider = ? AND partner = ? AND delivery_id = ? AND claim_token = ?`,
      [this.now(), JSON.stringify(intakeIds), key.provider, key.partner, key.deliveryId, token],
    );
  }

  /** Gives a claim up (queueing failed), so the provider's retry can process the delivery. */
  async release(key: DeliveryKey, token: string): Promise<void> {
    await this.store.run(
      `DELETE FROM inbound_webhook_deliveries WHERE provider = ? AND partner = ? AND delivery_id = ? AND claim_token = ? AND status = 'claimed'`,
      [key.provider, key.partner, key.deliveryId, token],
    );
  }

  /** Remembers which order a payment reference belongs to (first writer wins). */
  async rememberPaymentRef(provider: string, partner: string, ref: string, orderExternalId: string): Promise<void> {
    await this.store.run(
      `INSERT INTO inbound_payment_refs (provider, partner, ref, order_external_id, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (provider, partner, ref) DO NOTHING`,
      [provider, partner, ref, orderExternalId, this.now()],
    );
  }

  async orderForPaymentRef(provider: string, partner: string, ref: string): Promise<string | null> {
    const [row] = await this.store.query<{ order_external_id: string }>(
      'SELECT order_external_id FROM inbound_payment_refs WHERE provider = ? AND partner = ? AND ref = ?',
      [provider, partner, ref],
    );
    return row?.order_external_id ?? null;
  }

  /** Forgets delivery records and payment references older than `olderThanMs`. */
  async prune(olderThanMs: number): Promise<number> {
    const cutoff = this.now() - olderThanMs;
    const a = await this.store.run(`DELETE FROM inbound_webhook_deliveries WHERE status = 'done' AND claimed_at < ?`, [cutoff]);
    const b = await this.store.run('DELETE FROM inbound_payment_refs WHERE created_at < ?', [cutoff]);
    return a.changes + b.changes;
  }

  private async read(key: DeliveryKey): Promise<Row | undefined> {
    const [row] = await this.store.query<Row>(
      'SELECT status, claimed_at, intake_ids FROM inbound_webhook_deliveries WHERE provider = ? AND partner = ? AND delivery_id = ?',
      [key.provider, key.partner, key.deliveryId],
    );
    return row;
  }
}
