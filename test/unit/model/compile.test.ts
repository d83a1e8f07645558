import { describe, expect, it } from 'vitest';
import { CompiledModel, actor, array, bool, defineModel, enumOf, int, lock, record } from '../../../src/index.js';
import type { ModelDef } from '../../../src/index.js';
import { MODE_RECORD } from '../../../src/model/layout.js';
import { Expander } from '../../../src/engine/transitions.js';
import { ANY_MODEL_PATH, checkIn, mmError } from '../helpers.js';

/** Builds and compiles a model from a definition (without type checking the definition). */
function compile(def: Record<string, unknown>, params: Record<string, string | number | boolean> = {}): CompiledModel {
  return new CompiledModel(defineModel({ id: 'm', ...def } as unknown as ModelDef), params);
}

const okState = { x: int(0, 3) };
const okActors = { t: { steps: { go: () => {} } } };

describe('model definition errors (E_MODEL_DEF)', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['numeric label', { state: okState, actors: { t: { steps: { '0': () => {} } } } }],
    ['numeric label 12', { state: okState, actors: { t: { steps: { a: () => {}, '12': () => {} } } } }],
    ['label done', { state: okState, actors: { t: { steps: { done: () => {} } } } }],
    ['empty label', { state: okState, actors: { t: { steps: { '': () => {} } } } }],
    ['bad state field name', { state: { 'x-y': int(0, 1) }, actors: okActors }],
    ['reserved state field name', { state: { toJSON: int(0, 1) }, actors: okActors }],
    ['state field not a type', { state: { x: 3 }, actors: okActors }],
    ['bad locals field name', { state: okState, actors: { t: { locals: { 'a b': int(0, 1) }, steps: { go: () => {} } } } }],
    ['locals not types', { state: okState, actors: { t: { locals: { a: 1 }, steps: { go: () => {} } } } }],
    ['local named pc', { state: okState, actors: { t: { locals: { pc: int(0, 1) }, steps: { go: () => {} } } } }],
    ['no actors', { state: okState, actors: {} }],
    ['actors as a function returning no actors', { state: okState, actors: () => ({}) }],
    ['no instance at all', { state: okState, actors: { t: { instances: 0, steps: { go: () => {} } } } }],
    ['bad actor name', { state: okState, actors: { 'my-actor': { steps: { go: () => {} } } } }],
    ['actor without steps', { state: okState, actors: { t: {} } }],
    ['actor with zero steps', { state: okState, actors: { t: { steps: {} } } }],
    ['negative instances', { state: okState, actors: { t: { instances: -1, steps: { go: () => {} } } } }],
    ['fractional instances', { state: okState, actors: { t: { instances: 1.5, steps: { go: () => {} } } } }],
    ['too many instances', { state: okState, actors: { t: { instances: 5000, steps: { go: () => {} } } } }],
    ['step of a wrong kind', { state: okState, actors: { t: { steps: { go: 3 } } } }],
    ['step with an unknown key', { state: okState, actors: { t: { steps: { go: { when: () => true } } } } }],
    ['await not a function', { state: okState, actors: { t: { steps: { go: { await: true } } } } }],
    ['do not a function', { state: okState, actors: { t: { steps: { go: { do: 'x' } } } } }],
    ['invariant named deadlock', { state: okState, actors: okActors, invariants: { deadlock: () => true } }],
    ['invariant named fault', { state: okState, actors: okActors, invariants: { fault: () => true } }],
    ['invariant not a function', { state: okState, actors: okActors, invariants: { inv: true } }],
  ];
  for (const [what, def] of cases) {
    it(what, () => {
      expect(mmError(() => compile(def)).code).toBe('E_MODEL_DEF');
    });
  }

  it('a label error names the actor and the label', () => {
    const e = mmError(() => compile({ state: okState, actors: { reader: { steps: { a: () => {}, done: () => {} } } } }));
    expect(e.message).toContain('reader');
    expect(e.message).toContain("'done'");
  });

  it('a state function that throws is reported with its code', () => {
    const e = mmError(() =>
      compile({
        state: () => {
          throw new Error('nope');
        },
        actors: okActors,
      }),
    );
    expect(e.code).toBe('E_MODEL_THREW');
    expect(e.message).toContain('nope');
  });
});

