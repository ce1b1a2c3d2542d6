/**
 * The README's route table ("The API") and the OpenAPI document cannot drift apart: every
 * operation of `/openapi.json` is in the table as `METHOD /path`, and every partner or admin
 * operation the table names is in the document.
 */
import '@hono/zod-openapi';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const root = join(import.meta.dirname, '..', '..');
let gw: TestGateway;
let documented: Set<string>;

beforeAll(async () => {
  gw = await startTestGateway();
  const doc = (await (await gw.fetch('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
  documented = new Set(Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)));
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

/** The `METHOD /path` code spans of the table under "## The API" (a query string is not part of the path). */
function tableOperations(): Set<string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The API'), readme.indexOf('\n## ', readme.indexOf('## The API') + 1));
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  const ops = rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)[^`]*`/g)].map((m) => `${m[1]} ${m[2]}`));
  return new Set(ops);
}

describe('the README route table', () => {
  it('names every operation of the OpenAPI document', () => {
    const table = tableOperations();
    expect(documented.size).toBeGreaterThan(20);
    expect([...documented].filter((op) => !table.has(op)).sort()).toEqual([]);
  });

  it('names no operation the document does not have', () => {
    expect([...tableOperations()].filter((op) => !documented.has(op)).sort()).toEqual([]);
  });
});
