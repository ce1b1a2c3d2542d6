/**
 * `/docs`: the API reference as server-rendered HTML, built from the OpenAPI document itself, so it
 * reads without JavaScript: every operation with its method, path, summary, required scope,
 * parameters, request body and responses (schemas outlined), grouped by tag. Markdown code spans
 * in descriptions render as `<code>`; everything else is HTML-escaped. A small inline script adds
 * an optional "Try it" form to each operation; the page is complete without it.
 */
import { SECURITY_SCHEME } from './security.js';

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Json;
}

interface Media {
  schema?: Json;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  deprecated?: boolean;
  security?: Record<string, string[]>[];
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, Media> } | { $ref: string };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Json }> } | { $ref: string }>;
}

export interface OpenApiDocument {
  info?: { title?: string; description?: string; version?: string };
  paths?: Record<string, Record<string, unknown>>;
  components?: Json;
}

const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const;

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Text with Markdown code spans (`x`) as `<code>`, everything HTML-escaped. */
export function inlineMarkdown(text: string): string {
  return text
    .split(/(`[^`]+`)/)
    .map((part) => (/^`[^`]+`$/.test(part) ? `<code>${escapeHtml(part.slice(1, -1))}</code>` : escapeHtml(part)))
    .join('');
}

/** What an operation needs to be called: its scopes, client credentials, or nothing. */
export function accessOf(op: { security?: Record<string, string[]>[] }): { scopes: string[]; text: string } {
  const requirements = op.security ?? [];
  const scopes = requirements.flatMap((r) => r[SECURITY_SCHEME] ?? []);
  if (scopes.length > 0) return { scopes, text: 'token with scope' };
  if (requirements.some((r) => Object.keys(r).length > 0)) return { scopes: [], text: `client credentials (${requirements.flatMap((r) => Object.keys(r)).join(' or ')})` };
  return { scopes: [], text: 'no token' };
}

function resolve<T>(doc: OpenApiDocument, value: T | { $ref: string } | undefined): T | undefined {
  let v: unknown = value;
  for (let hops = 0; hops < 20 && v && typeof v === 'object' && '$ref' in v; hops++) {
    const path = String((v as { $ref: string }).$ref).replace(/^#\//, '').split('/');
    v = path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Json)[k] : undefined), doc);
  }
  return v as T | undefined;
}

/** A schema as a compact outline: `{ sku: string, lines: { qty: integer }[] }`. */
export function schemaOutline(doc: OpenApiDocument, schema: Json | undefined, depth = 0): string {
  const s = resolve<Json>(doc, schema) ?? {};
  if (depth > 6) return '…';
  const pad = '  '.repeat(depth);
  if (s.type === 'object' || s.properties) {
    const props = (s.properties ?? {}) as Record<string, Json>;
    const required = (s.required ?? []) as string[];
    const lines = Object.entries(props).map(([k, v]) => `${pad}  ${k}${required.includes(k) ? '' : '?'}: ${schemaOutline(doc, v, depth + 1)}`);
    return lines.length ? `{\n${lines.join('\n')}\n${pad}}` : 'object';
  }
  if (s.type === 'array') return `${schemaOutline(doc, s.items as Json, depth)}[]`;
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (union) return union.map((x) => schemaOutline(doc, x, depth)).join(' | ');
  const type = Array.isArray(s.type) ? s.type.join(' | ') : String(s.type ?? 'any');
  return `${type}${s.format ? ` (${String(s.format)})` : ''}`;
}

interface Entry {
  method: string;
  path: string;
  op: Operation;
}

/** Every operation of the document, in path order. */
export function operationsOf(doc: OpenApiDocument): Entry[] {
  return Object.keys(doc.paths ?? {})
    .sort()
    .flatMap((path) => HTTP_METHODS.filter((m) => doc.paths![path]![m]).map((method) => ({ method, path, op: doc.paths![path]![method] as Operation })));
}

