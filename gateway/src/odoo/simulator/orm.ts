/**
 * A small in-memory ORM with Odoo's semantics where the gateway can see them: field types and
 * their wire formats (`false` for empty, `[id, name]` for many-to-one), defaults, `active`
 * filtering, x2many commands, access rights per group, NOT NULL / CHECK / UNIQUE constraints
 * reported like Odoo 18, and transactions with savepoints (an undo log, rolled back on error).
 */
import {
  PyError,
  accessError,
  attributeError,
  checkViolation,
  missingError,
  notNullViolation,
  typeError,
  uniqueViolation,
  userError,
  valueError,
} from './exceptions.js';
import { domainFields, filterDomain, type FieldAccess } from './domain.js';

export type FieldType =
  | 'char'
  | 'text'
  | 'html'
  | 'integer'
  | 'float'
  | 'monetary'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'selection'
  | 'many2one'
  | 'one2many'
  | 'many2many'
  | 'json';

export type Row = { id: number; [field: string]: unknown };
export type Vals = Record<string, unknown>;

export interface FieldDef {
  type: FieldType;
  string: string;
  relation?: string;
  /** one2many: the many2one field on the comodel pointing back. */
  inverse?: string;
  required?: boolean;
  readonly?: boolean;
  selection?: Array<[string, string]>;
  default?: unknown | ((env: Env) => unknown);
  /** Computed on read, not stored. */
  compute?: (row: Row, env: Env) => unknown;
  /** Read and written through a many-to-one, e.g. `product_tmpl_id.name`. */
  related?: string;
  /** Never sent over RPC (passwords, keys): reads answer false. */
  secret?: boolean;
  /** many2one: what unlinking the target does. Default `set null`. */
  ondelete?: 'cascade' | 'set null' | 'restrict';
}

export interface MethodDef {
  /** `model` methods take no ids; `records` methods take ids first. */
  api: 'model' | 'records';
  /** Positional parameter names after the ids, as Python declares them. */
  params: string[];
  run(env: Env, ids: number[], kwargs: Vals, model: string): unknown;
}

export interface ModelDef {
  name: string;
  description: string;
  table?: string;
  fields: Record<string, FieldDef>;
  order?: string;
  recName?: string;
  displayName?: (row: Row, env: Env) => string;
  /** group xml id → permission letters: r(ead) w(rite) c(reate) d(elete). */
  acl: Record<string, string>;
  unique?: Array<{ name: string; fields: string[]; message: string }>;
  checks?: Array<{ name: string; check: (row: Row) => boolean; message: string }>;
  /** Python constraints: throw a ValidationError. */
  constrains?: (rows: Row[], env: Env) => void;
  beforeCreate?: (vals: Vals, env: Env) => Vals;
  afterCreate?: (rows: Row[], env: Env) => void;
  afterWrite?: (rows: Row[], vals: Vals, before: Map<number, Row>, env: Env) => void;
  beforeUnlink?: (rows: Row[], env: Env) => void;
  methods?: Record<string, MethodDef>;
}

type Undo = () => void;

const NO_IDS: ReadonlySet<number> = new Set();

function indexAdd(index: Map<unknown, Set<number>>, value: unknown, id: number): void {
  let ids = index.get(value);
  if (!ids) index.set(value, (ids = new Set()));
  ids.add(id);
}

function indexDelete(index: Map<unknown, Set<number>>, value: unknown, id: number): void {
  const ids = index.get(value);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(value);
}

/** The tables and the undo log of the running transaction. */
export class Store {
  readonly tables = new Map<string, Map<number, Row>>();
  private readonly nextIds = new Map<string, number>();
  private log: Undo[] = [];
  /**
   * Equality indexes (model → field → value → ids), each built on first use and then kept up to
   * date by insert/set/remove and their undo steps, like a database index: searches on a foreign
   * key (an order's lines, a picking's moves) stay fast however many records the simulator holds.
   */
  private readonly indexes = new Map<string, Map<string, Map<unknown, Set<number>>>>();

