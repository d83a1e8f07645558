import { describe, expect, it } from 'vitest';
import { actor, array, bool, defineModel, int, MmraceError } from '../../../src/index.js';
import type { CompiledModel } from '../../../src/index.js';
import { Expander, StepError } from '../../../src/engine/transitions.js';
import { fingerprintHex } from '../../../src/state/fingerprint.js';
import { compileModel } from '../helpers.js';

interface Succ {
  k: number;
  ordinal: number;
  state: number[];
  fault: string | null;
  prop: string | null;
}

/** Every successor of `src`, decoded slot by slot, in the order expand hands them out. */
function successors(ex: Expander, src: Int32Array): { list: Succ[]; enabled: number } {
  const list: Succ[] = [];
  const enabled = ex.expand(src, {
    successor(k, ordinal, work, ctx) {
      expect(work.length).toBe(ex.m.size);
      // The successor is exactly the encoding of its slot values: no stray bits.
      expect(ex.m.encode(ex.m.decode(work))).toEqual(work);
      list.push({ k, ordinal, state: ex.m.decode(work), fault: ctx.faultMsg, prop: ctx.faultMsg === null ? null : ctx.faultProp });
      return true;
    },
  });
  return { list, enabled };
}

/** Runs expand and returns the StepError it throws. */
function stepError(ex: Expander, src: Int32Array): StepError {
  try {
    successors(ex, src);
  } catch (e) {
    if (e instanceof StepError) return e;
    throw e;
  }
  throw new Error('expected a StepError');
}

/** All reachable states of a (small) model, by a plain search over expand. */
function reachable(m: CompiledModel): Int32Array[] {
  const ex = new Expander(m);
  const seen = new Map<string, Int32Array>();
  const todo = m.initialStates();
  for (const s of todo) seen.set(m.decode(s).join(','), s); // keyed by slot values, as successors are
  while (todo.length > 0) {
    const s = todo.pop()!;
    for (const x of successors(ex, s).list) {
      if (x.fault !== null) continue;
      const key = x.state.join(',');
      if (!seen.has(key)) {
        const t = m.encode(x.state);
        seen.set(key, t);
        todo.push(t);
      }
    }
  }
  return [...seen.values()];
}

describe('successor order', () => {
  // Slots: x, y, A[0].pc, A[1].pc, B[0].pc.
  const m = compileModel(
    defineModel({
      id: 'order',
      state: { x: int(0, 9), y: int(0, 9) },
      actors: {
        A: actor({ instances: 2, steps: { a1: (c) => void (c.s.x = c.self + 1) } }),
        B: actor({ steps: { b1: (c) => void (c.s.y = 5) } }),
      },
    }),
  );

  it('instances in declaration order, ordinal 0 for a step without choices', () => {
    const ex = new Expander(m);
    const { list, enabled } = successors(ex, m.initialStates()[0]!);
    expect(enabled).toBe(3);
    expect(list).toEqual([
      { k: 0, ordinal: 0, state: [1, 0, 1, 0, 0], fault: null, prop: null },
      { k: 1, ordinal: 0, state: [2, 0, 0, 1, 0], fault: null, prop: null },
      { k: 2, ordinal: 0, state: [0, 5, 0, 0, 1], fault: null, prop: null },
    ]);
  });

  it('finished instances are skipped; all finished means 0 enabled', () => {
    const ex = new Expander(m);
    expect(successors(ex, m.encode([1, 0, 1, 0, 0])).list.map((s) => s.k)).toEqual([1, 2]);
    expect(successors(ex, m.encode([1, 5, 1, 1, 1]))).toEqual({ list: [], enabled: 0 });
  });

  it('a sink that returns false stops the enumeration', () => {
    const ex = new Expander(m);
    const seen: number[] = [];
    ex.expand(m.initialStates()[0]!, {
      successor(k) {
        seen.push(k);
        return k < 1;
      },
    });
    expect(seen).toEqual([0, 1]);
  });

  it('does not modify the source state', () => {
    const ex = new Expander(m);
    const src = m.initialStates()[0]!;
    const before = src.slice();
    successors(ex, src);
    expect(src).toEqual(before);
  });
});

