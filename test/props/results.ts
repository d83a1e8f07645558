/** Shared by the property tests: what a result says, and random models as files workers can load. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, type CheckResult, type CompiledModel, type Plan } from '../../src/index.js';
import type { LevelTuning } from '../../src/engine/levels.js';
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

/**
 * Breadth-first search of compiled model `m` (defined in `file`) on the level explorer,
 * through the one entry, as the old `parallelCheck(m, file, opts)` ran it: no reduction
 * and no shrinking unless `opts` asks for them; the explorer's sizes (`batchSize`,
 * `inThreadBelow`, `tableCapacity`, `moveInThreadBelow`) go to `tuning`. Workers: `pool`,
 * `workers`, or the default (one per core).
 */
export function checkOnLevels(m: CompiledModel, file: string, opts: Plan & LevelTuning = {}): Promise<CheckResult> {
  const { batchSize, inThreadBelow, tableCapacity, moveInThreadBelow, ...plan } = opts;
  const given = { batchSize, inThreadBelow, tableCapacity, moveInThreadBelow };
  const tuning: LevelTuning = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return check({ model: m.model, file, params: m.params }, { por: false, symmetry: false, shrink: false, ...plan, tuning });
}
