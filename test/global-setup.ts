/**
 * Says once per test run, not once per worker or per file, why each conditionally skipped suite
 * is skipped: the live tier without a real Odoo (`live/live-env.ts`), the live web-client test without
 * the back office password or Chromium, the dashboard browser test without Chromium (`e2e/chromium.ts`). The suites themselves skip through the same conditions
 * (`describe.skipIf`); a test that can only decide inside its suite says why there, once.
 */
import { CHROMIUM_SKIP_MESSAGE, haveChromium } from './e2e/chromium.js';
import { LIVE_UI_SKIP_MESSAGE, SKIP_MESSAGE, live } from './live/live-env.js';

/** Each conditional suite's reason to skip, or null when it runs. */
export const skipReasons = (): string[] => [live ? null : SKIP_MESSAGE, LIVE_UI_SKIP_MESSAGE, haveChromium ? null : CHROMIUM_SKIP_MESSAGE].filter((r): r is string => r !== null);

export default function setup(): void {
  for (const reason of skipReasons()) console.log(reason);
}
