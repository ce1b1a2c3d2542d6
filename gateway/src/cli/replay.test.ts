import { describe, expect, it } from 'vitest';
import { progressBar } from '../relay/cli-support.js';
import { parseReplayArgs } from './replay.js';

describe('retail-gateway replay arguments', () => {
  it('reads the three kinds of replay', () => {
    expect(parseReplayArgs(['--event', 'evt-1'])).toMatchObject({ filter: { kind: 'event', eventId: 'evt-1' }, wait: true, deliver: false });
    expect(parseReplayArgs(['--dead', 'acme', '--subscription', '4', '--no-wait'])).toMatchObject({ filter: { kind: 'dead', partner: 'acme', subscriptionId: 4 }, wait: false });
    expect(parseReplayArgs(['--since', '2026-01-01T00:00:00Z', '--partner', 'acme', '--deliver', '--timeout', '30'])).toMatchObject({
      filter: { kind: 'since', partner: 'acme', sinceMs: Date.parse('2026-01-01T00:00:00Z') },
      deliver: true,
      timeoutMs: 30_000,
    });
  });

  it.each([
    [[], /choose one/],
    [['--event', 'a', '--dead', 'acme'], /choose one/],
    [['--dead', 'Not A Code'], /partner code/],
    [['--since', 'yesterday', '--partner', 'acme'], /not a time/],
    [['--since', '2026-01-01T00:00:00Z'], /--partner/],
    [['--event'], /needs a value/],
    [['--event', 'a', '--subscription', 'x'], /number/],
    [['--bogus'], /unknown argument/],
  ])('refuses %j', (args, message) => {
    expect(parseReplayArgs(args as string[])).toMatch(message);
  });

  it('draws a progress bar', () => {
    expect(progressBar(0, 4, '', 8)).toBe('[--------]   0% 0/4');
    expect(progressBar(2, 4, 'settled', 8)).toBe('[####----]  50% 2/4 settled');
    expect(progressBar(0, 0, '', 4)).toBe('[####] 100% 0/0');
  });
});
