/**
 * Odoo search domains, evaluated in memory: prefix notation with `&` (implicit between terms),
 * `|` and `!`, and the leaf operators the gateway uses: = != <> in "not in" like ilike "not like"
 * "not ilike" =like =ilike > >= < <=. A path like `partner_id.email` follows many-to-one and
 * x-to-many fields; on a to-many field a leaf holds when any related record matches it.
 */
import { valueError } from './exceptions.js';

export type DomainLeaf = [string, string, unknown];
export type Domain = Array<DomainLeaf | '&' | '|' | '!' | unknown>;

type Node = { op: '&' | '|'; left: Node; right: Node } | { op: '!'; child: Node } | { op: 'leaf'; leaf: DomainLeaf } | { op: 'const'; value: boolean };

const OPERATORS = new Set(['=', '!=', '<>', 'in', 'not in', 'like', 'ilike', 'not like', 'not ilike', '=like', '=ilike', '>', '>=', '<', '<=', '=?']);

/** Parses a domain into a tree; throws Odoo's ValueError on a malformed one. */
export function parseDomain(domain: unknown): Node {
  if (domain === undefined || domain === null || domain === false) return { op: 'const', value: true };
  if (!Array.isArray(domain)) throw valueError(`Invalid domain: ${JSON.stringify(domain)}`);
  let i = 0;
  const term = (): Node => {
    if (i >= domain.length) throw valueError(`Invalid domain: ${JSON.stringify(domain)}`);
    const t = domain[i++];
    if (t === '&' || t === '|') {
      const left = term();
      const right = term();
      return { op: t, left, right };
    }
    if (t === '!') return { op: '!', child: term() };
    if (Array.isArray(t) && t.length === 3) {
      const [field, operator, value] = t as [unknown, unknown, unknown];
      if ((field === 1 || field === 0) && operator === '=' && value === 1) return { op: 'const', value: field === 1 };
      if (typeof field !== 'string' || typeof operator !== 'string' || !OPERATORS.has(operator.toLowerCase())) {
        throw valueError(`Invalid leaf ${JSON.stringify(t)}`);
      }
      return { op: 'leaf', leaf: [field, operator.toLowerCase(), value] };
    }
    throw valueError(`Invalid leaf ${JSON.stringify(t)}`);
  };
  let node: Node | undefined;
  while (i < domain.length) {
    const next = term();
    node = node ? { op: '&', left: node, right: next } : next;
  }
  return node ?? { op: 'const', value: true };
}

/** The fields a domain mentions (first path segment), e.g. to know whether it filters on `active`. */
export function domainFields(domain: unknown): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(domain)) return out;
  for (const t of domain) if (Array.isArray(t) && typeof t[0] === 'string') out.add(t[0].split('.')[0]!);
  return out;
}

/**
 * How the evaluator reads a record: the value of one field (path segment), and for relational
 * fields the related records to continue the path on.
 */
export interface FieldAccess<R> {
  /** Scalar value of a field: many-to-one as id or false, to-many as id list. */
  value(record: R, field: string): unknown;
  /** Related records of a relational field (empty for scalars). */
  related(record: R, field: string): R[] | null;
  /** Display name of a many-to-one target, for string comparisons on it. */
  displayName?(record: R, field: string): string | false;
  isToMany(record: R, field: string): boolean;
}

const isEmpty = (v: unknown) => v === false || v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

function likeToRegExp(pattern: string, wrap: boolean, insensitive: boolean): RegExp {
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(wrap ? body : `^${body}$`, insensitive ? 'is' : 's');
}

