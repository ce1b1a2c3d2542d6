/**
 * Start-up data: a company, users (admin with an API key, a demo user, a portal user without
 * internal rights), customers, a small catalog taken from Odoo 18's demo data (names, internal
 * references, prices), two warehouses with stock, carriers, pricelists per currency, and the demo
 * gateway partner (`demo` / `demo-secret`, every scope).
 */
import { scopes } from '../../../../contracts/src/scopes.js';
import { hashSecret } from './models/gateway.js';
import { G, GROUP_NAMES } from './models/base.js';
import type { Env } from './orm.js';

export interface SeedUsers {
  admin: { uid: number; login: string; password: string; apiKey: string };
  demo: { uid: number; login: string; password: string };
  portal: { uid: number; login: string; password: string };
}

const COUNTRIES: Array<[string, string]> = [
  ['US', 'United States'], ['CA', 'Canada'], ['MX', 'Mexico'], ['BR', 'Brazil'], ['AR', 'Argentina'],
  ['GB', 'United Kingdom'], ['IE', 'Ireland'], ['FR', 'France'], ['BE', 'Belgium'], ['NL', 'Netherlands'],
  ['LU', 'Luxembourg'], ['DE', 'Germany'], ['AT', 'Austria'], ['CH', 'Switzerland'], ['IT', 'Italy'],
  ['ES', 'Spain'], ['PT', 'Portugal'], ['DK', 'Denmark'], ['SE', 'Sweden'], ['NO', 'Norway'],
  ['FI', 'Finland'], ['PL', 'Poland'], ['CZ', 'Czech Republic'], ['GR', 'Greece'], ['RO', 'Romania'],
  ['HU', 'Hungary'], ['AU', 'Australia'], ['NZ', 'New Zealand'], ['JP', 'Japan'], ['CN', 'China'],
  ['IN', 'India'], ['SG', 'Singapore'], ['HK', 'Hong Kong'], ['KR', 'South Korea'], ['ZA', 'South Africa'],
  ['AE', 'United Arab Emirates'], ['IL', 'Israel'], ['TR', 'Türkiye'], ['MA', 'Morocco'], ['EG', 'Egypt'],
];

/** [template, variants: [sku, label values, stock WH, stock EU, barcode?]], price, category, extras. */
interface CatalogItem {
  name: string;
  price: number;
  category: 'Office Furniture' | 'Services';
  storable?: boolean;
  type?: 'consu' | 'service';
  attribute?: string;
  variants: Array<{ sku: string | false; values?: string[]; wh?: number; eu?: number; barcode?: string; active?: boolean; safety?: number }>;
}

// Names, internal references and prices from Odoo 18's demo data (product, sale, stock modules).
const CATALOG: CatalogItem[] = [
  { name: 'Office Chair', price: 70, category: 'Office Furniture', variants: [{ sku: 'FURN_7777', wh: 0, eu: 12 }] },
  { name: 'Office Lamp', price: 40, category: 'Office Furniture', variants: [{ sku: 'FURN_8888', wh: 35, eu: 10 }] },
  { name: 'Desk Combination', price: 450, category: 'Office Furniture', variants: [{ sku: 'FURN_7800', wh: 60, eu: 8, safety: 5 }] },
  {
    name: 'Customizable Desk',
    price: 750,
    category: 'Office Furniture',
    attribute: 'Legs',
    variants: [
      { sku: 'FURN_0096', values: ['Steel', 'White'], wh: 45 },
      { sku: 'FURN_0097', values: ['Steel', 'Black'], wh: 50 },
      { sku: 'FURN_0098', values: ['Aluminium', 'White'], wh: 55, eu: 6 },
    ],
  },
  { name: 'Large Cabinet', price: 320, category: 'Office Furniture', variants: [{ sku: 'E-COM07', wh: 500, eu: 40 }] },
  { name: 'Storage Box', price: 15.8, category: 'Office Furniture', variants: [{ sku: 'E-COM08', wh: 18, eu: 30 }] },
  { name: 'Pedal Bin', price: 47, category: 'Office Furniture', variants: [{ sku: 'E-COM10', wh: 22 }] },
  { name: 'Cabinet with Doors', price: 140, category: 'Office Furniture', variants: [{ sku: 'E-COM11', wh: 33 }] },
  {
    name: 'Conference Chair',
    price: 33,
    category: 'Office Furniture',
    attribute: 'Legs',
    variants: [
      { sku: 'E-COM12', values: ['Steel'], wh: 26, eu: 14 },
      { sku: 'E-COM13', values: ['Aluminium'], wh: 30 },
    ],
  },
  { name: 'Office Chair Black', price: 120.5, category: 'Office Furniture', variants: [{ sku: 'FURN_0269', wh: 10 }] },
  { name: 'Drawer', price: 110.5, category: 'Office Furniture', variants: [{ sku: 'FURN_8855', wh: 80, eu: 20, safety: 10 }] },
  { name: 'Cable Management Box', price: 100, category: 'Office Furniture', variants: [{ sku: 'FURN_5555', wh: 90 }] },
  { name: 'Desk Organizer', price: 5.1, category: 'Office Furniture', variants: [{ sku: 'FURN_0001', wh: 120, eu: 60, barcode: '2300001000008' }] },
  { name: 'Drawer Black', price: 25, category: 'Office Furniture', variants: [{ sku: 'FURN_8900', wh: 4, active: false }] },
  { name: 'Virtual Interior Design', price: 30.75, category: 'Services', type: 'service', storable: false, variants: [{ sku: false }] },
];