describe('choice vectors', () => {
  /** One actor whose single step is `body`; slots: x, y, z, T[0].pc. */
  function oneStep(body: (c: any) => void): CompiledModel {
    return compileModel(
      defineModel({
        id: 'choices',
        state: { x: int(0, 9), y: int(0, 9), z: int(0, 9) },
        actors: { T: { steps: { go: body } } },
      }),
    );
  }
  const xyz = (list: Succ[]) => list.map((s) => s.state.slice(0, 3));

  it('two independent choices in odometer order (last choice fastest)', () => {
    const m = oneStep((c) => {
      c.s.x = c.choose([0, 1, 2]);
      c.s.y = c.choose(2);
    });
    const { list } = successors(new Expander(m), m.initialStates()[0]!);
    expect(list.map((s) => s.ordinal)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(xyz(list)).toEqual([
      [0, 0, 0],
      [0, 1, 0],
      [1, 0, 0],
      [1, 1, 0],
      [2, 0, 0],
      [2, 1, 0],
    ]);
    expect(list.every((s) => s.k === 0 && s.state[3] === 1)).toBe(true);
  });

  it('nested choices whose arity depends on an earlier choice', () => {
    const m = oneStep((c) => {
      const a = c.choose(3);
      c.s.x = a;
      if (a === 1) c.s.y = c.choose(2);
      else if (a === 2) c.s.y = 3 + c.choose(3);
    });
    const ex = new Expander(m);
    const src = m.initialStates()[0]!;
    // By hand: [0]; [1,0] [1,1]; [2,0] [2,1] [2,2].
    expect(xyz(successors(ex, src).list)).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [1, 1, 0],
      [2, 3, 0],
      [2, 4, 0],
      [2, 5, 0],
    ]);
    const vectors = [0, 1, 2, 3, 4, 5].map((o) => ex.runOrdinal(src, 0, o));
    expect(vectors).toEqual([[0], [1, 0], [1, 1], [2, 0], [2, 1], [2, 2]]);
    expect(ex.runOrdinal(src, 0, 6)).toBeNull();
  });

  it('three levels, each arity one more than the previous choice', () => {
    const m = oneStep((c) => {
      const a = c.choose(2);
      const b = c.choose(a + 1);
      const d = c.choose(b + 1);
      c.s.x = a;
      c.s.y = b;
      c.s.z = d;
    });
    // By hand: a=0 → b=0 → d=0; a=1 → b=0 → d=0, b=1 → d∈{0,1}.
    const { list } = successors(new Expander(m), m.initialStates()[0]!);
    expect(xyz(list)).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [1, 1, 0],
      [1, 1, 1],
    ]);
  });

  it('a longer vector followed by a shorter one, and the reverse', () => {
    const longFirst = oneStep((c) => {
      const a = c.choose(2);
      c.s.x = a;
      if (a === 0) {
        c.s.y = c.choose(2);
        c.s.z = c.choose(2);
      }
    });
    const src1 = longFirst.initialStates()[0]!;
    const ex1 = new Expander(longFirst);
    expect(xyz(successors(ex1, src1).list)).toEqual([
      [0, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [0, 1, 1],
      [1, 0, 0],
    ]);
    expect([0, 1, 2, 3, 4].map((o) => ex1.runOrdinal(src1, 0, o))).toEqual([[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1]]);

    const shortFirst = oneStep((c) => {
      const a = c.choose(2);
      c.s.x = a;
      if (a === 1) c.s.y = c.choose([3, 4, 5]);
    });
    expect(xyz(successors(new Expander(shortFirst), shortFirst.initialStates()[0]!).list)).toEqual([
      [0, 0, 0],
      [1, 3, 0],
      [1, 4, 0],
      [1, 5, 0],
    ]);
  });

  it('choose with a single option is one successor', () => {
    const m = oneStep((c) => {
      c.s.x = c.choose([7]);
      c.s.y = c.choose(1);
    });
    expect(xyz(successors(new Expander(m), m.initialStates()[0]!).list)).toEqual([[7, 0, 0]]);
  });
});

