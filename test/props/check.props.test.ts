/**
 * Contract properties of `check` on random small models, against a naive reference
 * explorer (reference.ts) of the same model description (random-model.ts).
 *
 * Runs: FC_NUM_RUNS (default 300) random models per property. To run more:
 *   FC_NUM_RUNS=5000 npx vitest run test/props
 * On a failure fast-check prints the seed and the path of the shrunk counterexample,
 * and the error message starts with the model as text. To replay exactly that case:
 *   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/props -t '<property name>'
 */
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel, replay } from '../../src/index.js';
import type { CheckResult, Plan } from '../../src/index.js';
import { checkIn } from '../unit/helpers.js';
import { about, fcParams, reference } from './common.js';
import { modelDesc, type ModelDesc } from './random-model.js';
import { explore } from './reference.js';
import { toModel } from './to-model.js';
import { essence } from './results.js';

const params = fcParams(300);
const HERE = fileURLToPath(import.meta.url);

/** Mostly violating models: faults, invariants, guards on half the steps. */
const anyModel = modelDesc();
/** Mostly safe models: no faults or invariants, guards on a quarter of the steps. */
const safeish = modelDesc({ faults: false, invariants: false, guardOdds: 4 });

const compile = (d: ModelDesc) => new CompiledModel(toModel(d), {});
/**
 * The old synchronous `check`: in this thread, no reduction, and the raw counterexample
 * of the search (DFS's is not shrunk), which is what these properties are about.
 */
const checkRaw = (m: CompiledModel, opts: Plan = {}): Promise<CheckResult> => checkIn(m, HERE, { shrink: false, ...opts });
const run = (d: ModelDesc, opts: Plan = {}): Promise<CheckResult> => checkRaw(compile(d), opts);

const kindOf = (property: string) => (property === 'deadlock' ? 'deadlock' : /^inv\d+$/.test(property) ? 'invariant' : 'fault');

