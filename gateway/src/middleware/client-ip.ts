/**
 * The client's address. `X-Forwarded-For` is believed only when the connection comes from a
 * configured trusted proxy; then the right-most address that is not itself a trusted proxy wins
 * (left-most entries are whatever the client chose to send).
 */
import { BlockList, isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AppEnv } from '../context.js';

/** Node's own BlockList does the CIDR matching: no hand-written address arithmetic. */
export function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr, bits] = entry.split('/');
    const type = isIP(addr!) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr!, type);
    else list.addSubnet(addr!, Number(bits), type);
  }
  return list;
}

function normalise(ip: string): string {
  // IPv4-mapped IPv6 (::ffff:10.0.0.1), as node reports IPv4 peers on dual-stack sockets.
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

function isTrusted(list: BlockList, ip: string): boolean {
  const type = isIP(ip);
  return type !== 0 && list.check(ip, type === 6 ? 'ipv6' : 'ipv4');
}

export function resolveClientIp(peer: string, forwardedFor: string | undefined, trusted: BlockList): string {
  const remote = normalise(peer);
  if (!forwardedFor || !isTrusted(trusted, remote)) return remote;
  const hops = forwardedFor.split(',').map((s) => normalise(s.trim())).filter((s) => isIP(s) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!isTrusted(trusted, hops[i]!)) return hops[i]!;
  }
  return hops[0] ?? remote;
}

export function clientIp(trustedProxies: readonly string[]): MiddlewareHandler<AppEnv> {
  const trusted = trustedProxyList(trustedProxies);
  return async function clientIpMiddleware(c, next) {
    let peer = '0.0.0.0';
    try {
      peer = getConnInfo(c).remote.address ?? peer;
    } catch {
      // app.request() in tests has no socket; the peer stays unknown.
    }
    c.set('clientIp', resolveClientIp(peer, c.req.header('x-forwarded-for'), trusted));
    await next();
  };
}
