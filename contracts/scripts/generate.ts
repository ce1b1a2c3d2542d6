/**
 * Writes contracts/json-schema/<name>.schema.json from the zod schemas. `--check` exits 1 when a
 * file is missing, stale or extra, without writing (the test suite runs the same comparison).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderJsonSchemas } from '../src/json-schema.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'json-schema');
const wanted = renderJsonSchemas();
const check = process.argv.includes('--check');
mkdirSync(outDir, { recursive: true });
const existing = new Set(readdirSync(outDir).filter((f) => f.endsWith('.json')));
const problems: string[] = [];
for (const [file, text] of Object.entries(wanted)) {
  existing.delete(file);
  let current: string | null = null;
  try {
    current = readFileSync(join(outDir, file), 'utf8');
  } catch {
    current = null;
  }
  if (current === text) continue;
  if (check) problems.push(`${current === null ? 'missing' : 'stale'}: ${file}`);
  else writeFileSync(join(outDir, file), text);
}
for (const extra of existing) {
  if (check) problems.push(`extra: ${extra}`);
  else rmSync(join(outDir, extra));
}
if (problems.length) {
  process.stderr.write(`${problems.join('\n')}\nRun \`npm run contracts:generate\`.\n`);
  process.exit(1);
}
process.stdout.write(check ? 'JSON Schema files are current.\n' : `wrote ${Object.keys(wanted).length} JSON Schema files to ${outDir}\n`);
