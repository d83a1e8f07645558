/**
 * Contract property of the determinism probe (Expander.probeEvery, issue 16) on random
 * small models, which are deterministic: with every state probed, the probe never raises
 * E_NONDETERMINISTIC, and every expansion (expand, expandPor, expandSleep; private actors
 * or not) hands its sink exactly the successors, and returns exactly the count, of an
 * expansion without the probe; a step that throws throws the same error either way. (The
 * searches with the probe at its default period are the other property tests: their
 * counts and traces are those of the reference explorer.)
 *
 * Runs: FC_NUM_RUNS (default 300) random models. To replay a failure:
 *   FC_SEED=<seed> FC_PATH=<path> npx vitest run test/props/probe.props.test.ts
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledModel, MmraceError } from '../../src/index.js';
import { Expander, type SuccessorSink } from '../../src/engine/transitions.js';
import { about, fcParams } from './common.js';
import { modelDesc } from './random-model.js';
import { toModel } from './to-model.js';

const params = fcParams(300);
const privacy = fc.oneof(fc.constant<number[]>([]), fc.constant([0, 1, 2, 3, 4, 5]), fc.subarray([0, 1, 2, 3]));
const how = fc.constantFrom('expand', 'por', 'sleep');
/** Expansions per model at most (a model with more states is explored in part). */
const MAX_STATES = 2000;

interface Expanded {
  readonly enabled: number | null;
  readonly list: readonly (readonly [number, number, string, string | null])[];
  readonly error: string | null;
}

function expandWith(ex: Expander, m: CompiledModel, s: Int32Array, h: string, sleep: number): Expanded {
  const list: [number, number, string, string | null][] = [];
  const sink: SuccessorSink = {
    successor(k, ordinal, work, ctx) {
      list.push([k, ordinal, Array.from(work).join(','), ctx.faultMsg === null ? null : `${ctx.faultProp}: ${ctx.faultMsg}`]);
      // Now and then a sink that stops, as the searches' do at a violation.
      return ctx.faultMsg === null;
    },
  };
  try {
    const enabled = h === 'expand' ? ex.expand(s, sink) : h === 'por' ? ex.expandPor(s, sink) : ex.expandSleep(s, sleep, sink, true);
    return { enabled, list, error: null };
  } catch (e) {
    if (!(e instanceof MmraceError)) throw e;
    return { enabled: null, list, error: `${e.code}: ${e.message}` };
  }
}

describe('the determinism probe', () => {
  it('never fires on a deterministic model, and hands the sink what one expansion does', () => {
    fc.assert(
      fc.property(modelDesc(), privacy, how, fc.nat(15), (d, priv, h, sleep) => {
        about(d, () => {
          const m = new CompiledModel(toModel(d, { private: priv }), {});
          const plain = new Expander(m);
          plain.probeEvery = 0;
          const probed = new Expander(m);
          probed.probeEvery = 1;
          const seen = new Set<string>();
          const todo = m.initialStates();
          while (todo.length > 0 && seen.size < MAX_STATES) {
            const s = todo.pop()!;
            const key = s.join(',');
            if (seen.has(key)) continue;
            seen.add(key);
            const mask = sleep & ((1 << m.instances.length) - 1);
            const a = expandWith(plain, m, s, h, mask);
            const b = expandWith(probed, m, s, h, mask);
            expect(b.error).toBe(a.error);
            expect(b).toEqual(a);
            for (const [, , words, fault] of a.list) if (fault === null) todo.push(Int32Array.from(words.split(',').map(Number)));
          }
        }, `expansion: ${h}, private actors [${priv.join(', ')}]`);
      }),
      params,
    );
  });
});