describe('check against the reference explorer', () => {
  it('safe models: BFS and DFS say safe with exactly the reachable states and transitions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(safeish, safeish, anyModel), async (d) => {
        const ref = reference(d);
        fc.pre(ref.shortest === null);
        await about(d, async () => {
          const bfs = await run(d, { strategy: 'bfs' });
          expect(essence(bfs)).toMatchObject({ verdict: 'safe', states: ref.states, transitions: ref.transitions, depth: ref.maxDistance });
          const dfs = await run(d, { strategy: 'dfs' });
          expect(essence(dfs)).toMatchObject({ verdict: 'safe', states: ref.states, transitions: ref.transitions });
          // A DFS path is at least as long as a shortest one, and visits distinct states.
          expect(dfs.depth).toBeGreaterThanOrEqual(ref.maxDistance);
          expect(dfs.depth).toBeLessThan(ref.states);
        });
      }),
      params,
    );
  });

  it('violating models: BFS and DFS report a violation the reference found, shortest per property for BFS, and every trace replays', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, async (d) => {
        const ref = reference(d);
        fc.pre(ref.shortest !== null);
        await about(d, async () => {
          for (const strategy of ['bfs', 'dfs'] as const) {
            const m = compile(d);
            const r = await checkRaw(m, { strategy });
            expect(r.verdict, strategy).toBe('violation');
            const property = r.property!;
            expect([...ref.violations.keys()], `${strategy} reported ${property}`).toContain(property);
            expect(r.kind).toBe(kindOf(property));
            const length = r.trace!.schedule.length;
            const shortestOfIt = ref.violations.get(property)!;
            if (strategy === 'bfs') expect(length, `bfs trace length for ${property}`).toBe(shortestOfIt);
            else expect(length).toBeGreaterThanOrEqual(shortestOfIt);
            const rep = replay(r.trace!, m);
            expect({ reproduced: rep.reproduced, property: rep.property }).toEqual({ reproduced: true, property });
            // The trace also replays on a freshly compiled copy of the model.
            expect(replay(r.trace!, compile(d)).reproduced).toBe(true);
          }
        });
      }),
      params,
    );
  });

  it("BFS's counterexample is a shortest one: its length is the reference's shortest distance to any violation", async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, async (d) => {
        const ref = reference(d);
        fc.pre(ref.shortest !== null);
        await about(d, async () => {
          const r = await run(d, { strategy: 'bfs' });
          expect(r.verdict).toBe('violation');
          const byProperty = Object.fromEntries(ref.violations);
          expect(
            { length: r.trace!.schedule.length, reported: r.property },
            `reference shortest lengths: ${JSON.stringify(byProperty)}`,
          ).toEqual({ length: ref.shortest, reported: expect.toSatisfy((p: string) => byProperty[p] === ref.shortest) });
        });
      }),
      params,
    );
  });

  it('limits on safe models: maxStates below the count or maxDepth below the depth give incomplete; enough of either gives safe', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(safeish, safeish, anyModel), fc.nat(), fc.nat(), async (d, a, b) => {
        const ref = reference(d);
        fc.pre(ref.shortest === null && ref.states > 1);
        await about(d, async () => {
          const maxStates = 1 + (a % (ref.states - 1)); // 1 .. states-1
          for (const strategy of ['bfs', 'dfs'] as const) {
            const low = await run(d, { strategy, maxStates });
            expect({ verdict: low.verdict, limit: low.limit }, `${strategy} maxStates ${maxStates} of ${ref.states}`).toEqual({
              verdict: 'incomplete',
              limit: 'max-states',
            });
            const enough = await run(d, { strategy, maxStates: ref.states + (b % 3) });
            expect([enough.verdict, enough.states]).toEqual(['safe', ref.states]);
          }
          if (ref.maxDistance > 0) {
            const maxDepth = b % ref.maxDistance; // 0 .. maxDistance-1
            for (const strategy of ['bfs', 'dfs'] as const) {
              const low = await run(d, { strategy, maxDepth });
              expect({ verdict: low.verdict, limit: low.limit }, `${strategy} maxDepth ${maxDepth} of ${ref.maxDistance}`).toEqual({
                verdict: 'incomplete',
                limit: 'max-depth',
              });
            }
          }
          // States at the greatest distance are expanded with one more level of depth.
          const deep = await run(d, { strategy: 'bfs', maxDepth: ref.maxDistance + 1 });
          expect([deep.verdict, deep.states]).toEqual(['safe', ref.states]);
          // A DFS path never has more than states-1 steps.
          const dfsDeep = await run(d, { strategy: 'dfs', maxDepth: ref.states });
          expect([dfsDeep.verdict, dfsDeep.states]).toEqual(['safe', ref.states]);
        });
      }),
      params,
    );
  });

  it('never a false safe: under any limits, safe means the reference is safe and every state was counted', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, fc.nat(), fc.nat(), fc.constantFrom('bfs' as const, 'dfs' as const), async (d, a, b, strategy) => {
        const ref = reference(d);
        await about(d, async () => {
          const maxStates = 1 + (a % (2 * ref.states));
          const maxDepth = b % (ref.maxDistance + 3);
          const r = await run(d, { strategy, maxStates, maxDepth });
          expect(r.verdict).not.toBe('error');
          if (r.verdict === 'safe') {
            expect(ref.shortest).toBeNull();
            expect(r.states).toBe(ref.states);
            expect(ref.states).toBeLessThanOrEqual(maxStates);
          }
          if (r.verdict === 'violation') {
            expect([...ref.violations.keys()]).toContain(r.property);
            expect(r.trace!.schedule.length).toBeLessThanOrEqual(maxDepth + 1);
          }
        });
      }),
      params,
    );
  });

  it('determinism: BFS (and DFS) give the same result, trace included, on two runs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyModel, safeish), async (d) => {
        reference(d); // discards models too big to be small
        await about(d, async () => {
          for (const strategy of ['bfs', 'dfs'] as const) {
            const m = compile(d);
            const first = essence(await checkRaw(m, { strategy }));
            const sameModel = essence(await checkRaw(m, { strategy }));
            const fresh = essence(await checkRaw(compile(d), { strategy }));
            expect(sameModel).toEqual(first);
            expect(fresh).toEqual(first);
          }
        });
      }),
      params,
    );
  });
});

describe('the two interpreters agree on a hand-made model', () => {
  it('two instances racing on an increment', async () => {
    // v0: 0..2. A x2 with t: 0..2. s0: t = v0; s1: v0 = t, then v0++ (the lost update).
    // A state is (v0, pc0, t0, pc1, t1). Counted by hand, level by level:
    //   d0: (0,0,0,0,0)                                             1 state,  2 moves
    //   d1: (0,1,0,0,0) (0,0,0,1,0)                                  2 states, 4 moves
    //   d2: (1,2,0,0,0) (0,1,0,1,0) (1,0,0,2,0)                      3 states, 1+2+1 moves
    //   d3: (1,2,0,1,1) (1,2,0,1,0) (1,1,0,2,0) (1,1,1,2,0)          4 states, 4 moves
    //   d4: (2,2,0,2,1) (1,2,0,2,0) (2,2,1,2,0)                      3 states, 0 moves
    //   → 13 states, 14 transitions, depth 4.
    const d: ModelDesc = {
      vars: [{ kind: 'int', max: 2, init: [0] }],
      actors: [
        {
          instances: 2,
          localMax: 2,
          steps: [
            { guard: null, ops: [{ op: 'copy', dst: { scope: 'local' }, src: { scope: 'shared', i: 0 } }] },
            {
              guard: null,
              ops: [
                { op: 'copy', dst: { scope: 'shared', i: 0 }, src: { scope: 'local' } },
                { op: 'inc', dst: { scope: 'shared', i: 0 } },
              ],
            },
          ],
        },
      ],
      invariants: [],
    };
    const ref = explore(d);
    expect([ref.states, ref.transitions, ref.maxDistance, ref.shortest]).toEqual([13, 14, 4, null]);
    const r = await run(d);
    expect([r.verdict, r.states, r.transitions, r.depth]).toEqual(['safe', 13, 14, 4]);
  });
});
