#!/usr/bin/env node
// The `retail-gateway` command: the compiled build (`npm run build`; what `npm start` and the
// Docker image run) on plain node. In a development checkout with no build yet, the TypeScript
// sources through tsx, a development dependency.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const compiled = fileURLToPath(new URL('../../dist/gateway/src/main.js', import.meta.url));
if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('retail-gateway: no compiled build (dist/); run `npm run build` first\n');
    process.exit(70); // EX_SOFTWARE
  }
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
