/**
 * The dashboard's security over plain HTTP (the browser test covers the happy path): sign-in goes
 * through Odoo, the cookie is HttpOnly + SameSite=Strict, and every action needs the CSRF token.
 */
// Routes call `.openapi()` on contract schemas: load the zod extension before any contract module.
import '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooFake, type OdooFake } from '../odoo-fake/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let sim: OdooFake;
let gw: TestGateway;

beforeAll(async () => {
  sim = await startOdooFake();
  gw = await startTestGateway({ sim, env: { ODOO_URL: sim.url, ODOO_DB: sim.db, ODOO_USER: sim.login, ODOO_API_KEY: sim.apiKey } });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

const cookieValue = (setCookie: string[], name: string) => setCookie.find((c) => c.startsWith(`${name}=`))?.split(';')[0]!.slice(name.length + 1);

async function loginForm() {
  const res = await gw.fetch('/dashboard/login');
  const html = await res.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const cookie = cookieValue(res.headers.getSetCookie(), 'rg_dash_login')!;
  return { csrf, cookie, res };
}

async function signIn(login: string, password: string, csrfOverride?: string) {
  const form = await loginForm();
  return gw.fetch('/dashboard/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rg_dash_login=${form.cookie}` },
    body: new URLSearchParams({ login, password, csrf: csrfOverride ?? form.csrf }),
  });
}

describe('dashboard over HTTP', () => {
  it('sends a visitor without a session to the sign-in page, with strict security headers', async () => {
    const res = await gw.fetch('/dashboard', { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/login');
    const { res: login } = await loginForm();
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(login.headers.get('x-frame-options')).toBe('DENY');
  });

  it('refuses a sign-in without the form token', async () => {
    const res = await signIn('admin', 'admin', 'forged');
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('rg_dash='))).toBe(false);
  });

  it('refuses wrong passwords and users outside the Integration Manager group', async () => {
    expect((await signIn('admin', 'wrong')).status).toBe(401);
    expect((await signIn('demo', 'demo')).status).toBe(403);
  });

  it('signs a manager in with an HttpOnly, SameSite=Strict cookie, and actions need the CSRF token', async () => {
    const res = await signIn('admin', 'admin');
    expect(res.status).toBe(303);
    const set = res.headers.getSetCookie().find((c) => c.startsWith('rg_dash='))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Path=\/dashboard/i);
    expect(set).not.toMatch(/Secure/i); // the public URL is plain http here
    const session = cookieValue(res.headers.getSetCookie(), 'rg_dash')!;

    const page = await gw.fetch('/dashboard', { headers: { cookie: `rg_dash=${session}` } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Mitchell Admin');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;

    const noToken = await gw.fetch('/dashboard/deliveries/1/replay', { method: 'POST', redirect: 'manual', headers: { cookie: `rg_dash=${session}`, 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(noToken.status).toBe(403);
    const noSession = await gw.fetch('/dashboard/deliveries/1/replay', { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf }) });
    expect(noSession.status).toBe(401);

    const logout = await gw.fetch('/dashboard/logout', { method: 'POST', redirect: 'manual', headers: { cookie: `rg_dash=${session}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf }) });
    expect(logout.status).toBe(303);
    expect((await gw.fetch('/dashboard', { redirect: 'manual', headers: { cookie: `rg_dash=${session}` } })).status).toBe(303);
  });

  it('shows pending rotations and escapes whatever partners or endpoints sent', async () => {
    const store = gw.gateway.services.store;
    const now = Date.now();
    const until = new Date(now + 3_600_000).toISOString();
    await store.run("INSERT INTO audit_log (who, at, action, target, from_ip, details) VALUES ('cli:ops', ?, 'rotate.client_secret', 'demo', NULL, ?)", [
      new Date(now).toISOString(),
      JSON.stringify({ client_id: 'demo', previous_valid_until: until }),
    ]);
    await store.run(
      `INSERT INTO webhook_deliveries (event_id, source, subscription_id, partner, event_type, aggregate, body, event_time, status, next_attempt_at, last_status, last_error, created_at, updated_at)
       VALUES ('evt-xss', 'gateway', 1, 'demo', 'order.created', 'o', '{}', ?, 'dead', 0, 500, '<script>alert(1)</script>', ?, ?)`,
      [now, now, now],
    );
    const res = await signIn('admin', 'admin');
    const session = cookieValue(res.headers.getSetCookie(), 'rg_dash')!;
    const html = await (await gw.fetch('/dashboard', { headers: { cookie: `rg_dash=${session}` } })).text();
    expect(html).toContain(`client secret: old one valid until ${until}`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
  });

  it('writes the sign-in to the audit log', async () => {
    const rows = await gw.gateway.services.store.query<{ who: string; action: string }>("SELECT who, action FROM audit_log WHERE action = 'dashboard.login'");
    expect(rows.some((r) => r.who === 'odoo:admin')).toBe(true);
  });
});

describe('dashboard cookies behind an https public URL', () => {
  it.each(['https://gateway.example', 'HTTPS://Gateway.Example/'])('carry Secure when GATEWAY_PUBLIC_URL is %s', async (publicUrl) => {
    const tls = await startTestGateway({ sim, env: { ODOO_URL: sim.url, ODOO_DB: sim.db, ODOO_USER: sim.login, ODOO_API_KEY: sim.apiKey, GATEWAY_PUBLIC_URL: publicUrl } });
    try {
      const form = await tls.fetch('/dashboard/login');
      const html = await form.text();
      const loginCookie = form.headers.getSetCookie().find((c) => c.startsWith('rg_dash_login='))!;
      expect(loginCookie).toMatch(/;\s*Secure/i);
      const res = await tls.fetch('/dashboard/login', {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie.split(';')[0]! },
        body: new URLSearchParams({ login: 'admin', password: 'admin', csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]! }),
      });
      expect(res.status).toBe(303);
      const session = res.headers.getSetCookie().find((c) => c.startsWith('rg_dash='))!;
      expect(session).toMatch(/;\s*Secure/i);
      expect(session).toMatch(/HttpOnly/i);
      expect(session).toMatch(/SameSite=Strict/i);
    } finally {
      await tls.close();
    }
  });
});