  table(model: string): Map<number, Row> {
    let t = this.tables.get(model);
    if (!t) this.tables.set(model, (t = new Map()));
    return t;
  }

  newId(model: string): number {
    const id = this.nextIds.get(model) ?? 1;
    this.nextIds.set(model, id + 1);
    return id;
  }

  /** Reserves ids below `id` (seed data with fixed ids). */
  bumpId(model: string, id: number): void {
    if ((this.nextIds.get(model) ?? 1) <= id) this.nextIds.set(model, id + 1);
  }

  /** Ids of the rows whose stored `field` is exactly `value` (the caller still checks the rows). */
  lookup(model: string, field: string, value: unknown): ReadonlySet<number> {
    let byField = this.indexes.get(model);
    if (!byField) this.indexes.set(model, (byField = new Map()));
    let index = byField.get(field);
    if (!index) {
      byField.set(field, (index = new Map()));
      for (const row of this.table(model).values()) indexAdd(index, row[field], row.id);
    }
    return index.get(value) ?? NO_IDS;
  }

  private indexRow(model: string, row: Row, add: boolean): void {
    for (const [field, index] of this.indexes.get(model) ?? []) (add ? indexAdd : indexDelete)(index, row[field], row.id);
  }

  private indexField(model: string, row: Row, field: string, from: unknown, to: unknown): void {
    const index = this.indexes.get(model)?.get(field);
    if (!index || this.tables.get(model)?.get(row.id) !== row) return;
    indexDelete(index, from, row.id);
    indexAdd(index, to, row.id);
  }

  insert(model: string, row: Row): void {
    const t = this.table(model);
    t.set(row.id, row);
    this.indexRow(model, row, true);
    this.log.push(() => {
      t.delete(row.id);
      this.indexRow(model, row, false);
    });
  }

  set(model: string, row: Row, field: string, value: unknown): void {
    const had = Object.prototype.hasOwnProperty.call(row, field);
    const old = row[field];
    row[field] = value;
    this.indexField(model, row, field, old, value);
    this.log.push(() => {
      if (had) row[field] = old;
      else delete row[field];
      this.indexField(model, row, field, value, old);
    });
  }

  remove(model: string, id: number): void {
    const t = this.table(model);
    const row = t.get(id);
    if (!row) return;
    this.indexRow(model, row, false);
    t.delete(id);
    this.log.push(() => {
      t.set(id, row);
      this.indexRow(model, row, true);
    });
  }

  /** Registers an undo step for state kept outside the tables. */
  onRollback(undo: Undo): void {
    this.log.push(undo);
  }

  mark(): number {
    return this.log.length;
  }

  rollbackTo(mark: number): void {
    while (this.log.length > mark) this.log.pop()!();
  }

  commit(): void {
    this.log = [];
  }
}

export interface Group {
  xmlId: string;
  fullName: string;
}

export interface SimHooks {
  /** Called before the commit of every call: coalesced events are written here. */
  beforeCommit: Array<(env: Env) => void>;
}

/** Everything an Env reaches: models, data, groups, clock, hooks. */
export interface OrmContext {
  db: string;
  models: Map<string, ModelDef>;
  store: Store;
  now(): Date;
  hooks: SimHooks;
  /** Free-form per-simulator state used by models (outbox sequence, coalescing sets…). */
  bag: Record<string, unknown>;
}

export const SUPERUSER_ID = 1;

const CLASSIC_ORDER = 'id';

