/**
 * The API description: `/openapi.json` (OpenAPI 3.1, generated from the routes' zod schemas) and
 * `/docs`, a self-contained reference page (no CDN, no external script) that renders the document
 * and can send requests with a token pasted into it.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import type { Services } from '../services.js';
import { registerSecurityScheme } from './security.js';

export const OPENAPI_INFO = {
  title: 'retail-gateway API',
  version: '1.0.0',
  description:
    'Partner API of the retail gateway in front of Odoo. Authenticate with `POST /oauth/token` (client credentials) and send the token as `Authorization: Bearer …`. ' +
    'Writes are accepted durably (202 + Location) and reach Odoo exactly once; errors share one body `{ "error": { code, message, request_id, details } }`.',
};

export function registerOpenApi(app: OpenAPIHono<AppEnv>, services: Services): void {
  registerSecurityScheme(app, services.config.publicUrl);
  app.doc31('/openapi.json', () => ({
    openapi: '3.1.0',
    info: OPENAPI_INFO,
    servers: [{ url: services.config.publicUrl }],
  }));
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'");
    return c.html(DOCS_HTML);
  });
}

/** The reference page: plain HTML, CSS and JavaScript, reading `/openapi.json` from the same origin. */
const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>retail-gateway API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 24px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0;flex:1}
header input{width:360px;max-width:100%;padding:6px;border-radius:4px;border:0}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
nav a{display:inline-block;margin:0 10px 6px 0;color:#3a5bd9}
section.op{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:12px 0}
section.op>summary,section.op>h3{cursor:pointer;margin:0;padding:10px 14px;font-size:15px;display:flex;gap:10px;align-items:center}
.m{font:bold 12px monospace;padding:2px 8px;border-radius:3px;color:#fff;min-width:48px;text-align:center}
.get{background:#2f8a4c}.post{background:#3a5bd9}.put,.patch{background:#b7791f}.delete{background:#c53030}
.path{font-family:monospace}.sum{color:#5b6475}
.body{padding:0 14px 14px}
pre{background:#f0f2f5;padding:10px;overflow:auto;border-radius:4px;font-size:13px}
textarea{width:100%;min-height:160px;font:13px monospace}
table{border-collapse:collapse;font-size:14px}td,th{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
button{background:#3a5bd9;color:#fff;border:0;border-radius:4px;padding:6px 14px;cursor:pointer}
.tag{margin-top:24px;text-transform:capitalize}
</style></head>
<body><header><h1>retail-gateway API reference</h1>
<label>Bearer token <input id="token" placeholder="paste an access token from POST /oauth/token"></label>
<a href="/openapi.json" style="color:#9fb4ff">openapi.json</a></header>
<main><p id="desc"></p><nav id="nav"></nav><div id="ops">Loading…</div></main>
<script>
(function(){
  var esc=function(s){return String(s).replace(/[&<>"']/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});};
  var el=function(h){var d=document.createElement('div');d.innerHTML=h;return d.firstElementChild;};
  function resolve(doc,s){var seen=0;while(s&&s.$ref&&seen++<20){var p=s.$ref.replace(/^#\\//,'').split('/');s=p.reduce(function(o,k){return o&&o[k];},doc);}return s||{};}
  function schemaText(doc,s,depth){s=resolve(doc,s);depth=depth||0;if(depth>6)return '…';
    if(s.type==='object'||s.properties){var req=s.required||[];var props=s.properties||{};
      var lines=Object.keys(props).map(function(k){return '  '.repeat(depth+1)+k+(req.indexOf(k)<0?'?':'')+': '+schemaText(doc,props[k],depth+1);});
      return '{\\n'+lines.join('\\n')+'\\n'+'  '.repeat(depth)+'}';}
    if(s.type==='array')return schemaText(doc,s.items||{},depth)+'[]';
    if(s.enum)return s.enum.map(function(v){return JSON.stringify(v);}).join(' | ');
    if(s.anyOf||s.oneOf)return (s.anyOf||s.oneOf).map(function(x){return schemaText(doc,x,depth);}).join(' | ');
    return (Array.isArray(s.type)?s.type.join('|'):(s.type||'any'))+(s.format?' ('+s.format+')':'');}
  fetch('/openapi.json').then(function(r){return r.json();}).then(function(doc){
    document.getElementById('desc').textContent=(doc.info&&doc.info.description)||'';
    var byTag={};Object.keys(doc.paths||{}).sort().forEach(function(path){var item=doc.paths[path];
      ['get','post','put','patch','delete'].forEach(function(m){if(!item[m])return;var op=item[m];var tag=(op.tags&&op.tags[0])||'other';
        (byTag[tag]=byTag[tag]||[]).push({path:path,method:m,op:op});});});
    var ops=document.getElementById('ops');ops.innerHTML='';var nav=document.getElementById('nav');
    Object.keys(byTag).sort().forEach(function(tag){nav.appendChild(el('<a href="#tag-'+esc(tag)+'">'+esc(tag)+'</a>'));
      ops.appendChild(el('<h2 class="tag" id="tag-'+esc(tag)+'">'+esc(tag)+'</h2>'));
      byTag[tag].forEach(function(e){var op=e.op;var params=(op.parameters||[]).map(function(p){p=resolve(doc,p);
          return '<tr><td><code>'+esc(p.name)+'</code></td><td>'+esc(p.in)+(p.required?' (required)':'')+'</td><td>'+esc(p.description||(p.schema&&p.schema.description)||'')+'</td></tr>';}).join('');
        var body=op.requestBody&&op.requestBody.content&&op.requestBody.content['application/json'];
        var example=body&&(body.example!==undefined?body.example:(body.examples&&Object.values(body.examples)[0]&&Object.values(body.examples)[0].value));
        var responses=Object.keys(op.responses||{}).map(function(code){var r=resolve(doc,op.responses[code]);var c=r.content&&(r.content['application/json']||Object.values(r.content)[0]);
          return '<tr><td><b>'+esc(code)+'</b></td><td>'+esc(r.description||'')+(c&&c.schema?'<pre>'+esc(schemaText(doc,c.schema))+'</pre>':'')+'</td></tr>';}).join('');
        var sec=el('<details class="op"><summary><span class="m '+e.method+'">'+e.method.toUpperCase()+'</span><span class="path">'+esc(e.path)+'</span><span class="sum">'+esc(op.summary||'')+'</span></summary><div class="body"></div></details>');
        sec.className='op';var b=sec.querySelector('.body');
        b.innerHTML=(op.description?'<p>'+esc(op.description)+'</p>':'')+(params?'<h4>Parameters</h4><table>'+params+'</table>':'')+
          (body?'<h4>Request body</h4><pre>'+esc(schemaText(doc,body.schema))+'</pre>':'')+'<h4>Responses</h4><table>'+responses+'</table>'+
          '<h4>Try it</h4><input class="url" style="width:100%;font-family:monospace" value="'+esc(e.path)+'">'+(body?'<textarea class="req">'+esc(JSON.stringify(example||{},null,2))+'</textarea>':'')+
          '<p><button>Send</button></p><pre class="res"></pre>';
        b.querySelector('button').addEventListener('click',function(){var headers={};var t=document.getElementById('token').value.trim();if(t)headers.Authorization='Bearer '+t;
          var init={method:e.method.toUpperCase(),headers:headers};var ta=b.querySelector('.req');
          if(ta){headers['Content-Type']='application/json';init.body=ta.value;if(e.method==='post')headers['Idempotency-Key']=(self.crypto&&crypto.randomUUID)?crypto.randomUUID():String(Date.now());}
          var out=b.querySelector('.res');out.textContent='…';
          fetch(b.querySelector('.url').value,init).then(function(r){return r.text().then(function(txt){var shown=txt;try{shown=JSON.stringify(JSON.parse(txt),null,2);}catch(_){}
            out.textContent=r.status+' '+r.statusText+'\\n'+(r.headers.get('location')?'Location: '+r.headers.get('location')+'\\n':'')+'\\n'+shown;});}).catch(function(err){out.textContent=String(err);});});
        ops.appendChild(sec);});});
  }).catch(function(err){document.getElementById('ops').textContent='Could not load /openapi.json: '+err;});
})();
</script></body></html>`;