describe('runtime model-definition errors', () => {
  const runtime: [string, Record<string, unknown>][] = [
    ['unknown goto label', { state: okState, actors: { t: { steps: { a: (c: any) => c.goto('nowhere') } } } }],
    ['choose in a guard', { state: okState, actors: { t: { steps: { a: { await: (c: any) => c.choose(2) === 0 } } } } }],
    ['guard that writes', { state: okState, actors: { t: { steps: { a: { await: (c: any) => ((c.s.x = 1), true) } } } } }],
    ['guard that returns a non-boolean', { state: okState, actors: { t: { steps: { a: { await: () => 1 } } } } }],
    ['choose(0)', { state: okState, actors: { t: { steps: { a: (c: any) => c.choose(0) } } } }],
    ['choose([])', { state: okState, actors: { t: { steps: { a: (c: any) => c.choose([]) } } } }],
    ['invariant that writes', { state: okState, actors: okActors, invariants: { w: (s: any) => ((s.x = 2), true) } }],
    ['invariant that returns a non-boolean', { state: okState, actors: okActors, invariants: { w: () => 'yes' } }],
  ];
  for (const [what, def] of runtime) {
    it(`${what}: check gives verdict error with E_MODEL_DEF`, async () => {
      const r = await checkIn(compile(def), ANY_MODEL_PATH);
      expect(r.verdict).toBe('error');
      expect(r.code).toBe('E_MODEL_DEF');
    });
  }

  it('unknown goto label: the message names the label and the hint lists the labels', async () => {
    const m = compile({ state: okState, actors: { t: { steps: { a: () => {}, b: (c: any) => c.goto('nowhere') } } } });
    const r = await checkIn(m, ANY_MODEL_PATH);
    expect(r.message).toContain("goto('nowhere')");
    expect(r.hint).toContain('a, b');
  });

  it('a guard that writes leaves the state as it was', () => {
    const m = compile({ state: okState, actors: { t: { steps: { a: { await: (c: any) => ((c.s.x = 1), true) } } } } });
    const [s0] = m.initialStates();
    const before = s0!.slice();
    expect(mmError(() => new Expander(m).enabled(s0!, 0)).code).toBe('E_MODEL_DEF');
    expect(s0).toEqual(before);
  });
});