export function odooDatetime(d: Date): string {
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

function emptyValue(f: FieldDef): unknown {
  switch (f.type) {
    case 'one2many':
    case 'many2many':
      return [];
    case 'integer':
    case 'float':
    case 'monetary':
      return 0;
    case 'boolean':
      return false;
    default:
      return false;
  }
}

/** An environment: a user, a context, superuser or not. Methods mirror Odoo's ORM. */
export class Env {
  constructor(
    readonly ctx: OrmContext,
    readonly uid: number,
    readonly context: Vals = {},
    readonly su = false,
  ) {}

  get store(): Store {
    return this.ctx.store;
  }

  sudo(): Env {
    return new Env(this.ctx, this.uid, this.context, true);
  }

  withContext(extra: Vals): Env {
    return new Env(this.ctx, this.uid, { ...this.context, ...extra }, this.su);
  }

  model(name: string): ModelDef {
    const m = this.ctx.models.get(name);
    if (!m) throw userError(`Object ${name} doesn't exist`);
    return m;
  }

  row(model: string, id: number): Row | undefined {
    return this.store.table(model).get(id);
  }

  rows(model: string, ids: number[]): Row[] {
    const t = this.store.table(model);
    return ids.map((id) => t.get(id)).filter((r): r is Row => r !== undefined);
  }

  /** Rows that must exist, or Odoo's MissingError. */
  existing(model: string, ids: number[]): Row[] {
    const t = this.store.table(model);
    const missing = ids.filter((id) => !t.has(id));
    if (missing.length) throw missingError(model, missing, this.uid);
    return ids.map((id) => t.get(id)!);
  }

  // ---- access rights -------------------------------------------------------------------------

  userGroups(): Set<string> {
    const user = this.row('res.users', this.uid);
    const groups = new Set<string>();
    for (const gid of (user?.groups_id as number[] | undefined) ?? []) {
      const g = this.row('res.groups', gid);
      if (g) groups.add(String(g.xml_id));
    }
    return groups;
  }

  checkAccess(model: string, operation: 'read' | 'write' | 'create' | 'unlink'): void {
    if (this.su || this.uid === SUPERUSER_ID) return;
    const def = this.model(model);
    const letter = { read: 'r', write: 'w', create: 'c', unlink: 'd' }[operation];
    const mine = this.userGroups();
    const allowedGroups = Object.entries(def.acl).filter(([, perms]) => perms.includes(letter));
    if (allowedGroups.some(([g]) => g === '*' || mine.has(g))) return;
    const labels = allowedGroups
      .map(([g]) => [...this.store.table('res.groups').values()].find((r) => r.xml_id === g)?.full_name as string | undefined)
      .filter((l): l is string => !!l)
      .sort();
    throw accessError(operation, def.description, model, labels);
  }

  // ---- values ----------------------------------------------------------------------------------

  field(model: string, name: string): FieldDef {
    const f =
      name === 'id'
        ? ({ type: 'integer', string: 'ID', readonly: true } as FieldDef)
        : name === 'display_name'
          ? ({ type: 'char', string: 'Display Name', readonly: true, compute: (row: Row, env: Env) => env.displayName(model, row) } as FieldDef)
          : this.model(model).fields[name];
    if (!f) throw valueError(`Invalid field '${name}' on model '${model}'`);
    return f;
  }

  /** The raw value of a field: many-to-one as id or false, to-many as id list. */
  value(model: string, row: Row, name: string): unknown {
    if (name === 'id') return row.id;
    if (name === 'display_name') return this.displayName(model, row);
    const f = this.field(model, name);
    if (f.related) {
      const [via, ...rest] = f.related.split('.');
      const target = row[via!];
      if (!target) return emptyValue(f);
      const viaField = this.field(model, via!);
      const targetRow = this.row(viaField.relation!, target as number);
      return targetRow ? this.value(viaField.relation!, targetRow, rest.join('.')) : emptyValue(f);
    }
    if (f.compute) return f.compute(row, this);
    if (f.type === 'one2many') {
      const inv = f.inverse!;
      const out: number[] = [];
      for (const r of this.store.table(f.relation!).values()) {
        if (r[inv] === row.id && (r.active === undefined || r.active !== false || this.context.active_test === false)) out.push(r.id);
      }
      return out.sort((a, b) => a - b);
    }
    const v = row[name];
    return v === undefined ? emptyValue(f) : v;
  }

  displayName(model: string, row: Row): string {
    const def = this.model(model);
    if (def.displayName) return def.displayName(row, this);
    const rec = def.recName ?? (def.fields.name ? 'name' : undefined);
    return rec ? String(this.value(model, row, rec) || '') : `${model},${row.id}`;
  }

  private access(): FieldAccess<{ model: string; row: Row }> {
    return {
      value: (r, f) => this.value(r.model, r.row, f),
      related: (r, f) => {
        if (f === 'id' || f === 'display_name') return null;
        const fd = this.field(r.model, f);
        if (!fd.relation) return null;
        const v = this.value(r.model, r.row, f);
        const ids = Array.isArray(v) ? (v as number[]) : v ? [v as number] : [];
        return this.rows(fd.relation, ids).map((row) => ({ model: fd.relation!, row }));
      },
      displayName: (r, f) => {
        const fd = this.field(r.model, f);
        const v = this.value(r.model, r.row, f);
        const target = v ? this.row(fd.relation!, v as number) : undefined;
        return target ? this.displayName(fd.relation!, target) : false;
      },
      isToMany: (r, f) => f !== 'id' && f !== 'display_name' && ['one2many', 'many2many'].includes(this.field(r.model, f).type),
    };
  }

  // ---- search ----------------------------------------------------------------------------------

  search(model: string, domain: unknown, opts: { offset?: number; limit?: number | null | false; order?: string | null | false } = {}): number[] {
    this.checkAccess(model, 'read');
    return this.searchRows(model, domain, opts).map((r) => r.id);
  }

  searchRows(model: string, domain: unknown, opts: { offset?: number; limit?: number | null | false; order?: string | null | false } = {}): Row[] {
    const def = this.model(model);
    const indexed = this.indexedCandidates(model, def, domain);
    let rows = indexed ? this.rows(model, [...indexed]) : [...this.store.table(model).values()];
    if (def.fields.active && this.context.active_test !== false && !domainFields(domain).has('active')) {
      rows = rows.filter((r) => r.active !== false);
    }
    const matched = filterDomain(
      rows.map((row) => ({ model, row })),
      domain,
      this.access(),
    ).map((x) => x.row);
    this.sortRows(model, matched, (opts.order || def.order || CLASSIC_ORDER) as string);
    const offset = opts.offset ?? 0;
    const end = opts.limit ? offset + opts.limit : undefined;
    return matched.slice(offset, end);
  }

  /**
   * The ids a plain conjunction with a `field = value` leaf on a stored scalar field can match, from
   * the store's index (the whole domain is still evaluated on them); null when no leaf qualifies.
   */
  private indexedCandidates(model: string, def: ModelDef, domain: unknown): ReadonlySet<number> | null {
    if (!Array.isArray(domain) || domain.some((term) => !Array.isArray(term))) return null; // '&', '|', '!': not a plain conjunction
    for (const leaf of domain as unknown[][]) {
      if (leaf.length !== 3 || leaf[1] !== '=' || typeof leaf[0] !== 'string') continue;
      const f = def.fields[leaf[0]];
      if (!f || f.compute || f.related) continue;
      const value = leaf[2];
      const numeric = (f.type === 'many2one' || f.type === 'integer') && typeof value === 'number';
      const text = (f.type === 'char' || f.type === 'selection') && typeof value === 'string' && value !== '';
      if (numeric || text) return this.store.lookup(model, leaf[0], value);
    }
    return null;
  }

  private sortRows(model: string, rows: Row[], order: string): void {
    const keys = order
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const [field, dir] = s.split(/\s+/);
        if (!/^[a-z_][a-z0-9_]*$/.test(field ?? '')) throw valueError(`Invalid "order" specified (${order}).`);
        return { field: field!, desc: (dir ?? '').toLowerCase() === 'desc' };
      });
    const key = (row: Row, field: string): unknown => {
      const f = field === 'id' ? undefined : this.field(model, field);
      const v = this.value(model, row, field);
      if (f?.type === 'many2one' && v) {
        const t = this.row(f.relation!, v as number);
        return t ? this.displayName(f.relation!, t) : v;
      }
      return v;
    };
    rows.sort((a, b) => {
      for (const { field, desc } of keys) {
        const x = key(a, field) as number | string | boolean;
        const y = key(b, field) as number | string | boolean;
        if (x === y) continue;
        // NULLs (false) last in ascending order, like PostgreSQL.
        if (x === false) return desc ? -1 : 1;
        if (y === false) return desc ? 1 : -1;
        const c = x < y ? -1 : 1;
        return desc ? -c : c;
      }
      return a.id - b.id;
    });
  }

  // ---- read ------------------------------------------------------------------------------------

  /** Odoo's `read`: ids that do not exist are skipped (Odoo 18), values in wire format. */
  read(model: string, ids: number[], fields?: string[] | null): Vals[] {
    this.checkAccess(model, 'read');
    const def = this.model(model);
    const names = fields && fields.length ? fields : Object.keys(def.fields);
    for (const n of names) this.field(model, n);
    return this.rows(model, ids).map((row) => this.formatRow(model, row, names));
  }

  formatRow(model: string, row: Row, names: string[]): Vals {
    const out: Vals = { id: row.id };
    for (const n of names) {
      if (n === 'id') continue;
      out[n] = this.formatValue(model, row, n);
    }
    return out;
  }

  formatValue(model: string, row: Row, name: string): unknown {
    if (name === 'display_name') return this.displayName(model, row);
    const f = this.field(model, name);
    if (f.secret) return false;
    const v = this.value(model, row, name);
    if (f.type === 'many2one') {
      if (!v) return false;
      const target = this.row(f.relation!, v as number);
      return target ? [target.id, this.displayName(f.relation!, target)] : false;
    }
    if (f.type === 'one2many' || f.type === 'many2many') return [...((v as number[]) ?? [])];
    if (v === null || v === undefined) return emptyValue(f);
    if (f.type === 'json' && v && typeof v === 'object') return structuredClone(v);
    return v;
  }

  // ---- create / write / unlink ------------------------------------------------------------------

  create(model: string, valsList: Vals[]): number[] {
    this.checkAccess(model, 'create');
    const def = this.model(model);
    const created: Row[] = [];
    for (const raw of valsList) {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw typeError(`create() expects a dict of values, got ${JSON.stringify(raw)}`);
      const vals = def.beforeCreate ? def.beforeCreate({ ...raw }, this) : { ...raw };
      const row: Row = { id: this.store.newId(model) };
      const later: Array<[string, unknown]> = [];
      for (const [name, f] of Object.entries(def.fields)) {
        if (f.compute || f.related || f.type === 'one2many') continue;
        if (!(name in vals) && f.default !== undefined) {
          row[name] = typeof f.default === 'function' ? (f.default as (env: Env) => unknown)(this) : structuredClone(f.default);
        }
      }
      for (const [name, value] of Object.entries(vals)) {
        const f = this.field(model, name);
        if (f.type === 'one2many' || f.type === 'many2many' || f.related) {
          later.push([name, value]);
          continue;
        }
        if (f.compute) continue;
        row[name] = this.convert(f, value);
      }
      if (def.fields.create_date && row.create_date === undefined) row.create_date = odooDatetime(this.ctx.now());
      if (def.fields.write_date) row.write_date = odooDatetime(this.ctx.now());
      this.store.insert(model, row);
      for (const [name, value] of later) this.writeField(model, row, name, value);
      created.push(row);
    }
    this.checkConstraints(model, created);
    def.afterCreate?.(created, this);
    return created.map((r) => r.id);
  }

  write(model: string, ids: number[], vals: Vals): true {
    this.checkAccess(model, 'write');
    const def = this.model(model);
    if (!vals || typeof vals !== 'object' || Array.isArray(vals)) throw typeError(`write() expects a dict of values, got ${JSON.stringify(vals)}`);
    const rows = this.existing(model, ids);
    const before = new Map(rows.map((r) => [r.id, { ...r }]));
    for (const row of rows) {
      for (const [name, value] of Object.entries(vals)) this.writeField(model, row, name, value);
      if (def.fields.write_date) this.store.set(model, row, 'write_date', odooDatetime(this.ctx.now()));
    }
    this.checkConstraints(model, rows);
    def.afterWrite?.(rows, vals, before, this);
    return true;
  }

  unlink(model: string, ids: number[]): true {
    this.checkAccess(model, 'unlink');
    const def = this.model(model);
    const rows = this.existing(model, ids);
    def.beforeUnlink?.(rows, this);
    for (const row of rows) {
      for (const other of this.ctx.models.values()) {
        for (const [fname, f] of Object.entries(other.fields)) {
          if (f.type !== 'many2one' || f.relation !== model || f.compute || f.related) continue;
          for (const r of [...this.store.table(other.name).values()]) {
            if (r[fname] !== row.id) continue;
            if (f.ondelete === 'cascade') this.sudo().unlink(other.name, [r.id]);
            else if (f.ondelete === 'restrict') throw userError(`The operation cannot be completed: another model requires the record being deleted.`);
            else this.store.set(other.name, r, fname, false);
          }
        }
      }
      this.store.remove(model, row.id);
    }
    return true;
  }

  /** Sets one field, applying x2many commands and related writes. */
  writeField(model: string, row: Row, name: string, value: unknown): void {
    const f = this.field(model, name);
    if (f.related) {
      const [via, ...rest] = f.related.split('.');
      const target = row[via!] as number | false;
      if (!target) return;
      const viaField = this.field(model, via!);
      this.sudo().write(viaField.relation!, [target], { [rest.join('.')]: value });
      return;
    }
    if (f.compute) return;
    if (f.type === 'one2many' || f.type === 'many2many') {
      this.applyCommands(model, row, name, f, value);
      return;
    }
    this.store.set(model, row, name, this.convert(f, value));
  }

  private convert(f: FieldDef, value: unknown): unknown {
    if (value === null || value === undefined) return emptyValue(f);
    switch (f.type) {
      case 'many2one':
        if (value === false || value === 0) return false;
        if (Array.isArray(value)) return value[0];
        if (typeof value !== 'number') throw valueError(`Wrong value for ${f.string}: ${JSON.stringify(value)}`);
        return value;
      case 'integer':
        return value === false ? 0 : Math.trunc(Number(value));
      case 'float':
      case 'monetary':
        return value === false ? 0 : Number(value);
      case 'boolean':
        return Boolean(value);
      case 'selection':
        if (value !== false && f.selection && !f.selection.some(([k]) => k === value)) {
          throw valueError(`Wrong value for ${f.string}: ${JSON.stringify(value)}`);
        }
        return value;
      case 'json':
        return structuredClone(value);
      default:
        return value === '' ? false : value;
    }
  }

  private applyCommands(model: string, row: Row, name: string, f: FieldDef, value: unknown): void {
    const commands = Array.isArray(value) ? value : [];
    const comodel = f.relation!;
    const current = (): number[] => (this.value(model, row, name) as number[]) ?? [];
    const setM2m = (ids: number[]) => this.store.set(model, row, name, [...new Set(ids)]);
    for (const cmd of commands) {
      if (typeof cmd === 'number') {
        // A bare id list (Odoo accepts it for many2many writes).
        if (f.type === 'many2many') setM2m([...current(), cmd]);
        continue;
      }
      if (!Array.isArray(cmd)) throw valueError(`Invalid x2many command ${JSON.stringify(cmd)}`);
      const [op, id, vals] = cmd as [number, number, unknown];
      switch (op) {
        case 0: {
          const v = { ...(vals as Vals) };
          if (f.type === 'one2many') v[f.inverse!] = row.id;
          const [newId] = this.sudo().create(comodel, [v]);
          if (f.type === 'many2many') setM2m([...current(), newId!]);
          break;
        }
        case 1:
          this.sudo().write(comodel, [id], vals as Vals);
          break;
        case 2:
          this.sudo().unlink(comodel, [id]);
          if (f.type === 'many2many') setM2m(current().filter((x) => x !== id));
          break;
        case 3:
          if (f.type === 'one2many') this.sudo().write(comodel, [id], { [f.inverse!]: false });
          else setM2m(current().filter((x) => x !== id));
          break;
        case 4:
          if (f.type === 'one2many') this.sudo().write(comodel, [id], { [f.inverse!]: row.id });
          else setM2m([...current(), id]);
          break;
        case 5:
          if (f.type === 'one2many') for (const cid of current()) this.sudo().write(comodel, [cid], { [f.inverse!]: false });
          else setM2m([]);
          break;
        case 6: {
          const ids = (vals as number[]) ?? [];
          if (f.type === 'one2many') {
            for (const cid of current()) if (!ids.includes(cid)) this.sudo().write(comodel, [cid], { [f.inverse!]: false });
            for (const cid of ids) this.sudo().write(comodel, [cid], { [f.inverse!]: row.id });
          } else setM2m(ids);
          break;
        }
        default:
          throw valueError(`Invalid x2many command ${JSON.stringify(cmd)}`);
      }
    }
  }

  private checkConstraints(model: string, rows: Row[]): void {
    const def = this.model(model);
    const table = def.table ?? model.replace(/\./g, '_');
    for (const row of rows) {
      if (!this.store.table(model).has(row.id)) continue;
      for (const c of def.checks ?? []) {
        if (!c.check(row)) throw checkViolation(table, `${table}_${c.name}`, c.message);
      }
      for (const [name, f] of Object.entries(def.fields)) {
        if (!f.required || f.compute || f.related || f.type === 'one2many' || f.type === 'many2many' || f.type === 'boolean') continue;
        const v = row[name];
        if (v === undefined || v === null || v === false || v === '') throw notNullViolation(table, name, def.description, model, f.string);
      }
      for (const u of def.unique ?? []) {
        const values = u.fields.map((n) => row[n]);
        if (values.some((v) => v === false || v === null || v === undefined)) continue;
        const stored = this.store.table(model);
        for (const id of this.store.lookup(model, u.fields[0]!, values[0])) {
          const other = stored.get(id)!;
          if (other.id !== row.id && u.fields.every((n, i) => other[n] === values[i])) {
            throw uniqueViolation(`${table}_${u.name}`, u.fields, values, u.message);
          }
        }
      }
    }
    def.constrains?.(rows, this);
  }

  fieldsGet(model: string, allfields?: string[] | null, attributes?: string[] | null): Vals {
    this.checkAccess(model, 'read');
    const def = this.model(model);
    const names = allfields && allfields.length ? allfields.filter((n) => n in def.fields) : Object.keys(def.fields);
    const out: Vals = {};
    for (const n of names) {
      const f = def.fields[n]!;
      const full: Vals = {
        type: f.type,
        string: f.string,
        required: !!f.required,
        readonly: !!(f.readonly || f.compute),
        store: !(f.compute || f.related),
        ...(f.relation ? { relation: f.relation } : {}),
        ...(f.selection ? { selection: f.selection } : {}),
      };
      out[n] = attributes && attributes.length ? Object.fromEntries(Object.entries(full).filter(([k]) => attributes.includes(k))) : full;
    }
    return out;
  }

  /** Runs `fn` in a savepoint: on error, everything it did is undone and the error rethrown. */
  savepoint<T>(fn: () => T): T {
    const mark = this.store.mark();
    try {
      return fn();
    } catch (err) {
      this.store.rollbackTo(mark);
      throw err;
    }
  }
}

