/**
 * Contract properties of sleep sets (Expander.expandSleep, `sleep: true` with `por`) on
 * random small models, some of whose actors are declared private (so that sleep sets meet
 * the persistent sets of expandPor): with and without sleep sets, breadth-first search
 * finds the same states, the same depth, the same verdict, the same violated properties
 * and the very same counterexample, and never takes more transitions; the parallel
 * explorer takes exactly the transitions the sequential engine takes.
 *
 * Runs: FC_NUM_RUNS (default 1000) random models per property, FC_NUM_RUNS_PARALLEL
 * (default 40) for the parallel one. To replay a failure:
 *   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/props/sleep.props.test.ts -t '<name>'
 */
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel } from '../../src/index.js';
import type { CheckResult, Plan } from '../../src/index.js';
import { checkIn, mmRejection } from '../unit/helpers.js';
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
/** Which actors are declared private: none, all, or some. */
const privacy = fc.oneof(fc.constant<number[]>([]), fc.constant([0, 1, 2, 3, 4, 5]), fc.subarray([0, 1, 2, 3]));

const compile = (d: ModelDesc, priv: readonly number[]) => new CompiledModel(toModel(d, { private: priv }), {});
/** In this thread, with partial-order reduction, and the search's own counterexample (not shrunk), as the old `check` ran. */
const run = (d: ModelDesc, priv: readonly number[], opts: Plan = {}): Promise<CheckResult> => checkIn(compile(d, priv), HERE, { por: true, shrink: false, ...opts });

/** What sleep sets must not change: everything but the transitions. */
function sameBut(r: CheckResult) {
  const { transitions: _, ...rest } = essence(r);
  return { ...rest, reductions: r.reductions.filter((x) => x !== 'sleep-sets'), violated: violatedProperties(r) };
}

describe('sleep sets', () => {
  it('keep the states, the depth, the verdict and the counterexample, with fewer transitions or as many', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, privacy, fc.boolean(), async (d, priv, all) => {
        const ref = reference(d);
        await about(d, async () => {
          const plain = await run(d, priv, { allViolations: all });
          const sleep = await run(d, priv, { allViolations: all, sleep: true });
          expect(sleep.reductions).toContain('sleep-sets');
          expect(sameBut(sleep)).toEqual(sameBut(plain));
          expect(sleep.transitions).toBeLessThanOrEqual(plain.transitions);
          // And against the reference: a violation exactly when there is one.
          expect(sleep.verdict === 'violation').toBe(ref.shortest !== null);
        }, `private actors: ${priv.join(', ') || 'none'}`);
      }),
      params,
    );
  });

  it('on safe models: every state of the reduced graph is reached, through fewer transitions', async () => {
    let fewer = 0;
    await fc.assert(
      fc.asyncProperty(safeish, privacy, async (d, priv) => {
        const ref = reference(d);
        await about(d, async () => {
          const sleep = await run(d, priv, { sleep: true });
          const plain = await run(d, priv);
          expect(sameBut(sleep)).toEqual(sameBut(plain));
          if (priv.length === 0 && plain.verdict === 'safe') expect(sleep.states).toBe(ref.states);
          expect(sleep.transitions).toBeLessThanOrEqual(plain.transitions);
          if (sleep.transitions < plain.transitions) fewer++;
        }, `private actors: ${priv.join(', ') || 'none'}`);
      }),
      params,
    );
    // The property is not vacuous: sleep sets do skip transitions on many of the models.
    expect(fewer).toBeGreaterThan(0);
  });

  it('are used only where they apply: refused in DFS and without por, not used under symmetry', async () => {
    await fc.assert(
      fc.asyncProperty(safeish, async (d) => {
        const m = compile(d, []);
        // Asked for where they do not apply (DFS, or without por), they are refused.
        const refused = { code: 'E_USAGE', message: 'sleep needs partial-order reduction (por, the default) and breadth-first search' };
        expect(await mmRejection(checkIn(m, HERE, { strategy: 'dfs', por: true, sleep: true }))).toMatchObject(refused);
        expect(await mmRejection(checkIn(m, HERE, { por: false, sleep: true }))).toMatchObject(refused);
        const sym = await checkIn(new CompiledModel(toModel(d, { symmetric: true }), {}), HERE, { por: true, sleep: true, symmetry: true, shrink: false });
        if (sym.reductions.includes('symmetry')) expect(sym.reductions).not.toContain('sleep-sets');
      }),
      fcParams(30),
    );
  });

  it('the parallel explorer (its levels in this thread) takes exactly the transitions sequential BFS takes', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, privacy, fc.boolean(), fc.integer({ min: 1, max: 5 }), async (d, priv, all, batchSize) => {
        await about(d, async () => {
          const seq = await run(d, priv, { sleep: true, allViolations: all });
          const par = await checkOnLevels(compile(d, priv), HERE, { por: true, sleep: true, allViolations: all, workers: 1, inThreadBelow: Infinity, batchSize });
          expect(essence(par)).toEqual(essence(seq));
          expect(par.reductions).toEqual(seq.reductions);
        });
      }),
      parallelParams,
    );
  });
});
