/**
 * Records request/response pairs from a real Odoo into test/recordings/odoo<major>/*.json.
 *
 *   ODOO_URL=http://127.0.0.1:8069 ODOO_DB=rg18 ODOO_USER=admin ODOO_API_KEY=… npx tsx test/recordings/record.ts
 *
 * It speaks the wire format directly (fetch, no gateway code), so the recordings pin Odoo's
 * behaviour, not the client's. Model calls go over the wire format the gateway's client picks for
 * the server's version: JSON-RPC before 19, JSON-2 from 19 on (`POST /json/2/<model>/<method>`,
 * bearer API key, parameters by name); the portal user, who has a password and no API key, and the
 * generic calls (version probe, `common.*`, web login) stay on their own routes. It creates one sale order and nothing else that survives; the
 * failing writes roll back. The demo portal user (`portal`/`portal`) plays the user without rights.
 * Addon exchanges are recorded too when `retail_gateway` is installed in the database; before them
 * the recorder acknowledges every pending outbox event, so record against a copy of a database.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { at, envelope, fill, normaliseBody, requestHeaders, type Recording, type Vars } from './format.js';

type Step = Omit<Recording, 'response' | 'source'>;

let rpcId = 0;
const jsonrpc = (service: string, method: string, args: unknown[]) => ({
  method: 'POST' as const,
  path: '/jsonrpc',
  body: { jsonrpc: '2.0', method: 'call', id: ++rpcId, params: { service, method, args } },
});
const ek = (model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, as: { uid: string; key: string } = { uid: '$uid', key: '$key' }) =>
  jsonrpc('object', 'execute_kw', ['$db', as.uid, as.key, model, method, args, kwargs]);
const portal = { uid: '$portal_uid', key: '$portal_password' };

const PRODUCT_FIELDS = ['name', 'default_code', 'barcode', 'list_price', 'active', 'sale_ok', 'product_tmpl_id'];

export const steps: Step[] = [
  {
    name: 'version_info',
    description: 'The unauthenticated probe the client uses to pick its transport.',
    request: { method: 'POST', path: '/web/webclient/version_info', body: { jsonrpc: '2.0', method: 'call', params: {} } },
    compare: { mode: 'value' },
  },
  { name: 'common_version', description: 'common.version', request: jsonrpc('common', 'version', []), compare: { mode: 'value' } },
  {
    name: 'authenticate',
    description: 'common.authenticate with the API key: the uid.',
    request: jsonrpc('common', 'authenticate', ['$db', '$login', '$key', {}]),
    extract: { uid: 'result' },
    compare: { mode: 'shape' },
  },
  {
    name: 'authenticate_wrong_key',
    description: 'common.authenticate with a wrong key answers false, not an error.',
    request: jsonrpc('common', 'authenticate', ['$db', '$login', 'wrong-key', {}]),
    compare: { mode: 'value' },
  },
  {
    name: 'session_authenticate',
    description: 'The web session login the dashboard uses (a human user with a password).',
    request: { method: 'POST', path: '/web/session/authenticate', body: { jsonrpc: '2.0', method: 'call', id: 1, params: { db: '$db', login: '$portal_login', password: '$portal_password' } } },
    compare: { mode: 'subset', keys: ['uid', 'is_system', 'is_admin', 'is_internal_user', 'user_context', 'db', 'name', 'username', 'partner_id', 'server_version'] },
  },
  {
    name: 'session_authenticate_wrong_password',
    description: 'A wrong password on the web login is an AccessDenied error.',
    request: { method: 'POST', path: '/web/session/authenticate', body: { jsonrpc: '2.0', method: 'call', id: 2, params: { db: '$db', login: '$portal_login', password: 'wrong-password' } } },
    compare: { mode: 'value' },
  },
  {
    name: 'search_read_products',
    description: 'search_read of saleable variants with a SKU.',
    request: ek('product.product', 'search_read', [[['sale_ok', '=', true], ['default_code', '!=', false]]], { fields: PRODUCT_FIELDS, limit: 5, order: 'id' }),
    extract: { product_id: 'result.0.id', product_sku: 'result.0.default_code' },
    compare: { mode: 'shape' },
  },
  {
    name: 'read_product',
    description: 'read of one variant by id.',
    request: ek('product.product', 'read', [['$product_id']], { fields: PRODUCT_FIELDS }),
    compare: { mode: 'shape' },
  },
  {
    name: 'search_count_products',
    description: 'search_count with an ilike and an OR.',
    request: ek('product.product', 'search_count', [['|', ['name', 'ilike', 'desk'], ['default_code', 'ilike', 'FURN']]]),
    compare: { mode: 'shape' },
  },
  {
    name: 'search_partners',
    description: 'search of customer companies with a limit: a list of ids.',
    request: ek('res.partner', 'search', [[['is_company', '=', true], ['customer_rank', '>', 0]]], { limit: 3, order: 'id' }),
    extract: { partner_id: 'result.0' },
    compare: { mode: 'shape' },
  },
  {
    name: 'fields_get_product',
    description: 'fields_get of the variant fields the gateway reads.',
    request: ek('product.product', 'fields_get', [], { allfields: ['name', 'default_code', 'barcode', 'list_price', 'active', 'product_tmpl_id'], attributes: ['string', 'type', 'required', 'relation'] }),
    compare: { mode: 'value' },
  },
  {
    name: 'create_sale_order',
    description: 'create of a sale order with an order_line (0, 0, vals) command: its id.',
    request: ek('sale.order', 'create', [{ partner_id: '$partner_id', order_line: [[0, 0, { product_id: '$product_id', product_uom_qty: 2 }]] }]),
    extract: { order_id: 'result' },
    compare: { mode: 'shape' },
  },
  {
    name: 'create_with_keyword_values',
    description: 'Odoo 18 reads create\'s values positionally: passed by name they fail (IndexError).',
    request: ek('res.partner', 'create', [], { vals_list: { name: 'By keyword' } }),
    compare: { mode: 'value' },
  },
  {
    name: 'confirm_sale_order',
    description: 'action_confirm answers true.',
    request: ek('sale.order', 'action_confirm', [['$order_id']]),
    compare: { mode: 'value' },
  },
  {
    name: 'read_sale_order',
    description: 'read of the confirmed order: state sale, a delivery.',
    request: ek('sale.order', 'read', [['$order_id']], { fields: ['name', 'state', 'partner_id', 'amount_total', 'currency_id', 'order_line', 'picking_ids'] }),
    compare: { mode: 'shape', equal: ['result.0.state'] },
  },
  {
    name: 'unlink_confirmed_order',
    description: 'A confirmed order cannot be deleted: a UserError.',
    request: ek('sale.order', 'unlink', [['$order_id']]),
    compare: { mode: 'value' },
  },
  {
    name: 'read_missing_record',
    description: 'read skips ids that do not exist: an empty list, no error.',
    request: ek('res.partner', 'read', [[999999999]], { fields: ['name'] }),
    compare: { mode: 'value' },
  },
  {
    name: 'write_missing_record',
    description: 'write to an id that does not exist: MissingError.',
    request: ek('res.partner', 'write', [[999999999], { name: 'Nobody' }]),
    compare: { mode: 'value' },
  },
  {
    name: 'create_partner_without_name',
    description: 'A contact needs a name (a CHECK constraint): ValidationError.',
    request: ek('res.partner', 'create', [{ email: 'noname@example.com' }]),
    compare: { mode: 'value' },
  },
  {
    name: 'create_duplicate_login',
    description: 'A second user with the same login: a UniqueViolation wrapped in a ValidationError.',
    request: ek('res.users', 'create', [{ name: 'Duplicate', login: '$login' }]),
    compare: { mode: 'value' },
  },
  {
    name: 'execute_wrong_key',
    description: 'execute_kw with a wrong key: AccessDenied.',
    request: ek('res.partner', 'search', [[]], { limit: 1 }, { uid: '$uid', key: 'wrong-key' }),
    compare: { mode: 'value' },
  },
  {
    name: 'portal_authenticate',
    description: 'The portal user (no internal rights) authenticates.',
    request: jsonrpc('common', 'authenticate', ['$db', '$portal_login', '$portal_password', {}]),
    extract: { portal_uid: 'result' },
    compare: { mode: 'shape' },
  },
  {
    name: 'portal_read_quants',
    description: 'A portal user reading stock: AccessError.',
    request: ek('stock.quant', 'search_read', [[]], { fields: ['quantity'], limit: 1 }, portal),
    compare: { mode: 'value' },
  },
  {
    name: 'portal_create_partner',
    description: 'A portal user creating a contact: AccessError.',
    request: ek('res.partner', 'create', [{ name: 'Not allowed' }], {}, portal),
    compare: { mode: 'value' },
  },
  {
    name: 'wrong_model',
    description: 'A model that does not exist.',
    request: ek('no.such.model', 'search', [[]]),
    compare: { mode: 'value' },
  },
  {
    name: 'wrong_method',
    description: 'A method that does not exist.',
    request: ek('res.partner', 'no_such_method', [[]]),
    compare: { mode: 'value' },
  },
];

/** How JSON-2 names the positional parameters of the ORM methods the steps call (it has no positional ones). */
const POSITIONAL_NAMES: Record<string, string[]> = {
  read: ['ids'],
  write: ['ids', 'vals'],
  unlink: ['ids'],
  action_confirm: ['ids'],
  no_such_method: ['ids'],
  search: ['domain'],
  search_read: ['domain'],
  search_count: ['domain'],
  create: ['vals_list'],
};

