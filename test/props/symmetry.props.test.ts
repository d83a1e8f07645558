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

const anyModel = modelDesc();
const safeish = modelDesc({ faults: false, invariants: false, guardOdds: 4 });

const compile = (d: ModelDesc, o: { private?: boolean } = {}) => new CompiledModel(toModel(d, { symmetric: true, ...o }), {});
/** In this thread, without reductions unless asked, and the search's own counterexample (not shrunk), as the old `check` ran. */
const checkRaw = (m: CompiledModel, opts: Plan = {}): Promise<CheckResult> => checkIn(m, HERE, { shrink: false, ...opts });
const run = (d: ModelDesc, opts: Plan = {}, o: { private?: boolean } = {}): Promise<CheckResult> => checkRaw(compile(d, o), opts);
const properties = violatedProperties;

describe('symmetry reduction', () => {
  it('keeps the verdict, the set of violated properties and the shortest counterexample length', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, async (d) => {
        const ref = reference(d);
        await about(d, async () => {
          for (const strategy of ['bfs', 'dfs'] as const) {
            const full = await run(d, { strategy, allViolations: true });
            const reduced = await run(d, { strategy, allViolations: true, symmetry: true });
            expect(properties(reduced), strategy).toEqual(properties(full));
            expect(reduced.verdict).toBe(full.verdict);
          }
          const first = await run(d, { symmetry: true });
          expect(first.verdict).toBe(ref.shortest !== null ? 'violation' : 'safe');
          if (first.trace) expect(first.trace.schedule.length, 'BFS over the sorted states is still shortest').toBe(ref.shortest);
        });
      }),
      params,
    );
  });

  it('never more states; the reductions say so only when some actor has two instances', async () => {
    await fc.assert(
      fc.asyncProperty(safeish, async (d) => {
        await about(d, async () => {
          const full = await run(d);
          const reduced = await run(d, { symmetry: true });
          const dfs = await run(d, { strategy: 'dfs', symmetry: true });
          expect(reduced.verdict).toBe(full.verdict);
          // Only whole searches: one stopped by a deadlock counts what it met before it, in
          // an order that sorting the instances changes.
          if (full.verdict === 'safe') expect(reduced.states).toBeLessThanOrEqual(full.states);
          const twins = d.actors.some((a) => a.instances > 1);
          expect(reduced.reductions).toEqual(twins ? ['symmetry'] : []);
          if (reduced.verdict === 'safe') expect(dfs.states, 'the sorted states do not depend on the search order').toBe(reduced.states);
        });
      }),
      params,
    );
  });

  it('every counterexample replays, on the model, to the same violation (with and without partial-order reduction)', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, fc.boolean(), async (d, por) => {
        await about(d, async () => {
          for (const strategy of ['bfs', 'dfs'] as const) {
            // The first violation: with allViolations a later trace may pass through an
            // earlier violation, where a replay stops.
            const r = await run(d, { strategy, symmetry: true, por }, { private: por });
            if (r.verdict === 'violation') {
              const rep = replay(r.trace!, compile(d));
              expect({ reproduced: rep.reproduced, property: rep.property }, strategy).toEqual({ reproduced: true, property: r.property });
            }
            const all = await run(d, { strategy, symmetry: true, por, allViolations: true }, { private: por });
            const plain = await run(d, { strategy, allViolations: true });
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
          const seq = await checkRaw(compile(d), { symmetry: true, allViolations: all });
          const par = await checkOnLevels(compile(d), HERE, { symmetry: true, allViolations: all, workers: 1, inThreadBelow: Infinity, batchSize });
          expect(essence(par)).toEqual(essence(seq));
        });
      }),
      parallelParams,
    );
  });
});
