import { describe, expect, it } from 'vitest';
import { createTargetPolicy, isInternalAddress, TargetRefusedError, type ResolveAll } from './target-policy.js';

const fakeDns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.215.14'],
  'rebind.example.com': ['10.1.2.3'],
  'mixed.example.com': ['93.184.215.14', '192.168.1.20'],
  'v6.example.com': ['2606:4700::6810:84e5'],
  'v6-internal.example.com': ['fd00:ec2::254'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'metadata.google.internal': ['93.184.215.14'],
  'receiver.internal': ['10.9.8.7'],
};
const resolve: ResolveAll = async (host) => {
  const addrs = fakeDns[host];
  if (!addrs) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('internal addresses', () => {
  it.each([
    '127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1',
    '::ffff:7f00:1', '::ffff:169.254.169.254', '64:ff9b::a00:1', 'not-an-ip',
  ])('%s is internal', (a) => expect(isInternalAddress(a)).toBe(true));

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::6810:84e5', '::ffff:8.8.8.8'])('%s is public', (a) =>
    expect(isInternalAddress(a)).toBe(false),
  );
});

describe('target policy at creation time', () => {
  const policy = createTargetPolicy({ allowed: [], resolve });

  it('accepts a public name', async () => {
    await expect(policy.checkUrl('https://hooks.example.com/in')).resolves.toBeUndefined();
    await expect(policy.checkUrl('https://v6.example.com/in')).resolves.toBeUndefined();
  });

  it.each([
    ['http://127.0.0.1:9000/', /127\.0\.0\.1 is an internal address/],
    ['http://[::1]/', /internal/],
    ['http://169.254.169.254/latest/meta-data', /internal/],
    ['https://rebind.example.com/', /resolves to internal address 10\.1\.2\.3/],
    ['https://mixed.example.com/', /192\.168\.1\.20/],
    ['https://v6-internal.example.com/', /fd00:ec2::254/],
    ['https://mapped.example.com/', /::ffff:127\.0\.0\.1/],
    ['https://metadata.google.internal/', /internal address/],
    ['https://nowhere.example.com/', /does not resolve/],
    ['ftp://hooks.example.com/', /http/],
    ['https://user:pw@hooks.example.com/', /credentials/],
  ])('refuses %s', async (url, message) => {
    const err = await policy.checkUrl(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetRefusedError);
    expect((err as Error).message).toMatch(message);
  });

  it('lets the operator allowlist a host or a CIDR range', async () => {
    const allowing = createTargetPolicy({ allowed: ['receiver.internal', '127.0.0.0/8', '::1'], resolve });
    await expect(allowing.checkUrl('https://receiver.internal/hook')).resolves.toBeUndefined();
    await expect(allowing.checkUrl('http://127.0.0.1:8080/')).resolves.toBeUndefined();
    await expect(allowing.checkUrl('http://[::1]:8080/')).resolves.toBeUndefined();
    await expect(allowing.checkUrl('https://rebind.example.com/')).rejects.toThrow(TargetRefusedError);
  });

  it('throws at once on an allowlist entry it cannot read', () => {
    expect(() => createTargetPolicy({ allowed: ['not a host!'] })).toThrow(/neither a host nor a CIDR/);
  });
});

describe('target policy at connection time (lookup)', () => {
  const policy = createTargetPolicy({ allowed: [], resolve });
  const lookup = (host: string, all = false) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((done) =>
      policy.guardedLookup(host, { all }, (err, address) => done({ err, address })),
    );

  it('passes public addresses through', async () => {
    expect(await lookup('hooks.example.com')).toEqual({ err: null, address: '93.184.215.14' });
    expect((await lookup('hooks.example.com', true)).address).toEqual([{ address: '93.184.215.14', family: 4 }]);
  });

  it('refuses a name that resolves to a private address', async () => {
    const { err } = await lookup('rebind.example.com');
    expect(err).toBeInstanceOf(TargetRefusedError);
    expect(err?.message).toMatch(/10\.1\.2\.3/);
  });
});
