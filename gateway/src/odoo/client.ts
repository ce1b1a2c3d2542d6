/**
 * The Odoo client port and its implementation on undici.
 *
 * The transport is picked by probing `/web/webclient/version_info` on first use (Odoo ≥ 19 →
 * JSON-2, else JSON-RPC) unless forced. Reads are retried with backoff on retryable errors; writes
 * never are, and a write whose connection broke after sending reports `maybeCommitted`.
 * The request id travels in the Odoo context as `request_id`, where the addon stores it on events.
 */
import type { Logger } from 'pino';
import { rpc as rpcContract, type RpcArgs, type RpcMethod, type RpcResult } from '../../../contracts/src/odoo-rpc.js';
import { OdooAuthError, OdooContractError, OdooError, odooErrorFromTransport } from './errors.js';
import { createOdooHttp, type OdooTimeouts } from './http.js';
import { createJson2Transport } from './json2.js';
import { createJsonRpcTransport } from './jsonrpc.js';
import { probeOdooVersion, transportFor, type OdooVersion } from './probe.js';
import { backoffDelay, checkRetryPolicy, defaultRetryPolicy, isReadCall, type RetryPolicy } from './retry.js';
import type { OdooTransport, TransportName } from './transport.js';

export interface CallOptions {
  /** The gateway request that caused the call; sent as `request_id` in the Odoo context. */
  requestId?: string;
  /** Extra Odoo context (lang, tz, …), merged under the request id. */
  context?: Record<string, unknown>;
  /** The whole call's deadline, overriding the client's `timeouts.callMs`. */
  timeoutMs?: number;
  /** Overrides the method-name rule that decides whether a call is a read (retried) or a write. */
  kind?: 'read' | 'write';
}

export interface OdooClient {
  /** Call a model method. `ids` for record methods; kwargs for everything else (JSON-2 only supports named args). */
  call<T = unknown>(model: string, method: string, params?: { ids?: number[]; kwargs?: Record<string, unknown> }, opts?: CallOptions): Promise<T>;
  /** A typed call of the addon's RPC contract (contracts/src/odoo-rpc.ts `rpc`): validates args before and the result after, with zod. */
  rpc<M extends RpcMethod>(method: M, args: RpcArgs<M>, opts?: CallOptions): Promise<RpcResult<M>>;
  version(): Promise<{ serverVersion: string; major: number; transport: 'jsonrpc' | 'json2' }>;
  /**
   * Swaps the API key (or password) used from the next call on, without dropping calls in flight:
   * the rotated Odoo key takes over at runtime. Optional so test doubles need not implement it.
   */
  setSecret?(secret: string): void;
  /**
   * Proves another secret of the same user works (one addon call made with it on a separate
   * transport) without touching the secret in use. Throws `OdooAuthError` when Odoo refuses it.
   */
  verifySecret?(secret: string): Promise<void>;
  close(): Promise<void>;
}

export type OnOdooCall = (model: string, method: string, durationMs: number, error?: OdooError) => void;

