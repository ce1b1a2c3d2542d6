import { describe, expect, it } from 'vitest';
import { AnomalyDetector } from './detector.js';

const MINUTE = 60_000;

function detector() {
  let clock = 10 * MINUTE;
  const d = new AnomalyDetector({ threshold: 3, warmupMinutes: 10, now: () => clock });
  return { d, tick: () => (clock += MINUTE) };
}

/** `n` minutes of steady traffic: ~`orders` orders a minute, `failed` of them failing. */
function steady(d: AnomalyDetector, tick: () => void, minutes: number, orders: (i: number) => number, failed = () => 0) {
  for (let i = 0; i < minutes; i++) {
    const n = orders(i);
    const f = failed();
    for (let k = 0; k < n; k++) d.record('acme', { status: k < f ? 422 : 202, order: true });
    tick();
  }
}

describe('anomaly detector', () => {
  it('raises no flag on traffic that matches the baseline', () => {
    const { d, tick } = detector();
    steady(d, tick, 30, (i) => 20 + (i % 3));
    expect(d.flags()).toEqual([]);
  });

  it('flags a surge of orders against the partner\'s own baseline, then clears it', () => {
    const { d, tick } = detector();
    steady(d, tick, 30, (i) => 20 + (i % 3));
    steady(d, tick, 1, () => 200);
    const [flag] = d.flags();
    expect(flag).toMatchObject({ partner: 'acme', signal: 'order_rate', value: 200 });
    expect(flag!.score).toBeGreaterThan(3);
    steady(d, tick, 2, () => 21);
    expect(d.flags().filter((f) => f.signal === 'order_rate')).toEqual([]);
  });

  it('flags a jump in the failure ratio', () => {
    const { d, tick } = detector();
    steady(d, tick, 30, () => 20, () => 1);
    steady(d, tick, 1, () => 20, () => 15);
    expect(d.flags().map((f) => f.signal)).toContain('failure_ratio');
  });

  it('keeps a per-minute timeline for the dashboard', () => {
    const { d, tick } = detector();
    d.record('globex', { status: 200 });
    d.record('globex', { status: 429 });
    d.record('globex', { status: 500 });
    tick();
    const t = d.timeline('globex', 5);
    expect(t).toHaveLength(5);
    expect(t[3]).toMatchObject({ requests: 3, ok: 1, clientErrors: 1, serverErrors: 1, limited: 1 });
    expect(t[4]!.requests).toBe(0);
  });
});
