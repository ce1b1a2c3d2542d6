/** product.category, product.template, product.product (with the addon's safety stock), product.pricelist. */
import { validationError } from '../exceptions.js';
import { registerEvent, registerInventoryChanged } from '../outbox.js';
import type { Env, ModelDef, Row } from '../orm.js';
import { G } from './base.js';

/** Variant fields whose change is a `product.updated` (the addon's VARIANT_SYNCED_FIELDS). */
const VARIANT_SYNCED_FIELDS = ['active', 'barcode', 'default_code', 'lst_price', 'product_template_attribute_value_ids'];
/** Template fields whose change is a `product.updated` of every variant (TEMPLATE_SYNCED_FIELDS). */
const TEMPLATE_SYNCED_FIELDS = ['active', 'barcode', 'default_code', 'list_price', 'name', 'rg_safety_stock', 'sale_ok'];

function registerProductUpdated(env: Env, variantIds: number[], changed: string[]): void {
  for (const id of variantIds) registerEvent(env, 'product.updated', 'product.product', id, changed);
}

const productAcl = {
  [G.user]: 'r',
  [G.portal]: 'r',
  [G.productManager]: 'rwcd',
  [G.stockManager]: 'rwcd',
  [G.saleManager]: 'rwcd',
};

export const productCategory: ModelDef = {
  name: 'product.category',
  description: 'Product Category',
  fields: {
    name: { type: 'char', string: 'Name', required: true },
    parent_id: { type: 'many2one', string: 'Parent Category', relation: 'product.category', ondelete: 'cascade' },
  },
  acl: productAcl,
  displayName: function name(row, env): string {
    const parent = row.parent_id ? env.row('product.category', row.parent_id as number) : undefined;
    return parent ? `${name(parent, env)} / ${String(row.name)}` : String(row.name);
  },
};

function variantsOf(env: Env, templateId: number, activeTest = true): Row[] {
  return [...env.store.table('product.product').values()].filter((p) => p.product_tmpl_id === templateId && (!activeTest || p.active !== false));
}

export const productTemplate: ModelDef = {
  name: 'product.template',
  description: 'Product',
  order: 'name, id',
  fields: {
    name: { type: 'char', string: 'Name', required: true },
    description_sale: { type: 'text', string: 'Sales Description' },
    list_price: { type: 'float', string: 'Sales Price', default: 1 },
    sale_ok: { type: 'boolean', string: 'Can be Sold', default: true },
    purchase_ok: { type: 'boolean', string: 'Can be Purchased', default: true },
    type: {
      type: 'selection',
      string: 'Product Type',
      default: 'consu',
      selection: [
        ['consu', 'Goods'],
        ['service', 'Service'],
        ['combo', 'Combo'],
      ],
    },
    is_storable: { type: 'boolean', string: 'Track Inventory', default: false },
    categ_id: { type: 'many2one', string: 'Product Category', relation: 'product.category', default: 1 },
    active: { type: 'boolean', string: 'Active', default: true },
    // The addon's: the quantity never offered for sale.
    rg_safety_stock: { type: 'float', string: 'Safety Stock', default: 0 },
    product_variant_ids: { type: 'one2many', string: 'Products', relation: 'product.product', inverse: 'product_tmpl_id' },
    default_code: {
      type: 'char',
      string: 'Internal Reference',
      compute: (row, env) => {
        const vs = variantsOf(env, row.id);
        return vs.length === 1 ? (vs[0]!.default_code ?? false) : false;
      },
    },
    create_date: { type: 'datetime', string: 'Created on', readonly: true },
    write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
  },
  acl: productAcl,
  displayName: (row, env) => {
    const vs = variantsOf(env, row.id, false);
    const code = vs.length === 1 ? vs[0]!.default_code : false;
    return code ? `[${String(code)}] ${String(row.name)}` : String(row.name);
  },
  constrains: (rows) => {
    if (rows.some((r) => Number(r.rg_safety_stock ?? 0) < 0)) throw validationError('The safety stock cannot be negative.');
  },
  afterCreate: (rows, env) => {
    for (const t of rows) {
      // Like Odoo, a template comes with its variant (unless the variant is what creates it).
      if (env.context.create_product_product !== false && !variantsOf(env, t.id, false).length) {
        env.sudo().create('product.product', [{ product_tmpl_id: t.id }]);
      }
      registerProductUpdated(env, variantsOf(env, t.id, false).map((v) => v.id), TEMPLATE_SYNCED_FIELDS);
    }
  },
  afterWrite: (rows, vals, _before, env) => {
    const changed = Object.keys(vals).filter((k) => TEMPLATE_SYNCED_FIELDS.includes(k)).sort();
    if (!changed.length) return;
    for (const t of rows) {
      const variants = variantsOf(env, t.id, false);
      registerProductUpdated(env, variants.map((v) => v.id), changed);
      if ('rg_safety_stock' in vals) {
        for (const v of variants) for (const w of env.store.table('stock.warehouse').values()) registerInventoryChanged(env, v.id, w.lot_stock_id as number);
      }
    }
  },
};

