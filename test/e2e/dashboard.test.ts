/**
 * The ops dashboard end to end in headless Chromium (Debian's `chromium`, driven by
 * playwright-core): sign in with Odoo credentials, see a dead letter, replay it, see it delivered.
 *
 * CI installs chromium (`.ci/run`); without it the suite fails there with a clear message, and is
 * skipped only on a developer machine (CI unset), which the run says once (`test/global-setup.ts`).
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { CHROMIUM, haveChromium } from './chromium.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

if (!haveChromium && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: the dashboard browser test needs Debian's chromium package (apt-get install -y chromium). CI must install it.`);
}

describe.skipIf(!haveChromium)('dashboard in headless Chromium', () => {
  let sim: OdooFake;
  let gw: TestGateway;
  let context: BrowserContext;
  let receiver: Server;
  let receiverUrl: string;
  const received: { id: string | undefined; body: string }[] = [];
  const profile = mkdtempSync(join(tmpdir(), 'rg-chromium-'));

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        received.push({ id: req.headers['webhook-id'] as string | undefined, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

    sim = await startOdooFake();
    gw = await startTestGateway({
      sim,
      env: {
        // The dashboard checks sign-ins against this Odoo (the fake Odoo).
        ODOO_URL: sim.url,
        ODOO_DB: sim.db,
        ODOO_USER: sim.login,
        ODOO_API_KEY: sim.apiKey,
        WEBHOOK_ALLOWED_TARGETS: '127.0.0.1/32',
      },
    });
    // A persistent context on a fresh profile directory is how Playwright takes --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // Playwright's 30 s action and navigation deadlines are tight for a browser on a busy machine.
    context.setDefaultTimeout(60_000);
    context.setDefaultNavigationTimeout(60_000);
  });

  afterAll(async () => {
    await context?.close();
    await gw?.close();
    await sim?.close();
    await new Promise((r) => receiver?.close(r));
    rmSync(profile, { recursive: true, force: true });
  });

  /** A delivery whose retries ran out, as the relay leaves it: a real subscription, status `dead`. */
  async function deadLetter(): Promise<{ id: number; eventId: string }> {
    const token = await gw.token('demo');
    const created = await gw.fetch('/v1/webhooks', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiverUrl, event_types: ['order.created'] }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const subscription = (await created.json()) as { id: number };
    const eventId = `evt_e2e_${Date.now()}`;
    const now = Date.now();
    const body = JSON.stringify({ id: eventId, type: 'order.created', partner: 'demo', subject: 'order/web-1', time: new Date(now).toISOString(), data: { external_id: 'web-1' } });
    await gw.gateway.services.store.run(
      `INSERT INTO webhook_deliveries (event_id, source, subscription_id, partner, event_type, aggregate, body, event_time, status, attempts, next_attempt_at, last_status, last_error, created_at, updated_at)
       VALUES (?, 'gateway', ?, 'demo', 'order.created', 'order/web-1', ?, ?, 'dead', 12, ?, 500, 'HTTP 500 from the endpoint', ?, ?)`,
      [eventId, subscription.id, body, now, now, now, now],
    );
    const [row] = await gw.gateway.services.store.query<{ id: number }>('SELECT id FROM webhook_deliveries WHERE event_id = ?', [eventId]);
    return { id: Number(row!.id), eventId };
  }

  async function signIn(page: Page, login: string, password: string) {
    await page.goto(`${gw.url}/dashboard`);
    await page.waitForURL(/\/dashboard\/login$/);
    await page.fill('#login', login);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
  }

  it('signs in, shows a dead letter, replays it and shows it delivered', async () => {
    const dead = await deadLetter();
    await context.clearCookies();
    const page = await context.newPage();

    await signIn(page, 'admin', 'admin');
    await page.waitForURL(new RegExp(`${gw.url}/dashboard$`));
    await expect.poll(() => page.textContent('header')).toContain('Mitchell Admin');

    const cookie = (await context.cookies()).find((c) => c.name === 'rg_dash');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/dashboard' });

    const row = page.locator(`#dead-letters tr[data-delivery="${dead.id}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain(dead.eventId);
    expect(await row.locator('.status').textContent()).toContain('dead');

    await row.locator('button', { hasText: 'Replay' }).click();
    await page.waitForURL(/done=replayed/);
    expect(await page.textContent('[role=status]')).toContain('queued again');

    // The relay delivers it; the page shows it delivered (reload until it does).
    await expect
      .poll(
        async () => {
          await page.goto(`${gw.url}/dashboard`);
          return page.locator(`#replayed tr[data-delivery="${dead.id}"] .status`).textContent();
        },
        { timeout: 20_000, interval: 300 },
      )
      .toContain('delivered');
    expect(await page.locator(`#dead-letters tr[data-delivery="${dead.id}"]`).count()).toBe(0);
    expect(received.some((r) => r.id === dead.eventId)).toBe(true);

    // The replay is in the audit log, with who did it.
    const audit = await page.locator('#audit').textContent();
    expect(audit).toContain('replay.delivery');
    expect(audit).toContain('odoo:admin');
    await page.close();
  });

  it('refuses an Odoo user outside the Integration Manager group', async () => {
    await context.clearCookies();
    const page = await context.newPage();
    await signIn(page, 'demo', 'demo');
    await expect.poll(() => page.textContent('[role=alert]')).toContain('not in the Integration Manager group');
    expect((await context.cookies()).find((c) => c.name === 'rg_dash')).toBeUndefined();
    await page.close();
  });
});
