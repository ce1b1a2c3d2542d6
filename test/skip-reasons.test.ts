/**
 * Every conditionally skipped suite says why, once per run: its condition is one that
 * `test/global-setup.ts` reports (or, decided inside a suite, one it logs there). A new
 * `skipIf`/`runIf` on another condition, or an unconditional `.skip`, fails here until it says why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_SKIP_MESSAGE } from './e2e/chromium.js';
import { skipReasons } from './global-setup.js';
import { LIVE_UI_SKIP_MESSAGE, SKIP_MESSAGE } from './live/live-env.js';

const root = join(import.meta.dirname, '..');

/** Conditions the global setup reports, with the message it prints when they skip. */
const REPORTED: Record<string, string | null> = { '!live': SKIP_MESSAGE, '!liveUi': LIVE_UI_SKIP_MESSAGE, '!haveChromium': CHROMIUM_SKIP_MESSAGE };

function testFiles(): string[] {
  return ['gateway', 'contracts', 'test'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.test.ts') && !d.parentPath.includes('node_modules'))
      .map((d) => relative(root, join(d.parentPath, d.name))),
  );
}

describe('conditional skips', () => {
  const files = testFiles().map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));

  it('skip only on conditions the run reports once', () => {
    const unexplained: string[] = [];
    for (const { file, text } of files) {
      if (file === 'test/skip-reasons.test.ts') continue;
      for (const m of text.matchAll(/\.(skipIf|runIf)\(([^)]*)\)/g)) {
        const condition = m[1] === 'runIf' ? `!${m[2]!.trim()}` : m[2]!.trim();
        if (!(condition in REPORTED)) unexplained.push(`${file}: ${m[0]}`);
      }
      for (const m of text.matchAll(/\b(describe|it|test)\.skip\(/g)) unexplained.push(`${file}: ${m[0]} (unconditional)`);
      // Decided inside a suite (ctx.skip()): the file logs why, once, where it decides.
      if (/\bctx\.skip\(\)/.test(text) && !/console\.log\([^)]*skipped/.test(text)) unexplained.push(`${file}: ctx.skip() without a logged reason`);
    }
    expect(unexplained).toEqual([]);
  });

  it('are reported by the global setup with their reason', () => {
    // Whatever this machine has, each reported reason is one of the known messages, once.
    const reasons = skipReasons();
    expect(new Set(reasons).size).toBe(reasons.length);
    for (const r of reasons) expect(Object.values(REPORTED)).toContain(r);
  });
});
