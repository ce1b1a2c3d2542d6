/**
 * Erasure of one customer's personal data from the gateway's store (right to erasure). The
 * customer is named by e-mail address (case-insensitive) or by the partner-side external id.
 *
 * What the gateway holds: order and return payloads in the intake queue, webhook bodies in the
 * delivery queue, and stored idempotent responses. In each, the customer block is replaced by an
 * erased marker, and the addresses and note of a document that belonged to the customer are
 * removed. Items still waiting for Odoo are left alone and listed (erasing them would turn a
 * valid order into a broken one); run the command again once they are processed.
 *
 * Odoo is the system of record: the command lists the Odoo records holding the customer (the addon's
 * `customer_records`: contacts and their orders) so an operator can erase them there with Odoo's own tools.
 */
import type { OdooClient } from '../odoo/client.js';
import { itemsContaining, rewriteItemPayload } from '../intake/queue.js';
import { responsesContaining, rewriteResponseBody } from '../intake/idempotency.js';
import { deliveriesContaining, rewriteDeliveryBody } from '../relay/deliveries.js';
import type { SqlExecutor } from '../store/store.js';

export const ERASED_EMAIL = 'erased@erased.invalid';

export interface ErasureReport {
  identifier: string;
  intakeItemsErased: string[];
  intakeItemsPending: string[];
  deliveriesErased: number;
  idempotencyRecordsErased: number;
  /** Odoo records that hold the customer's data, for the operator (null when Odoo was not asked). */
  odooRecords: { kind: 'customer' | 'order'; id: number; name: string }[] | null;
  odooError?: string;
}

type Json = unknown;

/** Whether a customer-like object is the one named. */
function matches(obj: Record<string, unknown>, ident: string): boolean {
  const email = typeof obj.email === 'string' ? obj.email.toLowerCase() : null;
  return email === ident.toLowerCase() || (typeof obj.external_id === 'string' && obj.external_id === ident && 'email' in obj);
}

function erasedCustomer(c: Record<string, unknown>): Record<string, unknown> {
  return { email: ERASED_EMAIL, name: 'erased', consents: [], ...(c.external_id !== undefined ? { external_id: 'erased' } : {}) };
}

/** Returns the redacted value and whether anything changed. */
export function redactCustomer(value: Json, ident: string): { value: Json; changed: boolean } {
  let changed = false;
  const walk = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const obj = v as Record<string, unknown>;
    const ownsDocument = obj.customer && typeof obj.customer === 'object' && matches(obj.customer as Record<string, unknown>, ident);
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(obj)) {
      if (ownsDocument && (k === 'customer')) {
        out[k] = erasedCustomer(child as Record<string, unknown>);
        changed = true;
      } else if (ownsDocument && (/address$/.test(k) || k === 'note')) {
        changed = true; // dropped
      } else if (child && typeof child === 'object' && !Array.isArray(child) && matches(child as Record<string, unknown>, ident)) {
        out[k] = erasedCustomer(child as Record<string, unknown>);
        changed = true;
      } else {
        out[k] = walk(child);
      }
    }
    return out;
  };
  const result = walk(value);
  return { value: result, changed };
}


export async function eraseCustomer(store: SqlExecutor, odoo: Pick<OdooClient, 'rpc'> | null, identifier: string): Promise<ErasureReport> {
  const ident = identifier.trim();
  if (!ident) throw new TypeError('an e-mail address or external id is required');
  const report: ErasureReport = { identifier: ident, intakeItemsErased: [], intakeItemsPending: [], deliveriesErased: 0, idempotencyRecordsErased: 0, odooRecords: null };

  const needle = ident.toLowerCase();
  const items = await itemsContaining(store, needle);
  for (const item of items) {
    const { value, changed } = redactCustomer(JSON.parse(item.payload), ident);
    if (!changed) continue;
    if (item.status === 'accepted' || item.status === 'processing') {
      report.intakeItemsPending.push(item.id);
      continue;
    }
    await rewriteItemPayload(store, item.id, JSON.stringify(value));
    report.intakeItemsErased.push(item.id);
  }

  const deliveries = await deliveriesContaining(store, needle);
  for (const d of deliveries) {
    const { value, changed } = redactCustomer(JSON.parse(d.body), ident);
    if (!changed) continue;
    await rewriteDeliveryBody(store, d.id, JSON.stringify(value));
    report.deliveriesErased++;
  }

  const responses = await responsesContaining(store, needle);
  for (const r of responses) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.response_body);
    } catch {
      continue;
    }
    const { value, changed } = redactCustomer(parsed, ident);
    if (!changed) continue;
    await rewriteResponseBody(store, r.partner, r.key, JSON.stringify(value));
    report.idempotencyRecordsErased++;
  }

  if (odoo) {
    try {
      const { records } = await odoo.rpc('customer_records', { identifier: ident });
      report.odooRecords = records;
    } catch (err) {
      report.odooError = (err as Error).message;
    }
  }
  return report;
}

/** The human summary the CLI prints. */
export function formatErasureReport(r: ErasureReport): string {
  const lines = [
    `Customer ${r.identifier}:`,
    `  gateway store: ${r.intakeItemsErased.length} intake item(s), ${r.deliveriesErased} webhook delivery(ies), ${r.idempotencyRecordsErased} stored response(s) erased.`,
  ];
  if (r.intakeItemsPending.length) {
    lines.push(`  still waiting for Odoo (not erased; run again once processed): ${r.intakeItemsPending.join(', ')}`);
  }
  if (r.odooRecords === null) {
    lines.push(r.odooError ? `  Odoo could not be asked: ${r.odooError}` : '  Odoo was not asked (no ODOO_URL configured).');
  } else if (r.odooRecords.length === 0) {
    lines.push('  Odoo: no record found for this customer.');
  } else {
    lines.push('  Odoo records holding this customer\'s data (erase or anonymise them in Odoo):');
    for (const rec of r.odooRecords) lines.push(`    ${rec.kind} ${rec.id}  ${rec.name}`);
  }
  return lines.join('\n');
}