/** Steps about JSON-RPC itself, with no JSON-2 form (JSON-2 has no positional arguments). */
const JSONRPC_ONLY = new Set(['create_with_keyword_values']);

/**
 * The JSON-2 form of a step: an `execute_kw` with an API key (the recording user's, or a wrong
 * one) becomes `POST /json/2/<model>/<method>` with its parameters by name; `create` takes a list
 * and answers a list of ids, so its extracted id is the first. Other steps are kept as they are.
 */
export function json2Step(step: Step): Step {
  const body = step.request.body as { params?: { service?: string; method?: string; args?: unknown[] } };
  const args = body.params?.args;
  if (body.params?.service !== 'object' || body.params.method !== 'execute_kw' || !args) return step;
  const [, , key, model, method, positional = [], kwargs = {}] = args as [unknown, unknown, string, string, string, unknown[]?, Record<string, unknown>?];
  if (key !== '$key' && key !== 'wrong-key') return step;
  const named: Record<string, unknown> = {};
  (POSITIONAL_NAMES[method] ?? []).forEach((name, i) => {
    if (i < positional.length) named[name] = name === 'vals_list' && !Array.isArray(positional[i]) ? [positional[i]] : positional[i];
  });
  const extract = step.extract && method === 'create' ? Object.fromEntries(Object.entries(step.extract).map(([k, path]) => [k, path === 'result' ? 'result.0' : path])) : step.extract;
  return { ...step, request: { method: 'POST', path: `/json/2/${model}/${method}`, bearer: key, body: { ...named, ...kwargs } }, ...(extract ? { extract } : {}) };
}

