/**
 * What docker-compose.yml really passes to Odoo, per Odoo version and demo setting: the odoo
 * service's command is run (after the interpolation docker compose does) with a stand-in `odoo`
 * that answers `--version` like the image's, and a stand-in for the image's `/entrypoint.sh` that
 * records its arguments (the real one prepends the database connection and runs `odoo "$@"`).
 *
 * The expected flags follow how odoo-bin parses them (odoo/tools/config.py):
 * - 18.0: `--without-demo` is a plain string option and demo data is loaded when it is falsy, so
 *   only an empty value keeps demo data (`--without-demo=False` is the non-empty string "False" and
 *   disables it); `--with-demo` does not exist.
 * - 19.0: demo data is off by default; `--with-demo` turns it on, `--without-demo=True` keeps it off
 *   (its value is parsed as a boolean: `--without-demo=False` would mean "with demo").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  image: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}
const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, Service> };

/** docker compose's interpolation of the forms the file uses: `$$`, `${X}`, `${X:-d}`, `${X:?msg}`. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g, (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (whole === '$$') return '$';
    const value = env[name!];
    if (op === ':-') return value ? value : arg!;
    if (op === ':?' && !value) throw new Error(`${name}: ${arg}`);
    return value ?? '';
  });
}

interface Started {
  status: number;
  image: string;
  args: string[];
  stderr: string;
}

/** Runs the odoo service's command as its container would, with `vars` as the .env file. */
function startOdoo(vars: Record<string, string>): Started {
  const odoo = compose.services.odoo!;
  const image = interpolate(odoo.image, vars);
  const series = /^odoo:(\d+)\.0$/.exec(image)?.[1] ?? 'unknown';
  const dir = mkdtempSync(join(tmpdir(), 'rg-compose-'));
  writeFileSync(join(dir, 'odoo'), `#!/bin/sh\n[ "$1" = --version ] && echo "Odoo Server ${series}.0" && exit 0\nexit 70\n`);
  writeFileSync(join(dir, 'entrypoint.sh'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done\n`);
  chmodSync(join(dir, 'odoo'), 0o755);
  chmodSync(join(dir, 'entrypoint.sh'), 0o755);
  const containerEnv = Object.fromEntries(Object.entries(odoo.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]));
  expect(odoo.entrypoint).toEqual(['/bin/bash', '-c']);
  const script = interpolate(odoo.command![0]!, vars);
  expect(script).toContain('exec /entrypoint.sh odoo ');
  const run = spawnSync('/bin/bash', ['-c', script.replace('/entrypoint.sh', join(dir, 'entrypoint.sh'))], {
    env: { PATH: `${dir}:/usr/bin:/bin`, HOME: dir, ...containerEnv },
    encoding: 'utf8',
  });
  return { status: run.status ?? -1, image, args: run.stdout.split('\0').slice(0, -1), stderr: run.stderr };
}

const common = ['odoo', '-d', 'retail', '--db-filter=^retail$', '--addons-path=/mnt/extra-addons', '-i', 'retail_gateway'];

describe('docker-compose.yml: what Odoo is started with', () => {
  it('bash is there to run the command', () => {
    expect(execFileSync('/bin/bash', ['-c', 'echo ok'], { encoding: 'utf8' }).trim()).toBe('ok');
  });

  it('Odoo 18.0 by default, with demo data (an empty --without-demo)', () => {
    const started = startOdoo({});
    expect(started.stderr).toBe('');
    expect(started.image).toBe('odoo:18.0');
    expect(started.args).toEqual([...common, '--without-demo=']);
  });

  it('Odoo 19.0 with ODOO_VERSION=19.0, with demo data (--with-demo)', () => {
    const started = startOdoo({ ODOO_VERSION: '19.0' });
    expect(started.image).toBe('odoo:19.0');
    expect(started.args).toEqual([...common, '--with-demo']);
  });

  it('without demo data when ODOO_DEMO=false, in the form each series parses as "no demo"', () => {
    expect(startOdoo({ ODOO_DEMO: 'false' }).args).toEqual([...common, '--without-demo=all']);
    expect(startOdoo({ ODOO_VERSION: '19.0', ODOO_DEMO: 'false' }).args).toEqual([...common, '--without-demo=True']);
  });

  it('refuses what it does not know instead of starting Odoo with a guess', () => {
    const wrongDemo = startOdoo({ ODOO_DEMO: 'False' });
    expect(wrongDemo.status).toBe(64);
    expect(wrongDemo.args).toEqual([]);
    expect(wrongDemo.stderr).toMatch(/ODOO_DEMO 'False'/);
    const wrongSeries = startOdoo({ ODOO_VERSION: '17.0' });
    expect(wrongSeries.status).toBe(64);
    expect(wrongSeries.stderr).toMatch(/series '17'/);
  });

  it('the addons path is where ./odoo_addon is mounted, the database is the one the gateway uses', () => {
    const odoo = compose.services.odoo!;
    const mount = odoo.volumes!.find((v) => v.startsWith('./odoo_addon:'))!;
    const target = mount.split(':')[1]!;
    const args = startOdoo({}).args;
    expect(args).toContain(`--addons-path=${target}`);
    expect(args[args.indexOf('-d') + 1]).toBe(compose.services.gateway!.environment!.ODOO_DB);
  });
});
