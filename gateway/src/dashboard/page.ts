/**
 * The dashboard's server-rendered pages: plain HTML and one small stylesheet, no script, sized for
 * a laptop screen. Every action is a POST form carrying the session's CSRF token.
 */
import type { MinuteBucket } from '../anomaly/detector.js';
import type { DashboardData, DeliveryRowView } from './data.js';
import { html, raw, type SafeHtml } from './html.js';

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f5f7}
header{display:flex;align-items:center;gap:1rem;padding:.6rem 1.2rem;background:#1d2330;color:#fff}header h1{font-size:1.05rem;margin:0;flex:1}
header form{margin:0}main{padding:1rem 1.2rem;display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1rem;max-width:1500px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:.8rem 1rem;overflow:auto}section.wide{grid-column:1/-1}
h2{font-size:.95rem;margin:0 0 .6rem;text-transform:uppercase;letter-spacing:.04em;color:#4a5262}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid #eceff3;vertical-align:top}
th{font-weight:600;color:#4a5262;font-size:.8rem}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pill{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:.8rem;font-weight:600}
.ok{background:#e3f5e8;color:#1c6b35}.warn{background:#fff3d6;color:#8a5a00}.bad{background:#fde4e4;color:#9b1c1c}.muted{color:#7a8292}
button{font:inherit;padding:.25rem .7rem;border-radius:4px;border:1px solid #2f5bd3;background:#2f5bd3;color:#fff;cursor:pointer}
button.link{background:none;border-color:#fff;color:#fff}.flash{grid-column:1/-1;padding:.6rem 1rem;border-radius:6px;background:#e3f5e8;color:#1c6b35}
.flash.error{background:#fde4e4;color:#9b1c1c}dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:0}dt{color:#4a5262}dd{margin:0}
svg.spark{display:block}.login{max-width:340px;margin:10vh auto;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:1.4rem}
.login label{display:block;margin:.6rem 0 .2rem}.login input{width:100%;padding:.4rem;font:inherit}.login button{margin-top:1rem;width:100%}
`;

function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${raw(STYLE)}</style></head><body>${body}</body></html>`.value;
}

const fmtAge = (s: number | null) => (s === null ? '—' : s < 60 ? `${Math.round(s)} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);
const fmtTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const pill = (text: string, kind: 'ok' | 'warn' | 'bad') => html`<span class="pill ${kind}">${text}</span>`;
const counts = (byStatus: Record<string, number>) => Object.entries(byStatus).map(([k, n]) => `${k} ${n}`).join(' · ');

export function loginPage(options: { csrf: string; error?: string; login?: string }): string {
  return layout(
    'Retail gateway — sign in',
    html`<form class="login" method="post" action="/dashboard/login">
  <h2>Retail gateway operations</h2>
  <p class="muted">Sign in with your Odoo account (Integration Manager group).</p>
  ${options.error ? html`<p class="flash error" role="alert">${options.error}</p>` : ''}
  <input type="hidden" name="csrf" value="${options.csrf}">
  <label for="login">Odoo login</label><input id="login" name="login" autocomplete="username" required value="${options.login ?? ''}">
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>`,
  );
}

/** 60 one-minute bars: height is requests, the red part failures (4xx/5xx), amber 429s. */
function sparkline(buckets: MinuteBucket[]): SafeHtml {
  const max = Math.max(1, ...buckets.map((b) => b.requests));
  const w = 3;
  const h = 28;
  const bars = buckets
    .map((b, i) => {
      const total = Math.round((b.requests / max) * h);
      const failed = Math.round(((b.clientErrors + b.serverErrors - b.limited) / max) * h);
      const limited = Math.round((b.limited / max) * h);
      const x = i * (w + 1);
      return `<rect x="${x}" y="${h - total}" width="${w}" height="${total}" fill="#8fb3f0"/>` +
        (failed > 0 ? `<rect x="${x}" y="${h - failed}" width="${w}" height="${failed}" fill="#d64545"/>` : '') +
        (limited > 0 ? `<rect x="${x}" y="${h - failed - limited}" width="${w}" height="${limited}" fill="#e0a200"/>` : '');
    })
    .join('');
  return raw(`<svg class="spark" width="${buckets.length * (w + 1)}" height="${h}" role="img" aria-label="requests per minute, last hour">${bars}</svg>`);
}

function deliveryRows(rows: DeliveryRowView[], csrf: string, replayButton: boolean): SafeHtml {
  return html`${rows.map(
    (d) => html`<tr data-delivery="${d.id}" data-event="${d.event_id}">
  <td>${d.id}</td><td>${d.partner}</td><td>${d.event_type}</td><td><code>${d.event_id}</code></td>
  <td class="status">${pill(d.status, d.status === 'delivered' ? 'ok' : d.status === 'dead' ? 'bad' : 'warn')}</td>
  <td class="num">${d.attempts}</td><td>${d.last_status ?? ''} ${d.last_error ? html`<span class="muted">${d.last_error.slice(0, 80)}</span>` : ''}</td>
  <td>${fmtTime(d.updated_at)}</td>
  ${replayButton ? html`<td><form method="post" action="/dashboard/deliveries/${d.id}/replay"><input type="hidden" name="csrf" value="${csrf}"><button type="submit">Replay</button></form></td>` : html`<td class="num">${d.replays}</td>`}
</tr>`,
  )}`;
}

export function dashboardPage(d: DashboardData, session: { name: string; login: string; csrf: string }, flash?: { kind: 'ok' | 'error'; text: string }): string {
  const circuit = d.circuit?.state ?? 'n/a';
  const circuitKind = circuit === 'closed' ? 'ok' : circuit === 'half_open' ? 'warn' : 'bad';
  const odooKind = d.odoo.status === 'up' ? 'ok' : d.odoo.status === 'down' ? 'bad' : 'warn';
  const limited = Object.entries(d.rateLimit?.limited ?? {}).sort((a, b) => b[1] - a[1]).slice(0, 10);
  return layout(
    'Retail gateway — operations',
    html`<header><h1>Retail gateway — operations</h1>
  <span>${session.name} (${session.login})</span>
  <a href="/dashboard" style="color:#fff">Refresh</a>
  <form method="post" action="/dashboard/logout"><input type="hidden" name="csrf" value="${session.csrf}"><button class="link" type="submit">Sign out</button></form>
</header>
<main>
${flash ? html`<div class="flash ${flash.kind === 'error' ? 'error' : ''}" role="status">${flash.text}</div>` : ''}
<section id="protection"><h2>Odoo, circuit and limits</h2><dl>
  <dt>Odoo</dt><dd>${pill(d.odoo.status, odooKind)} ${d.odoo.version ?? ''} ${d.odoo.transport ?? ''} ${d.odoo.lastError ? html`<span class="muted">${d.odoo.lastError}</span>` : ''}</dd>
  <dt>Circuit</dt><dd id="circuit-state">${pill(circuit, circuitKind)} ${d.circuit ? html`<span class="muted">${d.circuit.consecutiveFailures} consecutive failures${d.circuit.nextProbeAt ? html`, next probe ${fmtTime(d.circuit.nextProbeAt)}` : ''}</span>` : ''}</dd>
  <dt>Odoo calls</dt><dd>${d.bulkhead ? html`${d.bulkhead.inFlight} in flight / ${d.bulkhead.limits.maxInFlight} max, ${d.bulkhead.queued} waiting, ${d.bulkhead.rejectedFull + d.bulkhead.rejectedTimeout} refused` : 'n/a'}</dd>
  <dt>Rate limiter</dt><dd id="rate-limit-backend">${d.rateLimit ? pill(d.rateLimit.backend, d.rateLimit.backend === 'fallback' ? 'warn' : 'ok') : 'n/a'}</dd>
  <dt>Refused (429)</dt><dd>${limited.length ? limited.map(([k, n]) => html`<div>${k}: ${n}</div>`) : html`<span class="muted">none</span>`}</dd>
</dl></section>
<section id="queues"><h2>Queues and lag</h2><dl>
  <dt>Intake</dt><dd>${Object.keys(d.queues.intake).length ? counts(d.queues.intake) : html`<span class="muted">empty</span>`}</dd>
  <dt>Retrying</dt><dd id="intake-retrying">${d.queues.intakeRetrying ? pill(`${d.queues.intakeRetrying} failing`, 'warn') : html`<span class="muted">none</span>`}</dd>
  <dt>Oldest waiting</dt><dd>${fmtAge(d.queues.intakeOldestAgeS)}</dd>
  <dt>Drain</dt><dd id="intake-drain">${d.queues.drain ? `${d.queues.drain.limit} calls in flight × ${d.queues.drain.batchSize} items` : html`<span class="muted">not draining</span>`}</dd>
  <dt>Outbox lag</dt><dd>${fmtAge(d.queues.outboxLagS)}</dd>
  <dt>Delivery lag</dt><dd>${fmtAge(d.queues.deliveryLagS)}</dd>
  <dt>Deliveries</dt><dd>${Object.keys(d.queues.deliveries).length ? counts(d.queues.deliveries) : html`<span class="muted">none</span>`}</dd>
  <dt>Dead letters</dt><dd id="dead-letter-count">${d.queues.deliveries.dead ?? 0}</dd>
</dl></section>
<section id="anomalies"><h2>Anomaly flags</h2>
${d.anomalies.length
  ? html`<table><tr><th>Partner</th><th>Signal</th><th>Value</th><th>Baseline</th><th>σ</th><th>Minute</th></tr>${d.anomalies.map(
      (f) => html`<tr><td>${f.partner}</td><td>${f.signal}</td><td class="num">${f.value}</td><td class="num">${f.baseline}</td><td class="num">${f.score}</td><td>${f.at.slice(11, 16)}</td></tr>`,
    )}</table>`
  : html`<p class="muted">No partner deviates from its baseline.</p>`}
<p class="muted">Flags inform; they never change limits or validation.</p></section>
<section class="wide" id="health"><h2>Transaction health per partner (last hour, per minute)</h2>
<table><tr><th>Partner</th><th>Tier</th><th>Requests / min</th><th class="num">Requests</th><th class="num">OK</th><th class="num">4xx</th><th class="num">5xx</th><th class="num">429</th><th class="num">Orders</th><th class="num">Failed orders</th></tr>
${d.partners.map((p) => {
  const t = p.timeline.reduce((a, b) => ({ requests: a.requests + b.requests, ok: a.ok + b.ok, c: a.c + b.clientErrors, s: a.s + b.serverErrors, l: a.l + b.limited, o: a.o + b.orders, of: a.of + b.ordersFailed }), { requests: 0, ok: 0, c: 0, s: 0, l: 0, o: 0, of: 0 });
  return html`<tr><td>${p.code}</td><td>${p.tier}</td><td>${sparkline(p.timeline)}</td><td class="num">${t.requests}</td><td class="num">${t.ok}</td><td class="num">${t.c}</td><td class="num">${t.s}</td><td class="num">${t.l}</td><td class="num">${t.o}</td><td class="num">${t.of}</td></tr>`;
})}</table></section>
<section class="wide" id="retrying"><h2>Intake items retrying</h2>
${d.retrying.length
  ? html`<table><tr><th>Item</th><th>Partner</th><th>Kind</th><th>External id</th><th class="num">Attempts</th><th>Last error</th><th>Next attempt</th></tr>${d.retrying.map(
      (i) => html`<tr><td>${i.id}</td><td>${i.partner}</td><td>${i.kind}</td><td>${i.externalId}</td><td class="num">${i.attempts}</td><td>${i.lastError ?? ''}</td><td>${fmtTime(i.nextAttemptAt)}</td></tr>`,
    )}</table>`
  : html`<p class="muted">No intake item is failing.</p>`}
</section>
<section class="wide" id="dead-letters"><h2>Dead letters</h2>
${d.deadLetters.length
  ? html`<table><tr><th>#</th><th>Partner</th><th>Event</th><th>Event id</th><th>Status</th><th class="num">Attempts</th><th>Last answer</th><th>Updated</th><th></th></tr>${deliveryRows(d.deadLetters, session.csrf, true)}</table>`
  : html`<p class="muted">No dead letters.</p>`}
</section>
<section class="wide" id="replayed"><h2>Recently replayed</h2>
${d.replayed.length
  ? html`<table><tr><th>#</th><th>Partner</th><th>Event</th><th>Event id</th><th>Status</th><th class="num">Attempts</th><th>Last answer</th><th>Updated</th><th class="num">Replays</th></tr>${deliveryRows(d.replayed, session.csrf, false)}</table>`
  : html`<p class="muted">Nothing replayed yet.</p>`}
</section>
<section class="wide" id="partners"><h2>Partners and credentials</h2>
<table><tr><th>Partner</th><th>Name</th><th>Status</th><th>Mode</th><th>Last rotation</th><th>Credential age</th><th>Pending rotations</th></tr>
${d.partners.map(
  (p) => html`<tr><td>${p.code}</td><td>${p.name}</td><td>${p.active ? pill('active', 'ok') : pill('disabled', 'bad')}</td><td>${p.mode}</td>
<td>${p.lastRotationAt ?? html`<span class="muted">never (since this store began)</span>`}</td>
<td>${p.lastRotationAt ? fmtAge((d.now - Date.parse(p.lastRotationAt)) / 1000) : '—'}</td>
<td>${p.pendingRotations.length ? p.pendingRotations.map((r) => html`<div>${r.what}: old one valid until ${r.validUntil}</div>`) : html`<span class="muted">none</span>`}</td></tr>`,
)}</table></section>
<section class="wide" id="audit"><h2>Audit log</h2>
${d.audit.length
  ? html`<table><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>From</th><th>Details</th></tr>${d.audit.map(
      (a) => html`<tr><td>${a.at.replace('T', ' ').slice(0, 19)}</td><td>${a.who}</td><td>${a.action}</td><td>${a.target}</td><td>${a.from_ip ?? ''}</td><td><code>${JSON.stringify(a.details)}</code></td></tr>`,
    )}</table>`
  : html`<p class="muted">No admin action recorded yet.</p>`}
</section>
</main>`,
  );
}