describe('guards and control flow', () => {
  // Slots: x, flag, W[0].pc, G[0].pc, G[0].n
  const m = compileModel(
    defineModel({
      id: 'flow',
      state: { x: int(0, 3), flag: bool() },
      actors: {
        W: actor({
          steps: {
            w1: (c) => void (c.s.x = 1), // falls through to w2
            w2: { await: (c) => c.s.flag }, // guard only: falls through
            w3: (c) => c.goto('w1'),
          },
        }),
        G: actor({
          locals: { n: int(0, 3) },
          steps: {
            g1: { await: (c) => c.s.x === 1, do: (c) => void (c.l.n = c.l.n + 1) },
            g2: (c) => {
              if (c.l.n < 2) c.goto('g1');
              else c.finish();
            },
            g3: (c) => void (c.s.flag = true),
          },
        }),
      },
    }),
  );
  const ex = new Expander(m);

  it('a guard disables its instance; expand counts enabled instances', () => {
    // x=0: G's guard is false, only W moves.
    const a = successors(ex, m.encode([0, 0, 0, 0, 0]));
    expect(a.enabled).toBe(1);
    expect(a.list.map((s) => s.state)).toEqual([[1, 0, 1, 0, 0]]);
    // x=1, W at w2 with flag false: W is disabled, G moves.
    const b = successors(ex, m.encode([1, 0, 1, 0, 0]));
    expect(b.enabled).toBe(1);
    expect(b.list.map((s) => [s.k, ...s.state])).toEqual([[1, 1, 0, 1, 1, 1]]);
    // Both disabled, neither finished.
    expect(successors(ex, m.encode([0, 0, 1, 0, 0]))).toEqual({ list: [], enabled: 0 });
    expect(ex.enabled(m.encode([0, 0, 1, 0, 0]), 0)).toBe(false);
    expect(ex.enabled(m.encode([0, 1, 1, 0, 0]), 0)).toBe(true);
  });

  it('guard-only step falls through with ordinal 0 and an empty choice vector', () => {
    const src = m.encode([1, 1, 1, 3, 2]); // flag set, W at w2, G done
    const { list } = successors(ex, src);
    expect(list).toEqual([{ k: 0, ordinal: 0, state: [1, 1, 2, 3, 2], fault: null, prop: null }]);
    expect(ex.runOrdinal(src, 0, 0)).toEqual([]);
    expect(ex.runOrdinal(src, 0, 1)).toBeNull();
    expect(ex.runChoice(src, 0, [0])).toBe('choice');
    expect(ex.runChoice(src, 0, [])).toBe('ok');
    expect(m.decode(ex.work)).toEqual([1, 1, 2, 3, 2]);
  });

  it('goto jumps to its label, finish to done, the last step falls through to done', () => {
    // W at w3 → goto w1 (pc 0)
    expect(successors(ex, m.encode([1, 1, 2, 3, 2])).list[0]!.state[2]).toBe(0);
    // G at g2 with n=1 → goto g1 (pc 0); with n=2 → finish (pc 3 = done)
    expect(successors(ex, m.encode([1, 0, 1, 1, 1])).list[0]!.state[3]).toBe(0);
    expect(successors(ex, m.encode([1, 0, 1, 1, 2])).list[0]!.state[3]).toBe(3);
    // G at g3 (last step) → done (pc 3), flag set.
    expect(successors(ex, m.encode([1, 0, 1, 2, 2])).list[0]!.state).toEqual([1, 1, 1, 3, 2]);
  });
});

describe('faults', () => {
  // Slots: x, T[0].pc
  const m = compileModel(
    defineModel({
      id: 'faults',
      state: { x: int(0, 9) },
      actors: {
        T: actor({
          steps: {
            go: (c) => {
              const v = c.choose(3);
              c.s.x = v + 4;
              if (v === 1) {
                c.fault('one is bad', 'oops');
                return;
              }
              if (v === 2) c.fault('two is bad');
            },
          },
        }),
      },
    }),
  );

  it('marks faulting successors with message and property (default fault); the writes apply', () => {
    const { list } = successors(new Expander(m), m.initialStates()[0]!);
    expect(list).toEqual([
      { k: 0, ordinal: 0, state: [4, 1], fault: null, prop: null },
      { k: 0, ordinal: 1, state: [5, 1], fault: 'one is bad', prop: 'oops' },
      { k: 0, ordinal: 2, state: [6, 1], fault: 'two is bad', prop: 'fault' },
    ]);
  });

  it('runChoice and runOrdinal report the fault of the run', () => {
    const ex = new Expander(m);
    const src = m.initialStates()[0]!;
    expect(ex.runChoice(src, 0, [1])).toBe('ok');
    expect(m.instances[0]!.ctx.faultMsg).toBe('one is bad');
    expect(ex.runChoice(src, 0, [0])).toBe('ok');
    expect(m.instances[0]!.ctx.faultMsg).toBeNull();
    expect(ex.runOrdinal(src, 0, 2)).toEqual([2]);
    expect(m.instances[0]!.ctx.faultMsg).toBe('two is bad');
  });
});

