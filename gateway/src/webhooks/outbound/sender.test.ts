import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookSender } from './sender.js';
import { createTargetPolicy, type ResolveAll } from './target-policy.js';

let server: Server;
let port: number;
const answers: Record<string, (res: ServerResponse) => void> = {
  '/ok': (res) => res.writeHead(204).end(),
  '/busy': (res) => res.writeHead(429, { 'retry-after': '30' }).end(),
  '/gone': (res) => res.writeHead(410).end(),
  '/broken': (res) => res.writeHead(503).end(),
  '/slow': (res) => void setTimeout(() => res.writeHead(200).end(), 2_000),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => (answers[req.url ?? ''] ?? ((r) => r.writeHead(404).end()))(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));

// `hooks.partner.test` stands for a partner's public name; `evil.partner.test` re-resolves to loopback.
const resolve: ResolveAll = async (host) => {
  if (host === 'evil.partner.test' || host === 'hooks.partner.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
};

describe('webhook sender', () => {
  const send = (sender: ReturnType<typeof createWebhookSender>, host: string, path: string) =>
    sender.send({ url: `http://${host}:${port}${path}`, headers: { 'content-type': 'application/json' }, body: '{}' });

  it('classifies answers: 2xx delivered, 429 retry with Retry-After, 5xx retry, other 4xx final', async () => {
    const sender = createWebhookSender({ policy: createTargetPolicy({ allowed: ['127.0.0.1'], resolve }) });
    try {
      expect(await send(sender, '127.0.0.1', '/ok')).toMatchObject({ ok: true, status: 204 });
      expect(await send(sender, '127.0.0.1', '/busy')).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 30_000 });
      expect(await send(sender, '127.0.0.1', '/broken')).toMatchObject({ ok: false, retryable: true, status: 503 });
      expect(await send(sender, '127.0.0.1', '/gone')).toMatchObject({ ok: false, retryable: false, status: 410 });
    } finally {
      await sender.close();
    }
  });

  it('treats a response timeout as retryable', async () => {
    const sender = createWebhookSender({ policy: createTargetPolicy({ allowed: ['127.0.0.1'], resolve }), responseTimeoutMs: 200 });
    try {
      const outcome = await send(sender, '127.0.0.1', '/slow');
      expect(outcome).toMatchObject({ ok: false, retryable: true, status: null });
      expect(outcome.error).toMatch(/timeout/i);
    } finally {
      await sender.close();
    }
  });

  it('refuses at delivery time a name that now resolves to a loopback address, without connecting', async () => {
    const sender = createWebhookSender({ policy: createTargetPolicy({ allowed: [], resolve }) });
    try {
      const outcome = await send(sender, 'evil.partner.test', '/ok');
      expect(outcome).toMatchObject({ ok: false, retryable: false, status: null });
      expect(outcome.error).toMatch(/refused: .*127\.0\.0\.1/);
      const literal = await send(sender, '127.0.0.1', '/ok');
      expect(literal).toMatchObject({ ok: false, retryable: false });
      expect(literal.error).toMatch(/internal address/);
    } finally {
      await sender.close();
    }
  });

  it('connects through the guarded lookup when the name is allowlisted', async () => {
    const sender = createWebhookSender({ policy: createTargetPolicy({ allowed: ['hooks.partner.test'], resolve }) });
    try {
      expect(await send(sender, 'hooks.partner.test', '/ok')).toMatchObject({ ok: true, status: 204 });
    } finally {
      await sender.close();
    }
  });

  it('treats a refused connection as retryable', async () => {
    const sender = createWebhookSender({ policy: createTargetPolicy({ allowed: ['127.0.0.1'], resolve }), connectTimeoutMs: 500 });
    try {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const p = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const outcome = await sender.send({ url: `http://127.0.0.1:${p}/`, headers: {}, body: '{}' });
      expect(outcome).toMatchObject({ ok: false, retryable: true });
      expect(outcome.error).toMatch(/ECONNREFUSED/);
    } finally {
      await sender.close();
    }
  });
});
