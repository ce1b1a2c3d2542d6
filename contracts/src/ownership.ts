/**
 * Data ownership: which system is the source of truth for each domain and field, and which fields
 * a partner may write. The gateway refuses (422 `field_not_writable`) a partner write that touches
 * a field owned by Odoo.
 */
export type Owner = 'odoo' | 'channel' | 'payment_provider' | '3pl';

export interface DomainOwnership {
  /** Who owns the domain as a whole. */
  owner: Owner;
  /** Fields a partner may set through the API, by JSON path under the resource. */
  partnerWritable: readonly string[];
  /** Fields only Odoo sets; a partner body that contains one is refused. */
  odooOwned: readonly string[];
}

export const ownership = {
  product: {
    owner: 'odoo',
    partnerWritable: [],
    odooOwned: ['sku', 'barcode', 'name', 'list_price', 'currency', 'active', 'attributes', 'safety_stock'],
  },
  availability: {
    owner: 'odoo',
    partnerWritable: [],
    odooOwned: ['on_hand', 'reserved', 'safety_stock', 'available', 'as_of'],
  },
  stock_count: {
    owner: '3pl',
    partnerWritable: ['external_id', 'warehouse', 'counted_at', 'lines'],
    odooOwned: ['on_hand', 'reserved', 'available', 'safety_stock'],
  },
  customer: {
    owner: 'odoo',
    partnerWritable: ['external_id', 'email', 'name', 'phone', 'address', 'consents'],
    odooOwned: ['id', 'customer_id', 'credit_limit', 'pricelist'],
  },
  order: {
    owner: 'channel',
    partnerWritable: [
      'external_id', 'channel', 'placed_at', 'currency', 'taxes_included', 'customer', 'billing_address',
      'shipping_address', 'lines', 'shipping', 'payment', 'warehouse', 'note',
    ],
    odooOwned: ['id', 'odoo', 'state', 'fulfilment', 'invoicing', 'amount_total', 'amount_untaxed', 'amount_tax', 'name', 'pricelist', 'company'],
  },
  return: {
    owner: 'channel',
    partnerWritable: ['external_id', 'order_external_id', 'lines', 'requested_at', 'note'],
    odooOwned: ['id', 'state', 'picking', 'received_at'],
  },
  shipment: {
    owner: '3pl',
    partnerWritable: ['external_id', 'order_external_id', 'carrier', 'tracking_number', 'lines', 'shipped_at'],
    odooOwned: ['id', 'name', 'state', 'backorder'],
  },
  payment: {
    owner: 'payment_provider',
    partnerWritable: ['external_id', 'kind', 'amount', 'currency', 'provider', 'transaction_id', 'at'],
    odooOwned: ['invoice', 'reconciled'],
  },
  invoice: { owner: 'odoo', partnerWritable: [], odooOwned: ['*'] },
} as const satisfies Record<string, DomainOwnership>;

export type Domain = keyof typeof ownership;

/** The Odoo-owned top-level fields present in a partner's body, for a 422 that names them. */
export function odooOwnedFieldsIn(domain: Domain, body: unknown): string[] {
  if (body === null || typeof body !== 'object') return [];
  const owned: readonly string[] = ownership[domain].odooOwned;
  return Object.keys(body).filter((k) => owned.includes(k));
}
