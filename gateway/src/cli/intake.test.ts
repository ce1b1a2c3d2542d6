import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listAudit } from '../audit/log.js';
import { loadConfig, type Config } from '../config.js';
import { IntakeQueue } from '../intake/queue.js';
import { migrations } from '../store/migrations.js';
import { SqliteStore } from '../store/sqlite.js';
import { intakeCommand } from './intake.js';

const order = JSON.parse(readFileSync(new URL('../../../contracts/examples/api/order.json', import.meta.url), 'utf8')) as Record<string, unknown>;
let dir: string;
let config: Config;
let out: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rg-cli-intake-'));
  config = loadConfig({ GATEWAY_DATA_DIR: dir });
  out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function seedFailed(partners: string[]) {
  const store = new SqliteStore(join(dir, 'gateway.sqlite'));
  await store.migrate(migrations);
  const queue = new IntakeQueue({ store });
  for (const [i, partner] of partners.entries()) {
    const id = `CLI-${i}`;
    await queue.accept({ partner, kind: 'order', externalId: id, payload: { ...order, external_id: id }, requestId: `r-${i}`, source: 'api' });
  }
  await store.run("UPDATE intake_items SET status = 'failed'");
  await store.close();
}

describe('retail-gateway intake', () => {
  it('requeues one partner\'s failed items, leaves the others and audits it', async () => {
    await seedFailed(['acme', 'acme', 'globex']);
    expect(await intakeCommand.run(['requeue', '--partner', 'acme'], config)).toBe(0);
    expect(out).toContain('requeued 2 failed item(s) of acme');
    expect(out).toContain('accepted 2');
    expect(out).toContain('failed 1');
    const store = new SqliteStore(join(dir, 'gateway.sqlite'));
    const audit = await listAudit(store, { action: 'intake.requeue' });
    expect(audit).toEqual([expect.objectContaining({ target: 'acme', details: { requeued: 2 } })]);
    await store.close();
  });

  it('refuses an unknown action with the usage', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await intakeCommand.run(['flush'], config)).toBe(64);
    expect(String(err.mock.calls[0]?.[0])).toContain('usage: retail-gateway intake');
  });
});