describe('errors in steps and guards', () => {
  // Slots: x, A[0].pc, B[0].pc
  const m = compileModel(
    defineModel({
      id: 'errors',
      state: { x: int(0, 3) },
      actors: {
        A: actor({ steps: { a: () => {} } }),
        B: actor({
          steps: {
            b: (c) => {
              const v = c.choose(3);
              if (v === 2) throw new Error('boom');
              if (v === 1 && c.s.x === 1) c.s.x = 4;
            },
            g: { await: () => (null as unknown as { y: boolean }).y },
          },
        }),
      },
    }),
  );
  const ex = new Expander(m);

  it('a step that throws: StepError with its instance and ordinal, E_MODEL_THREW, naming the step', () => {
    const e = stepError(ex, m.encode([0, 0, 0]));
    expect(e).toBeInstanceOf(MmraceError);
    expect([e.k, e.ordinal, e.code]).toEqual([1, 2, 'E_MODEL_THREW']);
    expect(e.message).toContain('B[0] b');
    expect(e.message).toContain('boom');
  });

  it('an out-of-range write keeps its code E_MODEL_RANGE', () => {
    const e = stepError(ex, m.encode([1, 0, 0]));
    expect([e.k, e.ordinal, e.code]).toEqual([1, 1, 'E_MODEL_RANGE']);
    expect(e.message).toContain('x');
  });

  it('a guard that throws: ordinal -1', () => {
    const e = stepError(ex, m.encode([0, 0, 1]));
    expect([e.k, e.ordinal, e.code]).toEqual([1, -1, 'E_MODEL_THREW']);
    expect(e.message).toContain('B[0] g');
  });
});

