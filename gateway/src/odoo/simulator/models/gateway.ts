/**
 * The addon's own models, with its field names and access rules: the outbox, the partner registry
 * (partners, subscriptions, carrier mappings), the intake ledger that makes every intake write
 * idempotent on (partner, kind, external id), customer links and consents, delivery reports.
 *
 * Secrets are kept in columns the ORM's `read` never returns (the addon stores client secrets as
 * hashes outside the ORM and serves signing and inbound secrets only through `partners`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { registerCustomerUpdated } from '../outbox.js';
import type { Env, ModelDef, Row } from '../orm.js';
import { G } from './base.js';

const readByUsers = { [G.integrationUser]: 'r', [G.integrationManager]: 'rwcd', [G.gatewayService]: 'r' };

export const outboxEvent: ModelDef = {
  name: 'retail_gateway.outbox.event',
  description: 'Retail Gateway Outbox Event',
  order: 'id desc',
  fields: {
    name: { type: 'char', string: 'Event ID', required: true, readonly: true },
    event_type: { type: 'char', string: 'Event Type', required: true, readonly: true },
    aggregate_model: { type: 'char', string: 'Aggregate Model', required: true, readonly: true },
    aggregate_id: { type: 'integer', string: 'Aggregate ID', required: true, readonly: true },
    aggregate_external_id: { type: 'char', string: 'Aggregate External ID', readonly: true },
    subject: { type: 'char', string: 'Subject', compute: (row) => `${String(row.aggregate_model)}/${String(row.aggregate_id)}` },
    record_model: { type: 'char', string: 'Record Model', required: true, readonly: true },
    record_id: { type: 'integer', string: 'Record ID', required: true, readonly: true },
    sequence: { type: 'integer', string: 'Sequence', required: true, readonly: true },
    position: { type: 'integer', string: 'Position', compute: (row) => row.id },
    event_time: { type: 'char', string: 'Time', required: true, readonly: true },
    request_id: { type: 'char', string: 'Request ID', readonly: true },
    payload: { type: 'json', string: 'Payload', readonly: true },
    state: {
      type: 'selection',
      string: 'State',
      default: 'pending',
      selection: [
        ['pending', 'Pending'],
        ['leased', 'Leased'],
        ['dispatched', 'Dispatched'],
      ],
    },
    lease_until: { type: 'datetime', string: 'Lease Until', readonly: true },
    consumer: { type: 'char', string: 'Consumer', readonly: true },
    claim_count: { type: 'integer', string: 'Claim Count', readonly: true },
    dispatched_at: { type: 'datetime', string: 'Dispatched At', readonly: true },
    create_date: { type: 'datetime', string: 'Created on', readonly: true },
  },
  acl: { [G.integrationUser]: 'r', [G.integrationManager]: 'rw', [G.gatewayService]: 'r' },
  unique: [{ name: 'name_uniq', fields: ['name'], message: 'The event id must be unique.' }],
  displayName: (row) => String(row.name),
};

/** The abstract model that hosts the intake methods. */
export const gatewayApi: ModelDef = {
  name: 'retail_gateway.api',
  description: 'Retail Gateway Intake API',
  fields: {},
  acl: { [G.gatewayService]: 'r', [G.integrationManager]: 'r' },
};

export const gatewayPartner: ModelDef = {
  name: 'retail_gateway.partner',
  description: 'Retail Gateway Partner',
  order: 'code',
  fields: {
    code: { type: 'char', string: 'Code', required: true },
    name: { type: 'char', string: 'Name', required: true },
    active: { type: 'boolean', string: 'Active', default: true },
    client_id: { type: 'char', string: 'Client ID' },
    /** Space-separated, like the addon. */
    scopes: { type: 'char', string: 'Scopes', default: 'products:read inventory:read orders:read orders:write returns:read returns:write shipments:read' },
    tier: { type: 'selection', string: 'Rate-limit Tier', default: 'standard', selection: [['standard', 'Standard'], ['premium', 'Premium'], ['internal', 'Internal']] },
    mode: { type: 'selection', string: 'Mode', default: 'live', selection: [['live', 'Live'], ['shadow', 'Shadow']] },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', default: 1 },
    warehouse_ids: { type: 'many2many', string: 'Allowed Warehouses', relation: 'stock.warehouse', default: [] },
    pricelist_ids: { type: 'many2many', string: 'Pricelists', relation: 'product.pricelist', default: [] },
    issuer: { type: 'char', string: 'Issuer' },
    jwks_url: { type: 'char', string: 'JWKS URL' },
    carrier_map_ids: { type: 'one2many', string: 'Shipping Methods', relation: 'retail_gateway.carrier.map', inverse: 'partner_id' },
    subscription_ids: { type: 'one2many', string: 'Webhook Subscriptions', relation: 'retail_gateway.subscription', inverse: 'partner_id' },
    customer_link_ids: { type: 'one2many', string: 'Customers', relation: 'retail_gateway.customer.link', inverse: 'partner_id' },
    client_secrets: { type: 'json', string: 'Client Secret Hashes', default: [], secret: true },
    inbound_secrets: { type: 'json', string: 'Inbound Secrets', default: {}, secret: true },
    create_date: { type: 'datetime', string: 'Created on', readonly: true },
    write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
  },
  acl: readByUsers,
  unique: [
    { name: 'code_uniq', fields: ['code'], message: 'The partner code must be unique.' },
    { name: 'client_id_uniq', fields: ['client_id'], message: 'The client id must be unique.' },
  ],
  beforeCreate: (vals) => {
    if (!vals.client_id) vals.client_id = vals.code;
    return vals;
  },
};