const asIds = (v: unknown): number[] => {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  throw typeError(`Expected record ids, got ${JSON.stringify(v)}`);
};

const optNumber = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const optFields = (v: unknown): string[] | undefined => (Array.isArray(v) ? (v as string[]) : undefined);

/** The ORM methods every model has, with Odoo 18's positional parameter order. */
export const baseMethods: Record<string, MethodDef> = {
  search: {
    api: 'model',
    params: ['domain', 'offset', 'limit', 'order'],
    run: (env, _ids, kw, model) => env.search(model, kw.domain ?? [], { offset: optNumber(kw.offset), limit: optNumber(kw.limit), order: kw.order as string }),
  },
  search_read: {
    api: 'model',
    params: ['domain', 'fields', 'offset', 'limit', 'order'],
    run: (env, _ids, kw, model) => {
      const ids = env.search(model, kw.domain ?? [], { offset: optNumber(kw.offset), limit: optNumber(kw.limit), order: kw.order as string });
      return env.read(model, ids, optFields(kw.fields));
    },
  },
  search_count: {
    api: 'model',
    params: ['domain', 'limit'],
    run: (env, _ids, kw, model) => env.search(model, kw.domain ?? [], { limit: optNumber(kw.limit) }).length,
  },
  read: {
    api: 'records',
    params: ['fields', 'load'],
    run: (env, ids, kw, model) => env.read(model, ids, optFields(kw.fields)),
  },
  create: {
    api: 'model',
    params: ['vals_list'],
    run: (env, _ids, kw, model) => {
      const v = kw.vals_list;
      if (Array.isArray(v)) return env.create(model, v as Vals[]);
      return env.create(model, [v as Vals])[0];
    },
  },
  write: {
    api: 'records',
    params: ['vals'],
    run: (env, ids, kw, model) => env.write(model, ids, kw.vals as Vals),
  },
  unlink: {
    api: 'records',
    params: [],
    run: (env, ids, _kw, model) => env.unlink(model, ids),
  },
  fields_get: {
    api: 'model',
    params: ['allfields', 'attributes'],
    run: (env, _ids, kw, model) => env.fieldsGet(model, optFields(kw.allfields), optFields(kw.attributes)),
  },
  name_search: {
    api: 'model',
    params: ['name', 'domain', 'operator', 'limit'],
    run: (env, _ids, kw, model) => {
      const def = env.model(model);
      const rec = def.recName ?? 'name';
      const name = (kw.name as string) ?? '';
      const domain = [...((kw.domain as unknown[]) ?? []), ...(name ? [[rec, (kw.operator as string) ?? 'ilike', name]] : [])];
      const rows = (env.checkAccess(model, 'read'), env.searchRows(model, domain, { limit: optNumber(kw.limit) ?? 100 }));
      return rows.map((r) => [r.id, env.displayName(model, r)]);
    },
  },
  exists: {
    api: 'records',
    params: [],
    run: (env, ids, _kw, model) => env.rows(model, ids).map((r) => r.id),
  },
};