function compareScalar(actual: unknown, operator: string, operand: unknown): boolean {
  switch (operator) {
    case '=':
      if (operand === false || operand === null) return isEmpty(actual);
      return actual === operand || (typeof actual === 'number' && typeof operand === 'string' && String(actual) === operand);
    case '!=':
    case '<>':
      if (operand === false || operand === null) return !isEmpty(actual);
      return !(actual === operand);
    case '=?':
      return operand === false || operand === null || operand === undefined ? true : actual === operand;
    case 'in':
    case 'not in': {
      const list = Array.isArray(operand) ? operand : [operand];
      const hit = list.some((o) => (o === false || o === null ? isEmpty(actual) : o === actual));
      return operator === 'in' ? hit : !hit;
    }
    case 'like':
    case 'ilike':
    case 'not like':
    case 'not ilike':
    case '=like':
    case '=ilike': {
      const negate = operator.startsWith('not');
      if (operand === false || operand === null || operand === '') {
        // Odoo: ilike '' matches everything (including NULL), not ilike '' matches nothing.
        return !negate;
      }
      if (isEmpty(actual)) return negate;
      const re = likeToRegExp(String(operand), !operator.startsWith('='), operator.includes('ilike'));
      const hit = re.test(String(actual));
      return negate ? !hit : hit;
    }
    case '>':
    case '>=':
    case '<':
    case '<=': {
      if (isEmpty(actual) && actual !== 0) return false;
      if (operand === false || operand === null) return false;
      const a = actual as number | string;
      const b = operand as number | string;
      return operator === '>' ? a > b : operator === '>=' ? a >= b : operator === '<' ? a < b : a <= b;
    }
    default:
      throw valueError(`Invalid operator ${operator}`);
  }
}

function evalLeaf<R>(record: R, [path, operator, operand]: DomainLeaf, access: FieldAccess<R>): boolean {
  const [field, ...rest] = path.split('.');
  if (rest.length) {
    const related = access.related(record, field!) ?? [];
    const sub: DomainLeaf = [rest.join('.'), operator, operand];
    if (operator === '!=' || operator === 'not in' || operator.startsWith('not')) {
      // Negative operators on a path: true when no related record matches the positive form.
      const positive = operator === '!=' || operator === '<>' ? '=' : operator === 'not in' ? 'in' : operator.replace('not ', '');
      return !related.some((r) => evalLeaf(r, [rest.join('.'), positive, operand], access));
    }
    return related.some((r) => evalLeaf(r, sub, access));
  }
  const value = access.value(record, field!);
  if (access.isToMany(record, field!)) {
    const ids = (value as number[]) ?? [];
    if (operand === false || operand === null) return compareScalar(ids, operator, operand);
    if (typeof operand === 'string' && !['in', 'not in', '=', '!='].includes(operator)) {
      const names = (access.related(record, field!) ?? []).map((r) => access.value(r, 'display_name'));
      const hit = names.some((n) => compareScalar(n, operator.replace('not ', ''), operand));
      return operator.startsWith('not') ? !hit : hit;
    }
    const positive = operator === '!=' || operator === '<>' ? '=' : operator === 'not in' ? 'in' : operator;
    const hit = ids.some((id) => compareScalar(id, positive, operand));
    return positive === operator ? hit : !hit;
  }
  if (typeof operand === 'string' && access.displayName && typeof value === 'number' && access.related(record, field!) !== null) {
    // A string compared with a many-to-one compares with the target's display name (name_search).
    return compareScalar(access.displayName(record, field!), operator, operand);
  }
  return compareScalar(value, operator, operand);
}

export function evaluate<R>(node: Node, record: R, access: FieldAccess<R>): boolean {
  switch (node.op) {
    case 'const':
      return node.value;
    case '&':
      return evaluate(node.left, record, access) && evaluate(node.right, record, access);
    case '|':
      return evaluate(node.left, record, access) || evaluate(node.right, record, access);
    case '!':
      return !evaluate(node.child, record, access);
    case 'leaf':
      return evalLeaf(record, node.leaf, access);
  }
}

/** Filters records by a domain. */
export function filterDomain<R>(records: Iterable<R>, domain: unknown, access: FieldAccess<R>): R[] {
  const node = parseDomain(domain);
  const out: R[] = [];
  for (const r of records) if (evaluate(node, r, access)) out.push(r);
  return out;
}