export const gatewaySubscription: ModelDef = {
  name: 'retail_gateway.subscription',
  description: 'Retail Gateway Webhook Subscription',
  order: 'partner_id, id',
  fields: {
    partner_id: { type: 'many2one', string: 'Partner', relation: 'retail_gateway.partner', required: true, ondelete: 'cascade' },
    url: { type: 'char', string: 'URL', required: true },
    /** Space-separated event types, like the addon. */
    event_types: { type: 'char', string: 'Event Types', required: true },
    active: { type: 'boolean', string: 'Active', default: true },
    consecutive_failures: { type: 'integer', string: 'Consecutive Failures', default: 0 },
    disabled_at: { type: 'datetime', string: 'Disabled At' },
    secrets: { type: 'json', string: 'Signing Secrets', default: [], secret: true },
    create_date: { type: 'datetime', string: 'Created on', readonly: true },
    write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
  },
  acl: readByUsers,
  displayName: (row) => String(row.url),
};

export const carrierMap: ModelDef = {
  name: 'retail_gateway.carrier.map',
  description: 'Retail Gateway Shipping Method Mapping',
  fields: {
    partner_id: { type: 'many2one', string: 'Partner', relation: 'retail_gateway.partner', required: true, ondelete: 'cascade' },
    method: { type: 'char', string: 'Shipping Method', required: true },
    carrier_id: { type: 'many2one', string: 'Carrier', relation: 'delivery.carrier', required: true, ondelete: 'cascade' },
  },
  acl: { [G.integrationUser]: 'r', [G.integrationManager]: 'rwcd' },
  unique: [{ name: 'partner_method_uniq', fields: ['partner_id', 'method'], message: 'A shipping method is mapped once per partner.' }],
};

export const gatewayDelivery: ModelDef = {
  name: 'retail_gateway.delivery',
  description: 'Retail Gateway Delivery',
  fields: {
    event_id: { type: 'many2one', string: 'Event', relation: 'retail_gateway.outbox.event', required: true, ondelete: 'cascade' },
    partner_id: { type: 'many2one', string: 'Partner', relation: 'retail_gateway.partner', required: true, ondelete: 'cascade' },
    subscription_id: { type: 'many2one', string: 'Subscription', relation: 'retail_gateway.subscription' },
    subscription_ref: { type: 'integer', string: 'Subscription Ref' },
    status: { type: 'selection', string: 'Status', selection: [['delivered', 'Delivered'], ['failed', 'Failed'], ['dead', 'Dead letter']] },
    attempts: { type: 'integer', string: 'Attempts' },
    last_error: { type: 'text', string: 'Last Error' },
    at: { type: 'datetime', string: 'Reported At', required: true },
  },
  acl: { [G.integrationUser]: 'r', [G.gatewayService]: 'r' },
};

