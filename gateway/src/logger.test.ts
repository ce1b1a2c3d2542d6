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
