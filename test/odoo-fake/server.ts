/**
 * The fake's HTTP server (node:http): the routes the gateway's client touches, with Odoo's wire
 * formats, a cost per call, a cap on calls running at once (like Odoo's workers) with the peak
 * observed, and fault injection.
 *
 *   POST /web/webclient/version_info          JSON-RPC, no auth: the version probe
 *   GET  /web/version                         Odoo 19's plain version route
 *   POST /jsonrpc                             common.version/authenticate/login, object.execute_kw/execute
 *   POST /json/2/<model>/<method>             JSON-2, bearer API key
 *
 * Model calls reach the addon's contract methods only (and the back office's `create` of a
 * `retail_gateway.partner` and of a `product.product`, which the recordings make); any
 * other model or method answers as Odoo does for a missing one.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ADDON_MODELS, addonMethod, callAddon, createPartnerRecord, createProductRecord, type CallContext } from './addon.js';
import { costOf, type CostModel } from './cost.js';
import type { Faults, TakenFault } from './faults.js';
import type { FakeState, User } from './state.js';
import { PyError, json2Error, json2HttpError, jsonRpcError, jsonRpcResult, versionInfo } from './wire.js';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Counters the benchmarks and the bulkhead tests read. */
export class FakeStats {
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

  /** Calls of `method` on any model. */
  callsOf(method: string): number {
    return [...this.byMethod].filter(([k]) => k.endsWith(`.${method}`)).reduce((s, [, n]) => s + n, 0);
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

export interface FakeServerOptions {
  state: FakeState;
  serverVersion: string;
  cost: CostModel;
  maxConcurrent: number;
  faults: Faults;
  stats: FakeStats;
}

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());
const accessDenied = () => new PyError('odoo.exceptions.AccessDenied', 'Access Denied', 403);

type Answer = { status: number; body: unknown; headers?: Record<string, string> } | 'dropped' | 'stalled';
type Vals = Record<string, unknown>;

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

/** What a model call runs: the contract method, the registration of a partner, or Odoo's refusal. */
function resolve(model: string, method: string): ((c: CallContext, kwargs: Vals, positional: unknown[]) => unknown) | PyError {
  const addon = addonMethod(model, method);
  if (addon) return (c, kwargs) => callAddon(c, addon, kwargs);
  if (model === 'retail_gateway.partner' && method === 'create') return (c, kwargs, positional) => createPartnerRecord(c, positional[0] ?? kwargs.vals_list);
  if (model === 'product.product' && method === 'create') return (c, kwargs, positional) => createProductRecord(c, positional[0] ?? kwargs.vals_list);
  if (!ADDON_MODELS.has(model) && model !== 'product.product') return new PyError('odoo.exceptions.UserError', `Object ${model} doesn't exist`, 422);
  return new PyError('builtins.AttributeError', `The method '${method}' does not exist on the model '${model}'`, 404);
}

export function createFakeServer(o: FakeServerOptions): Server {
  const semaphore = new Semaphore(o.maxConcurrent);

  /** Runs one model call with its cost, cap and faults. */
  async function modelCall(model: string, method: string, kwargs: Vals, exec: () => unknown, answer: (result: unknown) => Answer, fail: (err: unknown) => Answer): Promise<Answer> {
    const fault = o.faults.take(model, method);
    if (fault?.kind === 'network' && !fault.afterCommit) return 'dropped';
    if (fault?.kind === 'timeout') return 'stalled';
    if (fault?.kind === 'unavailable') return { status: 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>', headers: { 'content-type': 'text/html' } };
    await semaphore.acquire();
    o.stats.active++;
    o.stats.peakActive = Math.max(o.stats.peakActive, o.stats.active);
    try {
      o.stats.count(model, method);
      await sleep(costOf(o.cost, method, kwargs) + o.faults.delayMs);
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

  function context(user: User, raw: unknown, faults = o.faults): CallContext {
    const ctx = raw && typeof raw === 'object' ? (raw as Vals) : {};
    return { state: o.state, faults, user, requestId: typeof ctx.request_id === 'string' ? ctx.request_id : null };
  }

  function checkDb(db: unknown): void {
    if (db !== o.state.db) throw new PyError('psycopg2.OperationalError', `connection to server failed: FATAL:  database "${String(db)}" does not exist`, 500);
  }

  async function jsonrpc(payload: { id?: unknown; params?: { service?: string; method?: string; args?: unknown[] } }): Promise<Answer> {
    const id = payload.id ?? null;
    const ok = (result: unknown): Answer => ({ status: 200, body: jsonRpcResult(id, result) });
    const ko = (err: unknown): Answer => ({ status: 200, body: jsonRpcError(id, err, o.serverVersion) });
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
      if (service === 'object' && (method === 'execute_kw' || method === 'execute')) {
        const [db, uid, secret, model, modelMethod] = args as [string, unknown, unknown, string, string];
        checkDb(db);
        const user = o.state.checkUid(uid, secret);
        if (!user) throw accessDenied();
        const positional = (method === 'execute_kw' ? ((args[5] as unknown[]) ?? []) : args.slice(5)) as unknown[];
        const { context: rawContext, ...kwargs } = method === 'execute_kw' ? ((args[6] as Vals) ?? {}) : {};
        const run = resolve(String(model), String(modelMethod));
        if (run instanceof PyError) throw run;
        const c = context(user, rawContext);
        return modelCall(String(model), String(modelMethod), kwargs, () => run(c, kwargs, positional), ok, ko);
      }
      throw new PyError('builtins.KeyError', String(service), 500);
    } catch (err) {
      return ko(err);
    }
  }

  async function json2(req: IncomingMessage, model: string, method: string, raw: string): Promise<Answer> {
    if (req.method !== 'POST') return { status: 405, body: json2HttpError(405, 'MethodNotAllowed', 'The method is not allowed for the requested URL.').body };
    const m = /^bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const user = m ? o.state.userForApiKey(m[1]!.trim()) : null;
    if (!user) return json2HttpError(401, 'Unauthorized', 'Invalid apikey');
    const dbHeader = req.headers['x-odoo-database'];
    if (dbHeader !== undefined && dbHeader !== o.state.db) return json2HttpError(404, 'NotFound', `database ${String(dbHeader)} not found`);
    let body: Vals;
    try {
      body = raw.length ? (JSON.parse(raw) as Vals) : {};
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new TypeError('expecting a json object');
    } catch (err) {
      return json2HttpError(400, 'BadRequest', `could not parse the body as json: ${(err as Error).message}`);
    }
    const { ids, context: rawContext, ...kwargs } = body;
    const run = resolve(model, method);
    // Odoo 19's wording (test/recordings/odoo19: wrong_model, wrong_method).
    if (run instanceof PyError) return json2HttpError(404, 'NotFound', run.pyName.endsWith('UserError') ? `the model '${model}' does not exist` : `The method '${model}.${method}' does not exist`);
    if (Array.isArray(ids) && ids.length) return json2HttpError(422, 'UnprocessableEntity', `cannot call ${model}.${method} with ids`);
    const ok = (result: unknown): Answer => ({ status: 200, body: method === 'create' && typeof result === 'number' ? [result] : (result ?? null) });
    const c = context(user, rawContext);
    return modelCall(model, method, kwargs, () => run(c, kwargs, []), ok, json2Error);
  }

  async function route(req: IncomingMessage): Promise<Answer> {
    const path = new URL(req.url ?? '/', 'http://odoo-fake').pathname;
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