describe('runOrdinal and runChoice agree with expand', () => {
  // A model with guards, locals, nested data-dependent choices, goto and faults.
  const m = compileModel(
    defineModel({
      id: 'agree',
      state: { x: int(0, 3), y: int(0, 3), b: bool() },
      actors: {
        P: actor({
          instances: 2,
          locals: { t: int(0, 3) },
          steps: {
            p1: (c) => {
              c.l.t = c.choose(c.s.x + 1);
            },
            p2: {
              await: (c) => !c.s.b || c.self === 0,
              do: (c) => {
                const a = c.choose(2);
                if (a === 1) c.s.y = c.choose([c.l.t, 3]);
                else c.s.x = (c.s.x + 1) % 4;
                if (c.s.y === 3 && c.s.x === 3) c.fault('both 3');
                if (c.s.x < 2) c.goto('p1');
              },
            },
          },
        }),
        Q: actor({
          steps: {
            q1: { await: (c) => c.s.y > 0 },
            q2: (c) => void (c.s.b = c.choose([true, false])),
          },
        }),
      },
    }),
  );

  it('for every reachable state, instance and ordinal', () => {
    const ex = new Expander(m);
    const states = reachable(m);
    expect(states.length).toBeGreaterThan(50);
    let checked = 0;
    for (const src of states) {
      const { list } = successors(ex, src);
      for (let k = 0; k < m.instances.length; k++) {
        const mine = list.filter((s) => s.k === k);
        expect(mine.map((s) => s.ordinal)).toEqual(mine.map((_, i) => i));
        if (mine.length === 0) {
          expect(ex.runOrdinal(src, k, 0)).toBeNull();
          expect(ex.runChoice(src, k, [])).toBe('disabled');
          continue;
        }
        for (const s of mine) {
          const vec = ex.runOrdinal(src, k, s.ordinal);
          expect(vec).not.toBeNull();
          expect(m.decode(ex.work)).toEqual(s.state);
          expect(m.instances[k]!.ctx.faultMsg).toBe(s.fault);
          expect(ex.runChoice(src, k, vec!)).toBe('ok');
          expect(m.decode(ex.work)).toEqual(s.state);
          expect(m.instances[k]!.ctx.faultMsg).toBe(s.fault);
          // A vector one position too long never fits.
          expect(ex.runChoice(src, k, [...vec!, 0])).toBe('choice');
          checked++;
        }
        expect(ex.runOrdinal(src, k, mine.length)).toBeNull();
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('the same transition gives the same state every time (fingerprint)', () => {
    const ex = new Expander(m);
    const src = m.initialStates()[0]!;
    ex.runChoice(src, 0, [0]);
    const a = fingerprintHex(ex.work);
    successors(ex, src);
    ex.runChoice(src, 0, [0]);
    expect(fingerprintHex(ex.work)).toBe(a);
  });

  it('runChoice refuses an out-of-range or too short vector', () => {
    const ex = new Expander(m);
    const src = m.initialStates()[0]!; // x=0: p1 chooses among 1 option
    expect(ex.runChoice(src, 0, [1])).toBe('choice');
    expect(ex.runChoice(src, 0, [])).toBe('choice');
    expect(ex.runChoice(src, 0, [0])).toBe('ok');
  });
});

describe('packed states', () => {
  // 40 instances, each setting its own flag. By hand: flags is 40 bits, so the state does
  // not pack: flags[0..31] fill word 0 (flags[31] is its sign bit), flags[32..39] word 1
  // bits 0..7. The pcs (enum of go, done: 1 bit each) start word 2: T[0..31].pc fill it,
  // T[32..39].pc are word 3 bits 0..7. Four words.
  const N = 40;
  const m = compileModel(
    defineModel({
      id: 'packed',
      state: { flags: array(N, bool()) },
      actors: { T: actor({ instances: N, steps: { set: (c) => c.s.flags.set(c.self, true) } }) },
    }),
  );

  it('the layout worked out by hand', () => {
    expect(m.size).toBe(4);
    expect(m.slots.length).toBe(2 * N);
    expect(m.slots.map((s) => [s.word, s.shift])).toEqual([
      ...Array.from({ length: N }, (_, i) => [i >> 5, i & 31]),
      ...Array.from({ length: N }, (_, i) => [2 + (i >> 5), i & 31]),
    ]);
  });

  it('each successor changes exactly its flag and its own pc, in words shared with 31 others', () => {
    const ex = new Expander(m);
    // From the initial state, and from a state where every other instance has run.
    const half = Array.from({ length: 2 * N }, (_, i) => (i % N) % 2);
    for (const src of [m.initialStates()[0]!, m.encode(half)]) {
      const before = m.decode(src);
      const { list, enabled } = successors(ex, src);
      const expectedK = Array.from({ length: N }, (_, k) => k).filter((k) => before[N + k] === 0);
      expect(enabled).toBe(expectedK.length);
      expect(list.map((s) => s.k)).toEqual(expectedK);
      for (const s of list) {
        const want = [...before];
        want[s.k] = 1;
        want[N + s.k] = 1;
        expect(s.state, `T[${s.k}]`).toEqual(want);
      }
      expect(m.decode(src)).toEqual(before);
    }
  });

  it('the last instance of each word and the first of the next: pc and flag at bit 31 and bit 0', () => {
    const ex = new Expander(m);
    const src = m.initialStates()[0]!;
    expect(ex.runOrdinal(src, 31, 0)).toEqual([]);
    expect(m.instances[31]!.pcIn(ex.work)).toBe(1);
    expect(m.instances[32]!.pcIn(ex.work)).toBe(0);
    expect(m.instances[30]!.pcIn(ex.work)).toBe(0);
    expect(ex.work[0]).toBe(1 << 31);
    expect(ex.work[2]).toBe(1 << 31);
    expect([ex.work[1], ex.work[3]]).toEqual([0, 0]);
    expect(ex.runChoice(src, 32, [])).toBe('ok');
    expect([...ex.work]).toEqual([0, 1, 0, 1]);
  });
});
