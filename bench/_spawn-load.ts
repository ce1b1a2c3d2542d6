import { execFile } from 'node:child_process';
import { scriptArgs } from './_script.js';

export interface Load {
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
}

const script = scriptArgs('_get-load', import.meta.url);

/** GET load on `url` from a separate process (bench/_get-load.ts). */
export function getLoad(url: string, durationS: number, connections: number, headers: Record<string, string> = {}): Promise<Load> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...script, url, String(durationS), String(connections), JSON.stringify(headers)], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`load generator failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Load);
    });
  });
}
