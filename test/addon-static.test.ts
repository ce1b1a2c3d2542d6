/**
 * The Odoo addon, checked without Odoo: the static checker passes, and the golden event files the
 * addon's Python tests compare against are exact copies of contracts/examples/events.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('flags code that would work on one Odoo series only (18.0 or 19.0)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'addon-check-'));
    try {
      const addon = join(dir, 'retail_gateway');
      cpSync(join(root, 'odoo_addon', 'retail_gateway'), addon, { recursive: true });
      const manifest = join(addon, '__manifest__.py');
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/"version": "[^"]+"/, '"version": "18.0.1.0.0"'));
      writeFileSync(
        join(addon, 'models', 'series_probe.py'),
        [
          'from odoo import models',
          'from odoo.sql_db import TestCursor',
          '',
          '',
          'class SeriesProbe(models.Model):',
          '    _inherit = "res.partner"',
          '    _sql_constraints = [("x_uniq", "unique(x)", "x")]',
          '',
          '    def _probe(self):',
          '        self.env["res.users"].create({"groups_id": []})',
          '        return self.mobile, TestCursor',
          '',
        ].join('\n'),
      );
      const security = join(addon, 'security', 'retail_gateway_security.xml');
      writeFileSync(
        security,
        readFileSync(security, 'utf8').replace(
          '<field name="name">Integration User</field>',
          '<field name="name">Integration User</field><field name="users" eval="[]"/>',
        ),
      );
      const run = spawnSync('python3', [join(root, 'odoo_addon', 'check_addon.py'), addon], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("version '18.0.1.0.0' is not x.y.z");
      expect(run.stderr).toContain('imports from odoo.sql_db: use compat.py');
      expect(run.stderr).toContain('class SeriesProbe has _sql_constraints without @sql_constraints');
      expect(run.stderr).toContain("'groups_id' names a field of one Odoo series only");
      expect(run.stderr).toContain('.mobile exists in one Odoo series only');
      expect(run.stderr).toContain('sets res.groups.users, which exists in one Odoo series only');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
