/**
 * Replays every exchange recorded from a real Odoo 18 (test/recordings/odoo18) against the
 * simulator and compares the answers under the normalisation rule of README.md.
 */
import { isDeepStrictEqual } from 'node:util';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSimulator, type OdooSimulator } from '../../gateway/src/odoo/simulator/index.js';
import { at, fill, firstParagraph, normaliseBody, normaliseVersion, shapeDiff, shapeOf, type Recording, type Vars } from './format.js';
import { replayVars } from './record.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'odoo18');
const recordings: Recording[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Recording);

/** The exception names a debug trace mentions, causes included ("psycopg2.errors.UniqueViolation"). */
function exceptionNames(debug: unknown): string[] {
  if (typeof debug !== 'string') return [];
  const names = debug
    .split('\n')
    .filter((l) => l && !/^\s/.test(l) && !/^(Traceback|The above|During handling|DETAIL|HINT)/.test(l))
    .map((l) => /^([A-Za-z_][\w.]*): /.exec(l)?.[1])
    .filter((n): n is string => !!n);
  return [...new Set(names)];
}

interface JsonRpcBody {
  jsonrpc?: string;
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data: { name: string; message: string; arguments: unknown[]; context: unknown; debug: string } };
}

function compare(rec: Recording, actualRaw: unknown): string[] {
  const expected = rec.response.body as JsonRpcBody;
  const actual = normaliseBody(actualRaw) as JsonRpcBody;
  const problems: string[] = [];
  const keys = (o: object) => Object.keys(o).sort().join(',');
  if (keys(expected) !== keys(actual)) return [`top-level keys: expected ${keys(expected)}, got ${keys(actual)}`];
  if (expected.error) {
    const e = expected.error;
    const a = actual.error!;
    if (a.code !== e.code) problems.push(`error.code ${a.code} ≠ ${e.code}`);
    if (a.message !== e.message) problems.push(`error.message ${a.message} ≠ ${e.message}`);
    if (a.data.name !== e.data.name) problems.push(`error name ${a.data.name} ≠ ${e.data.name}`);
    if (firstParagraph(a.data.message) !== firstParagraph(e.data.message)) problems.push(`message ${JSON.stringify(firstParagraph(a.data.message))} ≠ ${JSON.stringify(firstParagraph(e.data.message))}`);
    if (a.data.arguments.length !== e.data.arguments.length) problems.push(`arguments length ${a.data.arguments.length} ≠ ${e.data.arguments.length}`);
    if (!isDeepStrictEqual(a.data.context, e.data.context)) problems.push('error context differs');
    const [en, an] = [exceptionNames(e.data.debug), exceptionNames(a.data.debug)];
    if (!isDeepStrictEqual(an, en)) problems.push(`exceptions in debug ${JSON.stringify(an)} ≠ ${JSON.stringify(en)}`);
    return problems;
  }
  if (actual.id !== expected.id) problems.push(`id ${String(actual.id)} ≠ ${String(expected.id)}`);
  switch (rec.compare.mode) {
    case 'value': {
      const [e, a] = [normaliseVersion(expected), normaliseVersion(actual)] as JsonRpcBody[];
      if (!isDeepStrictEqual(a!.result, e!.result)) problems.push(`result ${JSON.stringify(a!.result)} ≠ ${JSON.stringify(e!.result)}`);
      break;
    }
    case 'shape':
      problems.push(...shapeDiff(shapeOf(expected.result), shapeOf(actual.result)));
      break;
    case 'subset': {
      const pick = (r: unknown) => Object.fromEntries((rec.compare.keys ?? []).map((k) => [k, (r as Record<string, unknown>)?.[k]]));
      problems.push(...shapeDiff(shapeOf(pick(expected.result)), shapeOf(pick(actual.result))));
      break;
    }
  }
  for (const path of rec.compare.equal ?? []) {
    if (!isDeepStrictEqual(at(actual, path), at(expected, path))) problems.push(`${path}: ${JSON.stringify(at(actual, path))} ≠ ${JSON.stringify(at(expected, path))}`);
  }
  return problems;
}

describe('Odoo 18 recordings replayed against the simulator', () => {
  let sim: OdooSimulator;
  const vars: Vars = {};

  beforeAll(async () => {
    sim = await startOdooSimulator();
    Object.assign(vars, { db: sim.db, login: sim.login, key: sim.apiKey, portal_login: 'portal', portal_password: 'portal', ...replayVars });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('has recordings, error cases included', () => {
    const names = recordings.map((r) => (r.response.body as JsonRpcBody).error?.data.name).filter(Boolean);
    expect(recordings.length).toBeGreaterThanOrEqual(20);
    for (const n of ['odoo.exceptions.AccessError', 'odoo.exceptions.AccessDenied', 'odoo.exceptions.MissingError', 'odoo.exceptions.ValidationError', 'odoo.exceptions.UserError']) {
      expect(names).toContain(n);
    }
  });

  for (const rec of recordings) {
    it(`${rec.name}: ${rec.description}`, async () => {
      const body = fill(rec.request.body, vars);
      const res = await fetch(sim.url + rec.request.path, {
        method: rec.request.method,
        headers: { 'content-type': 'application/json' },
        body: rec.request.method === 'POST' ? JSON.stringify(body) : undefined,
      });
      const json = (await res.json()) as unknown;
      expect(res.status).toBe(rec.response.status);
      expect(compare(rec, json)).toEqual([]);
      for (const [name, path] of Object.entries(rec.extract ?? {})) {
        vars[name] = at(json, path);
        expect(vars[name], `extracted ${name}`).toBeDefined();
      }
    });
  }
});