describe('compiled layout', () => {
  const def = {
    state: { x: int(1, 5), flags: array(2, bool()), l: lock() },
    actors: {
      reader: { instances: 2, locals: { tmp: int(0, 3), seen: bool() }, steps: { r1: () => {}, r2: () => {} } },
      none: { instances: 0, steps: { z: () => {} } },
      writer: { steps: { w1: () => {} } },
    },
  };

  it('shared slots first, then each instance: its pc, then its locals', () => {
    const m = compile(def);
    expect(m.slots.map((s) => s.path)).toEqual([
      'x',
      'flags[0]',
      'flags[1]',
      'l',
      'reader[0].pc',
      'reader[0].tmp',
      'reader[0].seen',
      'reader[1].pc',
      'reader[1].tmp',
      'reader[1].seen',
      'writer[0].pc',
    ]);
    expect(m.sharedSize).toBe(4);
    // Packed by hand: x int(1,5) 3 bits, flags 2 × 1, l lock() 6 → shared 11 bits;
    // each reader: pc (3 values) 2 bits, tmp 2, seen 1; writer pc (2 values) 1 bit.
    // 22 bits in all: one word, in slot order.
    expect(m.slots.map((s) => [s.word, s.shift, s.bits])).toEqual([
      [0, 0, 3],
      [0, 3, 1],
      [0, 4, 1],
      [0, 5, 6],
      [0, 11, 2],
      [0, 13, 2],
      [0, 15, 1],
      [0, 16, 2],
      [0, 18, 2],
      [0, 20, 1],
      [0, 21, 1],
    ]);
    expect(m.size).toBe(1);
    expect(m.instances.map((i) => [i.k, i.name, i.pcSlot])).toEqual([
      [0, 'reader[0]', 4],
      [1, 'reader[1]', 7],
      [2, 'writer[0]', 10],
    ]);
    expect(m.instances[1]!.localSlots).toEqual([8, 9]);
    expect(m.byActor.has('none')).toBe(false);
  });

  it('pc slots are enums of the labels in order plus done', () => {
    const m = compile(def);
    expect(m.slots[4]!.type).toEqual({ kind: 'enum', values: ['r1', 'r2', 'done'] });
    expect(m.slots[10]!.type).toEqual({ kind: 'enum', values: ['w1', 'done'] });
    expect(m.instances[0]!.done).toBe(2);
    expect(m.instances[2]!.done).toBe(1);
  });

  it('the initial state without init holds the defaults and every pc at the first label', () => {
    const m = compile(def);
    const inits = m.initialStates();
    expect(inits.length).toBe(1);
    expect(m.decode(inits[0]!)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...inits[0]!]).toEqual([0]); // all-zero words are the defaults
    expect(m.describe(inits[0]!)).toEqual({
      x: 1,
      flags: [false, false],
      l: -1,
      'reader[0]': { pc: 'r1', tmp: 0, seen: false },
      'reader[1]': { pc: 'r1', tmp: 0, seen: false },
      'writer[0]': { pc: 'w1' },
    });
  });

  it('encode and decode are inverse, slot by slot', () => {
    const m = compile(def);
    // Legal values per slot, in slot order (ints as values; enums, bools, locks raw).
    const legal = [[1, 3, 5], [0, 1], [0, 1], [0, 1, 63], [0, 1, 2], [0, 3], [0, 1], [0, 2], [0, 2], [0, 1], [0, 1]];
    let n = 0;
    const pick = (i: number) => legal[i]![(n + i) % legal[i]!.length]!;
    for (n = 0; n < 12; n++) {
      const values = legal.map((_, i) => pick(i));
      expect(m.decode(m.encode(values))).toEqual(values);
    }
    expect(mmError(() => m.encode([1, 2, 3])).code).toBe('E_INTERNAL');
  });

  it('instance() names a missing actor or instance', () => {
    const m = compile(def);
    expect(m.instance('reader', 1).k).toBe(1);
    expect(mmError(() => m.instance('ghost')).code).toBe('E_MODEL_DEF');
    expect(mmError(() => m.instance('writer', 1)).message).toContain('1 instance');
  });

  it('pcOf reads the bound state and records the pc slot as read', () => {
    const m = compile(def);
    // reader[1] at r2 (slot 7), writer done (slot 10)
    const s = m.encode([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1]);
    m.store.bind(s);
    expect(m.pc('reader', 1)).toBe('r2');
    expect(m.pc('writer')).toBe('done');
    m.store.m = MODE_RECORD;
    m.store.beginFootprint();
    m.pcOf('reader', 0);
    expect(m.store.reads()).toEqual([4]);
    m.store.m = 0;
  });
});

