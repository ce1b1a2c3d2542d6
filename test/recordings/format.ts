/**
 * The recording format shared by the recorder (record.ts, against a real Odoo) and the replay
 * test (replay.test.ts, against the fake Odoo), and the normalisation rule of README.md.
 */

export interface Recording {
  name: string;
  description: string;
  /** Where it was recorded: server version and transport, never a secret. */
  source: { server_version: string; transport: 'jsonrpc' | 'json2' | 'http' };
  request: {
    method: 'POST' | 'GET';
    path: string;
    /** JSON-2 only: the API key (a template) sent as `Authorization: bearer <key>`, with `X-Odoo-Database: <db>`. */
    bearer?: string;
    /** A template: a string "$name" anywhere stands for a variable (db, key, uid, ids found earlier). */
    body: unknown;
  };
  /** Variables taken from the answer for later exchanges: name → dotted path ("result.0.id"). */
  extract?: Record<string, string>;
  compare: {
    /** value: equal after normalisation; shape: same keys and types; subset: shape of the listed keys of `result`. */
    mode: 'value' | 'shape' | 'subset';
    keys?: string[];
    /** Paths whose values must be equal, whatever the mode. */
    equal?: string[];
  };
  response: { status: number; body: unknown };
}

export type Vars = Record<string, unknown>;

/** Replaces every string "$name" by the variable's value (any JSON type). */
export function fill(template: unknown, vars: Vars): unknown {
  if (typeof template === 'string' && template.startsWith('$') && /^\$[a-z_][a-z0-9_]*$/.test(template)) {
    const name = template.slice(1);
    if (!(name in vars)) throw new Error(`recording uses $${name}, which no earlier exchange or environment set`);
    return vars[name];
  }
  if (Array.isArray(template)) return template.map((v) => fill(v, vars));
  if (template && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fill(v, vars)]));
  }
  return template;
}

export function at(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Debug traces keep only their exception lines ("psycopg2.errors.UniqueViolation: …",
 * "odoo.exceptions.ValidationError: …"): the code lines are Odoo's source and change with it.
 */
export function stripTrace(debug: string): string {
  return debug
    .split('\n')
    .filter((l) => l.length > 0 && !/^\s/.test(l))
    .join('\n');
}

/** The volatile parts of a message: numbers (ids, uids), quoted record names, trailing spaces. */
export function normaliseMessage(message: string): string {
  return message.replace(/\d+/g, '<n>').replace(/[ \t]+\n/g, '\n').trim();
}

/** Odoo error messages often end in a list that depends on installed modules; the first paragraph is the contract. */
export function firstParagraph(message: string): string {
  return normaliseMessage(message.split('\n\n')[0] ?? message);
}

/** Normalises a whole response body for storage and comparison. */
export function normaliseBody(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const b = structuredClone(body) as Record<string, unknown>;
  const error = b.error as { data?: { debug?: string } } | undefined;
  if (error?.data && typeof error.data.debug === 'string') error.data.debug = stripTrace(error.data.debug);
  if (typeof b.debug === 'string') b.debug = stripTrace(b.debug);
  return b;
}

type Shape = string | Shape[] | { [k: string]: Shape };

/**
 * The type skeleton of a value. Odoo writes an empty field as `false` (and the addon's contract
 * payloads an absent value as `null`), so both are wildcards. Arrays take the shape of their first
 * element.
 */
export function shapeOf(value: unknown): Shape {
  if (value === false || value === null) return '*';
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]));
  }
  return typeof value;
}

/** Differences between an expected (recorded) shape and an actual one, as readable paths. */
export function shapeDiff(expected: Shape, actual: Shape, path = '$'): string[] {
  if (expected === '*' || actual === '*') return [];
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) return [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    if (!expected.length || !actual.length) return [];
    return shapeDiff(expected[0]!, actual[0]!, `${path}[0]`);
  }
  if (typeof expected === 'object' || typeof actual === 'object') {
    if (typeof expected !== 'object' || typeof actual !== 'object') return [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    const out: string[] = [];
    for (const k of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (!(k in expected)) out.push(`${path}.${k}: not in the recording`);
      else if (!(k in actual)) out.push(`${path}.${k}: missing`);
      else out.push(...shapeDiff(expected[k]!, actual[k]!, `${path}.${k}`));
    }
    return out;
  }
  return expected === actual ? [] : [`${path}: expected ${expected}, got ${actual}`];
}

/** The normalised version answer: only the major and the release level matter. */
export function normaliseVersion(body: unknown): unknown {
  const b = structuredClone(body) as { result?: Record<string, unknown> };
  const r = b?.result;
  if (r && Array.isArray(r.server_version_info)) {
    const [major, , , level] = r.server_version_info as unknown[];
    r.server_version_info = [major, '<minor>', '<micro>', level, '<serial>', '<extra>'];
  }
  return b;
}

/** The headers of a request: JSON, and for JSON-2 the bearer key and the database. */
export function requestHeaders(request: Recording['request'], vars: Vars): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (request.bearer !== undefined) {
    headers.authorization = `bearer ${String(fill(request.bearer, vars))}`;
    headers['x-odoo-database'] = String(fill('$db', vars));
  }
  return headers;
}

/**
 * A JSON-2 answer in the JSON-RPC envelope the comparisons and `extract` paths read: the body as
 * `result` when it succeeded, as `error.data` (Odoo's serialized exception) when not, the HTTP
 * status standing in for `error.code`. A JSON-RPC answer is returned as it is.
 */
export function envelope(request: Recording['request'], status: number, body: unknown): unknown {
  if (request.bearer === undefined) return body;
  if (status >= 200 && status < 300) return { result: body };
  return { error: { code: status, message: 'JSON-2 error', data: body } };
}
