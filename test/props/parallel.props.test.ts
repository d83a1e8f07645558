/**
 * The parallel explorer is deterministic and agrees with sequential BFS: on random
 * models, 1, 2 and 3 workers and several batch sizes give the same verdict, counts and
 * counterexample; a complete search gives exactly sequential BFS's counts, and a
 * violation exactly its counterexample.
 *
 * Workers load models from files, so each random model is written to a temporary
 * module that rebuilds it with toModel. Runs: FC_NUM_RUNS_PARALLEL (default 40).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledModel, check, type CheckResult } from '../../src/index.js';
import { createPool, parallelCheck, type Pool } from '../../src/parallel/explore.js';
import { modelDesc, type ModelDesc } from './random-model.js';
import { toModel } from './to-model.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS_PARALLEL'] ?? 40);
const TO_MODEL = fileURLToPath(new URL('./to-model.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mmrace-par-'));
let serial = 0;
const pools: Pool[] = [];

beforeAll(() => {
  for (const n of [1, 2, 3]) pools.push(createPool(n));
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
  rmSync(dir, { recursive: true, force: true });
});

function modelFile(d: ModelDesc): string {
  const file = join(dir, `m${serial++}.mts`);
  writeFileSync(file, `import { toModel } from ${JSON.stringify(TO_MODEL)};\nexport default toModel(${JSON.stringify(d)});\n`);
  return file;
}

function essence(r: CheckResult) {
  return {
    verdict: r.verdict,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    property: r.property,
    kind: r.kind,
    limit: r.limit,
    code: r.code,
    schedule: r.trace?.schedule,
    init: r.trace?.init,
  };
}

describe('parallel BFS', () => {
  it('same result at 1, 2 and 3 workers and any batch size, equal to sequential BFS', async () => {
    await fc.assert(
      fc.asyncProperty(modelDesc(), fc.constantFrom(1, 3, 64), fc.constantFrom(undefined, 2, 7), async (d, batchSize, tableCapacity) => {
        const file = modelFile(d);
        const m = new CompiledModel(toModel(d), {});
        const seq = check(m, file, { strategy: 'bfs' });
        const results = [];
        // A tiny first table overflows during levels: the level runs again on a larger one.
        const sizing = tableCapacity === undefined ? {} : { tableCapacity };
        for (const pool of pools) results.push(essence(await parallelCheck(new CompiledModel(toModel(d), {}), file, { pool, batchSize, ...sizing })));
        expect(results[1]).toEqual(results[0]);
        expect(results[2]).toEqual(results[0]);
        const par = results[0]!;
        expect(par.verdict).toBe(seq.verdict);
        if (seq.verdict === 'safe') {
          expect({ states: par.states, transitions: par.transitions, depth: par.depth }).toEqual({
            states: seq.states,
            transitions: seq.transitions,
            depth: seq.depth,
          });
        } else {
          expect([par.property, par.code]).toEqual([seq.property, seq.code]);
          expect(par.schedule).toEqual(seq.trace?.schedule);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a state limit gives incomplete at every worker count, with the same counts', async () => {
    await fc.assert(
      fc.asyncProperty(modelDesc({ faults: false, invariants: false, guardOdds: 4 }), fc.integer({ min: 1, max: 30 }), async (d, maxStates) => {
        const file = modelFile(d);
        const full = check(new CompiledModel(toModel(d), {}), file, {});
        fc.pre(full.verdict === 'safe' && full.states > maxStates);
        const results = [];
        for (const pool of pools) results.push(essence(await parallelCheck(new CompiledModel(toModel(d), {}), file, { pool, batchSize: 3, maxStates })));
        expect(results[0]).toMatchObject({ verdict: 'incomplete', limit: 'max-states', states: maxStates });
        expect(results[1]).toEqual(results[0]);
        expect(results[2]).toEqual(results[0]);
      }),
      { numRuns: Math.max(10, Math.floor(NUM_RUNS / 2)) },
    );
  });
});
