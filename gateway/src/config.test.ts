import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { openStore } from './store/open.js';
import type { PostgresStore } from './store/postgres.js';

describe('loadConfig', () => {
  it('gives the documented defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.odoo).toBeNull();
    expect(c.port).toBe(8080);
    // Loopback unless told otherwise, and the public URL (the token issuer) is where it listens.
    expect(c.host).toBe('127.0.0.1');
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
    expect(c.ops.metricsToken).toBeNull();
    expect(c.bodyLimitBytes).toBe(1024 * 1024);
    expect(c.trustedProxies).toEqual([]);
    expect(c.storeUrl).toBeNull();
  });

  it('derives the default public URL from GATEWAY_HOST, and GATEWAY_PUBLIC_URL wins', () => {
    expect(loadConfig({ GATEWAY_HOST: '0.0.0.0', GATEWAY_PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(loadConfig({ GATEWAY_HOST: '::' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ GATEWAY_HOST: '::1' }).publicUrl).toBe('http://[::1]:8080');
    expect(loadConfig({ GATEWAY_HOST: 'gw.internal' }).publicUrl).toBe('http://gw.internal:8080');
    expect(loadConfig({ GATEWAY_HOST: '0.0.0.0', GATEWAY_PUBLIC_URL: 'https://api.example/' }).publicUrl).toBe('https://api.example');
  });

  it('reads a complete Odoo configuration and prefers the API key', () => {
    const c = loadConfig({ ODOO_URL: 'http://odoo:8069/', ODOO_DB: 'prod', ODOO_USER: 'gateway', ODOO_API_KEY: 'k', ODOO_PASSWORD: 'p' });
    expect(c.odoo).toMatchObject({ url: 'http://odoo:8069', db: 'prod', user: 'gateway', apiKey: 'k', password: null });
  });

  it('fails with one line per wrong variable, naming it and hiding secrets', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        ODOO_URL: 'not a url',
        GATEWAY_PORT: '99999',
        GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8, banana',
        GATEWAY_MASTER_KEY: 'c2hvcnQ=',
        GATEWAY_STORE_URL: 'mysql://x',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = error!.problems;
    expect(lines.find((l) => l.startsWith('ODOO_URL:'))).toContain('"not a url"');
    expect(lines.find((l) => l.startsWith('GATEWAY_PORT:'))).toContain('at most 65535');
    expect(lines.find((l) => l.startsWith('GATEWAY_TRUSTED_PROXIES:'))).toBeDefined();
    expect(lines.find((l) => l.startsWith('GATEWAY_STORE_URL:'))).toBeDefined();
    const master = lines.find((l) => l.startsWith('GATEWAY_MASTER_KEY:'))!;
    expect(master).toContain('value hidden');
    expect(master).not.toContain('c2hvcnQ=');
  });

  it('requires the Odoo database, user and a credential once ODOO_URL is set', () => {
    expect(() => loadConfig({ ODOO_URL: 'http://odoo:8069' })).toThrowError(/ODOO_DB: is required[\s\S]*ODOO_USER: is required[\s\S]*ODOO_API_KEY/);
  });

  it('accepts a master key in hex or base64 and treats empty strings as unset', () => {
    const hex = 'ab'.repeat(32);
    expect(loadConfig({ GATEWAY_MASTER_KEY: hex }).masterKey?.length).toBe(32);
    expect(loadConfig({ GATEWAY_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') }).masterKey?.[0]).toBe(7);
    expect(loadConfig({ GATEWAY_PORT: '' }).port).toBe(8080);
  });

  it('bounds the PostgreSQL pool: 10 connections unless GATEWAY_STORE_POOL_MAX says otherwise', async () => {
    expect(loadConfig({}).storePoolMax).toBe(10);
    const config = loadConfig({ GATEWAY_STORE_URL: 'postgres://nobody@127.0.0.1:1/none', GATEWAY_STORE_POOL_MAX: '3' });
    const store = openStore(config);
    expect((store as PostgresStore).pool.options.max).toBe(3);
    await store.close();
    expect(() => loadConfig({ GATEWAY_STORE_POOL_MAX: '0' })).toThrowError(/GATEWAY_STORE_POOL_MAX/);
  });
});
