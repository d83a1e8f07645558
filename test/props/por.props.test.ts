/**
 * Contract properties of partial-order reduction (Expander.expandPor) on random small
 * models whose actors are all declared private (the random models never read a pc or
 * another instance's local): with and without reduction, and against the naive reference
 * explorer of the same model (reference.ts), the same verdict and the same set of
 * violated invariants, faults and deadlocks; never more states; every trace replays; and
 * the parallel explorer reduces exactly as the sequential engine does.
 *
 * Runs: FC_NUM_RUNS (default 1000) random models per property, FC_NUM_RUNS_PARALLEL
 * (default 40) for the parallel one. To replay a failure:
 *   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/props/por.props.test.ts -t '<name>'
 */
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel, replay } from '../../src/index.js';
import type { CheckResult, Plan } from '../../src/index.js';
import { checkIn } from '../unit/helpers.js';
import { about, fcParams, reference, violatedProperties } from './common.js';
import { modelDesc, type ModelDesc } from './random-model.js';
import { checkOnLevels, essence } from './results.js';
import { toModel } from './to-model.js';

const params = fcParams(1000);
const parallelParams = fcParams(40, 'FC_NUM_RUNS_PARALLEL');
const HERE = fileURLToPath(import.meta.url);

/** Mostly violating models: faults, invariants, guards on half the steps. */
const anyModel = modelDesc();
/** Mostly safe models: no faults or invariants, guards on a quarter of the steps. */
const safeish = modelDesc({ faults: false, invariants: false, guardOdds: 4 });

const compile = (d: ModelDesc) => new CompiledModel(toModel(d, { private: true }), {});
/** In this thread, without reductions unless asked, and the search's own counterexample (not shrunk), as the old `check` ran. */
const checkRaw = (m: CompiledModel, opts: Plan = {}): Promise<CheckResult> => checkIn(m, HERE, { shrink: false, ...opts });
const run = (d: ModelDesc, opts: Plan = {}): Promise<CheckResult> => checkRaw(compile(d), opts);
const properties = violatedProperties;

describe('partial-order reduction', () => {
  it('keeps the verdict and the set of violated properties (invariants, faults, deadlocks), BFS and DFS', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, async (d) => {
        const ref = reference(d);
        await about(d, async () => {
          for (const strategy of ['bfs', 'dfs'] as const) {
            const full = await run(d, { strategy, allViolations: true });
            const reduced = await run(d, { strategy, allViolations: true, por: true });
            expect(properties(reduced), `${strategy}: the properties violated with reduction`).toEqual(properties(full));
            expect(reduced.verdict).toBe(full.verdict);
            expect(reduced.reductions).toEqual(['por']);
            expect(full.reductions).toEqual([]);
            // Stopping at the first violation: a violation exactly when there is one.
            const first = await run(d, { strategy, por: true });
            expect(first.verdict).toBe(ref.shortest !== null ? 'violation' : 'safe');
            if (first.property !== undefined) expect([...ref.violations.keys()]).toContain(first.property);
          }
        });
      }),
      params,
    );
  });

  it('safe models stay safe with never more states, and the reduced counts are the same for BFS and DFS', async () => {
    await fc.assert(
      fc.asyncProperty(safeish, async (d) => {
        const ref = reference(d);
        await about(d, async () => {
          const bfs = await run(d, { por: true });
          const dfs = await run(d, { strategy: 'dfs', por: true });
          const full = await run(d);
          expect(bfs.verdict).toBe(full.verdict);
          // A search that stops at a violation (a deadlock, in these models) counts what it
          // met before it, in an order the reduction changes: only whole searches compare.
          if (full.verdict === 'safe') {
            expect(full.states).toBe(ref.states);
            expect(bfs.states).toBeLessThanOrEqual(full.states);
            expect(bfs.transitions).toBeLessThanOrEqual(full.transitions);
          }
          // The reduced state graph depends on the states alone, not on the search order.
          if (bfs.verdict === 'safe') expect(dfs.states).toBe(bfs.states);
        });
      }),
      params,
    );
  });

  it('every counterexample found with reduction replays to the same violation', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, async (d) => {
        await about(d, async () => {
          for (const strategy of ['bfs', 'dfs'] as const) {
            const r = await checkRaw(compile(d), { strategy, por: true });
            if (r.verdict !== 'violation') continue;
            const rep = replay(r.trace!, compile(d));
            expect({ reproduced: rep.reproduced, property: rep.property }, strategy).toEqual({ reproduced: true, property: r.property });
          }
        });
      }),
      params,
    );
  });

  it('the parallel explorer (its levels in this thread) reduces exactly as sequential BFS does', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, fc.boolean(), fc.integer({ min: 1, max: 5 }), async (d, all, batchSize) => {
        await about(d, async () => {
          const m = compile(d);
          const seq = await checkRaw(m, { por: true, allViolations: all });
          const par = await checkOnLevels(compile(d), HERE, { por: true, allViolations: all, workers: 1, inThreadBelow: Infinity, batchSize });
          expect(essence(par)).toEqual(essence(seq));
        });
      }),
      parallelParams,
    );
  });
});
