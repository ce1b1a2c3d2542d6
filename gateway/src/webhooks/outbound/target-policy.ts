/**
 * Where outbound webhooks may go (SSRF guard). A target whose address is loopback, private,
 * link-local, carrier-grade NAT, multicast, reserved or a cloud metadata endpoint is refused,
 * unless the operator allowlists its host name or a CIDR range (`WEBHOOK_ALLOWED_TARGETS`).
 *
 * The check runs twice: when a subscription is created or changed (the URL's name is resolved and
 * every address checked), and at every connection (`guardedLookup` is undici's `connect.lookup`),
 * so a name that later re-resolves to an internal address (DNS rebinding) is refused too.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

/** Same shape as `dns.lookup` with `{ all: true }`. */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

/** Host names refused whatever they resolve to (cloud metadata services). */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

const forbidden = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments (incl. 192.0.0.192 Oracle metadata)
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
] as const) {
  forbidden.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated)
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, incl. fd00:ec2::254 (AWS metadata over IPv6)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  forbidden.addSubnet(net, bits, 'ipv6');
}

/** The IPv4 address embedded in an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::/96`) IPv6 address. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const m = /^(?:::ffff:|64:ff9b::)(?:0:)?(.+)$/.exec(lower);
  if (!m?.[1]) return null;
  const tail = m[1];
  if (isIP(tail) === 4) return tail;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(tail);
  if (!hex?.[1] || !hex[2]) return null;
  const hi = parseInt(hex[1], 16);
  const lo = parseInt(hex[2], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** True when an IP address is internal (loopback, private, link-local, metadata, reserved…). */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return forbidden.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return forbidden.check(v4, 'ipv4');
    return forbidden.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse
}

export class TargetRefusedError extends Error {
  readonly code = 'ERR_WEBHOOK_TARGET_REFUSED';
  constructor(
    message: string,
    readonly host: string,
    readonly address?: string,
  ) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

export interface TargetPolicyOptions {
  /** Hosts or CIDR ranges allowed even though internal (`config.webhookAllowedTargets`). */
  allowed: readonly string[];
  /** Name resolution; defaults to `dns.lookup` (the system resolver). Tests inject their own. */
  resolve?: ResolveAll;
}

export interface TargetPolicy {
  /** Checks a subscription URL: scheme, host, and every address its name resolves to. Throws TargetRefusedError. */
  checkUrl(url: string): Promise<void>;
  /** Whether an address may be connected to for this host name. */
  addressAllowed(host: string, address: string): boolean;
  /** `net.connect`'s `lookup` option: resolves, then refuses internal addresses. */
  readonly guardedLookup: GuardedLookup;
}

export type GuardedLookup = (
  hostname: string,
  options: { family?: number | string; all?: boolean } | number,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

const systemResolve: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))));

const bareHost = (host: string) => host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();

/** Builds the policy. Throws at once on an allowlist entry that is neither a host nor a CIDR range. */
export function createTargetPolicy(options: TargetPolicyOptions): TargetPolicy {
  const resolve = options.resolve ?? systemResolve;
  const allowedHosts = new Set<string>();
  const allowedNets = new BlockList();
  for (const entry of options.allowed) {
    const [addr, bits] = entry.split('/');
    const family = addr ? isIP(addr) : 0;
    if (family && addr) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) allowedNets.addAddress(addr, type);
      else allowedNets.addSubnet(addr, Number(bits), type);
    } else if (/^[a-z0-9.-]+$/i.test(entry)) {
      allowedHosts.add(bareHost(entry));
    } else {
      throw new TypeError(`webhook target allowlist: "${entry}" is neither a host nor a CIDR range`);
    }
  }

  function addressAllowed(host: string, address: string): boolean {
    const h = bareHost(host);
    if (allowedHosts.has(h)) return true;
    const family = isIP(address);
    if (family && allowedNets.check(address, family === 4 ? 'ipv4' : 'ipv6')) return true;
    if (METADATA_HOSTS.has(h)) return false;
    return !isInternalAddress(address);
  }

  const guardedLookup: GuardedLookup = (hostname, opts, callback) => {
    const wantAll = typeof opts === 'object' && opts.all === true;
    const family = typeof opts === 'number' ? opts : Number(typeof opts === 'object' ? (opts.family ?? 0) : 0) || 0;
    resolve(hostname).then(
      (addrs) => {
        const usable = addrs.filter((a) => family === 0 || a.family === family);
        const refused = usable.find((a) => !addressAllowed(hostname, a.address));
        if (refused || usable.length === 0) {
          const err = new TargetRefusedError(
            refused ? `webhook target ${hostname} resolves to internal address ${refused.address}` : `webhook target ${hostname} has no address`,
            hostname,
            refused?.address,
          ) as TargetRefusedError & NodeJS.ErrnoException;
          callback(err, wantAll ? [] : '', undefined);
          return;
        }
        if (wantAll) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, wantAll ? [] : '', undefined),
    );
  };

  return {
    addressAllowed,
    guardedLookup,
    async checkUrl(raw: string) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new TargetRefusedError('not a URL', raw);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TargetRefusedError('only http and https URLs are allowed', url.hostname);
      if (url.username || url.password) throw new TargetRefusedError('credentials in the URL are not allowed', url.hostname);
      const host = bareHost(url.hostname);
      if (isIP(host)) {
        if (!addressAllowed(host, host)) throw new TargetRefusedError(`webhook target ${host} is an internal address`, host, host);
        return;
      }
      let addrs: LookupAddress[];
      try {
        addrs = await resolve(host);
      } catch {
        throw new TargetRefusedError(`webhook target ${host} does not resolve`, host);
      }
      if (addrs.length === 0) throw new TargetRefusedError(`webhook target ${host} does not resolve`, host);
      const refused = addrs.find((a) => !addressAllowed(host, a.address));
      if (refused) throw new TargetRefusedError(`webhook target ${host} resolves to internal address ${refused.address}`, host, refused.address);
    },
  };
}
