/**
 * Records request/response pairs from a real Odoo 18 into test/recordings/odoo18/*.json.
 *
 *   ODOO_URL=http://127.0.0.1:8069 ODOO_DB=rg18 ODOO_USER=admin ODOO_API_KEY=… npx tsx test/recordings/record.ts
 *
 * It speaks the wire format directly (fetch, no gateway code), so the recordings pin Odoo's
 * behaviour, not the client's. It creates one sale order and nothing else that survives; the
 * failing writes roll back. The demo portal user (`portal`/`portal`) plays the user without rights.
 * Addon exchanges are recorded too when `retail_gateway` is installed in the database.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { at, fill, normaliseBody, type Recording, type Vars } from './format.js';

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

const recordingOrder = (externalId: string, sku: string) => ({
  external_id: externalId,
  channel: 'web',
  placed_at: '2026-01-05T10:00:00Z',
  currency: 'USD',
  taxes_included: false,
  customer: { email: 'recordings@example.com', name: 'Recording Customer', consents: [] },
  billing_address: { name: 'Recording Customer', street: '1 Main Street', city: 'Austin', country_code: 'US' },
  shipping_address: { name: 'Recording Customer', street: '1 Main Street', city: 'Austin', country_code: 'US' },
  lines: [{ sku, quantity: 1, unit_price: '10.00' }],
  payment: { method: 'card', status: 'paid' },
});

/** The addon's RPC contract (contracts/src/odoo-rpc.ts), recorded when `retail_gateway` is installed. */
export const addonSteps: Step[] = [
  {
    name: 'addon_create_gateway_partner',
    description: 'A gateway partner created through the ORM (as an Integration Manager would).',
    request: ek('retail_gateway.partner', 'create', [{ code: '$gw_code', name: 'Recordings', scopes: 'products:read inventory:read orders:read orders:write' }]),
    compare: { mode: 'shape' },
  },
  {
    name: 'addon_submit_order',
    description: 'submit_orders creates and confirms an order.',
    request: ek('retail_gateway.api', 'submit_orders', [], { partner: '$gw_code', orders: [{ intake_id: 'rec-1', item: recordingOrder('$order_ext', '$product_sku') }] }),
    compare: { mode: 'shape', equal: ['result.results.0.status', 'result.results.0.intake_id', 'result.results.0.reasons'] },
  },
  {
    name: 'addon_submit_order_duplicate',
    description: 'The same partner and external id again: duplicate, with the first record.',
    request: ek('retail_gateway.api', 'submit_orders', [], { partner: '$gw_code', orders: [{ intake_id: 'rec-2', item: recordingOrder('$order_ext', '$product_sku') }] }),
    compare: { mode: 'shape', equal: ['result.results.0.status', 'result.results.0.intake_id'] },
  },
  {
    name: 'addon_submit_order_rejected',
    description: 'An unknown SKU: rejected with a machine-readable reason.',
    request: ek('retail_gateway.api', 'submit_orders', [], { partner: '$gw_code', orders: [{ intake_id: 'rec-3', item: recordingOrder('$order_ext_2', 'NO-SUCH-SKU-1') }] }),
    compare: { mode: 'shape', equal: ['result.results.0.status', 'result.results.0.record', 'result.results.0.reasons'] },
  },
  {
    name: 'addon_unknown_partner',
    description: 'A batch for a partner that does not exist fails as a whole (UserError).',
    request: ek('retail_gateway.api', 'submit_orders', [], { partner: 'nobody-here', orders: [{ intake_id: 'rec-4', item: recordingOrder('NOBODY-1', '$product_sku') }] }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_authenticate_client_wrong_secret',
    description: 'authenticate_client with a wrong secret answers ok: false.',
    request: ek('retail_gateway.partner', 'authenticate_client', [], { client_id: '$gw_code', client_secret: 'wrong-secret' }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_partners',
    description: 'The registry as the gateway caches it.',
    request: ek('retail_gateway.partner', 'partners', [], { codes: ['$gw_code'] }),
    compare: { mode: 'shape', equal: ['result.partners.0.scopes', 'result.partners.0.tier', 'result.partners.0.mode', 'result.partners.0.subscriptions', 'result.partners.0.inbound_secrets'] },
  },
  {
    name: 'addon_availability',
    description: 'Availability of one SKU in one warehouse.',
    request: ek('retail_gateway.api', 'availability', [], { skus: ['$product_sku'], warehouses: ['WH'] }),
    compare: { mode: 'shape', equal: ['result.items.0.sku', 'result.items.0.warehouse', 'result.has_more'] },
  },
  {
    name: 'addon_changes_since',
    description: 'The first order.created event, without claiming it.',
    request: ek('retail_gateway.outbox.event', 'changes_since', [], { cursor: 0, limit: 1, types: ['order.created'] }),
    compare: { mode: 'subset', keys: ['cursor', 'has_more'], equal: ['result.events.0.envelope.type', 'result.events.0.envelope.specversion', 'result.events.0.envelope.datacontenttype'] },
  },
  {
    name: 'addon_claim',
    description: 'claim leases the oldest pending event.',
    request: ek('retail_gateway.outbox.event', 'claim', [], { limit: 1, lease_seconds: 5, consumer: 'recordings' }),
    compare: { mode: 'subset', keys: ['lease_until'], equal: ['result.events.0.envelope.specversion'] },
  },
  {
    name: 'addon_ack_not_leased',
    description: 'ack of an event this consumer never leased.',
    request: ek('retail_gateway.outbox.event', 'ack', [], { event_ids: ['not-an-event'], consumer: 'recordings' }),
    compare: { mode: 'value' },
  },
  {
    name: 'addon_report_unknown_event',
    description: 'report_deliveries names the events it does not know.',
    request: ek('retail_gateway.outbox.event', 'report_deliveries', [], {
      results: [{ event_id: 'not-an-event', partner: '$gw_code', subscription_id: null, status: 'delivered', attempts: 1, last_error: null, at: '2026-01-05T10:00:00Z' }],
    }),
    compare: { mode: 'value' },
  },
];

/** Fixed stand-ins, when replaying, for the values the recorder makes unique. */
export const replayVars = { gw_code: 'recordings', order_ext: 'REC-1', order_ext_2: 'REC-2' };

async function send(url: string, step: Step, vars: Vars): Promise<{ status: number; body: unknown }> {
  const body = fill(step.request.body, vars);
  const res = await fetch(url.replace(/\/+$/, '') + step.request.path, {
    method: step.request.method,
    headers: { 'content-type': 'application/json' },
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
  const outDir = join(dirname(fileURLToPath(import.meta.url)), 'odoo18');
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
  Object.assign(vars, { gw_code: `rec-${unique}`, order_ext: `REC-${unique}-1`, order_ext_2: `REC-${unique}-2` });
  const addon = await send(url, { name: 'probe', description: '', compare: { mode: 'value' }, request: ek('ir.module.module', 'search_count', [[['name', '=', 'retail_gateway'], ['state', '=', 'installed']]]) }, { ...vars, uid: await uidOf(url, vars) });
  const withAddon = at(addon.body, 'result') === 1;
  console.log(withAddon ? 'retail_gateway is installed: recording its RPC methods too' : 'retail_gateway is not installed: skipping its RPC methods');
  let serverVersion = 'unknown';
  let n = 0;
  for (const step of withAddon ? [...steps, ...addonSteps] : steps) {
    const res = await send(url, step, vars);
    if (step.name === 'version_info') serverVersion = String(at(res.body, 'result.server_version'));
    for (const [name, path] of Object.entries(step.extract ?? {})) {
      const v = at(res.body, path);
      if (v === undefined) throw new Error(`${step.name}: nothing at ${path} in ${JSON.stringify(res.body).slice(0, 300)}`);
      vars[name] = v;
    }
    const recording: Recording = {
      name: step.name,
      description: step.description,
      source: { server_version: serverVersion, transport: step.request.path === '/jsonrpc' ? 'jsonrpc' : 'http' },
      request: step.request,
      ...(step.extract ? { extract: step.extract } : {}),
      compare: step.compare,
      response: { status: res.status, body: normaliseBody(res.body) },
    };
    let text = JSON.stringify(recording, null, 2).replaceAll(key, '$key');
    // The unique values of this run become the placeholders the replay fills with fixed ones.
    for (const name of ['gw_code', 'order_ext_2', 'order_ext'] as const) text = text.replaceAll(String(vars[name]), `$${name}`);
    const file = join(outDir, `${String(++n).padStart(2, '0')}-${step.name}.json`);
    writeFileSync(file, text + '\n');
    const error = at(res.body, 'error.data.name');
    console.log(`${file.split('/').slice(-2).join('/')}: HTTP ${res.status}${error ? ` ${String(error)}` : ''}`);
  }
  if (withAddon) {
    // The recordings' gateway partner is archived afterwards, so it never shows up as a live partner.
    const found = await send(url, { name: 'cleanup', description: '', compare: { mode: 'value' }, request: ek('retail_gateway.partner', 'search', [[['code', '=', '$gw_code']]]) }, vars);
    const ids = at(found.body, 'result');
    if (Array.isArray(ids) && ids.length) {
      await send(url, { name: 'cleanup', description: '', compare: { mode: 'value' }, request: ek('retail_gateway.partner', 'write', [ids, { active: false }]) }, vars);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
