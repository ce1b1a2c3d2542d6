/**
 * Says once per test run, not once per worker, that the live tier is skipped when no real Odoo is
 * configured. The suites themselves skip through `live` in live-env.ts.
 */
import { SKIP_MESSAGE, live } from './live-env.js';

export default function setup(): void {
  if (!live) console.log(SKIP_MESSAGE);
}
