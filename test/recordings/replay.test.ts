/**
 * Replays the exchanges recorded from a real Odoo 18 (test/recordings/odoo18, JSON-RPC) and 19
 * (test/recordings/odoo19, JSON-2 for the model calls the gateway makes), two ways:
 *
 * - the addon's methods (`addon_*`) and the generic calls the gateway's client makes (version
 *   probe, `common.authenticate`, a call with a wrong key) against the fake of the contract
 *   (test/odoo-fake), comparing the answers under the normalisation rule of README.md;
 * - every other recorded answer (ORM reads and Odoo's exceptions: access, validation, missing
 *   record, unique violation, wrong model or method) through the gateway's own client, from a
 *   server that answers the recorded body: a result comes out as Odoo sent it, an exception as
 *   the typed error the gateway maps it to.
 */
import { isDeepStrictEqual } from 'node:util';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOdooClient } from '../../gateway/src/odoo/client.js';
import { OdooError, type OdooErrorKind } from '../../gateway/src/odoo/errors.js';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { at, envelope, fill, firstParagraph, normaliseBody, normaliseMessage, normaliseVersion, requestHeaders, shapeDiff, shapeOf, type Recording, type Vars } from './format.js';
import { replayVars } from './record.js';

const root = dirname(fileURLToPath(import.meta.url));
/** The recordings of each Odoo series: odoo18 over JSON-RPC, odoo19 over JSON-2 where the gateway uses it. */
const series = readdirSync(root)
  .filter((d) => /^odoo\d+$/.test(d))
  .sort()
  .map((d) => ({
    major: Number(d.slice(4)),
    recordings: readdirSync(join(root, d))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(root, d, f), 'utf8')) as Recording),
  }));

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

/** Placeholders of the run's unique values, longest first (so `$order_ext_2` is not read as `$order_ext`). */
const PLACEHOLDERS = Object.entries(replayVars).sort(([a], [b]) => b.length - a.length);

/**
 * A value under `compare.equal` (and an error's message), as compared: in the recording, the placeholders of the run's
 * unique values inside strings (`"Unknown SKU $rec_barcode."`) read as their replay values; in
 * both, the numbers in a reason's `message` (record names such as `S00029`) are volatile, as in an
 * error's message.
 */
/** A recorded string with the placeholders of the run's unique values read as their replay values. */
const withReplayValues = (text: string) => PLACEHOLDERS.reduce((t, [name, v]) => t.replaceAll(`$${name}`, v), text);

function equalValue(value: unknown, recorded: boolean, key?: string): unknown {
  if (typeof value === 'string') {
    const text = recorded ? withReplayValues(value) : value;
    return key === 'message' ? normaliseMessage(text) : text;
  }
  if (Array.isArray(value)) return value.map((v) => equalValue(v, recorded));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, equalValue(v, recorded, k)]));
  return value;
}

/** Compares an answer (in the JSON-RPC envelope, see `envelope`) with the recorded one. */
function compare(rec: Recording, actualRaw: unknown): string[] {
  const expected = envelope(rec.request, rec.response.status, rec.response.body) as JsonRpcBody;
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
    const [am, em] = [firstParagraph(a.data.message), firstParagraph(withReplayValues(e.data.message))];
    if (am !== em) problems.push(`message ${JSON.stringify(am)} ≠ ${JSON.stringify(em)}`);
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
    const [e, a] = [equalValue(at(expected, path), true), equalValue(at(actual, path), false)];
    if (!isDeepStrictEqual(a, e)) problems.push(`${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(e)}`);
  }
  return problems;
}

/** The exchanges the fake answers: the addon's contract and the client's own generic calls. */
const FAKE_GENERIC = new Set(['version_info', 'common_version', 'authenticate', 'authenticate_wrong_key', 'execute_wrong_key', 'portal_authenticate']);

/** How the gateway's client maps each exception Odoo was recorded raising, by series. */
const EXPECTED_KIND: Record<number, Record<string, OdooErrorKind>> = {
  18: {
    session_authenticate_wrong_password: 'auth',
    create_with_keyword_values: 'server',
    unlink_confirmed_order: 'validation',
    write_missing_record: 'missing',
    create_partner_without_name: 'validation',
    create_duplicate_login: 'unique_violation',
    portal_read_quants: 'access',
    portal_create_partner: 'access',
    wrong_model: 'validation',
    wrong_method: 'server',
  },
  // JSON-2 answers an unknown model or method with werkzeug's NotFound (404): a server error.
  19: {
    session_authenticate_wrong_password: 'auth',
    unlink_confirmed_order: 'validation',
    write_missing_record: 'missing',
    create_partner_without_name: 'validation',
    create_duplicate_login: 'unique_violation',
    portal_read_quants: 'access',
    portal_create_partner: 'access',
    wrong_model: 'server',
    wrong_method: 'server',
  },
};

it('has the recordings of Odoo 18 and 19', () => {
  expect(series.map((s) => s.major)).toEqual([18, 19]);
  const json2 = series.find((s) => s.major === 19)!.recordings.filter((r) => r.source.transport === 'json2');
  expect(json2.filter((r) => r.name.startsWith('addon_')).length).toBeGreaterThanOrEqual(10);
});

