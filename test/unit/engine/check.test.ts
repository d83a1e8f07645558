import { describe, expect, it } from 'vitest';
import { actor, bool, defineModel, int, lock, replay } from '../../../src/index.js';
import type { CheckResult, CompiledModel, Plan } from '../../../src/index.js';
import counter from '../../../models/counter/counter.js';
import { ANY_MODEL_PATH, checkIn, compileModel, mmRejection, faulty } from '../helpers.js';
import { abba } from '../strategy/models.js';

const STRATEGIES = ['bfs', 'dfs'] as const;

/** The search's own counterexample, unshrunk (these tests are of the search, not of the shrinker). */
function run(m: CompiledModel, opts: Plan = {}): Promise<CheckResult> {
  return checkIn(m, ANY_MODEL_PATH, { shrink: false, ...opts });
}

/** The schedule of a trace as `actor[i] label` strings. */
function schedule(r: CheckResult): string[] {
  return r.trace!.schedule.map((s) => `${s.actor}[${s.instance}] ${s.label}`);
}

/**
 * Two threads, one step each, each setting its own flag. By hand: the initial state,
 * A moved, B moved, both moved: 4 states; transitions 2 (from the initial state) + 1 + 1
 * = 4; the longest shortest path is 2.
 */
const twoSteps = defineModel({
  id: 'two-steps',
  state: { a: bool(), b: bool() },
  actors: {
    A: actor({ steps: { go: (c) => void (c.s.a = true) } }),
    B: actor({ steps: { go: (c) => void (c.s.b = true) } }),
  },
});

/**
 * Counter with the lock (models/counter), L = 1. By hand: the lock lets at most one
 * thread be in its critical section (at read, write or unlock: 3 distinct states), the
 * others wait at lock or are done; the j-th thread to finish keeps tmp = j - 1, so the
 * done threads are an ordered set. With j threads done (C(T,j)·j! orders):
 *   states      Σ_{j<T} C(T,j)·j!·(1 + 3(T−j))  +  T!
 *   transitions Σ_{j<T} C(T,j)·j!·((T−j) + 3(T−j)·1)    (nobody in: T−j can lock; else 1)
 * T=2: states 1·7 + 2·4 + 2 = 17, transitions 1·(2+6) + 2·(1+3) = 16;
 * T=3: states 10 + 3·7 + 6·4 + 6 = 61, transitions 1·(3+9) + 3·(2+6) + 6·(1+3) = 60.
 * Every run takes 4 steps per thread and each state fixes every thread's progress, so
 * every path to a state has the same length: depth 4T for BFS and DFS alike.
 */
const COUNTER_LOCKED = [
  { threads: 1, states: 5, transitions: 4, depth: 4 },
  { threads: 2, states: 17, transitions: 16, depth: 8 },
  { threads: 3, states: 61, transitions: 60, depth: 12 },
];

describe('safe models: exact counts', () => {
  for (const strategy of STRATEGIES) {
    it(`two threads, one step each: 4 states (${strategy})`, async () => {
      const r = await run(compileModel(twoSteps), { strategy });
      expect(r.verdict).toBe('safe');
      expect([r.states, r.transitions, r.depth]).toEqual([4, 4, 2]);
      expect(r.strategy).toBe(strategy);
      expect(r.trace).toBeUndefined();
    });

    for (const c of COUNTER_LOCKED) {
      it(`counter locked, ${c.threads} thread(s): ${c.states} states (${strategy})`, async () => {
        const r = await run(compileModel(counter, { threads: c.threads }), { strategy });
        expect(r.verdict).toBe('safe');
        expect([r.states, r.transitions, r.depth]).toEqual([c.states, c.transitions, c.depth]);
      });
    }
  }

  it('bfs is the default strategy', async () => {
    expect((await run(compileModel(twoSteps))).strategy).toBe('bfs');
  });

  it('one thread without the lock is safe: 5 states', async () => {
    const r = await run(compileModel(counter, { threads: 1, locked: false }));
    expect([r.verdict, r.states, r.transitions]).toEqual(['safe', 5, 4]);
  });
});

