/** res.groups, res.users, res.company, res.partner, res.country, res.currency. */
import { registerCustomerUpdated } from '../outbox.js';
import type { Env, ModelDef, Row } from '../orm.js';

/** Name, contact and address: a change is a `customer.updated` for a customer a gateway partner knows. */
export const CUSTOMER_SYNCED_FIELDS = ['name', 'email', 'phone', 'mobile', 'street', 'street2', 'city', 'zip', 'state_id', 'country_id'];

export const G = {
  user: 'base.group_user',
  portal: 'base.group_portal',
  system: 'base.group_system',
  erpManager: 'base.group_erp_manager',
  partnerManager: 'base.group_partner_manager',
  productManager: 'product.group_product_manager',
  stockUser: 'stock.group_stock_user',
  stockManager: 'stock.group_stock_manager',
  saleUser: 'sales_team.group_sale_salesman',
  saleManager: 'sales_team.group_sale_manager',
  invoice: 'account.group_account_invoice',
  accountManager: 'account.group_account_manager',
  accountReadonly: 'account.group_account_readonly',
  integrationUser: 'retail_gateway.group_integration_user',
  integrationManager: 'retail_gateway.group_integration_manager',
  gatewayService: 'retail_gateway.group_integration_service',
} as const;

/** Full names as Odoo 18 prints them in access errors ("Category/Group"). */
export const GROUP_NAMES: Record<string, string> = {
  [G.user]: 'User types/Internal User',
  [G.portal]: 'User types/Portal',
  [G.system]: 'Administration/Settings',
  [G.erpManager]: 'Administration/Access Rights',
  [G.partnerManager]: 'Extra Rights/Contact Creation',
  [G.productManager]: 'Extra Rights/Product Creation',
  [G.stockUser]: 'Inventory/User',
  [G.stockManager]: 'Inventory/Administrator',
  [G.saleUser]: 'Sales/User: Own Documents Only',
  [G.saleManager]: 'Sales/Administrator',
  [G.invoice]: 'Invoicing/Billing',
  [G.accountManager]: 'Invoicing/Administrator',
  [G.accountReadonly]: 'Technical/Show Accounting Features - Readonly',
  [G.integrationUser]: 'Integration/User',
  [G.integrationManager]: 'Integration/Manager',
  [G.gatewayService]: 'Integration/Gateway Service',
};

const readAll = { [G.user]: 'r', [G.portal]: 'r' };

export const resGroups: ModelDef = {
  name: 'res.groups',
  description: 'Access Groups',
  fields: {
    name: { type: 'char', string: 'Name', required: true },
    full_name: { type: 'char', string: 'Group Name' },
    xml_id: { type: 'char', string: 'External ID' },
  },
  acl: { [G.user]: 'r', [G.erpManager]: 'rwcd' },
  displayName: (row) => String(row.full_name),
};

export const resCompany: ModelDef = {
  name: 'res.company',
  description: 'Companies',
  fields: {
    name: { type: 'char', string: 'Company Name', required: true },
    partner_id: { type: 'many2one', string: 'Partner', relation: 'res.partner', required: true },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', required: true },
  },
  acl: { ...readAll, [G.erpManager]: 'rwcd' },
};

export const resCurrency: ModelDef = {
  name: 'res.currency',
  description: 'Currency',
  fields: {
    name: { type: 'char', string: 'Currency', required: true },
    symbol: { type: 'char', string: 'Symbol', required: true },
    active: { type: 'boolean', string: 'Active', default: true },
    decimal_places: { type: 'integer', string: 'Decimal Places', default: 2 },
  },
  acl: { ...readAll, [G.system]: 'rwcd' },
  unique: [{ name: 'unique_name', fields: ['name'], message: 'The currency code must be unique!' }],
};

export const resCountry: ModelDef = {
  name: 'res.country',
  description: 'Country',
  fields: {
    name: { type: 'char', string: 'Country Name', required: true },
    code: { type: 'char', string: 'Country Code' },
  },
  order: 'name',
  acl: { ...readAll, '*': 'r', [G.system]: 'rwcd' },
  unique: [{ name: 'code_uniq', fields: ['code'], message: 'The code of the country must be unique!' }],
};

function partnerDisplayName(row: Row, env: Env): string {
  const name = row.name ? String(row.name) : '';
  const parent = row.parent_id ? env.row('res.partner', row.parent_id as number) : undefined;
  if (!parent) return name;
  const parentName = partnerDisplayName(parent, env);
  return name ? `${parentName}, ${name}` : parentName;
}

