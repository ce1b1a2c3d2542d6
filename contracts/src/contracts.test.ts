import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { computeAvailable } from './availability.js';
import { callerInputIssue, NUL_MESSAGE } from './common.js';
import { EventEnvelope, addonEventTypes, eventTypes } from './events.js';
import { renderJsonSchemas } from './json-schema.js';
import { Order } from './order.js';
import { odooOwnedFieldsIn } from './ownership.js';
import { schemaForExample } from './registry.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = join(root, 'examples');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : [],
  );
}

describe('golden examples', () => {
  const files = walk(examplesDir).map((f) => relative(examplesDir, f));

  it('exist for every event type', () => {
    for (const type of eventTypes) expect(files).toContain(`events/${type}.json`);
  });

  it.each(files)('%s validates against its schema', (file) => {
    const schema = schemaForExample(file);
    expect(schema, `no schema is mapped to examples/${file}`).toBeDefined();
    const parsed = schema!.safeParse(JSON.parse(readFileSync(join(examplesDir, file), 'utf8')));
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('event examples carry the type their file names', () => {
    for (const file of files.filter((f) => f.startsWith('events/'))) {
      const envelope = EventEnvelope.parse(JSON.parse(readFileSync(join(examplesDir, file), 'utf8')));
      expect(`events/${envelope.type}.json`).toBe(file);
    }
  });
});

describe('JSON Schema files', () => {
  it('are current (npm run contracts:generate)', () => {
    const dir = join(root, 'json-schema');
    const wanted = renderJsonSchemas();
    const present = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    expect(present).toEqual(Object.keys(wanted).sort());
    for (const [file, text] of Object.entries(wanted)) expect(readFileSync(join(dir, file), 'utf8'), file).toBe(text);
  });
});

describe('contract rules', () => {
  it('defines availability as on hand − reserved − safety stock, never negative', () => {
    expect(computeAvailable(10, 3, 2)).toBe(5);
    expect(computeAvailable(2, 3, 0)).toBe(0);
  });

  it('names the Odoo-owned fields a partner body touches', () => {
    expect(odooOwnedFieldsIn('order', { external_id: 'x', state: 'sale', amount_total: '1' })).toEqual(['state', 'amount_total']);
    expect(odooOwnedFieldsIn('order', { external_id: 'x' })).toEqual([]);
  });

  it('lists the addon events as a subset of all events', () => {
    for (const t of addonEventTypes) expect(eventTypes).toContain(t);
  });

  it('refuses money written as a float and unknown fields', () => {
    const base = JSON.parse(readFileSync(join(examplesDir, 'api/order.json'), 'utf8')) as Record<string, unknown>;
    expect(Order.safeParse(base).success).toBe(true);
    const lines = base.lines as Record<string, unknown>[];
    expect(Order.safeParse({ ...base, lines: [{ ...lines[0], unit_price: 19.99 }] }).success).toBe(false);
    expect(Order.safeParse({ ...base, surprise: true }).success).toBe(false);
  });
});

describe('callerInputIssue: the rules of every caller string', () => {
  it('finds U+0000 in values and keys, and prototype keys, with their path', () => {
    expect(callerInputIssue({ a: [{ b: 'ok' }, { c: 'x\u0000' }] })).toEqual({ path: 'a/1/c', message: NUL_MESSAGE, code: 'nul_character' });
    expect(callerInputIssue({ 'k\u0000': 1 })).toMatchObject({ path: 'k\\u0000', code: 'nul_character' });
    expect(callerInputIssue(JSON.parse('{"a":{"__proto__":{"x":1}}}'))).toMatchObject({ path: 'a/__proto__', code: 'prototype_key' });
    expect(callerInputIssue({ constructor: { prototype: {} } })).toMatchObject({ path: 'constructor', code: 'prototype_key' });
    expect(callerInputIssue('\u0000')).toMatchObject({ path: '', code: 'nul_character' });
  });

  it('passes ordinary input, an escaped "\\\\u0000" text and a constructor key without a prototype', () => {
    expect(callerInputIssue(JSON.parse('{"note":"\\\\u0000","constructor":"x","n":[1,null,true]}'))).toBeNull();
  });

  it('walks any depth without overflowing the stack', () => {
    const depth = 200_000;
    const deep = JSON.parse(`${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`) as unknown;
    expect(callerInputIssue(deep)?.code).toBe('nul_character');
  });
});