describe('violations', () => {
  it('counter without the lock: lost update violates final, shortest trace 8 steps (every run takes 4 steps per thread)', async () => {
    const m = compileModel(counter, { threads: 2, locked: false });
    const r = await run(m);
    expect(r.verdict).toBe('violation');
    expect(r.kind).toBe('invariant');
    expect(r.property).toBe('final');
    expect(r.trace!.schedule.length).toBe(8);
    expect(r.trace!.violation).toEqual({ kind: 'invariant', property: 'final', message: r.message });
    // Both threads read before either writes: each thread's read precedes the other's write.
    const steps = schedule(r);
    for (const [me, other] of [
      [0, 1],
      [1, 0],
    ]) {
      expect(steps.indexOf(`thread[${me}] read`)).toBeLessThan(steps.indexOf(`thread[${other}] write`));
    }
    expect(replay(r.trace!, m).reproduced).toBe(true);
  });

  it('dfs finds the lost update too, with a trace that replays', async () => {
    const m = compileModel(counter, { threads: 2, locked: false });
    const r = await run(m, { strategy: 'dfs' });
    expect([r.verdict, r.property]).toEqual(['violation', 'final']);
    expect(r.trace!.schedule.length).toBe(8);
    expect(replay(r.trace!, m).reproduced).toBe(true);
  });

  // AB/BA (test/unit/strategy/models.ts): P takes a then b, Q takes b then a. After P
  // takes a and Q takes b (2 steps) nobody can move: a deadlock with a shortest trace of 2.

  for (const strategy of STRATEGIES) {
    it(`two locks taken in opposite order: deadlock (${strategy})`, async () => {
      const m = compileModel(abba);
      const r = await run(m, { strategy });
      expect(r.verdict).toBe('violation');
      expect(r.kind).toBe('deadlock');
      expect(r.property).toBe('deadlock');
      if (strategy === 'bfs') {
        expect(r.trace!.schedule.length).toBe(2);
        expect(schedule(r).sort()).toEqual(['P[0] lockA', 'Q[0] lockB']);
      }
      expect(replay(r.trace!, m).reproduced).toBe(true);
    });
  }

  // `faulty` (helpers.ts): the fault needs both additions before A's second step: 3 steps
  // (the faulting transition counts), e.g. A.inc, B.inc, A.test.
  for (const strategy of STRATEGIES) {
    it(`a fault is a violation of its property, the faulting step last (${strategy})`, async () => {
      const m = compileModel(faulty);
      const r = await run(m, { strategy });
      expect(r.verdict).toBe('violation');
      expect([r.kind, r.property, r.message]).toEqual(['fault', 'oops', 'x is 2']);
      expect(schedule(r).at(-1)).toBe('A[0] test');
      expect(r.trace!.schedule.length).toBe(3);
      expect(replay(r.trace!, m).reproduced).toBe(true);
    });
  }

  it('an initial state that violates an invariant: a trace of 0 steps with its init choice', async () => {
    const m = compileModel(
      defineModel({
        id: 'bad-init',
        state: { x: int(0, 2) },
        init: (c) => void (c.s.x = c.choose([0, 1, 2])),
        actors: { T: actor({ steps: { go: () => {} } }) },
        invariants: { notTwo: (s) => s.x !== 2 },
      }),
    );
    const r = await run(m);
    expect([r.verdict, r.kind, r.property]).toEqual(['violation', 'invariant', 'notTwo']);
    expect(r.trace!.schedule).toEqual([]);
    expect(r.trace!.init.choice).toEqual([2]);
    // The two good initial states were stored before the bad one.
    expect(r.states).toBe(3);
    expect(replay(r.trace!, m).reproduced).toBe(true);
  });

  it('BFS reports a deadlock at distance 0 before an invariant violation at distance 1', async () => {
    // Two initial states (init chooses x): with x = 0, T's step is enabled and leads to
    // y = 1, which violates yZero (a trace of 1 step); with x = 1, T is blocked at its
    // first step: a deadlock in the initial state (a trace of 0 steps). BFS promises a
    // shortest counterexample, so it must report the deadlock.
    const m = compileModel(
      defineModel({
        id: 'deadlock-first',
        state: { x: int(0, 1), y: int(0, 1) },
        init: (c) => void (c.s.x = c.choose(2)),
        actors: { T: actor({ steps: { go: { await: (c) => c.s.x === 0, do: (c) => void (c.s.y = 1) } } }) },
        invariants: { yZero: (s) => s.y === 0 },
      }),
    );
    const r = await run(m);
    expect(r.verdict).toBe('violation');
    expect({ property: r.property, length: r.trace!.schedule.length }).toEqual({ property: 'deadlock', length: 0 });
  });

  it('BFS reports a deadlock at distance 1 before an invariant violation at distance 2 (one initial state)', async () => {
    // A: a1 sets x; a2 sets bad (violates noBad). B: b1 (only while x = 0) sets z.
    // A's a1 is guarded by z = 0. Level 1: [A moved (x=1), B moved (z=1)].
    // From "A moved": A's a2 gives bad = 1 (distance 2). "B moved" is stuck: A's a1 needs
    // z = 0 and B is at its second step, never enabled: a deadlock at distance 1.
    const m = compileModel(
      defineModel({
        id: 'deadlock-first-2',
        state: { x: int(0, 1), z: int(0, 1), bad: int(0, 1) },
        actors: {
          A: actor({
            steps: {
              a1: { await: (c) => c.s.z === 0, do: (c) => void (c.s.x = 1) },
              a2: (c) => void (c.s.bad = 1),
            },
          }),
          B: actor({
            steps: {
              b1: { await: (c) => c.s.x === 0, do: (c) => void (c.s.z = 1) },
              b2: { await: () => false },
            },
          }),
        },
        invariants: { noBad: (s) => s.bad === 0 },
      }),
    );
    const r = await run(m);
    expect({ property: r.property, length: r.trace?.schedule.length }).toEqual({ property: 'deadlock', length: 1 });
  });
});