/** A shipping method the demo data has as a carrier: the order plans it, a 3PL may ship otherwise. */
const PLANNED_SHIPPING = { method: 'Standard delivery', price: '0.00' };

const recordingOrder = (externalId: string, sku: string, shipping?: typeof PLANNED_SHIPPING) => ({
  external_id: externalId,
  channel: 'web',
  placed_at: '2026-01-05T10:00:00Z',
  currency: 'USD',
  taxes_included: false,
  customer: { email: 'recordings@example.com', name: 'Recording Customer', consents: [] },
  billing_address: { name: 'Recording Customer', street: '1 Main Street', city: 'Austin', country_code: 'US' },
  shipping_address: { name: 'Recording Customer', street: '1 Main Street', city: 'Austin', country_code: 'US' },
  lines: [{ sku, quantity: 2, unit_price: '10.00' }],
  payment: { method: 'card', status: 'paid' },
  ...(shipping ? { shipping } : {}),
});

const api = (method: string, kwargs: Record<string, unknown>, as?: { uid: string; key: string }) => ek('retail_gateway.api', method, [], kwargs, as);
const outbox = (method: string, kwargs: Record<string, unknown>) => ek('retail_gateway.outbox.event', method, [], kwargs);
const registry = (method: string, kwargs: Record<string, unknown>) => ek('retail_gateway.partner', method, [], kwargs);
const subscriptions = (method: string, kwargs: Record<string, unknown>) => ek('retail_gateway.subscription', method, [], kwargs);
const one = (intakeId: string, item: unknown) => [{ intake_id: intakeId, item }];
const status = (path = 'result.results.0') => [`${path}.status`, `${path}.reasons`];

/**
 * The addon's RPC contract (contracts/src/odoo-rpc.ts), recorded when `retail_gateway` is installed:
 * every method, its happy path and its refusals (another partner's order, an unknown SKU or a
 * barcode given as SKU, invalid arguments). The recordings' product, gateway partners and orders
 * are made here, so nothing depends on the database's history but the events `claim` leases.
 */
