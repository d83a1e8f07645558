/** Shared by the property tests: what a result says, and random models as files workers can load. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from '../../src/index.js';
import type { ModelDesc } from './random-model.js';

/** What a result says, without timings. */
export function essence(r: CheckResult) {
  return {
    verdict: r.verdict,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    property: r.property,
    kind: r.kind,
    message: r.message,
    limit: r.limit,
    code: r.code,
    trace: r.trace,
  };
}

const TO_MODEL = fileURLToPath(new URL('./to-model.ts', import.meta.url));
let serial = 0;

/** Writes a random model as a module under `dir` (worker threads load models from files). */
export function modelFile(dir: string, d: ModelDesc): string {
  const file = join(dir, `m${serial++}.mts`);
  writeFileSync(file, `import { toModel } from ${JSON.stringify(TO_MODEL)};\nexport default toModel(${JSON.stringify(d)});\n`);
  return file;
}