describe('packed layout of a compiled model', () => {
  // By hand: big int(-2^31, 2^31 - 1) is 32 bits, so the state (33 bits) does not pack:
  // big is word 0, b word 1 bit 0, and the state ends on a word boundary (words 0..1).
  // T[0].pc (enum of 2: 1 bit) word 2 bit 0; T[0]'s locals { v: int(0, 2^20): 21 bits }
  // pack at word 2 bit 1; T[1].pc word 2 bit 22; T[1]'s locals do not fit (23 + 21 > 32):
  // word 3 bit 0. Four words.
  const m = compile({
    state: { big: int(-(2 ** 31), 2 ** 31 - 1), b: bool() },
    actors: { T: { instances: 2, locals: { v: int(0, 2 ** 20) }, steps: { go: () => {} } } },
  });

  it('places every slot where worked out by hand', () => {
    expect(m.slots.map((s) => [s.path, s.word, s.shift, s.bits])).toEqual([
      ['big', 0, 0, 32],
      ['b', 1, 0, 1],
      ['T[0].pc', 2, 0, 1],
      ['T[0].v', 2, 1, 21],
      ['T[1].pc', 2, 22, 1],
      ['T[1].v', 3, 0, 21],
    ]);
    expect(m.size).toBe(4);
    expect(m.sharedSize).toBe(2);
    expect(m.instances.map((i) => [i.pcSlot, i.localSlots])).toEqual([
      [2, [3]],
      [4, [5]],
    ]);
    expect(m.initialStates()[0]!.length).toBe(4);
  });

  it('encode and decode are inverse, at the extremes of every slot', () => {
    const tops = [2 ** 31 - 1, 1, 1, 2 ** 20, 1, 2 ** 20];
    const bottoms = [-(2 ** 31), 0, 0, 0, 0, 0];
    for (const values of [tops, bottoms, [-1, 1, 0, 2 ** 20, 1, 1], [0, 0, 1, 1, 0, 2 ** 20 - 1]]) {
      const s = m.encode(values);
      expect(s.length).toBe(4);
      expect(m.decode(s)).toEqual(values);
      expect(m.encode(m.decode(s))).toEqual(s);
    }
    expect([...m.encode(bottoms)]).toEqual([0, 0, 0, 0]);
    const s = m.encode(tops);
    expect(m.describe(s)).toEqual({ big: 2 ** 31 - 1, b: true, 'T[0]': { pc: 'done', v: 2 ** 20 }, 'T[1]': { pc: 'done', v: 2 ** 20 } });
    expect(m.instances.map((i) => i.labelIn(s))).toEqual(['done', 'done']);
    expect(mmError(() => m.encode([0, 0, 0])).code).toBe('E_INTERNAL');
  });

  it('setPc changes only the pc slot of its instance', () => {
    const values = [-5, 1, 0, 2 ** 20, 0, 77];
    const s = m.encode(values);
    m.instances[0]!.setPc(s, 1);
    expect(m.decode(s)).toEqual([-5, 1, 1, 2 ** 20, 0, 77]);
    m.instances[1]!.setPc(s, 1);
    expect(m.decode(s)).toEqual([-5, 1, 1, 2 ** 20, 1, 77]);
    m.instances[0]!.setPc(s, 0);
    expect(m.decode(s)).toEqual([-5, 1, 0, 2 ** 20, 1, 77]);
    expect(m.instances.map((i) => i.pcIn(s))).toEqual([0, 1]);
  });

  it('writes of the locals of one instance leave the other instance and its pc alone', () => {
    const s = m.encode([0, 0, 1, 0, 1, 0]);
    m.store.bind(s);
    (m.locals('T', 0) as { v: number }).v = 2 ** 20;
    expect(m.decode(s)).toEqual([0, 0, 1, 2 ** 20, 1, 0]);
    (m.locals('T', 1) as { v: number }).v = 12345;
    (m.locals('T', 0) as { v: number }).v = 0;
    expect(m.decode(s)).toEqual([0, 0, 1, 0, 1, 12345]);
  });
});

describe('initial states through init and choose', () => {
  it('one state per choice vector, in odometer order', () => {
    const m = compile({
      state: { x: int(0, 9), b: bool() },
      init: (c: any) => {
        c.s.x = c.choose([1, 2, 3]);
        c.s.b = c.choose(2) === 1;
      },
      actors: okActors,
    });
    const inits = m.initialStatesWithChoices();
    // By hand: x over [1, 2, 3] is the outer digit, b over [false, true] the inner one.
    expect(inits.map((i) => i.choice)).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
    ]);
    expect(inits.map((i) => m.decode(i.state).slice(0, 2))).toEqual([
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
      [3, 0],
      [3, 1],
    ]);
    expect(m.initialStates().length).toBe(6);
  });

  it('data-dependent nested choices', () => {
    const m = compile({
      state: { a: int(0, 2), y: int(0, 5) },
      init: (c: any) => {
        const a = c.choose(3);
        c.s.a = a;
        if (a === 1) c.s.y = c.choose([4, 5]);
        if (a === 2) c.s.y = 1 + c.choose(3);
      },
      actors: okActors,
    });
    const inits = m.initialStatesWithChoices();
    // By hand: a=0 (no further choice); a=1 with y in {4, 5}; a=2 with y in {1, 2, 3}.
    expect(inits.map((i) => i.choice)).toEqual([[0], [1, 0], [1, 1], [2, 0], [2, 1], [2, 2]]);
    expect(inits.map((i) => m.decode(i.state).slice(0, 2))).toEqual([
      [0, 0],
      [1, 4],
      [1, 5],
      [2, 1],
      [2, 2],
      [2, 3],
    ]);
  });

  it('initialState(choice) replays a vector and refuses one that does not fit', () => {
    const m = compile({
      state: { a: int(0, 2), y: int(0, 5) },
      init: (c: any) => {
        const a = c.choose(3);
        c.s.a = a;
        if (a === 1) c.s.y = c.choose([4, 5]);
      },
      actors: okActors,
    });
    expect(m.decode(m.initialState([1, 1])!)).toEqual([1, 5, 0]);
    expect(m.decode(m.initialState([2])!)).toEqual([2, 0, 0]);
    expect(m.initialState([1])).toBeNull(); // too short: a=1 makes a second choice
    expect(m.initialState([0, 0])).toBeNull(); // too long
    expect(m.initialState([3])).toBeNull(); // out of range
  });

  it('init sets locals and enums', () => {
    const m = compile({
      state: { e: enumOf('p', 'q', 'r') },
      init: (c: any) => {
        c.s.e = 'r';
        c.locals('t', 1).v = 2;
      },
      actors: { t: { instances: 2, locals: { v: int(0, 3) }, steps: { go: () => {} } } },
    });
    expect(m.decode(m.initialStates()[0]!)).toEqual([2, 0, 0, 0, 2]);
  });

  it('an init that throws or writes out of range', async () => {
    const throwing = compile({
      state: okState,
      init: () => {
        throw new Error('bad init');
      },
      actors: okActors,
    });
    const e = mmError(() => throwing.initialStates());
    expect(e.code).toBe('E_MODEL_THREW');
    expect(e.message).toContain('init');
    const ranging = compile({ state: okState, init: (c: any) => (c.s.x = 4), actors: okActors });
    expect(mmError(() => ranging.initialStates()).code).toBe('E_MODEL_RANGE');
    expect((await checkIn(ranging, ANY_MODEL_PATH)).verdict).toBe('error');
  });
});

