import { describe, expect, it } from 'vitest';
import { PyError } from './exceptions.js';
import { callMethod, positionalToKwargs, Store } from './orm.js';
import { SimulatorState } from './state.js';

const fresh = () => new SimulatorState({ db: 'orm-test', apiKey: 'k' });
const pyError = (fn: () => unknown): PyError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof PyError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('ORM', () => {
  it('reads in wire format: false for empty, [id, name] for many-to-one, ids for to-many', () => {
    const state = fresh();
    const [p] = state.searchRead('product.product', [['default_code', '=', 'FURN_0096']], ['name', 'barcode', 'product_tmpl_id', 'product_template_attribute_value_ids', 'display_name', 'qty_available']);
    expect(p).toEqual({
      id: expect.any(Number),
      name: 'Customizable Desk',
      barcode: false,
      product_tmpl_id: [expect.any(Number), 'Customizable Desk'],
      product_template_attribute_value_ids: [expect.any(Number), expect.any(Number)],
      display_name: '[FURN_0096] Customizable Desk (Steel, White)',
      qty_available: 45,
    });
  });

  it('filters archived records unless the domain or the context asks for them', () => {
    const state = fresh();
    expect(state.searchRead('product.product', [['default_code', '=', 'FURN_8900']])).toEqual([]);
    expect(state.searchRead('product.product', [['default_code', '=', 'FURN_8900'], ['active', '=', false]])).toHaveLength(1);
    const env = state.env(1, { active_test: false });
    expect(env.search('product.product', [['default_code', '=', 'FURN_8900']])).toHaveLength(1);
  });

  it('orders, offsets and limits like Odoo', () => {
    const env = fresh().env();
    const codes = env.read('product.product', env.search('product.product', [['default_code', 'ilike', 'FURN_0']], { order: 'default_code desc', offset: 1, limit: 2 }), ['default_code']);
    expect(codes.map((r) => r.default_code)).toEqual(['FURN_0098', 'FURN_0097']);
    expect(pyError(() => env.search('res.partner', [], { order: 'name; drop table' })).pyName).toBe('builtins.ValueError');
  });

  it('applies x2many commands', () => {
    const state = fresh();
    const orderId = state.transaction((env) =>
      env.create('sale.order', [{ partner_id: 10, order_line: [[0, 0, { product_id: 1, product_uom_qty: 2 }], [0, 0, { product_id: 2 }]] }])[0]!,
    );
    const lines = () => state.searchRead('sale.order.line', [['order_id', '=', orderId]], ['product_uom_qty', 'price_unit']);
    expect(lines()).toHaveLength(2);
    const [first, second] = lines();
    state.transaction((env) => env.write('sale.order', [orderId], { order_line: [[1, first!.id, { product_uom_qty: 5 }], [2, second!.id]] }));
    expect(lines()).toEqual([{ id: first!.id, product_uom_qty: 5, price_unit: expect.any(Number) }]);
  });

  it('rolls a whole call back on error, and a savepoint back alone', () => {
    const state = fresh();
    const count = () => state.searchRead('res.partner', [['name', 'like', 'Tx ']]).length;
    expect(() => state.transaction((env) => env.create('res.partner', [{ name: 'Tx 1' }, { email: 'no-name@example.com' }]))).toThrow(PyError);
    expect(count()).toBe(0);
    state.transaction((env) => {
      env.create('res.partner', [{ name: 'Tx 2' }]);
      expect(() => env.savepoint(() => env.create('res.partner', [{ name: 'Tx 3' }, { email: 'x' }]))).toThrow(PyError);
    });
    expect(state.searchRead('res.partner', [['name', 'like', 'Tx ']], ['name'])).toEqual([{ id: expect.any(Number), name: 'Tx 2' }]);
  });

  it('reports constraints the way Odoo 18 does', () => {
    const env = fresh().env();
    const unique = pyError(() => env.create('res.users', [{ name: 'Dup', login: 'demo' }]));
    expect(unique.pyName).toBe('odoo.exceptions.ValidationError');
    expect(unique.debug).toMatch(/psycopg2\.errors\.UniqueViolation: duplicate key value violates unique constraint "res_users_login_key"/);
    const notNull = pyError(() => env.create('sale.order', [{}]));
    expect(notNull.message).toMatch(/^The operation cannot be completed:\n- Create\/update: a mandatory field is not set\./);
    expect(notNull.debug).toMatch(/NotNullViolation/);
    const missing = pyError(() => env.write('res.partner', [123456], { name: 'x' }));
    expect(missing.message).toBe('Record does not exist or has been deleted.\n(Record: res.partner(123456,), User: 1)');
  });

  it('checks access rights per group', () => {
    const state = fresh();
    const portal = state.env(state.users.portal.uid);
    expect(portal.read('product.product', [1], ['name'])).toHaveLength(1);
    const denied = pyError(() => portal.create('res.partner', [{ name: 'x' }]));
    expect(denied.pyName).toBe('odoo.exceptions.AccessError');
    expect(denied.message.split('\n')[0]).toBe("You are not allowed to create 'Contact' (res.partner) records.");
    expect(denied.message).toContain('\t- Extra Rights/Contact Creation');
  });

  it('never returns secrets through read', () => {
    const env = fresh().env();
    const [admin] = env.read('res.users', [2], ['login', 'password', 'api_keys']);
    expect(admin).toEqual({ id: 2, login: 'admin', password: false, api_keys: false });
  });

  it('maps execute_kw positional arguments onto named parameters', () => {
    const env = fresh().env();
    expect(positionalToKwargs(env, 'res.partner', 'search_read', [[['is_company', '=', true]], ['name'], 0, 2])).toEqual({
      ids: undefined,
      kwargs: { domain: [['is_company', '=', true]], fields: ['name'], offset: 0, limit: 2 },
    });
    expect(positionalToKwargs(env, 'res.partner', 'write', [[1, 2], { name: 'x' }])).toEqual({ ids: [1, 2], kwargs: { vals: { name: 'x' } } });
    expect(pyError(() => callMethod(env, 'res.partner', '_private', [], {})).message).toMatch(/cannot be called remotely/);
    expect(pyError(() => callMethod(env, 'res.partner', 'search', undefined, { bogus: 1 })).pyName).toBe('builtins.TypeError');
  });
});

