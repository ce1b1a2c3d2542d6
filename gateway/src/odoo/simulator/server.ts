/**
 * The simulator's HTTP server (node:http): the routes a gateway touches, with Odoo's wire formats,
 * a cost per call, a cap on calls running at once (like Odoo's workers) with the peak observed, and
 * fault injection.
 *
 *   POST /web/webclient/version_info          JSON-RPC, no auth: the version probe
 *   GET  /web/version                         Odoo 19's plain version route
 *   POST /jsonrpc                             common.version/authenticate/login, db.list, object.execute_kw/execute
 *   POST /json/2/<model>/<method>             JSON-2, bearer API key
 *   POST /web/session/authenticate            web login (dashboard), sets a session cookie
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { costOf, type CostModel } from './cost.js';
import { PyError, accessDenied, typeError } from './exceptions.js';
import type { Faults, TakenFault } from './faults.js';
import { callMethod, findMethod, positionalToKwargs, type Vals } from './orm.js';
import type { SimulatorState } from './state.js';
import { json2Error, json2HttpError, jsonRpcError, jsonRpcResult, versionInfo } from './wire.js';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Counters the benchmarks and the bulkhead tests read. */
export class SimStats {
  /** Model calls (execute_kw and JSON-2), by `model.method`. */
  readonly byMethod = new Map<string, number>();
  calls = 0;
  requests = 0;
  /** HTTP requests open at the server right now, and the most seen at once. */
  inFlight = 0;
  peakInFlight = 0;
  /** Model calls running (past the `maxConcurrent` cap) right now, and the most seen at once. */
  active = 0;
  peakActive = 0;

  count(model: string, method: string): void {
    this.calls++;
    const key = `${model}.${method}`;
    this.byMethod.set(key, (this.byMethod.get(key) ?? 0) + 1);
  }

  resetPeaks(): void {
    this.peakInFlight = this.inFlight;
    this.peakActive = this.active;
  }

  reset(): void {
    this.byMethod.clear();
    this.calls = 0;
    this.requests = 0;
    this.resetPeaks();
  }
}

