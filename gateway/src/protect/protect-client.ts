/**
 * `protectOdooClient` puts a circuit breaker and a bulkhead in front of any `OdooClient` and is an
 * `OdooClient` itself, so the rest of the gateway does not know it is there.
 *
 * Order: the breaker refuses at once while open (no queueing behind a dead Odoo); otherwise the
 * call waits for a bulkhead slot (bounded queue, deadline) and its outcome feeds the breaker.
 * Only signs of an unhealthy Odoo count as failures (unreachable, timeout, HTTP 5xx); a business
 * refusal (validation, access, missing record) proves Odoo is answering.
 */
import type { Logger } from 'pino';
import { rpc as rpcContract, type RpcMethod } from '../../../contracts/src/odoo-rpc.js';
import type { OdooClient } from '../odoo/client.js';
import { OdooError } from '../odoo/errors.js';
import { Bulkhead, BulkheadRejectedError, type BulkheadStats } from './bulkhead.js';
import { CircuitBreaker, CircuitOpenError, type CircuitSnapshot, type CircuitState } from './breaker.js';
import { OdooBulkheadFullError, OdooCircuitOpenError } from './errors.js';

export interface ProtectOptions {
  /** Odoo calls in flight at most. */
  maxInFlight: number;
  /** Calls allowed to wait for a slot. */
  maxQueue: number;
  /** How long a call may wait for a slot. */
  queueTimeoutMs: number;
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before a probe. */
  openMs: number;
  logger?: Logger;
  now?: () => number;
  onStateChange?: (from: CircuitState, to: CircuitState) => void;
  /** Observes every call through the guard, refusals included (for clients built without an `onCall` hook). */
  onCall?: (model: string, method: string, durationMs: number, error?: OdooError) => void;
}

/** The guard's state, read by metrics and the dashboard. */
export interface OdooGuard {
  circuit(): CircuitSnapshot;
  bulkhead(): BulkheadStats;
  limits: { maxInFlight: number; maxQueue: number; queueTimeoutMs: number; failureThreshold: number; openMs: number };
}

/** Whether an error means Odoo itself is unhealthy. */
export function isOdooUnhealthy(err: unknown): boolean {
  if (!(err instanceof OdooError)) return false;
  if (err.kind === 'network' || err.kind === 'timeout') return true;
  return err.kind === 'server' && (err.httpStatus ?? 0) >= 500;
}

export function protectOdooClient(client: OdooClient, options: ProtectOptions): OdooClient & { guard: OdooGuard } {
  const log = options.logger;
  const bulkhead = new Bulkhead({ maxConcurrent: options.maxInFlight, maxQueue: options.maxQueue, queueTimeoutMs: options.queueTimeoutMs });
  const breaker = new CircuitBreaker({
    failureThreshold: options.failureThreshold,
    openMs: options.openMs,
    now: options.now,
    isFailure: isOdooUnhealthy,
    onStateChange: (from, to) => {
      if (to === 'open') log?.error({ from, to, open_ms: options.openMs }, 'odoo circuit opened: calls are refused until a probe succeeds');
      else if (to === 'closed') log?.info({ from, to }, 'odoo circuit closed');
      else log?.warn({ from, to }, 'odoo circuit half-open: probing');
      options.onStateChange?.(from, to);
    },
  });

  async function guarded<T>(model: string | undefined, method: string | undefined, task: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await breaker.run(() => bulkhead.run(task));
      options.onCall?.(model ?? '?', method ?? '?', performance.now() - started);
      return result;
    } catch (err) {
      const mapped =
        err instanceof CircuitOpenError
          ? new OdooCircuitOpenError(model, method, err.retryAfterMs)
          : err instanceof BulkheadRejectedError
            ? new OdooBulkheadFullError(model, method, err.reason)
            : err;
      if (options.onCall && mapped instanceof OdooError) options.onCall(model ?? '?', method ?? '?', performance.now() - started, mapped);
      throw mapped;
    }
  }

  const guard: OdooGuard = {
    circuit: () => breaker.snapshot(),
    bulkhead: () => bulkhead.stats(),
    limits: {
      maxInFlight: options.maxInFlight,
      maxQueue: options.maxQueue,
      queueTimeoutMs: options.queueTimeoutMs,
      failureThreshold: options.failureThreshold,
      openMs: options.openMs,
    },
  };

  return {
    guard,
    call: (model, method, params, opts) => guarded(model, method, () => client.call(model, method, params, opts)),
    rpc: (method, args, opts) => guarded(rpcContract[method as RpcMethod]?.model, method, () => client.rpc(method, args, opts)),
    // The version probe is the health check: it goes straight through so it sees Odoo as it is.
    version: () => client.version(),
    ...(client.setSecret ? { setSecret: (secret: string) => client.setSecret!(secret) } : {}),
    close: () => client.close(),
  };
}
