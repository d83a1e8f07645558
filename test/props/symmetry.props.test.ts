/**
 * Contract properties of symmetry reduction (CompiledModel.canonical) on random small
 * models whose actors are all declared symmetric (their steps never read c.self, and the
 * invariants read only shared variables): with and without the reduction, the same verdict,
 * the same set of violated invariants, faults and deadlocks, counterexamples of the same
 * length, never more states; traces replay on the model as it is; with partial-order
 * reduction too; and the parallel explorer reduces exactly as the sequential engine.
 *
 * Runs: FC_NUM_RUNS (default 1000) random models per property, FC_NUM_RUNS_PARALLEL
 * (default 40) for the parallel one. To replay a failure:
 *   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/props/symmetry.props.test.ts -t '<name>'
 */
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel, check, replay } from '../../src/index.js';
import type { CheckOptions, CheckResult } from '../../src/index.js';
import { parallelCheck } from '../../src/parallel/explore.js';
import { about, fcParams, reference, violatedProperties } from './common.js';
import { modelDesc, type ModelDesc } from './random-model.js';
import { essence } from './results.js';
import { toModel } from './to-model.js';

const params = fcParams(1000);
const parallelParams = fcParams(40, 'FC_NUM_RUNS_PARALLEL');
const HERE = fileURLToPath(import.meta.url);

const anyModel = modelDesc();
const safeish = modelDesc({ faults: false, invariants: false, guardOdds: 4 });

const compile = (d: ModelDesc, o: { private?: boolean } = {}) => new CompiledModel(toModel(d, { symmetric: true, ...o }), {});
const run = (d: ModelDesc, opts: CheckOptions = {}, o: { private?: boolean } = {}): CheckResult => check(compile(d, o), HERE, opts);
const properties = violatedProperties;

describe('symmetry reduction', () => {
  it('keeps the verdict, the set of violated properties and the shortest counterexample length', () => {
    fc.assert(
      fc.property(anyModel, (d) => {
        const ref = reference(d);
        about(d, () => {
          for (const strategy of ['bfs', 'dfs'] as const) {
            const full = run(d, { strategy, allViolations: true });
            const reduced = run(d, { strategy, allViolations: true, symmetry: true });
            expect(properties(reduced), strategy).toEqual(properties(full));
            expect(reduced.verdict).toBe(full.verdict);
          }
          const first = run(d, { symmetry: true });
          expect(first.verdict).toBe(ref.shortest !== null ? 'violation' : 'safe');
          if (first.trace) expect(first.trace.schedule.length, 'BFS over the sorted states is still shortest').toBe(ref.shortest);
        });
      }),
      params,
    );
  });

  it('never more states; the reductions say so only when some actor has two instances', () => {
    fc.assert(
      fc.property(safeish, (d) => {
        about(d, () => {
          const full = run(d);
          const reduced = run(d, { symmetry: true });
          const dfs = run(d, { strategy: 'dfs', symmetry: true });
          expect(reduced.verdict).toBe(full.verdict);
          expect(reduced.states).toBeLessThanOrEqual(full.states);
          const twins = d.actors.some((a) => a.instances > 1);
          expect(reduced.reductions).toEqual(twins ? ['symmetry'] : []);
          if (reduced.verdict === 'safe') expect(dfs.states, 'the sorted states do not depend on the search order').toBe(reduced.states);
        });
      }),
      params,
    );
  });

  it('every counterexample replays, on the model, to the same violation (with and without partial-order reduction)', () => {
    fc.assert(
      fc.property(anyModel, fc.boolean(), (d, por) => {
        about(d, () => {
          for (const strategy of ['bfs', 'dfs'] as const) {
            // The first violation: with allViolations a later trace may pass through an
            // earlier violation, where a replay stops.
            const r = run(d, { strategy, symmetry: true, por }, { private: por });
            if (r.verdict === 'violation') {
              const rep = replay(r.trace!, compile(d));
              expect({ reproduced: rep.reproduced, property: rep.property }, strategy).toEqual({ reproduced: true, property: r.property });
            }
            const all = run(d, { strategy, symmetry: true, por, allViolations: true }, { private: por });
            const plain = run(d, { strategy, allViolations: true });
            expect(properties(all), `${strategy} with partial-order reduction ${por}`).toEqual(properties(plain));
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
          const seq = check(compile(d), HERE, { symmetry: true, allViolations: all });
          const par = await parallelCheck(compile(d), HERE, { symmetry: true, allViolations: all, workers: 1, inThreadBelow: Infinity, batchSize });
          expect(essence(par)).toEqual(essence(seq));
        });
      }),
      parallelParams,
    );
  });
});
