import { z } from 'zod';
import { publishedSchemas } from './registry.js';

/** File name → JSON text of every published schema, in the draft 2020-12 dialect. */
export function renderJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(publishedSchemas).sort(([a], [b]) => a.localeCompare(b))) {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
    out[`${name}.schema.json`] = `${JSON.stringify({ $id: `urn:retail-gateway:schema:${name}`, title: name, ...json }, null, 2)}\n`;
  }
  return out;
}
