/**
 * Idle keep-alive connections: the gateway keeps them for GATEWAY_KEEPALIVE_TIMEOUT_MS and says so,
 * so a client (fetch keeps them for the server's hint less a second) closes first. A request
 * written on an idle connection after the process stalled past the client's idle timeout is
 * answered, not reset: with the gateway closing first (Node's 5 s default), it met ECONNRESET.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ env: { GATEWAY_KEEPALIVE_TIMEOUT_MS: '30000' } });
});
afterAll(async () => {
  await gw?.close();
});

/** Blocks the event loop, as a busy machine or a CPU-heavy test step does. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describe('keep-alive', () => {
  it('advertises its idle timeout', async () => {
    const res = await gw.fetch('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('keep-alive')).toBe('timeout=30');
  });

  it('answers a request sent on an idle connection after a stall longer than the old 5 s timeout', async () => {
    expect((await gw.fetch('/healthz')).status).toBe(200);
    stall(6_000);
    const res = await gw.fetch('/healthz');
    expect(res.status).toBe(200);
  });
});