class Semaphore {
  private waiting: Array<() => void> = [];
  private running = 0;
  constructor(private readonly max: number) {}
  async acquire(): Promise<void> {
    if (this.running < this.max) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

export interface SimServerOptions {
  state: SimulatorState;
  db: string;
  serverVersion: string;
  cost: CostModel;
  maxConcurrent: number;
  faults: Faults;
  stats: SimStats;
}

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

type Answer = { status: number; body: unknown; headers?: Record<string, string> } | 'dropped' | 'stalled';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' && headers['content-type']?.startsWith('text/') ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function faultError(f: TakenFault, model: string): PyError {
  switch (f.kind) {
    case 'concurrency':
      return new PyError('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update', 500);
    case 'access':
      return new PyError('odoo.exceptions.AccessError', `You are not allowed to access '${model}' (${model}) records.`, 403);
    case 'auth':
      return accessDenied();
    default:
      return new PyError('builtins.RuntimeError', 'Simulated server failure', 500);
  }
}

export function createSimServer(o: SimServerOptions): Server {
  const semaphore = new Semaphore(o.maxConcurrent);
  const sessions = new Map<string, number>();

  /** Runs one model call with its cost, cap and faults; `exec` runs synchronously in a transaction. */
  async function modelCall(model: string, method: string, ids: number[] | undefined, kwargs: Vals, exec: () => unknown, answer: (result: unknown) => Answer, fail: (err: unknown) => Answer): Promise<Answer> {
    const fault = o.faults.take(model, method);
    if (fault?.kind === 'network' && !fault.afterCommit) return 'dropped';
    if (fault?.kind === 'timeout') return 'stalled';
    if (fault?.kind === 'unavailable') return { status: 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>', headers: { 'content-type': 'text/html' } };
    await semaphore.acquire();
    o.stats.active++;
    o.stats.peakActive = Math.max(o.stats.peakActive, o.stats.active);
    try {
      o.stats.count(model, method);
      await sleep(costOf(o.cost, model, method, ids, kwargs) + o.faults.delayMs);
      if (fault && fault.kind !== 'network') return fail(faultError(fault, model));
      let result: unknown;
      try {
        result = exec();
      } catch (err) {
        return fail(err);
      }
      if (fault?.kind === 'network') return 'dropped';
      return answer(result);
    } finally {
      o.stats.active--;
      semaphore.release();
    }
  }

  function splitContext(kwargs: Vals): { kwargs: Vals; context: Vals } {
    const { context, ...rest } = kwargs;
    return { kwargs: rest, context: context && typeof context === 'object' ? (context as Vals) : {} };
  }

  async function jsonrpc(payload: { id?: unknown; params?: { service?: string; method?: string; args?: unknown[] } }): Promise<Answer> {
    const id = payload.id ?? null;
    const ok = (result: unknown): Answer => ({ status: 200, body: jsonRpcResult(id, result) });
    const ko = (err: unknown): Answer => ({ status: 200, body: jsonRpcError(id, err) });
    const { service, method } = payload.params ?? {};
    const args = Array.isArray(payload.params?.args) ? payload.params.args : [];
    try {
      if (service === 'common') {
        if (method === 'version') return ok(versionInfo(o.serverVersion));
        if (method === 'authenticate' || method === 'login') {
          const [db, login, secret] = args as [string, string, string];
          checkDb(db);
          return ok(o.state.authenticate(String(login), String(secret)) ?? false);
        }
        throw new PyError('builtins.NameError', `Method not available ${String(method)}`, 500);
      }
      if (service === 'db') {
        if (method === 'list') return ok([o.db]);
        if (method === 'server_version') return ok(o.serverVersion);
        throw new PyError('builtins.KeyError', String(method), 500);
      }
      if (service === 'object' && (method === 'execute_kw' || method === 'execute')) {
        const [db, uid, secret, model, modelMethod] = args as [string, unknown, unknown, string, string];
        checkDb(db);
        const user = o.state.checkUid(uid, secret);
        const positional = method === 'execute_kw' ? ((args[5] as unknown[]) ?? []) : args.slice(5);
        const rawKwargs = method === 'execute_kw' ? ((args[6] as Vals) ?? {}) : {};
        const { kwargs: named, context } = splitContext(rawKwargs);
        const env = o.state.env(user, context);
        if (modelMethod === 'create' && positional.length === 0) {
          // Odoo ≤ 18 `_call_kw_model_create` reads the values from args[0], even when given by name.
          env.model(String(model));
          throw new PyError('builtins.IndexError', 'tuple index out of range', 500);
        }
        const { ids, kwargs } = positionalToKwargs(env, String(model), String(modelMethod), positional);
        for (const k of Object.keys(named)) {
          if (k in kwargs) throw typeError(`${model}.${modelMethod}() got multiple values for argument '${k}'`);
          kwargs[k] = named[k];
        }
        return modelCall(String(model), String(modelMethod), ids, kwargs, () => o.state.transaction((e) => callMethod(e, String(model), String(modelMethod), ids, kwargs), user, context), ok, ko);
      }
      throw new PyError('builtins.KeyError', String(service), 500);
    } catch (err) {
      return ko(err);
    }
  }

  function checkDb(db: unknown): void {
    if (db !== o.db) throw new PyError('psycopg2.OperationalError', `connection to server failed: FATAL:  database "${String(db)}" does not exist`, 500);
  }

  async function json2(req: IncomingMessage, model: string, method: string, raw: string): Promise<Answer> {
    if (req.method !== 'POST') return { status: 405, body: json2HttpError(405, 'MethodNotAllowed', 'The method is not allowed for the requested URL.').body };
    const auth = req.headers.authorization ?? '';
    const m = /^bearer\s+(.+)$/i.exec(auth);
    const uid = m ? o.state.uidForApiKey(m[1]!.trim()) : null;
    if (uid === null) return json2HttpError(401, 'Unauthorized', 'Invalid apikey');
    const dbHeader = req.headers['x-odoo-database'];
    if (dbHeader !== undefined && dbHeader !== o.db) return json2HttpError(404, 'NotFound', `database ${String(dbHeader)} not found`);
    let body: Vals;
    try {
      body = raw.length ? (JSON.parse(raw) as Vals) : {};
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new TypeError('expecting a json object');
    } catch (err) {
      return json2HttpError(400, 'BadRequest', `could not parse the body as json: ${(err as Error).message}`);
    }
    const { ids: rawIds, context: rawContext, ...kwargs } = body;
    const context = rawContext && typeof rawContext === 'object' ? (rawContext as Vals) : {};
    const ids = Array.isArray(rawIds) ? (rawIds as number[]) : undefined;
    const env = o.state.env(uid, context);
    if (!o.state.ctx.models.has(model)) return json2HttpError(404, 'NotFound', `the model '${model}' does not exist`);
    let api: 'model' | 'records';
    try {
      api = findMethod(env, model, method).api;
    } catch (err) {
      if (err instanceof PyError && err.pyName === 'builtins.AttributeError') return json2HttpError(404, 'NotFound', err.message);
      return json2Error(err);
    }
    if (api === 'model' && ids && ids.length) return json2HttpError(422, 'UnprocessableEntity', `cannot call ${model}.${method} with ids`);
    const ok = (result: unknown): Answer => ({ status: 200, body: method === 'create' && typeof result === 'number' ? [result] : (result ?? null) });
    const ko = (err: unknown): Answer => {
      if (err instanceof PyError && err.pyName === 'builtins.TypeError' && /unexpected keyword argument/.test(err.message)) {
        return json2HttpError(422, 'UnprocessableEntity', err.message);
      }
      return json2Error(err);
    };
    return modelCall(model, method, ids, kwargs, () => o.state.transaction((e) => callMethod(e, model, method, api === 'records' ? (ids ?? []) : undefined, kwargs), uid, context), ok, ko);
  }

  function sessionAuthenticate(payload: { id?: unknown; params?: { db?: string; login?: string; password?: string } }): Answer {
    const id = payload.id ?? null;
    const p = payload.params ?? {};
    try {
      checkDb(p.db);
      const uid = o.state.authenticate(String(p.login ?? ''), String(p.password ?? ''), { passwordOnly: true });
      if (uid === null) throw accessDenied();
      const env = o.state.env();
      const user = env.row('res.users', uid)!;
      const partner = env.row('res.partner', user.partner_id as number)!;
      const groups = new Set(((user.groups_id as number[]) ?? []).map((g) => String(env.row('res.groups', g)?.xml_id)));
      const session = randomBytes(24).toString('base64url');
      sessions.set(session, uid);
      const info = versionInfo(o.serverVersion);
      return {
        status: 200,
        headers: { 'set-cookie': `session_id=${session}; HttpOnly; Path=/; SameSite=Lax` },
        body: jsonRpcResult(id, {
          uid,
          is_system: groups.has('base.group_system'),
          is_admin: groups.has('base.group_erp_manager'),
          is_public: false,
          is_internal_user: groups.has('base.group_user'),
          user_context: { lang: 'en_US', tz: false, uid },
          db: o.db,
          server_version: info.server_version,
          server_version_info: info.server_version_info,
          name: String(user.name),
          username: String(user.login),
          partner_display_name: env.displayName('res.partner', partner),
          partner_id: partner.id,
          'web.base.url': 'http://127.0.0.1',
        }),
      };
    } catch (err) {
      return { status: 200, body: jsonRpcError(id, err) };
    }
  }

  async function route(req: IncomingMessage): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/web/version') {
      const v = versionInfo(o.serverVersion);
      return { status: 200, body: { version_info: v.server_version_info, version: v.server_version } };
    }
    const raw = await readBody(req);
    const json2Match = /^\/json\/2\/([^/]+)\/([^/]+)$/.exec(path);
    if (json2Match) return json2(req, decodeURIComponent(json2Match[1]!), decodeURIComponent(json2Match[2]!), raw);
    if (req.method !== 'POST') return { status: 405, body: 'Method Not Allowed', headers: { 'content-type': 'text/plain' } };
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return { status: 400, body: 'Invalid JSON data', headers: { 'content-type': 'text/plain' } };
    }
    switch (path) {
      case '/web/webclient/version_info':
        return { status: 200, body: jsonRpcResult(payload.id ?? null, versionInfo(o.serverVersion)) };
      case '/jsonrpc':
        return jsonrpc(payload as Parameters<typeof jsonrpc>[0]);
      case '/web/session/authenticate':
        return sessionAuthenticate(payload as Parameters<typeof sessionAuthenticate>[0]);
      default:
        return { status: 404, body: '<!doctype html><title>404 Not Found</title><h1>Not Found</h1>', headers: { 'content-type': 'text/html' } };
    }
  }

  const server = createServer((req, res) => {
    o.stats.requests++;
    o.stats.inFlight++;
    o.stats.peakInFlight = Math.max(o.stats.peakInFlight, o.stats.inFlight);
    res.once('close', () => o.stats.inFlight--);
    if (o.faults.state === 'down') {
      req.socket.destroy();
      return;
    }
    if (o.faults.state === 'stall') return;
    route(req).then(
      (answer) => {
        if (answer === 'dropped') req.socket.destroy();
        else if (answer !== 'stalled') send(res, answer.status, answer.body, answer.headers);
      },
      (err: unknown) => send(res, 500, { jsonrpc: '2.0', id: null, error: { code: 200, message: 'Odoo Server Error', data: { name: 'builtins.Exception', message: String(err), arguments: [String(err)], context: {}, debug: String(err) } } }),
    );
  });
  server.keepAliveTimeout = 5_000;
  return server;
}