describe('Store equality index', () => {
  it('follows inserts, writes, removals and rollbacks', () => {
    const store = new Store();
    store.insert('sale.order.line', { id: 1, order_id: 5 });
    store.insert('sale.order.line', { id: 2, order_id: 5 });
    expect([...store.lookup('sale.order.line', 'order_id', 5)]).toEqual([1, 2]);
    const mark = store.mark();
    const second = store.table('sale.order.line').get(2)!;
    store.set('sale.order.line', second, 'order_id', 6);
    store.insert('sale.order.line', { id: 3, order_id: 6 });
    store.remove('sale.order.line', 1);
    expect([...store.lookup('sale.order.line', 'order_id', 5)]).toEqual([]);
    expect([...store.lookup('sale.order.line', 'order_id', 6)].sort()).toEqual([2, 3]);
    store.rollbackTo(mark);
    expect([...store.lookup('sale.order.line', 'order_id', 5)].sort()).toEqual([1, 2]);
    expect([...store.lookup('sale.order.line', 'order_id', 6)]).toEqual([]);
  });

  it('answers searches on a foreign key exactly like a scan', () => {
    const env = fresh().env(1, { active_test: false });
    const templates = env.searchRows('product.template', []);
    expect(templates.length).toBeGreaterThan(5);
    for (const t of templates) {
      const indexed = env.search('product.product', [['product_tmpl_id', '=', t.id]]);
      // An explicit '&' is not a plain conjunction: this one is evaluated over every row.
      const scanned = env.search('product.product', ['&', ['product_tmpl_id', '=', t.id], ['id', '!=', 0]]);
      expect(indexed).toEqual(scanned);
      expect(indexed.length).toBeGreaterThan(0);
    }
  });
});