describe('invariants', () => {
  const m = compile({
    state: { x: int(0, 3), r: record({ y: int(0, 3) }) },
    actors: { t: { instances: 2, locals: { v: int(0, 3) }, steps: { a: () => {}, b: () => {} } } },
    invariants: {
      xSmall: (s: any) => s.x < 2,
      sumSmall: (s: any, w: any) => s.x + s.r.y < 3,
      localOk: (_s: any, w: any) => w.locals('t', 1).v !== 3,
      pcOk: (_s: any, w: any) => w.pc('t', 0) !== 'b' || w.p !== undefined,
    },
  });
  const state = (x: number, y: number, v1: number) => m.encode([x, y, 0, 0, 0, v1]);

  it('returns the first violated invariant in declaration order, or null', () => {
    expect(m.violatedInvariant(state(0, 0, 0))).toBeNull();
    expect(m.violatedInvariant(state(2, 0, 0))).toBe('xSmall');
    expect(m.violatedInvariant(state(3, 3, 3))).toBe('xSmall');
    expect(m.violatedInvariant(state(1, 2, 0))).toBe('sumSmall');
    expect(m.violatedInvariant(state(0, 0, 3))).toBe('localOk');
  });

  it('an invariant that throws: E_MODEL_THREW naming it', () => {
    const t = compile({
      state: okState,
      actors: okActors,
      invariants: {
        boom: () => {
          throw new TypeError('oops');
        },
      },
    });
    const e = mmError(() => t.violatedInvariant(t.initialStates()[0]!));
    expect(e.code).toBe('E_MODEL_THREW');
    expect(e.message).toContain('invariant boom');
    expect(e.message).toContain('oops');
  });
});

describe('field names that views use internally elsewhere', () => {
  it('fields and locals named o, s, k are ordinary state', async () => {
    // Views keep their position in $o/$s/$k: a schema field can never shadow them.
    const m = new CompiledModel(
      defineModel({
        id: 'kso',
        state: { k: int(0, 3), s: bool(), o: int(0, 3), r: array(2, record({ k: int(0, 2), s: bool() })) },
        actors: {
          a: actor({
            locals: { k: int(0, 2) },
            steps: {
              one: (c) => {
                c.l.k = 2;
                c.s.k = 3;
                c.s.s = true;
                c.s.o = 1;
                c.s.r[1]!.k = 2;
              },
            },
          }),
        },
        invariants: {
          written: (s, w) =>
            w.pc('a') !== 'done' || (s.k === 3 && s.s && s.o === 1 && s.r[1]!.k === 2 && s.r[0]!.k === 0 && !s.r[0]!.s && w.locals('a').k === 2),
        },
      }),
      {},
    );
    const r = await checkIn(m, ANY_MODEL_PATH);
    expect([r.verdict, r.states]).toEqual(['safe', 2]);
    const init = m.initialStates()[0]!;
    expect(m.decode(init).every((v) => v === 0)).toBe(true);
  });
});
