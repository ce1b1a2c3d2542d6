import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('logger redaction', () => {
  it('never writes credentials, tokens, e-mails or phone numbers', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJabc', cookie: 'sid=1' } },
        client_secret: 'demo-secret',
        customer: { email: 'ann@example.com', phone: '+32 470 00 00 00', name: 'Ann' },
        access_token: 'tok',
      },
      'call',
    );
    const out = lines.join('');
    for (const secret of ['eyJabc', 'sid=1', 'demo-secret', 'ann@example.com', '+32 470', '"tok"']) expect(out).not.toContain(secret);
    expect(out).toContain('Ann');
    expect(out).toContain('[redacted]');
  });
});

describe('login identifiers in logs', () => {
  it('logs a login as a short keyed hash, never verbatim, wherever it sits', () => {
    const { logger, lines } = capture();
    logger.warn({ login: 'jane.doe@example.com', reason: 'bad_credentials' }, 'dashboard sign-in refused');
    logger.warn({ login: 'correct horse battery staple' }, 'a password typed into the login field');
    logger.info({ user: { login: 'jane.doe@example.com', username: 'jdoe' } }, 'nested');
    const out = lines.join('');
    for (const secret of ['jane.doe', 'example.com', 'correct horse', 'jdoe']) expect(out).not.toContain(secret);
    const ids = lines.map((l) => (JSON.parse(l) as { login?: string; user?: { login: string } }));
    expect(ids[0]!.login).toMatch(/^\[id:[0-9a-f]{12}\]$/);
    // The same login gives the same stand-in, so its lines can be followed.
    expect(ids[2]!.user!.login).toBe(ids[0]!.login);
    expect(ids[1]!.login).not.toBe(ids[0]!.login);
  });

  it('keys the stand-in: another key gives another hash', () => {
    const a = capture();
    const b = { lines: [] as string[] };
    const other = createLogger('info', new Writable({ write(chunk, _enc, cb) { b.lines.push(String(chunk)); cb(); } }), { pseudonymKey: Buffer.alloc(32, 7) });
    a.logger.info({ login: 'jane.doe@example.com' }, 'x');
    other.info({ login: 'jane.doe@example.com' }, 'x');
    expect(JSON.parse(a.lines[0]!).login).not.toBe(JSON.parse(b.lines[0]!).login);
  });
});
