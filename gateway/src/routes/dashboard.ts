/**
 * `/dashboard`: the operations dashboard (server-rendered HTML, not part of the OpenAPI document).
 *
 * Sign-in checks the Odoo login and password against Odoo and requires the addon's Integration
 * Manager group. The session cookie is HttpOnly, SameSite=Strict, scoped to /dashboard, and
 * Secure when the public URL is https. Every POST carries the session's CSRF token (the login
 * form a pre-session one, double-submitted in a cookie). Actions are written to the audit log.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { recordAudit } from '../audit/log.js';
import type { AppEnv } from '../context.js';
import { gatherDashboard } from '../dashboard/data.js';
import type { OdooLoginVerifier } from '../odoo/user-login.js';
import { dashboardPage, loginPage } from '../dashboard/page.js';
import { DashboardSessions, newToken, sameToken, type DashboardSession } from '../dashboard/sessions.js';
import { ApiError } from '../errors.js';
import type { Services } from '../services.js';

const SESSION_COOKIE = 'rg_dash';
const LOGIN_CSRF_COOKIE = 'rg_dash_login';

const FLASH: Record<string, { kind: 'ok' | 'error'; text: string }> = {
  replayed: { kind: 'ok', text: 'Delivery queued again; it keeps its event id, so the receiver de-duplicates.' },
  nothing: { kind: 'error', text: 'Nothing to replay: the delivery is unknown or already pending.' },
};

const LOGIN_ERRORS: Record<string, string> = {
  bad_credentials: 'Wrong login or password.',
  not_manager: 'This Odoo user is not in the Integration Manager group.',
  odoo_unavailable: 'Odoo could not be reached to check the sign-in. Try again shortly.',
  not_configured: 'Sign-in needs ODOO_URL and ODOO_DB to be configured.',
  expired: 'The sign-in form expired; please try again.',
};

export interface DashboardRouteOptions {
  /** Replaces the Odoo check (tests of the page itself). */
  verifier?: OdooLoginVerifier;
}

export function registerDashboard(app: OpenAPIHono<AppEnv>, services: Services, options: DashboardRouteOptions = {}): void {
  const { config } = services;
  // `Secure` whenever the public URL is https, however its scheme is spelt (`HTTPS://…` too).
  const secure = new URL(config.publicUrl).protocol === 'https:';
  const sessions = new DashboardSessions(services.store, config.ops.dashboardSessionMinutes * 60_000, services.now);
  // Read per sign-in: the demo sets `services.dashboardLogin` after start-up.
  const verifierNow = () => options.verifier ?? services.dashboardLogin;
  const cookieBase = { path: '/dashboard', httpOnly: true, sameSite: 'Strict' as const, secure };

  const securityHeaders = (c: Context<AppEnv>) => {
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
  };

  const current = (c: Context<AppEnv>) => sessions.get(getCookie(c, SESSION_COOKIE));

  /** The session of a POST whose CSRF token matches, or a 403. */
  const requireAction = async (c: Context<AppEnv>): Promise<DashboardSession> => {
    const session = await current(c);
    if (!session) throw new ApiError('unauthorized', 'Sign in to the dashboard first.');
    const body = await c.req.parseBody();
    if (!sameToken(typeof body.csrf === 'string' ? body.csrf : undefined, session.csrf)) throw new ApiError('forbidden', 'The form token is missing or wrong; reload the dashboard.');
    return session;
  };

  const showLogin = (c: Context<AppEnv>, error?: string, login?: string, status: 200 | 401 | 403 | 503 = 200) => {
    const csrf = newToken();
    setCookie(c, LOGIN_CSRF_COOKIE, csrf, { ...cookieBase, maxAge: 1800 });
    securityHeaders(c);
    return c.html(loginPage({ csrf, error: error ? LOGIN_ERRORS[error] : undefined, login }), status);
  };

  app.get('/dashboard/login', (c) => showLogin(c));

  app.post('/dashboard/login', async (c) => {
    const body = await c.req.parseBody();
    const login = typeof body.login === 'string' ? body.login.trim().slice(0, 200) : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (!sameToken(typeof body.csrf === 'string' ? body.csrf : undefined, getCookie(c, LOGIN_CSRF_COOKIE) ?? '')) return showLogin(c, 'expired', login, 403);
    const verifier = verifierNow();
    if (!verifier) return showLogin(c, 'not_configured', login, 503);
    // Attempts count per address; failures per (login, address), so strangers guessing a
    // password cannot keep its owner out (rate-limit/credentials.ts).
    const { rateLimit } = services;
    await rateLimit.enforceAttempt(c, 'dashboard');
    if (!login || !password) return showLogin(c, 'bad_credentials', login, 401);
    await rateLimit.gateCredential(c, 'dashboard', login);
    const result = await verifier.verify(login, password);
    // `not_manager` means the password was right; only a wrong one is a failure.
    if (result.ok || result.reason !== 'odoo_unavailable') await rateLimit.credentialChecked(c, 'dashboard', login, result.ok || result.reason === 'not_manager');
    if (!result.ok) {
      c.var.log.warn({ login, reason: result.reason }, 'dashboard sign-in refused');
      return showLogin(c, result.reason, login, result.reason === 'odoo_unavailable' ? 503 : result.reason === 'not_manager' ? 403 : 401);
    }
    const id = await sessions.create({ login, uid: result.uid, name: result.name }, c.var.clientIp ?? null);
    deleteCookie(c, LOGIN_CSRF_COOKIE, { path: '/dashboard' });
    setCookie(c, SESSION_COOKIE, id, { ...cookieBase, maxAge: config.ops.dashboardSessionMinutes * 60 });
    await recordAudit(services.store, { who: `odoo:${login}`, action: 'dashboard.login', target: 'dashboard', fromIp: c.var.clientIp });
    return c.redirect('/dashboard', 303);
  });

  app.post('/dashboard/logout', async (c) => {
    await requireAction(c);
    await sessions.destroy(getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { path: '/dashboard' });
    return c.redirect('/dashboard/login', 303);
  });

  app.get('/dashboard', async (c) => {
    const session = await current(c);
    if (!session) return c.redirect('/dashboard/login', 303);
    const data = await gatherDashboard(services);
    securityHeaders(c);
    return c.html(dashboardPage(data, session, FLASH[c.req.query('done') ?? '']));
  });

  app.post('/dashboard/deliveries/:id/replay', async (c) => {
    const session = await requireAction(c);
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id <= 0) throw new ApiError('invalid_request', 'Bad delivery id.');
    const { relay } = services;
    const row = await relay.queue.get(id);
    if (!row || row.status === 'pending') return c.redirect('/dashboard?done=nothing#dead-letters', 303);
    const ids = await relay.replay({ kind: 'event', eventId: row.event_id, partner: row.partner });
    await recordAudit(services.store, {
      who: `odoo:${session.login}`,
      action: 'replay.delivery',
      target: `${row.partner}/delivery ${id}`,
      fromIp: c.var.clientIp,
      details: { event_id: row.event_id, deliveries: ids.length, previous_status: row.status },
    });
    c.var.log.info({ delivery: id, event_id: row.event_id, partner: row.partner, login: session.login }, 'dashboard: delivery replayed');
    return c.redirect(ids.length ? '/dashboard?done=replayed#replayed' : '/dashboard?done=nothing#dead-letters', 303);
  });
}
