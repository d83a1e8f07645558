/** The scenario files of scenarios/, for the tests that run them all (not a test file). */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(import.meta.url), '../../..');

/** Every .json under `dir`, sorted. */
export function scenarioFiles(dir = join(root, 'scenarios')): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...scenarioFiles(p));
    else if (e.name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}
