/**
 * The Odoo addon, checked without Odoo: the static checker passes, and the golden event files the
 * addon's Python tests compare against are exact copies of contracts/examples/events.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addonEventTypes, eventEnvelopeFor } from '../contracts/src/events.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'contracts', 'examples', 'events');
const addonCopies = join(root, 'odoo_addon', 'retail_gateway', 'tests', 'data', 'events');

describe('odoo_addon/check_addon.py', () => {
  it('finds no problem in the addon', () => {
    const run = spawnSync('python3', [join(root, 'odoo_addon', 'check_addon.py')], { encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('ok: retail_gateway');
  });

  it('fails with a clear message on a broken addon', () => {
    const run = spawnSync('python3', [join(root, 'odoo_addon', 'check_addon.py'), join(root, 'contracts')], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('not an addon');
  });
});

describe('golden event files shared with the addon', () => {
  it('has a copy of every addon event example, byte for byte', () => {
    const copies = readdirSync(addonCopies).filter((f) => f.endsWith('.json')).sort();
    expect(copies).toEqual(addonEventTypes.map((t) => `${t}.json`).sort());
    for (const file of copies) {
      expect(readFileSync(join(addonCopies, file), 'utf8'), file).toBe(readFileSync(join(examples, file), 'utf8'));
    }
  });

  it.each([...addonEventTypes])('the %s example is a valid envelope of its type', (type) => {
    const envelope = JSON.parse(readFileSync(join(examples, `${type}.json`), 'utf8')) as unknown;
    const result = eventEnvelopeFor(type).safeParse(envelope);
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
  });
});