describe('limits', () => {
  const locked2 = () => compileModel(counter, { threads: 2 }); // 17 states, depth 8 (see above)

  for (const strategy of STRATEGIES) {
    it(`maxStates below the space: incomplete, max-states, never safe (${strategy})`, async () => {
      for (const maxStates of [1, 2, 5, 16]) {
        const r = await run(locked2(), { strategy, maxStates });
        expect(r.verdict, `maxStates ${maxStates}`).toBe('incomplete');
        expect(r.limit).toBe('max-states');
        expect(r.states).toBe(maxStates);
      }
    });

    it(`maxStates equal to or above the space: safe with every state (${strategy})`, async () => {
      for (const maxStates of [17, 18, 1000]) {
        const r = await run(locked2(), { strategy, maxStates });
        expect([r.verdict, r.states, r.limit]).toEqual(['safe', 17, undefined]);
      }
    });

    it(`maxDepth below the space's depth: incomplete, max-depth (${strategy})`, async () => {
      for (const maxDepth of [0, 1, 7]) {
        const r = await run(locked2(), { strategy, maxDepth });
        expect(r.verdict, `maxDepth ${maxDepth}`).toBe('incomplete');
        expect(r.limit).toBe('max-depth');
        expect(r.depth).toBe(maxDepth);
      }
    });

    it(`maxDepth at the space's depth: safe (${strategy})`, async () => {
      // The states at depth 8 are the two all-done states: no step can move there.
      const r = await run(locked2(), { strategy, maxDepth: 8 });
      expect([r.verdict, r.states]).toEqual(['safe', 17]);
    });
  }

  it('a time limit already passed stops a large search as incomplete, time-limit', async () => {
    // The clock is read every 1024 expansions; counter T=3 L=3 has more states
    // (4,627 per models/counter), so the search stops at the first reading.
    for (const strategy of STRATEGIES) {
      const r = await run(compileModel(counter, { threads: 3, incs: 3 }), { strategy, timeLimit: 0 });
      expect([r.verdict, r.limit]).toEqual(['incomplete', 'time-limit']);
      expect(r.states).toBeLessThan(4627);
    }
  });

  it('malformed limits and strategies are refused with E_USAGE before any search', async () => {
    const bad: Plan[] = [
      { maxStates: 0 },
      { maxStates: -1 },
      { maxStates: 2.5 },
      { maxStates: NaN },
      { maxStates: Infinity },
      { maxDepth: -1 },
      { maxDepth: 1.5 },
      { maxDepth: NaN },
      { timeLimit: -1 },
      { timeLimit: NaN },
      { timeLimit: Infinity },
      { strategy: 'nope' as 'bfs' },
    ];
    for (const opts of bad) {
      const e = await mmRejection(run(locked2(), opts));
      expect(e.code, JSON.stringify(opts, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))).toBe('E_USAGE');
    }
    // The smallest legal values are accepted.
    expect((await run(locked2(), { maxStates: 1 })).verdict).toBe('incomplete');
    expect((await run(locked2(), { maxDepth: 0 })).verdict).toBe('incomplete');
  });

  it('a violation beyond maxStates gives incomplete, not safe', async () => {
    const r = await run(compileModel(counter, { threads: 2, locked: false }), { maxStates: 4 });
    expect([r.verdict, r.limit]).toEqual(['incomplete', 'max-states']);
  });

  it('a deadlock at the depth limit is still reported', async () => {
    // The AB/BA deadlock is at depth 2; with maxDepth 2 the state is stored, not expanded.
    const m = compileModel(
      defineModel({
        id: 'dl-at-limit',
        state: { a: lock(), b: lock() },
        actors: {
          P: actor({ steps: { la: { await: (c) => c.s.a.free, do: (c) => c.s.a.acquire(0) }, lb: { await: (c) => c.s.b.free, do: (c) => c.s.b.acquire(0) } } }),
          Q: actor({ steps: { lb: { await: (c) => c.s.b.free, do: (c) => c.s.b.acquire(1) }, la: { await: (c) => c.s.a.free, do: (c) => c.s.a.acquire(1) } } }),
        },
      }),
    );
    const r = await run(m, { maxDepth: 2 });
    expect([r.verdict, r.property]).toEqual(['violation', 'deadlock']);
  });

  it('maxStates counts initial states too', async () => {
    // init chooses x among 0..2: three initial states. Each step flips x between
    // neighbours and stays at the same label, so the whole space is the 3 initial states.
    // With maxStates 1 the search cannot have stayed within its limit.
    const m = compileModel(
      defineModel({
        id: 'inits',
        state: { x: int(0, 2) },
        init: (c) => void (c.s.x = c.choose(3)),
        actors: { T: actor({ steps: { go: (c) => ((c.s.x = (c.s.x + 1) % 3), c.goto('go')) } }) },
      }),
    );
    expect([(await run(m)).verdict, (await run(m)).states]).toEqual(['safe', 3]);
    for (const strategy of STRATEGIES) {
      const r = await run(m, { strategy, maxStates: 1 });
      expect({ verdict: r.verdict, limit: r.limit, statesWithinLimit: r.states <= 1 }).toEqual({
        verdict: 'incomplete',
        limit: 'max-states',
        statesWithinLimit: true,
      });
    }
  });
});