export const resPartner: ModelDef = {
  name: 'res.partner',
  description: 'Contact',
  order: 'name, id',
  fields: {
    name: { type: 'char', string: 'Name' },
    is_company: { type: 'boolean', string: 'Is a Company', default: false },
    parent_id: { type: 'many2one', string: 'Related Company', relation: 'res.partner' },
    child_ids: { type: 'one2many', string: 'Contact', relation: 'res.partner', inverse: 'parent_id' },
    type: {
      type: 'selection',
      string: 'Address Type',
      default: 'contact',
      selection: [
        ['contact', 'Contact'],
        ['invoice', 'Invoice Address'],
        ['delivery', 'Delivery Address'],
        ['other', 'Other Address'],
      ],
    },
    ref: { type: 'char', string: 'Reference' },
    company_name: { type: 'char', string: 'Company Name' },
    email: { type: 'char', string: 'Email' },
    phone: { type: 'char', string: 'Phone' },
    mobile: { type: 'char', string: 'Mobile' },
    street: { type: 'char', string: 'Street' },
    street2: { type: 'char', string: 'Street2' },
    city: { type: 'char', string: 'City' },
    zip: { type: 'char', string: 'Zip' },
    state_code: { type: 'char', string: 'State Code' },
    country_id: { type: 'many2one', string: 'Country', relation: 'res.country', ondelete: 'restrict' },
    customer_rank: { type: 'integer', string: 'Customer Rank', default: 0 },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
    active: { type: 'boolean', string: 'Active', default: true },
    comment: { type: 'html', string: 'Notes' },
    create_date: { type: 'datetime', string: 'Created on', readonly: true },
    write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
    // The addon's: marketing consents and the gateway partners that know the customer.
    rg_consent_ids: { type: 'one2many', string: 'Marketing Consents', relation: 'retail_gateway.consent', inverse: 'customer_id' },
    rg_link_ids: { type: 'one2many', string: 'Gateway Partners', relation: 'retail_gateway.customer.link', inverse: 'customer_id' },
  },
  acl: {
    [G.user]: 'r',
    [G.portal]: 'r',
    [G.partnerManager]: 'rwcd',
    [G.stockManager]: 'rwcd',
    [G.saleManager]: 'rwcd',
  },
  displayName: partnerDisplayName,
  checks: [{ name: 'check_name', check: (r) => r.type !== 'contact' || !!r.name, message: 'Contacts require a name' }],
  afterCreate: (rows, env) => {
    for (const r of rows) adoptFirstContactAddress(env, r);
  },
  afterWrite: (rows, vals, _before, env) => {
    const changed = Object.keys(vals).filter((k) => CUSTOMER_SYNCED_FIELDS.includes(k)).sort();
    if (changed.length) registerCustomerUpdated(env, rows.map((r) => r.id), changed);
  },
};

const ADDRESS_FIELDS = ['street', 'street2', 'zip', 'city', 'state_code', 'country_id'];

/**
 * Odoo's `_handle_first_contact_creation`: the first contact created under a company (or a root
 * contact) without an address gives it its address. Odoo writes it below the model's own `write`
 * (`update_address` calls the base write), so no override, and no event, sees it.
 */
function adoptFirstContactAddress(env: Env, child: Row): void {
  const parent = child.parent_id ? env.row('res.partner', child.parent_id as number) : undefined;
  if (!parent || !(parent.is_company || !parent.parent_id)) return;
  const children = [...env.store.table('res.partner').values()].filter((p) => p.parent_id === parent.id);
  if (children.length !== 1 || !ADDRESS_FIELDS.some((f) => child[f]) || ADDRESS_FIELDS.some((f) => parent[f])) return;
  for (const f of ADDRESS_FIELDS) env.store.set('res.partner', parent, f, child[f] ?? false);
}

export const resUsers: ModelDef = {
  name: 'res.users',
  description: 'User',
  order: 'name, login',
  fields: {
    name: { type: 'char', string: 'Name', required: true },
    login: { type: 'char', string: 'Login', required: true },
    password: { type: 'char', string: 'Password', secret: true },
    partner_id: { type: 'many2one', string: 'Related Partner', relation: 'res.partner', required: true, ondelete: 'restrict' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', default: 1 },
    groups_id: { type: 'many2many', string: 'Groups', relation: 'res.groups', default: [] },
    active: { type: 'boolean', string: 'Active', default: true },
    share: {
      type: 'boolean',
      string: 'Share User',
      compute: (row, env) => {
        const internal = [...env.store.table('res.groups').values()].find((g) => g.xml_id === G.user);
        return !internal || !((row.groups_id as number[]) ?? []).includes(internal.id);
      },
    },
    // API keys (hashes in Odoo; plain here, never readable over RPC).
    api_keys: { type: 'json', string: 'API Keys', default: [], secret: true },
  },
  acl: { [G.user]: 'r', [G.portal]: 'r', [G.erpManager]: 'rwcd' },
  unique: [{ name: 'login_key', fields: ['login'], message: 'You can not have two users with the same login!' }],
  beforeCreate: (vals, env) => {
    if (!vals.partner_id) {
      const [pid] = env.sudo().create('res.partner', [{ name: vals.name ?? vals.login, email: typeof vals.login === 'string' && vals.login.includes('@') ? vals.login : false }]);
      vals.partner_id = pid;
    }
    return vals;
  },
  methods: {
    has_group: {
      api: 'records',
      params: ['group_ext_id'],
      run: (env, ids, kw) => {
        const [user] = env.existing('res.users', ids.slice(0, 1));
        const target = [...env.store.table('res.groups').values()].find((g) => g.xml_id === kw.group_ext_id);
        return !!(user && target && ((user.groups_id as number[]) ?? []).includes(target.id));
      },
    },
  },
};
