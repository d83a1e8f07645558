/**
 * The parallel explorer is deterministic and is sequential BFS: on random models, 1, 2
 * and 3 workers, several batch sizes, levels run in the main thread or on the pool, and
 * tables small enough to overflow all give exactly the sequential engine's verdict,
 * counts (also where a violation, an error or a limit stops the search) and
 * counterexample.
 *
 * Workers load models from files, so each random model is written to a temporary
 * module that rebuilds it with toModel. Runs: FC_NUM_RUNS_PARALLEL (default 40).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledModel, type CheckResult } from '../../src/index.js';
import { createPool, type Pool } from '../../src/parallel/pool.js';
import { checkIn } from '../unit/helpers.js';
import { modelDesc, type ModelDesc } from './random-model.js';
import { toModel } from './to-model.js';
import { checkOnLevels, essence, modelFile as writeModel } from './results.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS_PARALLEL'] ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'mmrace-par-'));
const pools: Pool[] = [];

beforeAll(() => {
  for (const n of [1, 2, 3]) pools.push(createPool(n));
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
  rmSync(dir, { recursive: true, force: true });
});

const modelFile = (d: ModelDesc): string => writeModel(dir, d);

describe('parallel BFS', () => {
  it('same result at 1, 2 and 3 workers, any batch size, in the main thread or not: sequential BFS', async () => {
    await fc.assert(
      fc.asyncProperty(
        modelDesc(),
        fc.constantFrom(1, 3, 64),
        fc.constantFrom(undefined, 2, 7),
        fc.constantFrom(0, 5),
        fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
        async (d, batchSize, tableCapacity, inThreadBelow, maxDepth) => {
          const file = modelFile(d);
          const m = new CompiledModel(toModel(d), {});
          const seq = essence(await checkIn(m, file, { strategy: 'bfs', maxDepth }));
          // A tiny first table overflows during levels: the level runs again on a larger one.
          const sizing = tableCapacity === undefined ? {} : { tableCapacity };
          // A tiny table also grows on the workers (moveRange in parallel) when the pool runs.
          const opts = { batchSize, inThreadBelow, maxDepth, ...sizing, moveInThreadBelow: 0 };
          expect(essence(await checkOnLevels(new CompiledModel(toModel(d), {}), file, opts))).toEqual(seq);
          for (const pool of pools) expect(essence(await checkOnLevels(new CompiledModel(toModel(d), {}), file, { pool, ...opts }))).toEqual(seq);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('safe models with cycles: every state counted once at every worker count (entries of finished levels retired)', async () => {
    // Mostly safe models run many levels, and states come back levels later: an entry left
    // in its round's lanes would be taken over two levels on and its state counted twice.
    await fc.assert(
      fc.asyncProperty(modelDesc({ faults: false, invariants: false, guardOdds: 4 }), fc.constantFrom(1, 2), async (d, batchSize) => {
        const file = modelFile(d);
        const seq = essence(await checkIn(new CompiledModel(toModel(d), {}), file, {}));
        for (const pool of pools) {
          expect(essence(await checkOnLevels(new CompiledModel(toModel(d), {}), file, { pool, batchSize, inThreadBelow: 0 }))).toEqual(seq);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a state limit stops where sequential BFS stops, at every worker count', async () => {
    await fc.assert(
      fc.asyncProperty(modelDesc(), fc.integer({ min: 1, max: 30 }), fc.constantFrom(1, 3), async (d, maxStates, batchSize) => {
        const file = modelFile(d);
        const seq = essence(await checkIn(new CompiledModel(toModel(d), {}), file, { maxStates }));
        for (const pool of pools) {
          expect(essence(await checkOnLevels(new CompiledModel(toModel(d), {}), file, { pool, batchSize, inThreadBelow: 0, maxStates }))).toEqual(seq);
        }
      }),
      { numRuns: Math.max(10, Math.floor(NUM_RUNS / 2)) },
    );
  });

  it('--all-violations: the same violations, counts and traces as the sequential engine', async () => {
    await fc.assert(
      fc.asyncProperty(modelDesc(), fc.constantFrom(1, 3), async (d, batchSize) => {
        const file = modelFile(d);
        const all = (r: CheckResult) => ({ ...essence(r), violations: r.violations?.map((v) => [v.property, v.kind, v.trace.schedule]) });
        const seq = all(await checkIn(new CompiledModel(toModel(d), {}), file, { allViolations: true }));
        for (const pool of pools) {
          expect(all(await checkOnLevels(new CompiledModel(toModel(d), {}), file, { pool, batchSize, inThreadBelow: 0, allViolations: true }))).toEqual(seq);
        }
        // The first violation reported is the one the search without --all-violations reports.
        const one = essence(await checkIn(new CompiledModel(toModel(d), {}), file, {}));
        if (one.verdict === 'violation' && seq.verdict === 'violation') expect([seq.property, seq.trace?.schedule.length]).toEqual([one.property, one.trace?.schedule.length]);
      }),
      { numRuns: Math.max(10, Math.floor(NUM_RUNS / 2)) },
    );
  });
});