describe('model errors', () => {
  it('a step that throws: verdict error, E_MODEL_THREW, a trace ending at the step', async () => {
    const m = compileModel(
      defineModel({
        id: 'throws',
        state: { x: int(0, 3) },
        actors: {
          T: actor({
            steps: {
              one: (c) => void (c.s.x = 1),
              two: (c) => {
                if (c.s.x === 1) throw new Error('boom');
              },
            },
          }),
        },
      }),
    );
    for (const strategy of STRATEGIES) {
      const r = await run(m, { strategy });
      expect(r.verdict).toBe('error');
      expect(r.code).toBe('E_MODEL_THREW');
      expect(r.message).toContain('boom');
      expect(r.message).toContain('T[0] two');
      expect(schedule(r)).toEqual(['T[0] one', 'T[0] two']);
      expect(r.trace!.verdict).toBe('error');
      expect(r.trace!.error!.code).toBe('E_MODEL_THREW');
    }
  });

  it('an init that throws: verdict error without a trace', async () => {
    const m = compileModel(
      defineModel({
        id: 'init-throws',
        state: { x: int(0, 3) },
        init: () => {
          throw new Error('no init');
        },
        actors: { T: actor({ steps: { go: () => {} } }) },
      }),
    );
    const r = await run(m);
    expect([r.verdict, r.code, r.trace]).toEqual(['error', 'E_MODEL_THREW', undefined]);
    expect(r.states).toBe(0);
  });

  it('an out-of-range write: verdict error E_MODEL_RANGE naming the slot', async () => {
    const m = compileModel(
      defineModel({
        id: 'range',
        state: { x: int(0, 1) },
        actors: { T: actor({ instances: 2, steps: { go: (c) => void (c.s.x = c.s.x + 1) } }) },
      }),
    );
    const r = await run(m);
    expect([r.verdict, r.code]).toEqual(['error', 'E_MODEL_RANGE']);
    expect(r.message).toContain('x');
    expect(r.trace!.schedule.length).toBe(2);
  });
});