export const addonSteps: Step[] = [
  {
    name: 'addon_create_gateway_partner',
    description: 'A gateway partner created through the ORM (as an Integration Manager would).',
    request: ek('retail_gateway.partner', 'create', [{ code: '$gw_code', name: 'Recordings', scopes: 'products:read inventory:read inventory:write orders:read orders:write returns:write shipments:write' }]),
    compare: { mode: 'shape' },
  },
  {
    name: 'addon_create_other_partner',
    description: 'A second gateway partner, to show that one partner never sees the other\'s orders.',
    request: ek('retail_gateway.partner', 'create', [{ code: '$gw_code_2', name: 'Recordings (other)', scopes: 'orders:read' }]),
    compare: { mode: 'shape' },
  },
  {
    name: 'addon_whoami',
    description: 'whoami of the recording user (an Integration Manager).',
    request: api('whoami', {}),
    compare: { mode: 'shape', equal: ['result.integration_manager'] },
  },
  {
    name: 'addon_whoami_portal',
    description: 'whoami is for internal users: a portal user gets an AccessError.',
    request: api('whoami', {}, portal),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_create_subscription',
    description: 'create_subscription; its signing secret (stored redacted) is returned once.',
    request: subscriptions('create_subscription', { partner: '$gw_code', url: 'https://recordings.example.com/hooks', event_types: ['product.updated', 'order.created', 'shipment.shipped'] }),
    extract: { subscription_id: 'result.subscription.id' },
    compare: { mode: 'shape', equal: ['result.subscription.event_types', 'result.subscription.active'] },
  },
  {
    name: 'addon_update_subscription',
    description: 'update_subscription of one of the partner\'s subscriptions.',
    request: subscriptions('update_subscription', { partner: '$gw_code', id: '$subscription_id', event_types: ['product.updated', 'order.created', 'shipment.shipped', 'inventory.changed'] }),
    compare: { mode: 'shape', equal: ['result.subscription.event_types'] },
  },
  {
    name: 'addon_update_subscription_other_partner',
    description: 'update_subscription of another partner\'s subscription: null, nothing changed.',
    request: subscriptions('update_subscription', { partner: '$gw_code_2', id: '$subscription_id', active: false }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_rotate_subscription_secret',
    description: 'rotate_subscription_secret: a new secret (redacted here), the previous one\'s deadline.',
    request: subscriptions('rotate_subscription_secret', { partner: '$gw_code', id: '$subscription_id', grace_seconds: 3600 }),
    compare: { mode: 'shape' },
  },
  {
    name: 'addon_create_product',
    description: 'A storable product with an internal reference (its SKU) and a barcode, without taxes (totals do not depend on the database\'s default tax).',
    request: ek('product.product', 'create', [{ name: 'Recording Lamp', default_code: '$rec_sku', barcode: '$rec_barcode', type: 'consu', is_storable: true, list_price: 12.5, invoice_policy: 'order', taxes_id: [[6, 0, []]] }]),
    extract: { rec_product_id: 'result' },
    compare: { mode: 'shape' },
  },
  {
    name: 'addon_apply_stock_counts',
    description: 'apply_stock_counts puts 10 on hand in WH.',
    request: api('apply_stock_counts', { partner: '$gw_code', items: one('rec-count-1', { external_id: '$count_ext', warehouse: 'WH', counted_at: '2026-01-05T09:00:00Z', lines: [{ sku: '$rec_sku', quantity: 10 }] }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_apply_stock_counts_barcode',
    description: 'A barcode is not a SKU: the count is rejected as unknown_sku.',
    request: api('apply_stock_counts', { partner: '$gw_code', items: one('rec-count-2', { external_id: '$count_ext_2', warehouse: 'WH', counted_at: '2026-01-05T09:00:00Z', lines: [{ sku: '$rec_barcode', quantity: 3 }] }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_catalog_page_skus',
    description: 'catalog_page of one SKU: the variant as the contract defines it, the price in the currency\'s precision.',
    request: api('catalog_page', { skus: ['$rec_sku'] }),
    compare: { mode: 'shape', equal: ['result.items.0.variant.list_price', 'result.items.0.variant.currency', 'result.items.0.variant.name', 'result.items.0.variant.attributes', 'result.items.0.variant.active', 'result.next_cursor'] },
  },
  {
    name: 'addon_catalog_page_first',
    description: 'The first catalog page of two variants: a next cursor.',
    request: api('catalog_page', { after: 0, limit: 2 }),
    extract: { catalog_cursor: 'result.next_cursor' },
    compare: { mode: 'shape' },
  },
  {
    name: 'addon_catalog_page_next',
    description: 'The next page, after the cursor, changed since a date.',
    request: api('catalog_page', { after: '$catalog_cursor', limit: 2, updated_since: '2020-01-01T00:00:00Z' }),
    compare: { mode: 'shape' },
  },
  {
    name: 'addon_catalog_page_invalid_limit',
    description: 'catalog_page with a limit out of range: ValidationError.',
    request: api('catalog_page', { limit: 0 }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_catalog_page_invalid_since',
    description: 'catalog_page with updated_since that is not a timestamp: ValidationError.',
    request: api('catalog_page', { updated_since: 'yesterday' }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_availability',
    description: 'Availability of one SKU in one warehouse.',
    request: api('availability', { skus: ['$rec_sku'], warehouses: ['WH'] }),
    compare: { mode: 'shape', equal: ['result.items.0.on_hand', 'result.items.0.reserved', 'result.items.0.available', 'result.has_more'] },
  },
  {
    name: 'addon_submit_order',
    description: 'submit_orders creates and confirms an order.',
    request: api('submit_orders', { partner: '$gw_code', orders: one('rec-1', recordingOrder('$order_ext', '$rec_sku', PLANNED_SHIPPING)) }),
    compare: { mode: 'shape', equal: ['result.results.0.status', 'result.results.0.intake_id', 'result.results.0.reasons'] },
  },
  {
    name: 'addon_submit_order_duplicate',
    description: 'The same partner and external id again: duplicate, with the first record.',
    request: api('submit_orders', { partner: '$gw_code', orders: one('rec-2', recordingOrder('$order_ext', '$rec_sku', PLANNED_SHIPPING)) }),
    compare: { mode: 'shape', equal: ['result.results.0.status', 'result.results.0.intake_id'] },
  },
  {
    name: 'addon_submit_order_rejected',
    description: 'An unknown SKU: rejected with a machine-readable reason.',
    request: api('submit_orders', { partner: '$gw_code', orders: one('rec-3', recordingOrder('$order_ext_2', 'NO-SUCH-SKU-1')) }),
    compare: { mode: 'shape', equal: ['result.results.0.status', 'result.results.0.record', 'result.results.0.reasons'] },
  },
  {
    name: 'addon_submit_order_barcode',
    description: 'A barcode given as SKU: rejected as unknown_sku (a variant\'s SKU is its internal reference).',
    request: api('submit_orders', { partner: '$gw_code', orders: one('rec-4', recordingOrder('$order_ext_2', '$rec_barcode')) }),
    compare: { mode: 'shape', equal: ['result.results.0.status', 'result.results.0.record', 'result.results.0.reasons'] },
  },
  {
    name: 'addon_submit_order_to_cancel',
    description: 'A second order, cancelled below.',
    request: api('submit_orders', { partner: '$gw_code', orders: one('rec-5', recordingOrder('$order_ext_3', '$rec_sku')) }),
    compare: { mode: 'shape', equal: ['result.results.0.status', 'result.results.0.reasons'] },
  },
  {
    name: 'addon_submit_orders_empty_batch',
    description: 'An empty batch is refused as a whole: ValidationError.',
    request: api('submit_orders', { partner: '$gw_code', orders: [] }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_unknown_partner',
    description: 'A batch for a partner that does not exist fails as a whole (UserError).',
    request: api('submit_orders', { partner: 'nobody-here', orders: one('rec-6', recordingOrder('NOBODY-1', '$rec_sku')) }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_order_status',
    description: 'order_status of the partner\'s order and of an unknown one (absent).',
    request: api('order_status', { partner: '$gw_code', external_ids: ['$order_ext', 'NO-SUCH-ORDER'] }),
    compare: { mode: 'shape', equal: ['result.orders.0.state', 'result.orders.0.fulfilment', 'result.orders.0.invoicing', 'result.orders.0.amount_total', 'result.orders.0.currency', 'result.orders.1'] },
  },
  {
    name: 'addon_order_status_other_partner',
    description: 'Another partner asking for the order: absent, as if it did not exist.',
    request: api('order_status', { partner: '$gw_code_2', external_ids: ['$order_ext'] }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_order_status_invalid',
    description: 'order_status without external ids: ValidationError.',
    request: api('order_status', { partner: '$gw_code', external_ids: [] }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_order_status_unknown_partner',
    description: 'order_status for a partner that does not exist: UserError.',
    request: api('order_status', { partner: 'nobody-here', external_ids: ['$order_ext'] }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_order_shipments_ready',
    description: 'order_shipments before shipping: one delivery, ready, with the carrier the order plans.',
    request: api('order_shipments', { partner: '$gw_code', external_id: '$order_ext' }),
    compare: { mode: 'shape', equal: ['result.found', 'result.shipments.0.state', 'result.shipments.0.carrier', 'result.shipments.0.lines', 'result.shipments.0.shipped_at'] },
  },
  {
    name: 'addon_confirm_shipments',
    description: 'confirm_shipments of 1 of 2 by a carrier Odoo does not know, at a time with an offset: confirmed, with a backorder.',
    request: api('confirm_shipments', { partner: '$gw_code', items: one('rec-ship-1', { external_id: '$ship_ext', order_external_id: '$order_ext', carrier: 'bpost', tracking_number: 'REC-TRACK-1', lines: [{ sku: '$rec_sku', quantity: 1 }], shipped_at: '2026-01-06T16:00:00+01:00' }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_confirm_shipments_unknown_sku',
    description: 'A shipment line naming an unknown SKU: rejected.',
    request: api('confirm_shipments', { partner: '$gw_code', items: one('rec-ship-2', { external_id: '$ship_ext_2', order_external_id: '$order_ext', carrier: 'Recording Express', tracking_number: 'REC-TRACK-2', lines: [{ sku: 'NO-SUCH-SKU-1', quantity: 1 }], shipped_at: '2026-01-06T15:00:00Z' }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_order_shipments_shipped',
    description: "order_shipments after a partial shipment: shipped (the 3PL's carrier and time, tracking, quantities) and the backorder (the planned carrier).",
    request: api('order_shipments', { partner: '$gw_code', external_id: '$order_ext' }),
    compare: { mode: 'shape', equal: ['result.found', 'result.shipments.0.state', 'result.shipments.0.carrier', 'result.shipments.0.tracking_number', 'result.shipments.0.lines', 'result.shipments.0.shipped_at', 'result.shipments.1.state', 'result.shipments.1.carrier', 'result.shipments.1.lines'] },
  },
  {
    name: 'addon_order_shipments_other_partner',
    description: 'Another partner asking for the order\'s shipments: found false.',
    request: api('order_shipments', { partner: '$gw_code_2', external_id: '$order_ext' }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_update_orders',
    description: 'update_orders of the note: updated.',
    request: api('update_orders', { partner: '$gw_code', items: one('rec-upd-1', { external_id: '$order_ext', note: 'Leave at the door' }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_update_orders_other_partner',
    description: 'update_orders of another partner\'s order: rejected as order_not_found.',
    request: api('update_orders', { partner: '$gw_code_2', items: one('rec-upd-2', { external_id: '$order_ext', note: 'Not mine' }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_register_payments',
    description: 'register_payments of a payment: registered.',
    request: api('register_payments', { partner: '$gw_code', items: one('rec-pay-1', { external_id: '$order_ext', kind: 'paid', amount: '20.00', currency: 'USD', provider: 'stripe', transaction_id: '$payment_ext', at: '2026-01-05T10:01:00Z' }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_submit_returns',
    description: 'submit_returns of the shipped unit: created.',
    request: api('submit_returns', { partner: '$gw_code', returns: one('rec-ret-1', { external_id: '$return_ext', order_external_id: '$order_ext', lines: [{ sku: '$rec_sku', quantity: 1 }], requested_at: '2026-01-07T10:00:00Z' }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_submit_returns_too_many',
    description: 'Returning more than was shipped: rejected as invalid_quantity.',
    request: api('submit_returns', { partner: '$gw_code', returns: one('rec-ret-2', { external_id: '$return_ext_2', order_external_id: '$order_ext', lines: [{ sku: '$rec_sku', quantity: 5 }], requested_at: '2026-01-07T10:00:00Z' }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_cancel_orders',
    description: 'cancel_orders of the second order: cancelled.',
    request: api('cancel_orders', { partner: '$gw_code', refs: one('rec-cancel-1', { external_id: '$order_ext_3', reason: 'customer request' }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_cancel_orders_shipped',
    description: 'cancel_orders of the shipped order: rejected as order_not_cancellable.',
    request: api('cancel_orders', { partner: '$gw_code', refs: one('rec-cancel-2', { external_id: '$order_ext' }) }),
    compare: { mode: 'shape', equal: status() },
  },
  {
    name: 'addon_customer_records',
    description: 'customer_records by e-mail: the customer and its orders.',
    request: api('customer_records', { identifier: 'recordings@example.com' }),
    compare: { mode: 'shape', equal: ['result.records.0.kind'] },
  },
  {
    name: 'addon_customer_records_invalid',
    description: 'customer_records without an identifier: ValidationError.',
    request: api('customer_records', { identifier: ' ' }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_authenticate_client_wrong_secret',
    description: 'authenticate_client with a wrong secret answers ok: false.',
    request: registry('authenticate_client', { client_id: '$gw_code', client_secret: 'wrong-secret' }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_rotate_client_secret',
    description: 'rotate_client_secret: a client id and secret (redacted here), shown once.',
    request: registry('rotate_client_secret', { partner: '$gw_code', grace_seconds: 0 }),
    compare: { mode: 'shape' },
  },
  {
    name: 'addon_create_partner',
    description: 'create_partner (the `partner create` command, here with `--oversell reject`): a partner and its first client secret (redacted here), shown once.',
    request: registry('create_partner', { code: '$gw_code_3', scopes: ['products:read', 'orders:write'], name: 'Recordings (CLI)', oversell_policy: 'reject' }),
    compare: { mode: 'shape', equal: ['result.partner.code', 'result.partner.scopes', 'result.partner.tier', 'result.partner.mode', 'result.partner.active', 'result.partner.oversell_policy'] },
  },
  {
    name: 'addon_create_partner_taken',
    description: 'create_partner with a code already registered: UserError, nothing overwritten.',
    request: registry('create_partner', { code: '$gw_code', scopes: ['products:read'] }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_rotate_inbound_secret',
    description: 'rotate_inbound_secret for a provider with no previous secret.',
    request: registry('rotate_inbound_secret', { partner: '$gw_code', provider: 'shopify', secret: 'recording-inbound-placeholder', grace_seconds: 60 }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_partners',
    description: 'The registry as the gateway caches it.',
    request: registry('partners', { codes: ['$gw_code'] }),
    compare: { mode: 'shape', equal: ['result.partners.0.scopes', 'result.partners.0.tier', 'result.partners.0.mode'] },
  },
  {
    name: 'addon_changes_since',
    description: 'The first order.created event, without claiming it.',
    request: outbox('changes_since', { cursor: 0, limit: 1, types: ['order.created'] }),
    compare: { mode: 'subset', keys: ['cursor', 'has_more'], equal: ['result.events.0.envelope.type', 'result.events.0.envelope.specversion', 'result.events.0.envelope.datacontenttype'] },
  },
  {
    name: 'addon_claim',
    description: 'claim leases the oldest pending event, with the partners it is for.',
    request: outbox('claim', { limit: 1, lease_seconds: 60, consumer: 'recordings' }),
    extract: { claimed_event: 'result.events.0.event_id' },
    compare: { mode: 'subset', keys: ['lease_until', 'events'], equal: ['result.events.0.envelope.specversion'] },
  },
  {
    name: 'addon_ack',
    description: 'ack of the claimed event: acked.',
    request: outbox('ack', { event_ids: ['$claimed_event'], consumer: 'recordings' }),
    compare: { mode: 'shape' },
  },
  {
    name: 'addon_ack_not_leased',
    description: 'ack of an event this consumer never leased.',
    request: outbox('ack', { event_ids: ['not-an-event'], consumer: 'recordings' }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_report_deliveries',
    description: 'report_deliveries of the acknowledged event.',
    request: outbox('report_deliveries', {
      results: [{ event_id: '$claimed_event', partner: '$gw_code', subscription_id: '$subscription_id', status: 'delivered', attempts: 1, last_error: null, at: '2026-01-05T10:00:00Z' }],
    }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_report_unknown_event',
    description: 'report_deliveries names the events it does not know.',
    request: outbox('report_deliveries', {
      results: [{ event_id: 'not-an-event', partner: '$gw_code', subscription_id: null, status: 'delivered', attempts: 1, last_error: null, at: '2026-01-05T10:00:00Z' }],
    }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_claim_invalid',
    description: 'claim with a lease out of range: ValidationError.',
    request: outbox('claim', { limit: 1, lease_seconds: 1, consumer: 'recordings' }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_delete_subscription_other_partner',
    description: 'delete_subscription of another partner\'s subscription: not deleted.',
    request: subscriptions('delete_subscription', { partner: '$gw_code_2', id: '$subscription_id' }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_delete_subscription',
    description: 'delete_subscription of the partner\'s own subscription.',
    request: subscriptions('delete_subscription', { partner: '$gw_code', id: '$subscription_id' }),
    compare: { mode: 'value' },
  },
];

/** Fixed stand-ins, when replaying, for the values the recorder makes unique (longest names first when recording). */
export const replayVars = {
  gw_code: 'recordings',
  gw_code_2: 'recordings-other',
  gw_code_3: 'recordings-cli',
  order_ext: 'REC-1',
  order_ext_2: 'REC-2',
  order_ext_3: 'REC-3',
  rec_sku: 'REC-LAMP',
  rec_barcode: '2000000000017',
  count_ext: 'REC-COUNT-1',
  count_ext_2: 'REC-COUNT-2',
  ship_ext: 'REC-SHIP-1',
  ship_ext_2: 'REC-SHIP-2',
  return_ext: 'REC-RET-1',
  return_ext_2: 'REC-RET-2',
  payment_ext: 'REC-PAY-1',
};

const SECRET_KEYS = new Set(['secret', 'client_secret']);

/** Secrets in answers (signing, inbound and client secrets) are stored as placeholders of the same type. */
function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEYS.has(k) && typeof v === 'string' ? (v.startsWith('whsec_') ? 'whsec_<redacted>' : '<redacted>') : redactSecrets(v),
      ]),
    );
  }
  return value;
}

async function send(url: string, step: Step, vars: Vars): Promise<{ status: number; body: unknown }> {
  const body = fill(step.request.body, vars);
  const res = await fetch(url.replace(/\/+$/, '') + step.request.path, {
    method: step.request.method,
    headers: requestHeaders(step.request, vars),
    body: step.request.method === 'POST' ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/**
 * Before the addon's exchanges: leases and acknowledges every pending event (in batches), so that
 * `claim` later leases an event the recordings made (one with recipients), not whatever the
 * database held. Run it against a copy of a database, never against one a relay serves.
 */
async function drainOutbox(url: string, vars: Vars): Promise<void> {
  const request = (method: string, kwargs: Record<string, unknown>) => ({ name: 'drain', description: '', compare: { mode: 'value' as const }, request: ek('retail_gateway.outbox.event', method, [], kwargs) });
  for (;;) {
    const claimed = await send(url, request('claim', { limit: 1000, lease_seconds: 60, consumer: 'recordings-drain' }), vars);
    const ids = ((at(claimed.body, 'result.events') ?? []) as { event_id: string }[]).map((e) => e.event_id);
    if (!ids.length) return;
    await send(url, request('ack', { event_ids: ids, consumer: 'recordings-drain' }), vars);
  }
}

async function uidOf(url: string, vars: Vars): Promise<unknown> {
  const res = await send(url, { name: 'uid', description: '', compare: { mode: 'value' }, request: jsonrpc('common', 'authenticate', ['$db', '$login', '$key', {}]) }, vars);
  return at(res.body, 'result');
}

async function main() {
  const env = process.env;
  const url = env.ODOO_URL;
  const key = env.ODOO_API_KEY ?? env.ODOO_PASSWORD;
  if (!url || !env.ODOO_DB || !env.ODOO_USER || !key) {
    console.error('set ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY (or ODOO_PASSWORD)');
    process.exit(2);
  }
  const probe = await send(url, steps[0]!, {});
  const major = Number(at(probe.body, 'result.server_version_info.0'));
  if (!Number.isInteger(major)) throw new Error(`no version from ${url}: ${JSON.stringify(probe.body).slice(0, 300)}`);
  // The wire format the gateway's client picks for this version (gateway/src/odoo/client.ts).
  const json2 = major >= 19;
  const outDir = join(dirname(fileURLToPath(import.meta.url)), `odoo${major}`);
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (f.endsWith('.json')) rmSync(join(outDir, f));

  const vars: Vars = {
    db: env.ODOO_DB,
    login: env.ODOO_USER,
    key,
    portal_login: env.ODOO_PORTAL_LOGIN ?? 'portal',
    portal_password: env.ODOO_PORTAL_PASSWORD ?? 'portal',
  };
  const unique = Math.random().toString(36).slice(2, 8);
  const runValues: Record<string, string> = Object.fromEntries(
    Object.keys(replayVars).map((name) => [name, `${name.startsWith('gw_') ? 'rec' : 'REC'}-${unique}-${name.replaceAll('_', '-')}`.toLowerCase()]),
  );
  runValues.rec_barcode = `29${String(Date.now()).slice(-10)}`;
  for (const name of Object.keys(runValues)) if (!name.startsWith('gw_')) runValues[name] = runValues[name]!.toUpperCase();
  Object.assign(vars, runValues);
  const addon = await send(url, { name: 'probe', description: '', compare: { mode: 'value' }, request: ek('ir.module.module', 'search_count', [[['name', '=', 'retail_gateway'], ['state', '=', 'installed']]]) }, { ...vars, uid: await uidOf(url, vars) });
  const withAddon = at(addon.body, 'result') === 1;
  console.log(withAddon ? 'retail_gateway is installed: recording its RPC methods too' : 'retail_gateway is not installed: skipping its RPC methods');
  let serverVersion = 'unknown';
  let n = 0;
  for (const plain of withAddon ? [...steps, ...addonSteps] : steps) {
    if (json2 && JSONRPC_ONLY.has(plain.name)) continue;
    if (plain === addonSteps[0]) await drainOutbox(url, vars);
    const step = json2 ? json2Step(plain) : plain;
    const res = await send(url, step, vars);
    if (step.name === 'version_info') serverVersion = String(at(res.body, 'result.server_version'));
    for (const [name, path] of Object.entries(step.extract ?? {})) {
      const v = at(envelope(step.request, res.status, res.body), path);
      if (v === undefined) throw new Error(`${step.name}: nothing at ${path} in ${JSON.stringify(res.body).slice(0, 300)}`);
      vars[name] = v;
    }
    const recording: Recording = {
      name: step.name,
      description: step.description,
      source: { server_version: serverVersion, transport: step.request.bearer !== undefined ? 'json2' : step.request.path === '/jsonrpc' ? 'jsonrpc' : 'http' },
      request: step.request,
      ...(step.extract ? { extract: step.extract } : {}),
      compare: step.compare,
      response: { status: res.status, body: normaliseBody(redactSecrets(res.body)) },
    };
    let text = JSON.stringify(recording, null, 2).replaceAll(key, '$key');
    // The unique values of this run become the placeholders the replay fills with fixed ones
    // (longest first, so that no value is replaced inside a longer one).
    for (const name of Object.keys(runValues).sort((a, b) => runValues[b]!.length - runValues[a]!.length)) {
      text = text.replaceAll(runValues[name]!, `$${name}`);
    }
    const file = join(outDir, `${String(++n).padStart(2, '0')}-${step.name}.json`);
    writeFileSync(file, text + '\n');
    const error = at(envelope(step.request, res.status, res.body), 'error.data.name');
    console.log(`${file.split('/').slice(-2).join('/')}: HTTP ${res.status}${error ? ` ${String(error)}` : ''}`);
  }
  if (withAddon) {
    // The recordings' gateway partner is archived afterwards, so it never shows up as a live partner.
    const found = await send(url, { name: 'cleanup', description: '', compare: { mode: 'value' }, request: ek('retail_gateway.partner', 'search', [[['code', 'in', ['$gw_code', '$gw_code_2', '$gw_code_3']]]]) }, vars);
    const ids = at(found.body, 'result');
    if (Array.isArray(ids) && ids.length) {
      await send(url, { name: 'cleanup', description: '', compare: { mode: 'value' }, request: ek('retail_gateway.partner', 'write', [ids, { active: false }]) }, vars);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