const anchor = (e: Entry) => `op-${e.method}-${e.path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;

function renderOperation(doc: OpenApiDocument, e: Entry): string {
  const { op } = e;
  const access = accessOf(op);
  const accessHtml = access.scopes.length
    ? `${access.text} ${access.scopes.map((s) => `<code class="scope">${escapeHtml(s)}</code>`).join(' or ')}`
    : escapeHtml(access.text);
  const params = (op.parameters ?? []).map((p) => resolve<Parameter>(doc, p)).filter((p): p is Parameter => Boolean(p));
  const paramRows = params
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}${p.required ? ', required' : ''}</td><td><code>${escapeHtml(schemaOutline(doc, p.schema))}</code></td><td>${inlineMarkdown(p.description ?? String(resolve<Json>(doc, p.schema)?.description ?? ''))}</td></tr>`,
    )
    .join('');
  const body = resolve<{ required?: boolean; content?: Record<string, Media> }>(doc, op.requestBody);
  const json = body?.content?.['application/json'];
  const example = json ? (json.example ?? Object.values(json.examples ?? {})[0]?.value ?? {}) : undefined;
  const bodyHtml = body?.content
    ? Object.entries(body.content)
        .map(([type, media]) => `<h4>Request body <code>${escapeHtml(type)}</code>${body.required ? ' (required)' : ''}</h4><pre>${escapeHtml(schemaOutline(doc, media.schema))}</pre>`)
        .join('')
    : '';
  const responseRows = Object.entries(op.responses ?? {})
    .map(([status, raw]) => {
      const r = resolve<{ description?: string; content?: Record<string, { schema?: Json }> }>(doc, raw) ?? {};
      const media = r.content ? Object.entries(r.content)[0] : undefined;
      // Errors share one body (the document's description says which); only successes are outlined.
      const outline = media?.[1].schema && Number(status) < 400 ? `<pre>${escapeHtml(schemaOutline(doc, media[1].schema))}</pre>` : '';
      return `<tr><td><b>${escapeHtml(status)}</b></td><td>${inlineMarkdown(r.description ?? '')}${outline}</td></tr>`;
    })
    .join('');
  return `<section class="op" id="${anchor(e)}" data-method="${e.method.toUpperCase()}" data-path="${escapeHtml(e.path)}"${example !== undefined ? ` data-example="${escapeHtml(JSON.stringify(example, null, 2))}"` : ''}>
<h3><span class="m ${e.method}">${e.method.toUpperCase()}</span> <code class="path">${escapeHtml(e.path)}</code>${op.deprecated ? ' <span class="dep">deprecated</span>' : ''}</h3>
<p class="sum">${inlineMarkdown(op.summary ?? '')}</p>
<p class="access">Access: ${accessHtml}</p>
${op.description ? `<p>${inlineMarkdown(op.description)}</p>` : ''}
${paramRows ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>meaning</th></tr>${paramRows}</table>` : ''}
${bodyHtml}
<h4>Responses</h4><table>${responseRows}</table>
</section>`;
}

/** The reference page for `doc`. */
export function renderDocsPage(doc: OpenApiDocument): string {
  const entries = operationsOf(doc);
  const byTag = new Map<string, Entry[]>();
  for (const e of entries) {
    const tag = e.op.tags?.[0] ?? 'other';
    byTag.set(tag, [...(byTag.get(tag) ?? []), e]);
  }
  const tags = [...byTag.keys()].sort();
  const title = escapeHtml(doc.info?.title ?? 'API reference');
  const index = tags
    .map(
      (tag) =>
        `<li><a href="#tag-${escapeHtml(tag.replace(/\W+/g, '-'))}">${escapeHtml(tag)}</a><ul>${byTag
          .get(tag)!
          .map((e) => `<li><a href="#${anchor(e)}"><code>${e.method.toUpperCase()} ${escapeHtml(e.path)}</code></a> — ${inlineMarkdown(e.op.summary ?? '')}</li>`)
          .join('')}</ul></li>`,
    )
    .join('');
  const sections = tags
    .map((tag) => `<h2 class="tag" id="tag-${escapeHtml(tag.replace(/\W+/g, '-'))}">${escapeHtml(tag)}</h2>\n${byTag.get(tag)!.map((e) => renderOperation(doc, e)).join('\n')}`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 24px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0;flex:1}header a{color:#9fb4ff}
header input{width:360px;max-width:100%;padding:6px;border-radius:4px;border:0}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
section.op{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:12px 0;padding:0 14px 10px}
section.op h3{margin:0;padding:10px 0 4px;font-size:15px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.m{font:bold 12px monospace;padding:2px 8px;border-radius:3px;color:#fff;min-width:48px;text-align:center}
.get{background:#2f8a4c}.post{background:#3a5bd9}.put,.patch{background:#b7791f}.delete{background:#c53030}
.path{font-size:14px}.sum{margin:0 0 4px;color:#3d4554}.access{margin:0;color:#5b6475;font-size:14px}.dep{color:#c53030}
code{background:#f0f2f5;padding:0 3px;border-radius:3px}
pre{background:#f0f2f5;padding:10px;overflow:auto;border-radius:4px;font-size:13px;margin:4px 0}
textarea{width:100%;min-height:140px;font:13px monospace}
table{border-collapse:collapse;font-size:14px}td,th{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
button{background:#3a5bd9;color:#fff;border:0;border-radius:4px;padding:6px 14px;cursor:pointer}
.tag{margin-top:28px;text-transform:capitalize}
</style></head>
<body><header><h1>${title} reference</h1>
<label hidden id="token-label">Bearer token <input id="token" placeholder="an access token from POST /oauth/token"></label>
<a href="/openapi.json">openapi.json</a></header>
<main>
<p>${inlineMarkdown(doc.info?.description ?? '')}</p>
<nav><ul>${index}</ul></nav>
${sections}
</main>
<script>
// Optional: a "Try it" form under each operation, sending the request with the pasted token.
(function(){
  document.getElementById('token-label').hidden=false;
  document.querySelectorAll('section.op').forEach(function(sec){
    var method=sec.dataset.method,path=sec.dataset.path;
    var box=document.createElement('details');var s=document.createElement('summary');s.textContent='Try it';box.appendChild(s);
    var url=document.createElement('input');url.style.cssText='width:100%;font-family:monospace';url.value=path;box.appendChild(url);
    var ta=null;if(sec.dataset.example!==undefined){ta=document.createElement('textarea');ta.value=sec.dataset.example;box.appendChild(ta);}
    var btn=document.createElement('button');btn.textContent='Send';var p=document.createElement('p');p.appendChild(btn);box.appendChild(p);
    var out=document.createElement('pre');box.appendChild(out);
    btn.addEventListener('click',function(){var headers={};var t=document.getElementById('token').value.trim();if(t)headers.Authorization='Bearer '+t;
      var init={method:method,headers:headers};
      if(ta){headers['Content-Type']='application/json';init.body=ta.value;if(method==='POST')headers['Idempotency-Key']=(self.crypto&&crypto.randomUUID)?crypto.randomUUID():String(Date.now());}
      out.textContent='…';
      fetch(url.value,init).then(function(r){return r.text().then(function(txt){var shown=txt;try{shown=JSON.stringify(JSON.parse(txt),null,2);}catch(_){}
        out.textContent=r.status+' '+r.statusText+'\\n'+(r.headers.get('location')?'Location: '+r.headers.get('location')+'\\n':'')+'\\n'+shown;});}).catch(function(err){out.textContent=String(err);});});
    sec.appendChild(box);});
})();
</script></body></html>`;
}
