/** Small models and helpers shared by the strategy tests (not a test file itself). */
import { Expander } from '../../../src/engine/transitions.js';
import { actor, bool, defineModel, int, lock } from '../../../src/index.js';
import type { CompiledModel, Trace } from '../../../src/index.js';

/**
 * Needs exactly one preemption: B faults when it sees x = 1, which only holds between A's
 * two steps, so B must run while A is still enabled.
 */
export const oneWindow = defineModel({
  id: 'one-window',
  state: { x: int(0, 1) },
  actors: {
    A: actor({ steps: { set: (c) => void (c.s.x = 1), clear: (c) => void (c.s.x = 0) } }),
    B: actor({
      steps: {
        look: (c) => {
          if (c.s.x === 1) c.fault('B saw x = 1', 'window');
        },
      },
    }),
  },
});

/**
 * Needs exactly two preemptions: B must see x = 1 (between A's first and second step)
 * and then x = 2 (after A's second): A.one, B.first (preempts A), A.two (preempts B), A
 * is then finished and B.second runs for free.
 */
export const twoWindows = defineModel({
  id: 'two-windows',
  state: { x: int(0, 2) },
  actors: {
    A: actor({ steps: { one: (c) => void (c.s.x = 1), two: (c) => void (c.s.x = 2) } }),
    B: actor({
      locals: { saw: bool() },
      steps: {
        first: (c) => void (c.l.saw = c.s.x === 1),
        second: (c) => {
          if (c.l.saw && c.s.x === 2) c.fault('B saw 1 then 2', 'both');
        },
      },
    }),
  },
});

/** No violation: two actors each setting their own flag over three steps. */
export const quiet = defineModel({
  id: 'quiet',
  state: { a: int(0, 3), b: int(0, 3) },
  actors: {
    A: actor({ steps: { s1: (c) => void (c.s.a = 1), s2: (c) => void (c.s.a = 2), s3: (c) => void (c.s.a = 3) } }),
    B: actor({ steps: { s1: (c) => void (c.s.b = 1), s2: (c) => void (c.s.b = 2), s3: (c) => void (c.s.b = 3) } }),
  },
});

/** AB/BA locking: a deadlock after P takes a and Q takes b (one preemption). */
export const abba = defineModel({
  id: 'abba',
  state: { a: lock(), b: lock() },
  actors: {
    P: actor({
      steps: {
        lockA: { await: (c) => c.s.a.free, do: (c) => c.s.a.acquire(0) },
        lockB: { await: (c) => c.s.b.free, do: (c) => c.s.b.acquire(0) },
        unlock: (c) => {
          c.s.b.release(0);
          c.s.a.release(0);
        },
      },
    }),
    Q: actor({
      steps: {
        lockB: { await: (c) => c.s.b.free, do: (c) => c.s.b.acquire(1) },
        lockA: { await: (c) => c.s.a.free, do: (c) => c.s.a.acquire(1) },
        unlock: (c) => {
          c.s.a.release(1);
          c.s.b.release(1);
        },
      },
    }),
  },
});

/** Three instances of one actor, three steps each, with a data choice in the middle step. */
export const threeByThree = defineModel({
  id: 'three-by-three',
  state: { x: int(0, 3) },
  actors: {
    T: actor({
      instances: 3,
      steps: { a: () => {}, b: (c) => void (c.s.x = c.choose([1, 2, 3])), c: () => {} },
    }),
  },
});

/** Loops forever: every run is cut by the run length bound. */
export const spinner = defineModel({
  id: 'spinner',
  state: { x: int(0, 1) },
  actors: { T: actor({ steps: { flip: (c) => ((c.s.x = 1 - c.s.x), c.goto('flip')) } }) },
});

/** A step that throws once x = 1. */
export const thrower = defineModel({
  id: 'thrower',
  state: { x: int(0, 1) },
  actors: {
    A: actor({ steps: { set: (c) => void (c.s.x = 1) } }),
    B: actor({
      steps: {
        boom: (c) => {
          if (c.s.x === 1) throw new Error('boom');
        },
      },
    }),
  },
});

/**
 * The preemptions of a trace, counted by re-executing it: a move by another instance
 * than the last one while the last one is still enabled.
 */
export function preemptionsOf(m: CompiledModel, trace: Trace): number {
  const ex = new Expander(m);
  let s = m.initialState(trace.init.choice ?? []);
  let last = -1;
  let p = 0;
  for (const st of trace.schedule) {
    const k = m.byActor.get(st.actor)![st.instance]!.k;
    if (last >= 0 && k !== last && ex.enabled(s, last)) p++;
    if (ex.runChoice(s, k, st.choice ?? []) !== 'ok') throw new Error(`trace step ${st.actor}[${st.instance}] ${st.label} does not run`);
    s = ex.work.slice();
    last = k;
  }
  return p;
}

/** The schedule of a trace as `actor[i]` strings. */
export function whoMoved(trace: Trace): string[] {
  return trace.schedule.map((s) => `${s.actor}[${s.instance}]`);
}
