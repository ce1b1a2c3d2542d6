/**
 * `/docs` is the OpenAPI document rendered on the server: without running any script, it lists
 * every operation of `/openapi.json` with its summary and the scope it needs, Markdown code spans
 * as `<code>`, and text HTML-escaped.
 */
import '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/support/gateway.js';
import { inlineMarkdown } from './docs-page.js';
import { SECURITY_SCHEME } from './security.js';

interface Op {
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
}

let gw: TestGateway;
let doc: { paths: Record<string, Record<string, Op>> };
let html: string;
let res: Response;

beforeAll(async () => {
  gw = await startTestGateway();
  doc = (await (await gw.fetch('/openapi.json')).json()) as typeof doc;
  res = await gw.fetch('/docs');
  html = await res.text();
}, 60_000);

afterAll(async () => {
  await gw?.close();
});

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
/** The text a reader sees: inline code tags gone, other tags a space each, entities decoded, white space collapsed. */
const textOf = (fragment: string) =>
  decode(fragment.replace(/<\/?code[^>]*>/g, '').replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
/** A summary as read: Markdown code spans show their content, without the backticks. */
const readable = (markdown: string) => markdown.replace(/`([^`]+)`/g, '$1').replace(/\s+/g, ' ').trim();

/** The sections of the page by `METHOD path`, the markup before any script ran. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<section class="op"[^>]*data-method="([A-Z]+)" data-path="([^"]+)"[^>]*>([\s\S]*?)<\/section>/g)) {
    out.set(`${m[1]} ${decode(m[2]!)}`, m[3]!);
  }
  return out;
}

describe('GET /docs', () => {
  it('is HTML with the reference in the markup itself, no "Loading…" placeholder', () => {
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).not.toContain('Loading…');
    expect(html).not.toMatch(/<script[^>]+src=/i);
  });

  it('lists every operation of the OpenAPI document with its summary and scope', () => {
    const found = sections();
    const problems: string[] = [];
    let count = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        count++;
        const key = `${method.toUpperCase()} ${path}`;
        const section = found.get(key);
        if (!section) {
          problems.push(`${key}: no section`);
          continue;
        }
        const text = textOf(section);
        // Method, path and summary read as separate words: "/admin/reconcile Compare …", not run together.
        if (!text.startsWith(`${method.toUpperCase()} ${path} `)) problems.push(`${key}: heading reads "${text.slice(0, 80)}"`);
        if (op.summary && !text.includes(readable(op.summary))) problems.push(`${key}: summary missing`);
        for (const scope of (op.security ?? []).flatMap((s) => s[SECURITY_SCHEME] ?? [])) {
          if (!section.includes(`<code class="scope">${scope}</code>`)) problems.push(`${key}: scope ${scope} missing`);
        }
        if ((op.security ?? []).every((s) => Object.keys(s).length === 0) && !text.includes('Access: no token')) problems.push(`${key}: should say no token`);
      }
    }
    expect(count).toBeGreaterThan(20);
    expect(found.size).toBe(count);
    expect(problems).toEqual([]);
  });

  it('renders Markdown code spans as <code>, never the backticks', () => {
    const withCode = Object.values(doc.paths)
      .flatMap((m) => Object.values(m))
      .flatMap((op) => [op.summary ?? '', op.description ?? ''])
      .filter((s) => s.includes('`'));
    expect(withCode.length).toBeGreaterThan(0);
    for (const s of withCode) expect(html).toContain(inlineMarkdown(s));
    const body = html.slice(html.indexOf('<main>'), html.indexOf('<script>'));
    expect(body).not.toContain('`');
  });

  it('escapes HTML in the text it renders and inside code spans', () => {
    expect(inlineMarkdown('a <b> & `<script>` "q"')).toBe('a &lt;b&gt; &amp; <code>&lt;script&gt;</code> &quot;q&quot;');
  });
});
