/**
 * The browser the dashboard test drives: Debian's `chromium`. Without it the suite is skipped on a
 * developer machine (and said once per run, `test/global-setup.ts`); CI installs it and fails
 * without it.
 */
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
export const CHROMIUM_SKIP_MESSAGE = `dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`;
