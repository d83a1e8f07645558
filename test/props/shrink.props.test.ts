/**
 * Contract properties of counterexample shrinking (src/trace/shrink.ts) on random small
 * models (random-model.ts), for traces of three sources: BFS (shortest), DFS (long), and
 * random walks driven by fast-check (long and full of context switches).
 *
 * For every trace: the shrunk trace is never longer and never has more preemptions; it
 * replays (on a freshly compiled model) to a violation of the same property; shrinking
 * it again changes nothing (a fixed point); and it is never shorter than the reference
 * explorer's shortest counterexample of that property (reference.ts, which knows the
 * shortest distance of every violated property, not only of the first one found).
 *
 * Runs: FC_NUM_RUNS (default 100) random models per property. To replay a failure:
 *   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/props/shrink.props.test.ts
 */
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel, replay } from '../../src/index.js';
import type { Trace } from '../../src/index.js';
import { Expander } from '../../src/engine/transitions.js';
import { buildTrace } from '../../src/trace/trace.js';
import { shrink } from '../../src/trace/shrink.js';
import { checkIn, preemptionsByReplay } from '../unit/helpers.js';
import { about, reference } from './common.js';
import type { Reference } from './reference.js';
import { modelDesc, type ModelDesc } from './random-model.js';
import { toModel } from './to-model.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 100);
const SEED = process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : undefined;
const PATH = process.env['FC_PATH'];
const params = { numRuns: NUM_RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), ...(PATH ? { path: PATH } : {}) };
const HERE = fileURLToPath(import.meta.url);

const compile = (d: ModelDesc) => new CompiledModel(toModel(d), {});




const schedule = (t: Trace) => t.schedule.map((s) => `${s.actor}[${s.instance}] ${s.label}${s.choice ? ` ${s.choice.join(',')}` : ''}`).join('\n');

/**
 * A random walk of the model, each move picked by the next number of `picks` (cycled)
 * among the enabled transitions. For its first `patience` steps it avoids transitions
 * that violate a property when it can (so that the trace gets long and full of steps
 * that do not matter), then it takes a violating one as soon as there is one. It stops
 * at the first violation: the trace; null when it meets none within `maxSteps` steps or
 * ends with every actor done.
 */
function randomWalk(m: CompiledModel, picks: readonly number[], patience: number, maxSteps: number): Trace | null {
  const inits = m.initialStates();
  const init = picks[0]! % inits.length;
  let s = inits[init]!;
  const ex = new Expander(m);
  const moves: [number, number][] = [];
  const end = (violation: NonNullable<Trace['violation']>) => buildTrace(m, HERE, { init, moves }, { verdict: 'violation', violation });
  for (let i = 1; ; i++) {
    const inv = m.violatedInvariant(s);
    if (inv !== null) return end({ kind: 'invariant', property: inv, message: `${inv} does not hold` });
    if (moves.length >= maxSteps) return null;
    const succ: { k: number; ordinal: number; state: Int32Array; fault: string | null; prop: string; bad: boolean }[] = [];
    ex.expand(s, {
      successor: (k, ordinal, work, ctx) => {
        const bad = ctx.faultMsg !== null || m.violatedInvariant(work) !== null;
        succ.push({ k, ordinal, state: work.slice(), fault: ctx.faultMsg, prop: ctx.faultProp, bad });
        return true;
      },
    });
    if (succ.length === 0) {
      const done = m.instances.every((inst) => inst.pcIn(s) === inst.done);
      return done ? null : end({ kind: 'deadlock', property: 'deadlock', message: 'no step is enabled and some actor has not finished' });
    }
    const good = succ.filter((x) => !x.bad);
    const bad = succ.filter((x) => x.bad);
    const from = moves.length < patience ? (good.length > 0 ? good : bad) : bad.length > 0 ? bad : good;
    const next = from[picks[i % picks.length]! % from.length]!;
    moves.push([next.k, next.ordinal]);
    if (next.fault !== null) return end({ kind: 'fault', property: next.prop, message: next.fault });
    s = next.state;
  }
}

/** The shrinking contract for one trace of model d. */
function shrinksWell(d: ModelDesc, ref: Reference, t: Trace, source: string): void {
  about(
    d,
    () => {
      const m = compile(d);
      const property = t.violation!.property;
      const kind = t.violation!.kind;
      const s = shrink(t, m);
      const out = s.trace;
      expect(s.shrunk, 'the shrinker re-executes the input').toBe(true);
      expect(s.limitHit, 'the default limit is never hit on small models').toBe(false);
      // Never longer, never more preemptions; the reported sizes are the real ones.
      const before = preemptionsByReplay(t, m);
      const after = preemptionsByReplay(out, m);
      expect(s.before).toEqual({ steps: t.schedule.length, preemptions: before });
      expect(s.after).toEqual({ steps: out.schedule.length, preemptions: after });
      expect(out.schedule.length).toBeLessThanOrEqual(t.schedule.length);
      expect(after).toBeLessThanOrEqual(before);
      // The same property, and the trace replays to it on a freshly compiled model.
      expect(out.violation).toMatchObject({ kind, property });
      const rep = replay(out, compile(d));
      expect({ reproduced: rep.reproduced, kind: rep.kind, property: rep.property }).toEqual({ reproduced: true, kind, property });
      expect(rep.steps).toHaveLength(out.schedule.length);
      // Not shorter than the shortest counterexample of this property.
      const shortest = ref.violations.get(property);
      expect(shortest, `the reference knows ${property}`).toBeDefined();
      expect(out.schedule.length).toBeGreaterThanOrEqual(shortest!);
      // A fixed point: shrinking again gives the same trace.
      const again = shrink(out, compile(d));
      expect(again.trace).toEqual(out);
      expect(again.after).toEqual(s.after);
    },
    `${source} trace:\n${schedule(t)}`,
  );
}

const anyModel = modelDesc();

describe('shrinkTrace on random models', () => {
  it('BFS and DFS counterexamples: never longer, never more preemptions, the same property, replayable, a fixed point, not below the shortest', async () => {
    await fc.assert(
      fc.asyncProperty(anyModel, async (d) => {
        const ref = reference(d);
        fc.pre(ref.shortest !== null);
        for (const strategy of ['bfs', 'dfs'] as const) {
          // The search's own counterexample, not shrunk by the check: the shrinker's input here.
          const r = await checkIn(compile(d), HERE, { strategy, shrink: false });
          expect(r.verdict).toBe('violation');
          shrinksWell(d, ref, r.trace!, strategy);
          // BFS's trace is a shortest one of its property: shrinking keeps its length.
          if (strategy === 'bfs') expect(shrink(r.trace!, compile(d)).after.steps).toBe(r.trace!.schedule.length);
        }
      }),
      params,
    );
  });

  it('random-walk counterexamples (long, many context switches): the same contract', () => {
    fc.assert(
      fc.property(anyModel, fc.array(fc.nat(), { minLength: 8, maxLength: 40 }), (d, picks) => {
        const ref = reference(d);
        // Models violated in an initial state give empty walks: the BFS/DFS property has them.
        fc.pre(ref.shortest !== null && ref.shortest >= 1);
        const t = randomWalk(compile(d), picks, picks.length, 80);
        fc.pre(t !== null);
        shrinksWell(d, ref, t!, 'random-walk');
      }),
      params,
    );
  });
});