export const productProduct: ModelDef = {
  name: 'product.product',
  description: 'Product Variant',
  order: 'default_code, name, id',
  fields: {
    product_tmpl_id: { type: 'many2one', string: 'Product Template', relation: 'product.template', required: true, ondelete: 'cascade' },
    name: { type: 'char', string: 'Name', related: 'product_tmpl_id.name', required: true },
    default_code: { type: 'char', string: 'Internal Reference' },
    barcode: { type: 'char', string: 'Barcode' },
    active: { type: 'boolean', string: 'Active', default: true },
    product_template_attribute_value_ids: { type: 'many2many', string: 'Attribute Values', relation: 'product.template.attribute.value', default: [] },
    list_price: { type: 'float', string: 'Sales Price', related: 'product_tmpl_id.list_price' },
    lst_price: { type: 'float', string: 'Sales Price', related: 'product_tmpl_id.list_price' },
    sale_ok: { type: 'boolean', string: 'Can be Sold', related: 'product_tmpl_id.sale_ok' },
    type: { type: 'selection', string: 'Product Type', related: 'product_tmpl_id.type', selection: productTemplate.fields.type!.selection },
    is_storable: { type: 'boolean', string: 'Track Inventory', related: 'product_tmpl_id.is_storable' },
    categ_id: { type: 'many2one', string: 'Product Category', relation: 'product.category', related: 'product_tmpl_id.categ_id' },
    qty_available: {
      type: 'float',
      string: 'Quantity On Hand',
      compute: (row, env) => {
        let qty = 0;
        for (const q of env.store.table('stock.quant').values()) {
          if (q.product_id !== row.id) continue;
          const loc = env.row('stock.location', q.location_id as number);
          if (loc?.usage === 'internal') qty += Number(q.quantity);
        }
        return qty;
      },
    },
    rg_safety_stock: { type: 'float', string: 'Safety Stock', related: 'product_tmpl_id.rg_safety_stock' },
    create_date: { type: 'datetime', string: 'Created on', readonly: true },
    write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
  },
  acl: productAcl,
  displayName: (row, env) => {
    const tmpl = env.row('product.template', row.product_tmpl_id as number);
    const values = ((row.product_template_attribute_value_ids as number[]) ?? []).map((id) => env.row('product.template.attribute.value', id)?.name).filter(Boolean);
    const name = `${String(tmpl?.name ?? '')}${values.length ? ` (${values.join(', ')})` : ''}`;
    return row.default_code ? `[${String(row.default_code)}] ${name}` : name;
  },
  beforeCreate: (vals, env) => {
    if (!vals.product_tmpl_id) {
      const tmplVals: Record<string, unknown> = {};
      for (const k of ['name', 'list_price', 'sale_ok', 'type', 'is_storable', 'categ_id', 'rg_safety_stock']) {
        if (k in vals) {
          tmplVals[k] = vals[k];
          delete vals[k];
        }
      }
      [vals.product_tmpl_id] = env.sudo().withContext({ create_product_product: false }).create('product.template', [tmplVals]);
    }
    return vals;
  },
  constrains: (rows, env) => {
    for (const r of rows) {
      if (!r.barcode) continue;
      const clash = [...env.store.table('product.product').values()].find((o) => o.id !== r.id && o.barcode === r.barcode);
      if (clash) {
        throw validationError(`Barcode(s) already assigned:\n\n- Barcode "${String(r.barcode)}" already assigned to product(s): ${env.displayName('product.product', clash)}`);
      }
    }
  },
  afterCreate: (rows, env) => registerProductUpdated(env, rows.map((r) => r.id), VARIANT_SYNCED_FIELDS.filter((f) => f !== 'product_template_attribute_value_ids')),
  afterWrite: (rows, vals, _before, env) => {
    const changed = Object.keys(vals).filter((k) => VARIANT_SYNCED_FIELDS.includes(k)).sort();
    if (changed.length) registerProductUpdated(env, rows.map((r) => r.id), changed);
  },
};

export const productAttribute: ModelDef = {
  name: 'product.attribute',
  description: 'Product Attribute',
  fields: { name: { type: 'char', string: 'Attribute', required: true } },
  acl: productAcl,
};

export const productTemplateAttributeValue: ModelDef = {
  name: 'product.template.attribute.value',
  description: 'Product Template Attribute Value',
  fields: {
    name: { type: 'char', string: 'Value', required: true },
    attribute_id: { type: 'many2one', string: 'Attribute', relation: 'product.attribute', required: true },
    product_tmpl_id: { type: 'many2one', string: 'Product Template', relation: 'product.template', ondelete: 'cascade' },
  },
  acl: productAcl,
  displayName: (row, env) => `${String(env.row('product.attribute', row.attribute_id as number)?.name ?? '')}: ${String(row.name)}`,
};

export const productPricelist: ModelDef = {
  name: 'product.pricelist',
  description: 'Pricelist',
  fields: {
    name: { type: 'char', string: 'Pricelist Name', required: true },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', required: true },
    active: { type: 'boolean', string: 'Active', default: true },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
  },
  acl: { [G.user]: 'r', [G.portal]: 'r', [G.saleManager]: 'rwcd' },
};