export interface OdooClientOptions {
  /** Base URL of Odoo, e.g. `http://127.0.0.1:8069`. */
  url: string;
  db: string;
  /** Login of the technical user. */
  user: string;
  /** An API key of the technical user (preferred; the only credential JSON-2 accepts). */
  apiKey?: string;
  /** The user's password, for JSON-RPC only, when no API key is given. */
  password?: string;
  /** `auto` (default) probes the server; the others force a transport. */
  transport?: 'auto' | TransportName;
  timeouts?: Partial<OdooTimeouts>;
  /** Connections kept to Odoo at most. Default 10. */
  maxConnections?: number;
  keepAliveMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  /** Called after every attempt, for metrics. */
  onCall?: OnOdooCall;
  userAgent?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createOdooClient(options: OdooClientOptions): OdooClient {
  const secret = options.apiKey ?? options.password;
  if (!options.db) throw new TypeError('Odoo client: db is required');
  if (!options.user) throw new TypeError('Odoo client: user is required');
  if (!secret) throw new TypeError('Odoo client: apiKey or password is required');
  if (options.transport === 'json2' && !options.apiKey) throw new TypeError('Odoo client: JSON-2 needs an API key, not a password');
  const retry = checkRetryPolicy({ ...defaultRetryPolicy, ...options.retry });
  const http = createOdooHttp({
    url: options.url,
    maxConnections: options.maxConnections,
    keepAliveMs: options.keepAliveMs,
    timeouts: options.timeouts,
    userAgent: options.userAgent,
  });
  const creds = { db: options.db, login: options.user, secret };
  const log = options.logger;

  let selected: Promise<{ transport: OdooTransport; version: OdooVersion | null }> | undefined;

  async function select(): Promise<{ transport: OdooTransport; version: OdooVersion | null }> {
    const forced = options.transport && options.transport !== 'auto' ? options.transport : undefined;
    let version: OdooVersion | null = null;
    let name: TransportName;
    if (forced) {
      name = forced;
    } else {
      version = await probeOdooVersion(http, http.timeouts.connectMs + http.timeouts.headersMs);
      name = transportFor(version.major);
      if (name === 'json2' && !options.apiKey) {
        throw new OdooAuthError({ message: `Odoo ${version.serverVersion} speaks JSON-2, which needs an API key (ODOO_API_KEY), not a password`, odooName: 'config' });
      }
    }
    log?.info({ transport: name, server_version: version?.serverVersion }, 'odoo: transport selected');
    const transport = name === 'json2' ? createJson2Transport(http, creds) : createJsonRpcTransport(http, creds, log);
    return { transport, version };
  }

  function selection() {
    if (!selected) {
      selected = select();
      // A failed probe (Odoo down at start-up) is tried again on the next call.
      selected.catch(() => {
        selected = undefined;
      });
    }
    return selected;
  }

  async function call<T>(model: string, method: string, params: { ids?: number[]; kwargs?: Record<string, unknown> } = {}, opts: CallOptions = {}): Promise<T> {
    const read = isReadCall(method, opts.kind);
    const kwargs = { ...params.kwargs };
    const context: Record<string, unknown> = {
      ...(kwargs.context as Record<string, unknown> | undefined),
      ...opts.context,
      ...(opts.requestId ? { request_id: opts.requestId } : {}),
    };
    delete kwargs.context;
    const attempts = read ? retry.attempts : 1;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const { transport } = await selection();
        const result = await transport.call({ model, method, ids: params.ids, kwargs, context, timeoutMs: opts.timeoutMs });
        options.onCall?.(model, method, performance.now() - started);
        return result as T;
      } catch (raw) {
        const err = raw instanceof OdooError ? raw : odooErrorFromTransport(raw, { model, method });
        err.model ??= model;
        err.method ??= method;
        options.onCall?.(model, method, performance.now() - started, err);
        if (!err.retryable || attempt >= attempts) {
          log?.debug({ model, method, request_id: opts.requestId, err: { kind: err.kind, odoo_name: err.odooName, message: err.message } }, 'odoo: call failed');
          throw err;
        }
        const delay = backoffDelay(attempt, retry);
        log?.warn({ model, method, request_id: opts.requestId, attempt, delay_ms: delay, kind: err.kind }, 'odoo: read failed, retrying');
        await sleep(delay);
      }
    }
  }

  return {
    call,
    async rpc(method, args, opts = {}) {
      const def = rpcContract[method];
      if (!def) throw new OdooContractError({ message: `Unknown addon method ${String(method)}`, odooName: 'contract', method });
      const parsedArgs = def.args.safeParse(args);
      if (!parsedArgs.success) {
        throw new OdooContractError({ message: `Arguments of ${method} break the RPC contract: ${parsedArgs.error.message}`, odooName: 'contract', model: def.model, method });
      }
      const result = await call(def.model, method, { kwargs: parsedArgs.data as Record<string, unknown> }, opts);
      const parsed = def.result.safeParse(result);
      if (!parsed.success) {
        throw new OdooContractError({ message: `Answer of ${method} breaks the RPC contract: ${parsed.error.message}`, odooName: 'contract', model: def.model, method });
      }
      return parsed.data as RpcResult<typeof method>;
    },
    async version() {
      const { transport, version } = await selection();
      const v = version ?? (await probeOdooVersion(http));
      return { serverVersion: v.serverVersion, major: v.major, transport: transport.name };
    },
    setSecret(next: string) {
      if (!next) throw new TypeError('Odoo client: the secret must not be empty');
      creds.secret = next;
    },
    async verifySecret(candidate: string) {
      const { transport: live } = await selection();
      const probeCreds = { ...creds, secret: candidate };
      const probe = live.name === 'json2' ? createJson2Transport(http, probeCreds) : createJsonRpcTransport(http, probeCreds, log);
      await probe.call({ model: rpcContract.partners.model, method: 'partners', kwargs: { codes: [] }, context: {} });
    },
    async close() {
      await http.close();
    },
  };
}