for (const { major, recordings } of series) {
  const forFake = recordings.filter((r) => r.name.startsWith('addon_') || FAKE_GENERIC.has(r.name));
  const forClient = recordings.filter((r) => !forFake.includes(r));
  const expectedKind = EXPECTED_KIND[major] ?? {};

  describe(`Odoo ${major} recordings of the addon and the generic calls, replayed against the fake`, () => {
    let sim: OdooFake;
    const vars: Vars = {};

    beforeAll(async () => {
      sim = await startOdooFake({ serverVersion: recordings[0]!.source.server_version });
      // product_sku: a SKU the fake's catalog has (the recordings took theirs from a search_read).
      Object.assign(vars, { db: sim.db, login: sim.login, key: sim.apiKey, portal_login: 'portal', portal_password: 'portal', product_sku: 'FURN_7777', ...replayVars });
    });
    afterAll(async () => {
      await sim?.close();
    });

    it('has recordings of the addon, error cases included', () => {
      const names = forFake.map((r) => (envelope(r.request, r.response.status, r.response.body) as JsonRpcBody).error?.data.name).filter(Boolean);
      expect(forFake.filter((r) => r.name.startsWith('addon_')).length).toBeGreaterThanOrEqual(10);
      // A wrong key: AccessDenied over JSON-RPC (18), werkzeug's Unauthorized over JSON-2 (19).
      const wrongKey = major >= 19 ? 'werkzeug.exceptions.Unauthorized' : 'odoo.exceptions.AccessDenied';
      for (const n of [wrongKey, 'odoo.exceptions.UserError', 'odoo.exceptions.ValidationError', 'odoo.exceptions.AccessError']) expect(names).toContain(n);
    });

    for (const rec of forFake) {
      it(`${rec.name}: ${rec.description}`, async () => {
        const body = fill(rec.request.body, vars);
        const res = await fetch(sim.url + rec.request.path, {
          method: rec.request.method,
          headers: requestHeaders(rec.request, vars),
          body: rec.request.method === 'POST' ? JSON.stringify(body) : undefined,
        });
        const json = envelope(rec.request, res.status, (await res.json()) as unknown);
        expect(res.status).toBe(rec.response.status);
        expect(compare(rec, json)).toEqual([]);
        for (const [name, path] of Object.entries(rec.extract ?? {})) {
          vars[name] = at(json, path);
          expect(vars[name], `extracted ${name}`).toBeDefined();
        }
      });
    }
  });

  describe(`Odoo ${major}'s recorded answers through the gateway's client`, () => {
    let server: Server;
    let url: string;
    let answer: Recording['response'];

    beforeAll(async () => {
      server = createServer((req, res) => {
        let raw = '';
        req.on('data', (c) => (raw += c)).on('end', () => {
          const payload = JSON.parse(raw) as { id?: unknown; params?: { service?: string; method?: string } };
          // The client authenticates first over JSON-RPC; then every call gets the recorded answer
          // (over JSON-RPC under the request's id, over JSON-2 with the recorded status).
          const rpc = req.url === '/jsonrpc';
          const body = rpc && payload.params?.service === 'common' && payload.params.method === 'authenticate' ? { jsonrpc: '2.0', id: payload.id, result: 2 } : rpc ? { ...(answer.body as object), id: payload.id } : answer.body;
          res.writeHead(rpc ? 200 : answer.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((r) => server.close(() => r()));
    });

    it('has recordings of every kind of exception the client maps', () => {
      const kinds = new Set(forClient.map((r) => expectedKind[r.name]).filter(Boolean));
      for (const k of ['auth', 'access', 'validation', 'missing', 'unique_violation', 'server'] as const) expect(kinds).toContain(k);
      const errors = forClient.filter((r) => (envelope(r.request, r.response.status, r.response.body) as JsonRpcBody).error);
      expect(errors.map((r) => r.name).sort()).toEqual(Object.keys(expectedKind).sort());
    });

    for (const rec of forClient) {
      it(`${rec.name}: ${rec.description}`, async () => {
        const recorded = envelope(rec.request, rec.response.status, rec.response.body) as JsonRpcBody;
        answer = rec.response;
        const transport = rec.source.transport === 'json2' ? 'json2' : 'jsonrpc';
        const odoo = createOdooClient({ url, db: `rg${major}`, user: 'admin', apiKey: 'k', transport, retry: { attempts: 1 } });
        try {
          const call = odoo.call('recorded.model', 'recorded_method', { kwargs: {} });
          if (!recorded.error) {
            expect(await call).toEqual(recorded.result);
            return;
          }
          const err = await call.catch((e: unknown) => e);
          expect(err).toBeInstanceOf(OdooError);
          expect(err).toMatchObject({ kind: expectedKind[rec.name], odooName: recorded.error.data.name, message: recorded.error.data.message, model: 'recorded.model', method: 'recorded_method' });
        } finally {
          await odoo.close();
        }
      });
    }
  });
}
