/**
 * Live tier: what a person sees in Odoo's web client, in a headless Chromium. A partner's two
 * orders, one reported delivered and one failed (HTTP 503, retrying): the synced one shows "Synced"
 * on its Sync button and no banner; the failed one a banner naming the partner, the event and the
 * next retry, and its Sync button opens its sync rows. Integration › Sync Status filters Failed,
 * Pending and Synced; Replay on the failed event puts it back to pending. An order Odoo refuses
 * shows under Intake › Refused with its reason. The browser console stays free of errors
 * throughout. Screenshots go to test-results/odoo-ui/ for a person to look at.
 *
 * Needs the back office user's password (the web client does not take an API key) and Chromium at
 * /usr/bin/chromium; without either the suite is skipped with one line saying which.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OdooClient } from '../../gateway/src/odoo/client.js';
import { startReceiver, type Receiver } from '../relay/support/receiver.js';
import { CHROMIUM } from '../e2e/chromium.js';
import { backOfficeClient, live, liveClient, liveUi } from './live-env.js';
import { liveOrder } from './order.js';

const SHOTS = join(process.cwd(), 'test-results', 'odoo-ui');

describe.skipIf(!liveUi)('live Odoo: what a person sees in the web client', () => {
  const code = `ui${randomBytes(3).toString('hex')}`;
  const profile = mkdtempSync(join(tmpdir(), 'rg-odoo-ui-'));
  let odoo: OdooClient;
  let backOffice: OdooClient;
  let context: BrowserContext;
  let page: Page;
  let partnerId = 0;
  let receiver: Receiver;
  const consoleErrors: string[] = [];
  const orders: Record<'synced' | 'failed', { id: number; name: string; event: string; eventId: number }> = {} as never;

  const submit = async (externalId: string) => {
    const { results } = await odoo.rpc('submit_orders', {
      partner: code,
      orders: [{
        intake_id: `ui-${externalId}`,
        item: liveOrder({ externalId, buyer: 'Ui Live', email: `${code}@example.com` }),
      }],
    });
    expect(results[0], JSON.stringify(results)).toMatchObject({ status: 'created' });
    const id = results[0]!.record!.id;
    const [order] = await backOffice.call<{ name: string }[]>('sale.order', 'read', { ids: [id], kwargs: { fields: ['name'] } });
    const [event] = await backOffice.call<{ id: number; name: string }[]>('retail_gateway.outbox.event', 'search_read', {
      kwargs: { domain: [['event_type', '=', 'order.created'], ['aggregate_model', '=', 'sale.order'], ['aggregate_id', '=', id]], fields: ['name'] },
    });
    return { id, name: order!.name, event: event!.name, eventId: event!.id };
  };

  const shot = async (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  /** Opens a record's form through the web client's router and waits for it to be shown. */
  const openForm = async (model: string, id: number) => {
    await page.goto(`${live!.url}/web#model=${model}&id=${id}&view_type=form`);
    await page.locator('.o_form_view').first().waitFor();
  };

  const syncRows = async (resId: number) =>
    backOffice.call<{ state: string; note: string | false }[]>('retail_gateway.sync.status', 'search_read', {
      kwargs: { domain: [['res_model', '=', 'sale.order'], ['res_id', '=', resId], ['partner_id', '=', partnerId]], fields: ['state', 'note'] },
    });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    odoo = liveClient();
    backOffice = backOfficeClient();
    const created = await backOffice.call<number | number[]>('retail_gateway.partner', 'create', {
      kwargs: { vals_list: [{ code, name: `UI Shop ${code}`, scopes: 'orders:read orders:write webhooks:manage' }] },
    });
    partnerId = (Array.isArray(created) ? created[0] : created) as number;
    // The partner's own endpoint, answering as the reports below say: a relay of another live test
    // sharing this Odoo may deliver these events too, and must find the same outcome.
    receiver = await startReceiver();
    receiver.respond = ({ id }) => ({ status: id === orders.failed?.event ? 503 : 200 });
    await odoo.rpc('create_subscription', { partner: code, url: `${receiver.url}/hooks`, event_types: ['order.created'], active: true });
    orders.synced = await submit(`UI-OK-${code}`);
    orders.failed = await submit(`UI-FAIL-${code}`);
    const at = new Date().toISOString();
    const nextAt = new Date(Date.now() + 5 * 60_000).toISOString();
    await odoo.rpc('report_deliveries', {
      results: [
        { event_id: orders.synced.event, partner: code, subscription_id: null, status: 'delivered', attempts: 1, last_error: null, at },
        { event_id: orders.failed.event, partner: code, subscription_id: null, status: 'failed', attempts: 2, last_error: 'HTTP 503', at, next_attempt_at: nextAt },
      ],
    });

    // A fresh profile each run: nothing cached or remembered from an earlier session.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    await page.goto(`${live!.url}/web/login?db=${encodeURIComponent(live!.db)}`);
    await page.fill('input[name="login"]', live!.admin.login);
    await page.fill('input[name="password"]', live!.adminWebPassword!);
    await page.click('button[type="submit"]');
    await page.locator('.o_main_navbar').waitFor();
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
    for (const o of Object.values(orders)) await backOffice?.call('sale.order', 'action_cancel', { ids: [o.id] }).catch(() => undefined);
    // mail.thread's write names its argument `values`.
    if (partnerId) await backOffice?.call('retail_gateway.partner', 'write', { ids: [partnerId], kwargs: { values: { active: false } } }).catch(() => undefined);
    await receiver?.close();
    await odoo?.close();
    await backOffice?.close();
  });

  it('shows a synced order as synced, without a banner', async () => {
    await openForm('sale.order', orders.synced.id);
    const button = page.locator('button[name="action_rg_view_sync"]');
    await expect.poll(() => button.innerText()).toContain('Synced');
    expect(await page.locator('.alert-danger', { hasText: 'Not synced' }).count()).toBe(0);
    await shot('1-synced-order');
  });

  it('shows a failed order with the partner, the event and the next retry, and opens its sync rows', async () => {
    await openForm('sale.order', orders.failed.id);
    const banner = page.locator('.alert-danger', { hasText: 'Not synced' });
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text).toContain(`UI Shop ${code}`);
    expect(text).toContain(`order.created · ${orders.failed.name}`);
    expect(text).toContain('HTTP 503 (service unavailable)');
    expect(text).toContain('Next retry');
    await shot('2-failed-order');
    await page.locator('button[name="action_rg_view_sync"]').click();
    const row = page.locator('.o_list_view .o_data_row', { hasText: `UI Shop ${code}` });
    await row.waitFor();
    expect(await row.innerText()).toContain('Failed');
    expect(await row.innerText()).toContain(orders.failed.name);
    await shot('3-failed-order-sync-rows');
  });

  it('filters Sync Status by Failed, Pending and Synced', async () => {
    await page.goto(`${live!.url}/web#action=retail_gateway.retail_gateway_sync_status_action`);
    await page.locator('.o_list_view').first().waitFor();
    const rowsOf = () => page.locator('.o_data_row', { hasText: `UI Shop ${code}` });
    const apply = async (filter: string) => {
      // One facet at a time: clear the search, then pick the filter from the search panel.
      const facets = page.locator('.o_searchview_facet .o_facet_remove');
      while ((await facets.count()) > 0) await facets.first().click();
      await page.locator('.o_searchview_dropdown_toggler').click();
      await page.locator('.o_filter_menu .o-dropdown-item, .o_filter_menu .dropdown-item', { hasText: new RegExp(`^${filter}$`) }).first().click();
      await page.keyboard.press('Escape');
      await page.locator('.o_searchview_facet', { hasText: filter }).waitFor();
    };
    const shown = async () => (await rowsOf().allInnerTexts()).join('\n');
    await apply('Failed');
    await expect.poll(shown).toContain(orders.failed.name);
    await expect.poll(shown).not.toContain(orders.synced.name);
    await shot('4-sync-status-failed');
    await apply('Synced');
    await expect.poll(shown).toContain(orders.synced.name);
    await expect.poll(shown).not.toContain(orders.failed.name);
    await shot('5-sync-status-synced');
    await apply('Pending');
    await expect.poll(shown).not.toContain(orders.failed.name);
    await expect.poll(shown).not.toContain(orders.synced.name);
  });

  it('replays a failed event from its sync row: its order is pending again, "Replaying…"', async () => {
    await openForm('sale.order', orders.failed.id);
    await page.locator('button[name="action_rg_view_sync"]').click();
    const row = page.locator('.o_list_view .o_data_row', { hasText: `UI Shop ${code}` });
    await row.locator('button[name="action_replay"]').click();
    await page.locator('.modal-footer .btn-primary').click();
    await expect.poll(() => row.innerText()).toContain('Replaying…');
    await shot('6-replaying-sync-row');
    await expect.poll(async () => (await syncRows(orders.failed.id)).map((r) => [r.state, r.note])).toEqual([['pending', 'Replaying…']]);
    await openForm('sale.order', orders.failed.id);
    await expect.poll(() => page.locator('button[name="action_rg_view_sync"]').innerText()).toContain('Pending');
    expect(await page.locator('.alert-danger', { hasText: 'Not synced' }).count()).toBe(0);
    await shot('7-replayed-order');
  });

  it('shows an item Odoo refused under Intake › Refused, with the reason', async () => {
    const externalId = `UI-BAD-${code}`;
    const { results } = await odoo.rpc('submit_orders', {
      partner: code,
      orders: [{
        intake_id: `ui-${externalId}`,
        item: liveOrder({ externalId, buyer: 'Ui Live', email: `${code}@example.com`, lines: [{ sku: `NO-SUCH-${code}`, quantity: 1, unit_price: '1.00' }] }),
      }],
    });
    expect(results[0]).toMatchObject({ status: 'rejected' });
    await page.goto(`${live!.url}/web#action=retail_gateway.retail_gateway_intake_rejection_action`);
    const row = page.locator('.o_data_row', { hasText: externalId });
    await row.waitFor();
    expect(await row.innerText()).toContain(`NO-SUCH-${code}`);
    await shot('8-refused-intake');
  });

  it('left no error in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});
