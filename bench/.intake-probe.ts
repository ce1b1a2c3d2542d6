import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startOdooSimulator } from '../gateway/src/odoo/simulator/index.js';
import { startBenchGateway } from './_gateway.js';
const sim = await startOdooSimulator({});
const bench = await startBenchGateway(sim, { GATEWAY_INTAKE_DRAIN: 'false' });
const g = bench.gateway;
const { accessToken } = await g.services.auth!.tokens.issue({ partner: 'demo', clientId: 'demo', scopes: ['orders:write'] });
function load(prefix: string, n: string): Promise<{ rps: number; non2xx: number; accepted: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./_load.ts', import.meta.url)), `${g.url}/v1/orders`, prefix, n, '50', `Bearer ${accessToken}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = ''; child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', () => resolve(JSON.parse(out.trim().split('\n').pop()!)));
    child.once('error', reject);
  });
}
const run = `P${Date.now().toString(36)}`;
await load(`${run}-w`, '500r');
for (let i = 0; i < 3; i++) {
  // idle CPU of the server while the generator starts: measure separately
  const t0 = process.cpuUsage();
  const r = await load(`${run}-m${i}`, '3000r');
  const d = process.cpuUsage(t0);
  console.log(JSON.stringify({ rps: Math.round(r.rps), accepted: r.accepted.length, non2xx: r.non2xx, usPerAccept: +((d.user + d.system) / r.accepted.length).toFixed(1) }));
}
await bench.close(); await sim.close();
