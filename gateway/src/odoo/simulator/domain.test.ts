import { describe, expect, it } from 'vitest';
import { filterDomain, parseDomain, type FieldAccess } from './domain.js';
import { PyError } from './exceptions.js';

interface Rec {
  id: number;
  name: string | false;
  qty: number;
  active: boolean;
  tags: number[];
  partner: Rec | null;
}

const acme: Rec = { id: 10, name: 'Acme Corp', qty: 0, active: true, tags: [], partner: null };
const records: Rec[] = [
  { id: 1, name: 'Office Chair', qty: 5, active: true, tags: [1, 2], partner: acme },
  { id: 2, name: 'Office Lamp', qty: 0, active: false, tags: [], partner: null },
  { id: 3, name: 'Desk 50%', qty: 12, active: true, tags: [2], partner: acme },
  { id: 4, name: false, qty: -1, active: true, tags: [3], partner: null },
];

const access: FieldAccess<Rec> = {
  value: (r, f) => (f === 'partner' ? (r.partner?.id ?? false) : (r as unknown as Record<string, unknown>)[f]),
  related: (r, f) => (f === 'partner' ? (r.partner ? [r.partner] : []) : null),
  displayName: (r, f) => (f === 'partner' && r.partner ? (r.partner.name as string) : false),
  isToMany: (_r, f) => f === 'tags',
};

const ids = (domain: unknown) => filterDomain(records, domain, access).map((r) => r.id);

describe('domain evaluation', () => {
  it('matches everything for an empty domain', () => {
    expect(ids([])).toEqual([1, 2, 3, 4]);
  });

  it('supports comparison operators', () => {
    expect(ids([['qty', '=', 5]])).toEqual([1]);
    expect(ids([['qty', '!=', 5]])).toEqual([2, 3, 4]);
    expect(ids([['qty', '>', 0]])).toEqual([1, 3]);
    expect(ids([['qty', '>=', 5]])).toEqual([1, 3]);
    expect(ids([['qty', '<', 0]])).toEqual([4]);
    expect(ids([['qty', '<=', 0]])).toEqual([2, 4]);
    expect(ids([['id', 'in', [1, 3, 99]]])).toEqual([1, 3]);
    expect(ids([['id', 'not in', [1, 3]]])).toEqual([2, 4]);
  });

  it('treats false as empty, like SQL NULL in Odoo', () => {
    expect(ids([['name', '=', false]])).toEqual([4]);
    expect(ids([['name', '!=', false]])).toEqual([1, 2, 3]);
    expect(ids([['partner', '=', false]])).toEqual([2, 4]);
    expect(ids([['tags', '=', false]])).toEqual([2]);
  });

  it('supports like and ilike, with % wildcards, and their negations', () => {
    expect(ids([['name', 'ilike', 'office']])).toEqual([1, 2]);
    expect(ids([['name', 'like', 'office']])).toEqual([]);
    expect(ids([['name', 'not ilike', 'office']])).toEqual([3, 4]);
    expect(ids([['name', 'ilike', 'off%chair']])).toEqual([1]);
    expect(ids([['name', '=ilike', 'desk 50%']])).toEqual([3]);
    expect(ids([['name', '=like', 'Desk']])).toEqual([]);
  });

  it('combines with implicit &, explicit & and |, and !', () => {
    expect(ids([['qty', '>', 0], ['name', 'ilike', 'desk']])).toEqual([3]);
    expect(ids(['&', ['qty', '>', 0], ['name', 'ilike', 'desk']])).toEqual([3]);
    expect(ids(['|', ['qty', '=', 0], ['qty', '=', 12]])).toEqual([2, 3]);
    expect(ids(['!', ['active', '=', true]])).toEqual([2]);
    expect(ids(['|', '&', ['qty', '>', 0], ['active', '=', true], ['id', '=', 4]])).toEqual([1, 3, 4]);
    expect(ids([['active', '=', true], '|', ['id', '=', 1], ['id', '=', 4]])).toEqual([1, 4]);
  });

  it('follows many-to-one paths and compares a string with the display name', () => {
    expect(ids([['partner.name', '=', 'Acme Corp']])).toEqual([1, 3]);
    expect(ids([['partner', 'ilike', 'acme']])).toEqual([1, 3]);
    expect(ids([['partner', '=', 10]])).toEqual([1, 3]);
    expect(ids([['partner.name', '!=', 'Acme Corp']])).toEqual([2, 4]);
  });

  it('matches a to-many field when any related id matches', () => {
    expect(ids([['tags', 'in', [2]]])).toEqual([1, 3]);
    expect(ids([['tags', '=', 3]])).toEqual([4]);
    expect(ids([['tags', 'not in', [2]]])).toEqual([2, 4]);
  });

  it('accepts the true and false leaves', () => {
    expect(ids([[1, '=', 1]])).toEqual([1, 2, 3, 4]);
    expect(ids([[0, '=', 1]])).toEqual([]);
  });

  it('refuses malformed domains with a ValueError', () => {
    for (const bad of [['|', ['qty', '=', 1]], [['qty', 'between', 1]], 'qty = 1', [['qty', '=']]]) {
      expect(() => parseDomain(bad), JSON.stringify(bad)).toThrow(PyError);
    }
  });
});
