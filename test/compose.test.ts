import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configVariables } from '../gateway/src/config.js';

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: unknown };
  command?: string[];
}
const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, Odoo (18.0 unless ODOO_VERSION says 19.0) and the gateway', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['db', 'gateway', 'odoo']);
    expect(compose.services.odoo!.image).toBe('odoo:${ODOO_VERSION:-18.0}');
    expect(compose.services.gateway!.build).toBeDefined();
  });

  it('sets only variables the gateway config knows', () => {
    const env = Object.keys(compose.services.gateway!.environment ?? {});
    expect(env.length).toBeGreaterThan(5);
    for (const name of env) expect(configVariables, `${name} is not a config variable`).toContain(name);
  });

  it('mounts the addon into Odoo and installs it', () => {
    const odoo = compose.services.odoo!;
    expect(odoo.volumes?.some((v) => v.startsWith('./odoo_addon:/mnt/extra-addons'))).toBe(true);
    expect(odoo.command?.join('\n')).toMatch(/ -i retail_gateway /);
  });

  it('gives every service a health check', () => {
    for (const [name, s] of Object.entries(compose.services)) expect(s.healthcheck?.test, name).toBeDefined();
  });

  it('makes the gateway listen on every interface of its container, explicitly (the default is loopback)', () => {
    expect(compose.services.gateway!.environment!.GATEWAY_HOST).toBe('0.0.0.0');
    const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile).toMatch(/^ENV GATEWAY_HOST=0\.0\.0\.0$/m);
  });

  it('points the gateway at the Odoo service and the addon database', () => {
    const env = compose.services.gateway!.environment!;
    expect(env.ODOO_URL).toBe('http://odoo:8069');
    expect(compose.services.odoo!.command?.join('\n')).toContain(` -d ${env.ODOO_DB} `);
  });
});