/** The shipping methods a channel sends, mapped to the seeded carriers (`retail_gateway.carrier.map`). */
export const CHANNEL_SHIPPING_METHODS: Record<string, string> = { standard: 'Standard delivery', express: 'Express delivery', pickup: 'Store pickup' };

export function mapCarriers(env: Env, partnerId: number): void {
  const su = env.sudo();
  for (const [method, name] of Object.entries(CHANNEL_SHIPPING_METHODS)) {
    const carrier = [...env.store.table('delivery.carrier').values()].find((c) => c.name === name);
    if (carrier) su.create('retail_gateway.carrier.map', [{ partner_id: partnerId, method, carrier_id: carrier.id }]);
  }
}

export function seed(env: Env, opts: { apiKey: string }): SeedUsers {
  const su = env.sudo();
  const create = (model: string, vals: Record<string, unknown>) => su.create(model, [vals])[0]!;

  const groupIds: Record<string, number> = {};
  for (const [xmlId, fullName] of Object.entries(GROUP_NAMES)) {
    groupIds[xmlId] = create('res.groups', { name: fullName.split('/').pop(), full_name: fullName, xml_id: xmlId });
  }

  const usd = create('res.currency', { name: 'USD', symbol: '$' });
  const eur = create('res.currency', { name: 'EUR', symbol: '€' });
  const gbp = create('res.currency', { name: 'GBP', symbol: '£' });
  create('res.currency', { name: 'CAD', symbol: '$' });
  const countries: Record<string, number> = {};
  for (const [code, name] of COUNTRIES) countries[code] = create('res.country', { code, name });

  const companyPartner = create('res.partner', {
    name: 'My Company (San Francisco)',
    is_company: true,
    email: 'info@yourcompany.com',
    street: '250 Executive Park Blvd, Suite 3400',
    city: 'San Francisco',
    zip: '94134',
    country_id: countries.US,
  });
  create('res.company', { name: 'YourCompany', partner_id: companyPartner, currency_id: usd });
  su.write('res.partner', [companyPartner], { company_id: 1 });

  const allGroups = Object.values(groupIds);
  const userOf = (name: string, login: string, password: string, groups: string[], apiKeys: string[] = []) =>
    create('res.users', { name, login, password, groups_id: groups.map((g) => groupIds[g]!), api_keys: apiKeys });
  create('res.users', { name: 'OdooBot', login: '__system__', active: false, groups_id: allGroups });
  const admin = create('res.users', { name: 'Mitchell Admin', login: 'admin', password: 'admin', groups_id: allGroups, api_keys: [opts.apiKey] });
  const demo = userOf('Marc Demo', 'demo', 'demo', [G.user, G.saleUser, G.stockUser, G.integrationUser]);
  const portal = userOf('Joel Willis', 'portal', 'portal', [G.portal]);

  const customer = (name: string, email: string, city: string, zip: string, street: string, rank: number, country = 'US') =>
    create('res.partner', { name, is_company: true, email, city, zip, street, customer_rank: rank, country_id: countries[country] });
  customer('Wood Corner', 'wood.corner26@example.com', 'Turlock', '95380', '1839 Arbor Way', 0);
  customer('Deco Addict', 'deco_addict@yourcompany.example.com', 'Pleasant Hill', '94523', '77 Santa Barbara Rd', 8);
  customer('Gemini Furniture', 'gemini_furniture@fake.geminifurniture.com', 'Fairfield', '94533', '317 Fairchild Dr', 0);
  customer('Ready Mat', 'ready.mat28@example.com', 'Tracy', '95304', '7500 W Linne Road', 0);
  const azure = customer('Azure Interior', 'azure.Interior24@example.com', 'Fremont', '94538', '4557 De Silva St', 5);
  customer('OpenWood', 'wow@example.com', 'Florenville', '6820', 'Rue du Moulin 12', 0, 'BE');
  create('res.partner', { name: 'Brandon Freeman', parent_id: azure, email: 'brandon.freeman55@example.com', city: 'Fremont', country_id: countries.US });

  // Stock: two warehouses with their locations, as Odoo lays them out.
  const physical = create('stock.location', { name: 'Physical Locations', complete_name: 'Physical Locations', usage: 'view' });
  const partners = create('stock.location', { name: 'Partners', complete_name: 'Partners', usage: 'view' });
  const virtual = create('stock.location', { name: 'Virtual Locations', complete_name: 'Virtual Locations', usage: 'view' });
  create('stock.location', { name: 'Vendors', complete_name: 'Partners/Vendors', usage: 'supplier', location_id: partners });
  create('stock.location', { name: 'Customers', complete_name: 'Partners/Customers', usage: 'customer', location_id: partners });
  create('stock.location', { name: 'Inventory adjustment', complete_name: 'Virtual Locations/Inventory adjustment', usage: 'inventory', location_id: virtual });
  const warehouse = (code: string, name: string) => {
    const view = create('stock.location', { name: code, complete_name: code, usage: 'view', location_id: physical });
    const stock = create('stock.location', { name: 'Stock', complete_name: `${code}/Stock`, usage: 'internal', location_id: view });
    const wh = create('stock.warehouse', { name, code, view_location_id: view, lot_stock_id: stock, partner_id: companyPartner });
    su.write('stock.location', [view, stock], { warehouse_id: wh });
    return { wh, stock };
  };
  const wh = warehouse('WH', 'San Francisco');
  const eu = warehouse('EU', 'Brussels');

  const all = create('product.category', { name: 'All' });
  const saleable = create('product.category', { name: 'Saleable', parent_id: all });
  const categories = {
    'Office Furniture': create('product.category', { name: 'Office Furniture', parent_id: saleable }),
    Services: create('product.category', { name: 'Services', parent_id: saleable }),
  };
  const attributes: Record<string, number> = {};

  for (const item of CATALOG) {
    const tmpl = su.withContext({ create_product_product: false }).create('product.template', [{
      name: item.name,
      list_price: item.price,
      type: item.type ?? 'consu',
      is_storable: item.storable ?? true,
      categ_id: categories[item.category],
      rg_safety_stock: item.variants[0]?.safety ?? 0,
    }])[0]!;
    for (const v of item.variants) {
      const valueIds = (v.values ?? []).map((value, i) => {
        const attrName = i === 0 ? (item.attribute ?? 'Variant') : 'Color';
        attributes[attrName] ??= create('product.attribute', { name: attrName });
        return create('product.template.attribute.value', { name: value, attribute_id: attributes[attrName], product_tmpl_id: tmpl });
      });
      const product = create('product.product', {
        product_tmpl_id: tmpl,
        default_code: v.sku,
        barcode: v.barcode ?? false,
        active: v.active ?? true,
        product_template_attribute_value_ids: [[6, 0, valueIds]],
      });
      if (v.wh) create('stock.quant', { product_id: product, location_id: wh.stock, quantity: v.wh });
      if (v.eu) create('stock.quant', { product_id: product, location_id: eu.stock, quantity: v.eu });
    }
  }

  const service = (name: string, price: number) =>
    create('product.product', { name, list_price: price, type: 'service', is_storable: false, sale_ok: false, categ_id: categories.Services });
  create('delivery.carrier', { name: 'Standard delivery', product_id: service('Standard delivery', 0) });
  create('delivery.carrier', { name: 'Express delivery', product_id: service('Express delivery', 15) });
  create('delivery.carrier', { name: 'Store pickup', product_id: service('Store pickup', 0) });

  create('product.pricelist', { name: 'Public Pricelist', currency_id: usd, company_id: 1 });
  create('product.pricelist', { name: 'Europe', currency_id: eur, company_id: 1 });
  create('product.pricelist', { name: 'United Kingdom', currency_id: gbp, company_id: 1 });

  const demoPartner = create('retail_gateway.partner', {
    code: 'demo',
    name: 'Demo Partner',
    scopes: scopes.join(' '),
    tier: 'standard',
    mode: 'live',
    client_id: 'demo',
    client_secrets: [hashSecret('demo-secret')],
  });
  mapCarriers(env, demoPartner);

  return {
    admin: { uid: admin, login: 'admin', password: 'admin', apiKey: opts.apiKey },
    demo: { uid: demo, login: 'demo', password: 'demo' },
    portal: { uid: portal, login: 'portal', password: 'portal' },
  };
}