export const intake: ModelDef = {
  name: 'retail_gateway.intake',
  description: 'Retail Gateway Intake',
  order: 'id desc',
  fields: {
    partner_id: { type: 'many2one', string: 'Partner', relation: 'retail_gateway.partner', required: true, ondelete: 'restrict' },
    kind: {
      type: 'selection',
      string: 'Kind',
      required: true,
      selection: [
        ['order', 'Order'],
        ['return', 'Return'],
        ['shipment', 'Shipment'],
        ['stock_count', 'Stock count'],
        ['payment', 'Payment'],
      ],
    },
    external_id: { type: 'char', string: 'External ID', required: true },
    intake_id: { type: 'char', string: 'Gateway Intake ID' },
    request_id: { type: 'char', string: 'Request ID' },
    res_model: { type: 'char', string: 'Model' },
    res_id: { type: 'integer', string: 'Record ID' },
    res_name: { type: 'char', string: 'Record' },
    sale_order_id: { type: 'many2one', string: 'Sales Order', relation: 'sale.order' },
    amount: { type: 'float', string: 'Amount' },
    currency_code: { type: 'char', string: 'Currency' },
    note: { type: 'text', string: 'Note' },
  },
  acl: { [G.integrationUser]: 'r', [G.gatewayService]: 'r' },
  unique: [{ name: 'partner_kind_external_uniq', fields: ['partner_id', 'kind', 'external_id'], message: 'A partner submits each external id once per kind.' }],
  // No name field in the addon: Odoo's default display name.
  displayName: (row) => `retail_gateway.intake,${row.id}`,
};

export const customerLink: ModelDef = {
  name: 'retail_gateway.customer.link',
  description: 'Retail Gateway Customer Link',
  fields: {
    partner_id: { type: 'many2one', string: 'Partner', relation: 'retail_gateway.partner', required: true, ondelete: 'cascade' },
    customer_id: { type: 'many2one', string: 'Customer', relation: 'res.partner', required: true, ondelete: 'cascade' },
    external_id: { type: 'char', string: 'External ID' },
  },
  acl: { [G.integrationUser]: 'r', [G.integrationManager]: 'rwcd', [G.gatewayService]: 'r' },
  unique: [
    { name: 'partner_customer_uniq', fields: ['partner_id', 'customer_id'], message: 'A customer is linked once per partner.' },
    { name: 'partner_external_uniq', fields: ['partner_id', 'external_id'], message: 'An external customer id is unique per partner.' },
  ],
};

export const consent: ModelDef = {
  name: 'retail_gateway.consent',
  description: 'Marketing Consent',
  order: 'customer_id, channel',
  fields: {
    customer_id: { type: 'many2one', string: 'Customer', relation: 'res.partner', required: true, ondelete: 'cascade' },
    channel: { type: 'selection', string: 'Channel', required: true, selection: [['email', 'E-mail'], ['sms', 'SMS'], ['phone', 'Phone'], ['post', 'Post'], ['push', 'Push']] },
    status: { type: 'selection', string: 'Status', required: true, selection: [['opted_in', 'Opted in'], ['opted_out', 'Opted out']] },
    at: { type: 'datetime', string: 'When', required: true },
    source: { type: 'char', string: 'Source', required: true, default: 'odoo' },
  },
  acl: { [G.integrationUser]: 'r', [G.integrationManager]: 'rwcd', [G.gatewayService]: 'r' },
  unique: [{ name: 'customer_channel_uniq', fields: ['customer_id', 'channel'], message: 'One consent per customer and channel.' }],
  afterCreate: (rows, env) => registerCustomerUpdated(env, [...new Set(rows.map((r) => r.customer_id as number))], ['consents']),
  afterWrite: (rows, _vals, before, env) =>
    registerCustomerUpdated(env, [...new Set([...rows.map((r) => r.customer_id as number), ...[...before.values()].map((r) => r.customer_id as number)])], ['consents']),
};

// ---- secrets -----------------------------------------------------------------------------------

export interface StoredSecretHash {
  salt: string;
  hash: string;
  valid_until: string | null;
}

export function hashSecret(secret: string, salt = randomBytes(16).toString('hex')): StoredSecretHash {
  return { salt, hash: createHash('sha256').update(salt).update(secret).digest('hex'), valid_until: null };
}

export function secretMatches(stored: StoredSecretHash, secret: string): boolean {
  const candidate = Buffer.from(createHash('sha256').update(stored.salt).update(secret).digest('hex'));
  const expected = Buffer.from(stored.hash);
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}

export const stillValid = (validUntil: string | null | undefined, now: Date) => !validUntil || Date.parse(validUntil) > now.getTime();

export const newClientSecret = () => randomBytes(32).toString('base64url');
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export const splitWords = (v: unknown): string[] => (typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : []);

export function partnerByCode(env: Env, code: string, activeOnly = false): Row | undefined {
  return [...env.store.table('retail_gateway.partner').values()].find((p) => p.code === code && (!activeOnly || p.active !== false));
}
