/**
 * A circuit breaker. Closed: calls pass, consecutive failures are counted. After
 * `failureThreshold` of them it opens: calls are refused at once for `openMs`. Then it is
 * half-open: one probe passes at a time (the others are refused); a successful probe closes it,
 * a failed one opens it again for another `openMs`.
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  openMs: number;
  /** Whether an error says the dependency is unhealthy (a business refusal does not). */
  isFailure: (err: unknown) => boolean;
  /** Clock in ms (tests inject one). */
  now?: () => number;
  onStateChange?: (from: CircuitState, to: CircuitState) => void;
}

export class CircuitOpenError extends Error {
  constructor(readonly retryAfterMs: number) {
    super('circuit is open');
    this.name = 'CircuitOpenError';
  }
}

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  openedAt: number | null;
  /** When a probe will be let through (open state only). */
  nextProbeAt: number | null;
  transitions: number;
}

export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt: number | null = null;
  private probeInFlight = false;
  private transitions = 0;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) throw new TypeError('breaker: failureThreshold must be a positive integer');
    if (!(options.openMs > 0)) throw new TypeError('breaker: openMs must be positive');
    this.now = options.now ?? Date.now;
  }

  /** The state now (an open circuit whose wait is over reads as half-open). */
  state(): CircuitState {
    if (this.current === 'open' && this.openedAt !== null && this.now() - this.openedAt >= this.options.openMs) this.moveTo('half_open');
    return this.current;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const state = this.state();
    if (state === 'open') throw new CircuitOpenError(this.openedAt! + this.options.openMs - this.now());
    const probe = state === 'half_open';
    if (probe) {
      if (this.probeInFlight) throw new CircuitOpenError(0);
      this.probeInFlight = true;
    }
    try {
      const result = await task();
      this.onSuccess();
      return result;
    } catch (err) {
      if (this.options.isFailure(err)) this.onFailure();
      else this.onSuccess();
      throw err;
    } finally {
      if (probe) this.probeInFlight = false;
    }
  }

  private onSuccess(): void {
    this.failures = 0;
    if (this.current !== 'closed') this.moveTo('closed');
  }

  private onFailure(): void {
    this.failures++;
    if (this.current === 'half_open' || (this.current === 'closed' && this.failures >= this.options.failureThreshold)) this.moveTo('open');
  }

  private moveTo(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.transitions++;
    this.openedAt = to === 'open' ? this.now() : to === 'closed' ? null : this.openedAt;
    this.options.onStateChange?.(from, to);
  }

  snapshot(): CircuitSnapshot {
    const state = this.state();
    return {
      state,
      consecutiveFailures: this.failures,
      openedAt: this.openedAt,
      nextProbeAt: state === 'open' && this.openedAt !== null ? this.openedAt + this.options.openMs : null,
      transitions: this.transitions,
    };
  }
}