/** The public method `model.method`, or Odoo's AttributeError. */
export function findMethod(env: Env, model: string, method: string): MethodDef {
  const def = env.model(model);
  if (method.startsWith('_')) throw attributeError(`Private methods (such as '${method}') cannot be called remotely.`);
  const m = def.methods?.[method] ?? baseMethods[method];
  if (!m) throw attributeError(`The method '${method}' does not exist on the model '${model}'`);
  return m;
}

/** Resolves and runs `model.method` with Odoo's calling convention. */
export function callMethod(env: Env, model: string, method: string, ids: number[] | undefined, kwargs: Vals): unknown {
  const m = findMethod(env, model, method);
  const allowed = new Set(m.params);
  for (const k of Object.keys(kwargs)) {
    if (!allowed.has(k) && !(m.params.length === 1 && m.params[0] === '**kwargs')) {
      throw typeError(`${model}.${method}() got an unexpected keyword argument '${k}'`);
    }
  }
  return m.run(env, m.api === 'records' ? asIds(ids ?? []) : [], kwargs, model);
}

/** Maps `execute_kw` positional args onto the method's named parameters. */
export function positionalToKwargs(env: Env, model: string, method: string, args: unknown[]): { ids?: number[]; kwargs: Vals } {
  const m = findMethod(env, model, method);
  let rest = args;
  let ids: number[] | undefined;
  if (m.api === 'records') {
    if (!args.length) throw typeError(`${model}.${method}() missing the record ids`);
    ids = asIds(args[0]);
    rest = args.slice(1);
  }
  if (rest.length > m.params.length) throw typeError(`${model}.${method}() takes ${m.params.length} positional arguments but ${rest.length} were given`);
  const kwargs: Vals = {};
  rest.forEach((v, i) => (kwargs[m.params[i]!] = v));
  return { ids, kwargs };
}

export function isPyError(e: unknown): e is PyError {
  return e instanceof PyError;
}
