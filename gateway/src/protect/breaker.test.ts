import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, type CircuitState } from './breaker.js';

class Down extends Error {}
class Refused extends Error {}

function breaker() {
  let clock = 0;
  const transitions: string[] = [];
  const b = new CircuitBreaker({
    failureThreshold: 3,
    openMs: 1_000,
    isFailure: (err) => err instanceof Down,
    now: () => clock,
    onStateChange: (from: CircuitState, to: CircuitState) => transitions.push(`${from}->${to}`),
  });
  return { b, transitions, advance: (ms: number) => (clock += ms) };
}

const fail = () => Promise.reject(new Down('odoo down'));
const ok = () => Promise.resolve('ok');

describe('circuit breaker', () => {
  it('opens after consecutive failures, refuses while open, probes half-open and closes on success', async () => {
    const { b, transitions, advance } = breaker();
    for (let i = 0; i < 2; i++) await expect(b.run(fail)).rejects.toBeInstanceOf(Down);
    expect(b.state()).toBe('closed');
    await expect(b.run(fail)).rejects.toBeInstanceOf(Down);
    expect(b.state()).toBe('open');
    let called = false;
    await expect(b.run(async () => (called = true))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
    advance(1_000);
    expect(b.state()).toBe('half_open');
    expect(await b.run(ok)).toBe('ok');
    expect(b.state()).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('re-opens when the half-open probe fails, and lets one probe through at a time', async () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) await b.run(fail).catch(() => {});
    advance(1_000);
    let release!: () => void;
    const probe = b.run(() => new Promise<void>((_, reject) => (release = () => reject(new Down('still down')))));
    await expect(b.run(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(probe).rejects.toBeInstanceOf(Down);
    expect(b.state()).toBe('open');
    expect(b.snapshot().nextProbeAt).toBe(2_000);
  });

  it('does not count business refusals, and a success resets the count', async () => {
    const { b } = breaker();
    await b.run(fail).catch(() => {});
    await b.run(fail).catch(() => {});
    await b.run(() => Promise.reject(new Refused('validation'))).catch(() => {});
    await b.run(fail).catch(() => {});
    expect(b.state()).toBe('closed');
    expect(b.snapshot().consecutiveFailures).toBe(1);
  });
});
