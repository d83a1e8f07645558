import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { array, bool, enumOf, int, lock, record } from '../../../src/model/schema.js';
import type { ScalarType, Type } from '../../../src/model/schema.js';
import {
  MODE_READONLY,
  MODE_RECORD,
  Store,
  bitsFor,
  collectSlots,
  formatSlotValue,
  layoutParts,
  makeView,
  readRaw,
  readSlot,
  scalarBits,
  shapeOf,
  writeRaw,
  type SlotInfo,
} from '../../../src/model/layout.js';
import { mmError } from '../helpers.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 200);

/**
 * The schema under test, and its packed layout worked out by hand. Widths: a bool is
 * 1 bit, int(0,3) 2, int(0,7) 3, int(-2,2) (5 values) 3, int(-5,5) (11 values) 4,
 * enum of 3 values 2, of 2 values 1, lock() (63 owners + free = 64 values) 6.
 * Composites: pte[i] = 1+3 = 4 bits, pte = 8; m[i] = 3, m = 6; locks = 12;
 * nested = 3; counts = 12; kinds = 2. The whole record is 53 bits, more than a word,
 * so its fields are placed one after the other without straddling a word:
 *
 *   slot  path             word shift bits
 *    0    a                  0    0    2
 *    1    pte[0].valid       0    2    1
 *    2    pte[0].pfn         0    3    3
 *    3    pte[1].valid       0    6    1
 *    4    pte[1].pfn         0    7    3
 *    5-7  m[0][0..2]         0   10-12 1
 *    8-10 m[1][0..2]         0   13-15 1
 *   11    st                 0   16    2
 *   12    ptl                0   18    6      (ends at bit 24; locks needs 12 more)
 *   13    locks[0]           1    0    6
 *   14    locks[1]           1    6    6
 *   15    nested.inner.v     1   12    3
 *   16-18 counts[0..2]       1   15,19,23 4
 *   19-20 kinds[0..1]        1   27,28 1
 *   → 2 words.
 */
const fields = {
  a: int(0, 3),
  pte: array(2, record({ valid: bool(), pfn: int(0, 7) })),
  m: array(2, array(3, bool())),
  st: enumOf('x', 'y', 'z'),
  ptl: lock(),
  locks: array(2, lock()),
  nested: record({ inner: record({ v: int(-2, 2) }) }),
  counts: array(3, int(-5, 5)),
  kinds: array(2, enumOf('anon', 'file')),
};
const stateType = record(fields);

const EXPECTED: [string, number, number, number][] = [
  ['a', 0, 0, 2],
  ['pte[0].valid', 0, 2, 1],
  ['pte[0].pfn', 0, 3, 3],
  ['pte[1].valid', 0, 6, 1],
  ['pte[1].pfn', 0, 7, 3],
  ['m[0][0]', 0, 10, 1],
  ['m[0][1]', 0, 11, 1],
  ['m[0][2]', 0, 12, 1],
  ['m[1][0]', 0, 13, 1],
  ['m[1][1]', 0, 14, 1],
  ['m[1][2]', 0, 15, 1],
  ['st', 0, 16, 2],
  ['ptl', 0, 18, 6],
  ['locks[0]', 1, 0, 6],
  ['locks[1]', 1, 6, 6],
  ['nested.inner.v', 1, 12, 3],
  ['counts[0]', 1, 15, 4],
  ['counts[1]', 1, 19, 4],
  ['counts[2]', 1, 23, 4],
  ['kinds[0]', 1, 27, 1],
  ['kinds[1]', 1, 28, 1],
];
const PATHS = EXPECTED.map((e) => e[0]);
const SLOT = Object.fromEntries(PATHS.map((p, i) => [p, i])) as Record<string, number>;

interface PteView {
  valid: boolean;
  pfn: number;
}
interface LockLike {
  readonly free: boolean;
  readonly owner: number;
  heldBy(id: number): boolean;
  acquire(id: number): void;
  release(id: number): void;
}
interface ArrLike<T> {
  readonly length: number;
  get(i: number): T;
  set(i: number, v: T): void;
  toArray(): T[];
}
interface Root {
  a: number;
  pte: readonly PteView[];
  m: readonly ArrLike<boolean>[];
  st: string;
  ptl: LockLike;
  locks: readonly LockLike[];
  nested: { inner: { v: number } };
  counts: ArrLike<number>;
  kinds: ArrLike<string>;
}

function build<R>(t: Type): { store: Store; root: R; slots: SlotInfo[]; words: number } {
  const { slots, at, words } = layoutParts([{ name: '', type: t }]);
  const store = new Store(slots, words);
  store.bind(new Int32Array(words));
  const root = makeView(t, store, at[0]!.w, at[0]!.s, at[0]!.k) as R;
  return { store, root, slots, words };
}

function setup() {
  const x = build<Root>(stateType);
  /** Every slot's value as a model sees it (ints as values, the rest raw). */
  const values = () => x.slots.map((s) => readSlot(x.store.b, s));
  const value = (path: string) => readSlot(x.store.b, x.slots[SLOT[path]!]!);
  return { ...x, values, value };
}

describe('packed slot layout', () => {
  it('places every scalar of nested records and arrays by hand-computed word, shift and width', () => {
    const { slots, words } = setup();
    expect(slots.map((s) => [s.path, s.word, s.shift, s.bits])).toEqual(EXPECTED);
    expect(words).toBe(2);
    expect(slots[SLOT['pte[1].pfn']!]!.type).toEqual({ kind: 'int', min: 0, max: 7 });
    expect(slots[SLOT['st']!]!.type).toEqual({ kind: 'enum', values: ['x', 'y', 'z'] });
    expect(slots[SLOT['locks[1]']!]!.type).toEqual({ kind: 'lock', owners: 63 });
  });

  it('bit widths', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 2 ** 31, 2 ** 31 + 1, 2 ** 32].map(bitsFor)).toEqual([1, 1, 2, 2, 3, 3, 4, 31, 32, 32]);
    expect(scalarBits(bool())).toBe(1);
    expect(scalarBits(int(5, 5))).toBe(1);
    expect(scalarBits(int(-2, 2))).toBe(3);
    expect(scalarBits(int(-(2 ** 31), 2 ** 31 - 1))).toBe(32);
    expect(scalarBits(enumOf('p', 'q', 'r', 's', 't'))).toBe(3);
    expect(scalarBits(lock(1))).toBe(1); // free or held by 0
    expect(scalarBits(lock(3))).toBe(2);
    expect(scalarBits(lock())).toBe(6);
  });

  it('shapes: composites of at most 32 bits pack, larger ones take whole words', () => {
    expect(shapeOf(bool())).toEqual({ bits: 1, words: 1, slots: 1 });
    expect(shapeOf(record({ valid: bool(), pfn: int(0, 7) }))).toEqual({ bits: 4, words: 1, slots: 2 });
    expect(shapeOf(array(8, int(0, 15)))).toEqual({ bits: 32, words: 1, slots: 8 });
    // 33 bits: 8 fields of 4 bits fill word 0, the 9th goes to word 1.
    expect(shapeOf(array(9, int(0, 15)))).toEqual({ bits: null, words: 2, slots: 9 });
    expect(shapeOf(stateType)).toEqual({ bits: null, words: 2, slots: 21 });
  });

  it('a large composite starts on a word boundary and the next field after it', () => {
    // y in word 0; big (3 × 21 bits, 42 > 32 for two) word-aligned: words 1, 2, 3; x in word 4.
    const t = record({ y: bool(), big: array(3, int(0, 2 ** 21 - 1)), x: bool() });
    const { slots, words } = build(t);
    expect(slots.map((s) => [s.path, s.word, s.shift, s.bits])).toEqual([
      ['y', 0, 0, 1],
      ['big[0]', 1, 0, 21],
      ['big[1]', 2, 0, 21],
      ['big[2]', 3, 0, 21],
      ['x', 4, 0, 1],
    ]);
    expect(words).toBe(5);
  });

  it('several top-level parts share words when they fit', () => {
    const { slots, at, words } = layoutParts([
      { name: '', type: record({ a: int(0, 3) }) },
      { name: 'T[0].pc', type: enumOf('s1', 's2', 'done') },
      { name: 'T[0]', type: record({ t: int(0, 2 ** 30) }) },
    ]);
    expect(slots.map((s) => [s.path, s.word, s.shift])).toEqual([
      ['a', 0, 0],
      ['T[0].pc', 0, 2],
      ['T[0].t', 1, 0], // 31 bits do not fit after bit 4
    ]);
    expect(at.map((p) => p.k)).toEqual([0, 1, 2]);
    expect(words).toBe(2);
  });

  it('the all-zero state reads as the defaults: false, int minimum, first enum value, free lock', () => {
    const { root, value } = setup();
    expect(value('nested.inner.v')).toBe(-2);
    expect(value('counts[1]')).toBe(-5);
    expect(root.nested.inner.v).toBe(-2);
    expect(root.counts.toArray()).toEqual([-5, -5, -5]);
    expect(root.st).toBe('x');
    expect(root.kinds.get(1)).toBe('anon');
    expect(root.pte[1]!.valid).toBe(false);
    expect(root.ptl.free).toBe(true);
    expect(root.locks[1]!.owner).toBe(-1);
  });

  it('ints are stored as value - min, locks as owner + 1, enums as their index', () => {
    const { store, root, slots } = setup();
    root.nested.inner.v = 2;
    root.counts.set(2, -5);
    root.counts.set(1, 5);
    root.locks[1]!.acquire(4);
    root.st = 'z';
    const raw = (p: string) => readRaw(store.b, slots[SLOT[p]!]!);
    expect([raw('nested.inner.v'), raw('counts[2]'), raw('counts[1]'), raw('locks[1]'), raw('st')]).toEqual([4, 0, 10, 5, 2]);
    // The same bits, read from the words by hand: counts[1] is word 1, bits 19..22.
    expect((store.b[1]! >>> 19) & 15).toBe(10);
    expect((store.b[0]! >>> 16) & 3).toBe(2);
  });

  it('full 32-bit ints keep their extremes', () => {
    const { root, store } = build<{ lo: number; hi: number; u: number }>(
      record({ lo: int(-(2 ** 31), 2 ** 31 - 1), hi: int(-(2 ** 31), 2 ** 31 - 1), u: int(0, 2 ** 31 - 1) }),
    );
    root.lo = -(2 ** 31);
    root.hi = 2 ** 31 - 1;
    root.u = 2 ** 31 - 1;
    expect([root.lo, root.hi, root.u]).toEqual([-(2 ** 31), 2 ** 31 - 1, 2 ** 31 - 1]);
    root.lo = -1;
    root.hi = 0;
    expect([root.lo, root.hi, root.u]).toEqual([-1, 0, 2 ** 31 - 1]);
    expect(store.b.length).toBe(3);
  });
});

/** For each slot of the schema: write a value through the view, and the legal values. */
function writers(root: Root): { path: string; values: number[]; write: (v: number) => void }[] {
  const ints = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const out: { path: string; values: number[]; write: (v: number) => void }[] = [
    { path: 'a', values: ints(0, 3), write: (v) => (root.a = v) },
    { path: 'st', values: [0, 1, 2], write: (v) => (root.st = ['x', 'y', 'z'][v]!) },
    { path: 'nested.inner.v', values: ints(-2, 2), write: (v) => (root.nested.inner.v = v) },
  ];
  for (let i = 0; i < 2; i++) {
    out.push({ path: `pte[${i}].valid`, values: [0, 1], write: (v) => (root.pte[i]!.valid = v === 1) });
    out.push({ path: `pte[${i}].pfn`, values: ints(0, 7), write: (v) => (root.pte[i]!.pfn = v) });
    out.push({ path: `kinds[${i}]`, values: [0, 1], write: (v) => root.kinds.set(i, v === 1 ? 'file' : 'anon') });
    for (let j = 0; j < 3; j++) out.push({ path: `m[${i}][${j}]`, values: [0, 1], write: (v) => root.m[i]!.set(j, v === 1) });
  }
  for (let i = 0; i < 3; i++) out.push({ path: `counts[${i}]`, values: ints(-5, 5), write: (v) => root.counts.set(i, v) });
  const lockWriter = (path: string, l: () => LockLike) => ({
    path,
    values: [0, 1, 2, 63],
    write: (v: number) => {
      const cur = l();
      if (!cur.free) cur.release(cur.owner);
      if (v > 0) cur.acquire(v - 1);
    },
  });
  out.push(lockWriter('ptl', () => root.ptl), lockWriter('locks[0]', () => root.locks[0]!), lockWriter('locks[1]', () => root.locks[1]!));
  return out;
}

describe('arrays of full 32-bit ints', () => {
  it('keep both extremes in every element', () => {
    const { root, words } = build<{ xs: ArrLike<number>; b: boolean }>(record({ xs: array(3, int(-(2 ** 31), 2 ** 31 - 1)), b: bool() }));
    expect(words).toBe(4);
    root.xs.set(0, -(2 ** 31));
    root.xs.set(1, 2 ** 31 - 1);
    root.xs.set(2, -1);
    root.b = true;
    expect(root.xs.toArray()).toEqual([-(2 ** 31), 2 ** 31 - 1, -1]);
    expect(root.b).toBe(true);
    root.xs.set(1, 0);
    expect(root.xs.toArray()).toEqual([-(2 ** 31), 0, -1]);
  });
});

describe('views', () => {
  it('each write changes its own slot and no other (every slot, every legal value)', () => {
    const { root, values } = setup();
    for (const w of writers(root)) {
      for (const v of w.values) {
        const before = values();
        w.write(v);
        const after = values();
        const expected = [...before];
        expected[SLOT[w.path]!] = v;
        expect(after, `${w.path} = ${v}`).toEqual(expected);
      }
    }
  });

  it('random sequences of writes agree with an array of slot values (neighbouring bit fields stay intact)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 60 }), fc.boolean(), (writes, fromFull) => {
        const { root, values, slots, store } = setup();
        const ws = writers(root);
        const model = slots.map((s) => readSlot(store.b, s));
        if (fromFull) {
          // Start from every slot at its largest legal value (all ones where possible).
          for (const w of ws) {
            const v = w.values[w.values.length - 1]!;
            w.write(v);
            model[SLOT[w.path]!] = v;
          }
        }
        for (const [i, j] of writes) {
          const w = ws[i % ws.length]!;
          const v = w.values[j % w.values.length]!;
          w.write(v);
          model[SLOT[w.path]!] = v;
          expect(values()).toEqual(model);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('reads convert slot values: bool, enum, int, lock owner', () => {
    const { store, root, slots } = setup();
    const put = (p: string, raw: number) => writeRaw(store.b, slots[SLOT[p]!]!, raw);
    put('pte[0].valid', 1);
    put('st', 1);
    put('a', 2);
    put('nested.inner.v', 1); // raw 1 = -1
    put('ptl', 3);
    put('m[1][0]', 1);
    put('kinds[0]', 1);
    put('counts[1]', 9); // raw 9 = 4
    expect(root.pte[0]!.valid).toBe(true);
    expect(root.pte[1]!.valid).toBe(false);
    expect(root.st).toBe('y');
    expect(root.a).toBe(2);
    expect(root.nested.inner.v).toBe(-1);
    expect(root.ptl.owner).toBe(2);
    expect(root.ptl.free).toBe(false);
    expect(root.locks[0]!.owner).toBe(-1);
    expect(root.m[1]!.toArray()).toEqual([true, false, false]);
    expect(root.kinds.toArray()).toEqual(['file', 'anon']);
    expect(root.counts.toArray()).toEqual([-5, 4, -5]);
    expect(root.counts.length).toBe(3);
  });

  it('toJSON gives the record as plain data', () => {
    const { root } = setup();
    root.a = 1;
    root.pte[1]!.valid = true;
    root.ptl.acquire(0);
    root.m[0]!.set(2, true);
    expect(JSON.parse(JSON.stringify(root))).toEqual({
      a: 1,
      pte: [
        { valid: false, pfn: 0 },
        { valid: true, pfn: 0 },
      ],
      m: [
        [false, false, true],
        [false, false, false],
      ],
      st: 'x',
      ptl: 0,
      locks: [-1, -1],
      nested: { inner: { v: -2 } },
      counts: [-5, -5, -5],
      kinds: ['anon', 'anon'],
    });
  });

  it('rebasing with store.bind moves every view to the other buffer', () => {
    const { store, root, slots, words } = setup();
    const one = store.b;
    const other = new Int32Array(words);
    // Distinct values in the other buffer, written slot by slot (ints as values).
    const vals: Record<string, number> = {
      a: 2,
      'pte[0].valid': 1,
      'pte[0].pfn': 3,
      'pte[1].valid': 0,
      'pte[1].pfn': 7,
      'm[0][0]': 0,
      'm[0][1]': 1,
      'm[0][2]': 0,
      'm[1][0]': 1,
      'm[1][1]': 1,
      'm[1][2]': 0,
      st: 2,
      ptl: 2,
      'locks[0]': 0,
      'locks[1]': 4,
      'nested.inner.v': 2,
      'counts[0]': -3,
      'counts[1]': 4,
      'counts[2]': 0,
      'kinds[0]': 1,
      'kinds[1]': 0,
    };
    for (const [p, v] of Object.entries(vals)) {
      const slot = slots[SLOT[p]!]!;
      writeRaw(other, slot, slot.type.kind === 'int' ? v - slot.type.min : v);
    }
    store.bind(other);
    expect(root.a).toBe(2);
    expect(root.pte[0]!.valid).toBe(true);
    expect(root.pte[0]!.pfn).toBe(3);
    expect(root.pte[1]!.pfn).toBe(7);
    expect(root.m[0]!.toArray()).toEqual([false, true, false]);
    expect(root.m[1]!.toArray()).toEqual([true, true, false]);
    expect(root.st).toBe('z');
    expect(root.ptl.owner).toBe(1);
    expect(root.locks[0]!.free).toBe(true);
    expect(root.locks[1]!.heldBy(3)).toBe(true);
    expect(root.nested.inner.v).toBe(2);
    expect(root.counts.toArray()).toEqual([-3, 4, 0]);
    expect(root.kinds.toArray()).toEqual(['file', 'anon']);
    // Writes go to the bound buffer only.
    const oneBefore = one.slice();
    root.pte[1]!.pfn = 1;
    root.counts.set(0, 5);
    root.locks[0]!.acquire(0);
    expect(readSlot(other, slots[SLOT['pte[1].pfn']!]!)).toBe(1);
    expect(readSlot(other, slots[SLOT['counts[0]']!]!)).toBe(5);
    expect(readSlot(other, slots[SLOT['locks[0]']!]!)).toBe(1);
    expect(one).toEqual(oneBefore);
    // Back to the first buffer: its defaults again.
    store.bind(one);
    expect(root.a).toBe(0);
    expect(root.pte[1]!.pfn).toBe(0);
    expect(root.nested.inner.v).toBe(-2);
    expect(root.locks[1]!.free).toBe(true);
    expect(root.counts.get(0)).toBe(-5);
  });
});

describe('range and type errors', () => {
  const bad: [string, string, (r: Root) => void][] = [
    ['int above max', 'a', (r) => (r.a = 4)],
    ['int below min', 'nested.inner.v', (r) => (r.nested.inner.v = -3)],
    ['int not an integer', 'pte[1].pfn', (r) => (r.pte[1]!.pfn = 1.5)],
    ['int NaN', 'a', (r) => (r.a = NaN)],
    ['int as a string', 'a', (r) => ((r as unknown as { a: unknown }).a = '1')],
    ['int beyond 32 bits', 'pte[0].pfn', (r) => (r.pte[0]!.pfn = 2 ** 32 + 1)],
    ['bool as a number', 'pte[1].valid', (r) => ((r.pte[1] as unknown as { valid: unknown }).valid = 1)],
    ['bool as null', 'pte[0].valid', (r) => ((r.pte[0] as unknown as { valid: unknown }).valid = null)],
    ['enum unknown value', 'st', (r) => (r.st = 'w')],
    ['enum as an index', 'st', (r) => ((r as unknown as { st: unknown }).st = 1)],
    ['int array above max', 'counts[1]', (r) => r.counts.set(1, 6)],
    ['int array non-integer', 'counts[0]', (r) => r.counts.set(0, 0.5)],
    ['bool array as a number', 'm[1][2]', (r) => (r.m[1] as unknown as ArrLike<unknown>).set(2, 0)],
    ['enum array unknown value', 'kinds[1]', (r) => r.kinds.set(1, 'shmem')],
    ['lock acquire by a negative id', 'ptl', (r) => r.ptl.acquire(-1)],
    ['lock acquire by a non-integer id', 'locks[1]', (r) => r.locks[1]!.acquire(0.5)],
    ['lock acquire by an id beyond the owners', 'locks[0]', (r) => r.locks[0]!.acquire(63)],
  ];
  for (const [what, path, write] of bad) {
    it(`${what} throws E_MODEL_RANGE naming ${path}, state unchanged`, () => {
      const { store, root } = setup();
      // Start from a state with every bit of both words set where legal, to see clobbering.
      for (const w of writers(root)) w.write(w.values[w.values.length - 1]!);
      const before = store.b.slice();
      const e = mmError(() => write(root));
      expect(e.code).toBe('E_MODEL_RANGE');
      expect(e.message).toContain(path);
      expect(store.b).toEqual(before);
    });
  }

  it('the message names the declared type', () => {
    const { root } = setup();
    expect(mmError(() => (root.a = 9)).message).toMatch(/wrote 9 to a, which is int\(0, 3\)/);
    expect(mmError(() => (root.st = 'w')).message).toMatch(/"w".*enum\(x, y, z\)/);
  });

  it('scalar array indices out of bounds throw E_MODEL_RANGE naming the array', () => {
    const { root } = setup();
    for (const i of [-1, 3, 1.5, NaN, 2 ** 32]) {
      const e = mmError(() => root.counts.get(i));
      expect(e.code).toBe('E_MODEL_RANGE');
      expect(e.message).toContain('counts');
      expect(e.message).toContain('length 3');
      expect(mmError(() => root.counts.set(i, 0)).code).toBe('E_MODEL_RANGE');
    }
    const e = mmError(() => root.m[1]!.get(3));
    expect(e.code).toBe('E_MODEL_RANGE');
    expect(e.message).toContain('m[1]');
    expect(mmError(() => root.kinds.set(2, 'anon')).message).toContain('kinds');
  });

  it('an index error on an empty array names that array, not the next slot', () => {
    const t = record({ e: array(0, int(0, 1)), b: int(0, 3) });
    const { root } = build<{ e: ArrLike<number> }>(t);
    const e = mmError(() => root.e.get(0));
    expect(e.code).toBe('E_MODEL_RANGE');
    expect(e.message).toMatch(/\bof e\b/);
  });

  it('values at the bounds are accepted', () => {
    const { root, value } = setup();
    root.a = 0;
    root.a = 3;
    root.nested.inner.v = -2;
    root.counts.set(2, 5);
    root.counts.set(0, -5);
    expect([value('a'), value('counts[2]'), value('counts[0]'), value('nested.inner.v')]).toEqual([3, 5, -5, -2]);
  });

  it('a write to an undeclared field throws instead of becoming hidden state', () => {
    // Views are shared by every state. An expando property written through one (a typo
    // in a JS model: `s.cnt = 1` for `s.count`) would be state that survives rebasing
    // and is never fingerprinted.
    const { store, root, words } = setup();
    let threw = false;
    try {
      (root as unknown as Record<string, unknown>)['aa'] = 1;
    } catch {
      threw = true;
    }
    store.bind(new Int32Array(words));
    const leaked = (root as unknown as Record<string, unknown>)['aa'];
    expect({ threw, leaked }).toEqual({ threw: true, leaked: undefined });
    expect(() => ((root.pte[0] as unknown as Record<string, unknown>)['x'] = 1)).toThrow();
    expect(() => ((root.counts as unknown as Record<string, unknown>)['x'] = 1)).toThrow();
  });
});

describe('read-only mode', () => {
  it('refuses writes with E_MODEL_DEF naming the slot and what was evaluated; reads work', () => {
    const { store, root } = setup();
    root.a = 2;
    store.m = MODE_READONLY;
    store.readOnlyWhat = 'guard of T[0] go';
    const before = store.b.slice();
    const writes: [string, () => void][] = [
      ['a', () => (root.a = 1)],
      ['pte[1].valid', () => (root.pte[1]!.valid = true)],
      ['st', () => (root.st = 'y')],
      ['counts[1]', () => root.counts.set(1, 1)],
      ['m[0][2]', () => root.m[0]!.set(2, true)],
      ['kinds[0]', () => root.kinds.set(0, 'file')],
      ['ptl', () => root.ptl.acquire(0)],
      ['locks[0]', () => root.locks[0]!.release(0)],
    ];
    for (const [path, w] of writes) {
      const e = mmError(w);
      expect(e.code, path).toBe('E_MODEL_DEF');
      expect(e.message).toContain(path);
      expect(e.message).toContain('guard of T[0] go');
    }
    expect(store.b).toEqual(before);
    expect(root.a).toBe(2);
    expect(root.ptl.free).toBe(true);
    expect(root.counts.get(1)).toBe(-5);
  });

  it('refuses an out-of-range write as a write first', () => {
    const { store, root } = setup();
    store.m = MODE_READONLY | MODE_RECORD;
    expect(mmError(() => (root.a = 99)).code).toBe('E_MODEL_DEF');
  });
});

describe('footprint recording', () => {
  const sorted = (xs: readonly number[]) => [...xs].sort((x, y) => x - y);
  const noDup = (xs: readonly number[]) => new Set(xs).size === xs.length;

  it('records exactly the slots read and written, deduplicated', () => {
    const { store, root } = setup();
    store.m = MODE_RECORD;
    store.beginFootprint();
    // A step: reads a twice, reads pte[1].pfn, writes pte[0].pfn twice, writes st
    // without reading it, reads and writes counts[2], reads m[1][0].
    const x = root.a + root.a;
    root.pte[0]!.pfn = root.pte[1]!.pfn + x;
    root.pte[0]!.pfn = 1;
    root.st = 'y';
    root.counts.set(2, root.counts.get(2) + 1);
    void root.m[1]!.get(0);
    expect(noDup(store.reads())).toBe(true);
    expect(noDup(store.writes())).toBe(true);
    expect(sorted(store.reads())).toEqual(sorted([SLOT['a']!, SLOT['pte[1].pfn']!, SLOT['counts[2]']!, SLOT['m[1][0]']!]));
    expect(sorted(store.writes())).toEqual(sorted([SLOT['pte[0].pfn']!, SLOT['st']!, SLOT['counts[2]']!]));
  });

  it('slot numbers of nested composites: every element of every array', () => {
    const { store, root } = setup();
    store.m = MODE_RECORD;
    store.beginFootprint();
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) void root.m[i]!.get(j);
    void root.kinds.toArray();
    void root.pte[1]!.valid;
    void root.locks[1]!.free;
    expect(store.reads()).toEqual([3, 5, 6, 7, 8, 9, 10, 14, 19, 20]);
  });

  it('locks: free/owner/heldBy read; acquire and release read and write', () => {
    const { store, root } = setup();
    store.m = MODE_RECORD;
    store.beginFootprint();
    void root.ptl.free;
    void root.locks[0]!.owner;
    void root.nested.inner.v;
    expect(sorted(store.reads())).toEqual([SLOT['ptl']!, SLOT['locks[0]']!, SLOT['nested.inner.v']!]);
    expect(store.writes()).toEqual([]);
    store.beginFootprint();
    root.locks[1]!.acquire(2);
    expect(root.locks[1]!.heldBy(2)).toBe(true);
    root.locks[1]!.release(2);
    expect(store.reads()).toEqual([SLOT['locks[1]']!]);
    expect(store.writes()).toEqual([SLOT['locks[1]']!]);
  });

  it('beginFootprint starts afresh, and a slot is recorded again in the next footprint', () => {
    const { store, root } = setup();
    store.m = MODE_RECORD;
    store.beginFootprint();
    void root.a;
    root.st = 'z';
    store.beginFootprint();
    expect(store.reads()).toEqual([]);
    expect(store.writes()).toEqual([]);
    void root.a;
    void root.a;
    root.st = 'x';
    expect(store.reads()).toEqual([SLOT['a']!]);
    expect(store.writes()).toEqual([SLOT['st']!]);
  });

  it('keeps deduplicating across the stamp wrap-around', () => {
    const { store, root } = setup();
    store.m = MODE_RECORD;
    const priv = store as unknown as { stamp: number };
    priv.stamp = 0x7ffffffd;
    store.beginFootprint(); // stamp 0x7ffffffe
    void root.a;
    root.st = 'y';
    store.beginFootprint(); // wraps to 1: the stamps are cleared
    void root.a;
    void root.a;
    root.st = 'z';
    root.st = 'x';
    expect(store.reads()).toEqual([SLOT['a']!]);
    expect(store.writes()).toEqual([SLOT['st']!]);
    store.beginFootprint();
    void root.a;
    expect(store.reads()).toEqual([SLOT['a']!]);
  });

  it('records nothing when not in recording mode', () => {
    const { store, root } = setup();
    store.m = 0;
    store.beginFootprint();
    void root.a;
    root.a = 1;
    root.counts.set(0, 1);
    expect(store.reads()).toEqual([]);
    expect(store.writes()).toEqual([]);
  });
});

describe('locks', () => {
  it('acquire, heldBy, owner, free, release', () => {
    const { root, value } = setup();
    const l = root.ptl;
    expect(l.free).toBe(true);
    expect(l.owner).toBe(-1);
    expect(l.heldBy(0)).toBe(false);
    l.acquire(0);
    expect(value('ptl')).toBe(1);
    expect(l.free).toBe(false);
    expect(l.owner).toBe(0);
    expect(l.heldBy(0)).toBe(true);
    expect(l.heldBy(1)).toBe(false);
    l.release(0);
    expect(l.free).toBe(true);
    expect(value('ptl')).toBe(0);
    l.acquire(62);
    expect(l.owner).toBe(62);
    expect(value('ptl')).toBe(63);
  });

  it('acquiring a held lock, releasing a lock held by another or a free lock: E_MODEL_DEF naming the lock', () => {
    const { store, root } = setup();
    root.locks[1]!.acquire(1);
    const before = store.b.slice();
    const e1 = mmError(() => root.locks[1]!.acquire(2));
    expect(e1.code).toBe('E_MODEL_DEF');
    expect(e1.message).toContain('locks[1]');
    expect(e1.message).toContain('held by 1');
    expect(mmError(() => root.locks[1]!.acquire(1)).code).toBe('E_MODEL_DEF');
    const e2 = mmError(() => root.locks[1]!.release(0));
    expect(e2.code).toBe('E_MODEL_DEF');
    expect(e2.message).toContain('held by 1');
    const e3 = mmError(() => root.locks[0]!.release(0));
    expect(e3.code).toBe('E_MODEL_DEF');
    expect(e3.message).toContain('locks[0]');
    expect(e3.message).toContain('free');
    expect(store.b).toEqual(before);
  });

  it('locks in an array are independent', () => {
    const { root } = setup();
    root.locks[0]!.acquire(3);
    expect(root.locks[1]!.free).toBe(true);
    expect(root.ptl.free).toBe(true);
    root.locks[1]!.acquire(3);
    root.locks[0]!.release(3);
    expect(root.locks[1]!.heldBy(3)).toBe(true);
  });

  it('lock(n) accepts owners 0..n-1 and nothing beyond, whatever its bit width', () => {
    // lock(2): owners 0 and 1 — in a 2-bit slot, which could hold owners 0..2.
    const outcome: Record<number, string> = {};
    const want: Record<number, string> = {};
    for (const n of [1, 2, 3, 5, 63]) {
      const { root } = build<{ l: LockLike }>(record({ l: lock(n) }));
      for (let id = 0; id < n; id++) {
        root.l.acquire(id);
        root.l.release(id);
      }
      try {
        root.l.acquire(n);
        outcome[n] = `acquire(${n}) accepted`;
      } catch (e) {
        outcome[n] = (e as { code?: string }).code ?? String(e);
      }
      want[n] = 'E_MODEL_RANGE';
    }
    expect(outcome).toEqual(want);
  });

  it('lock(n) rejects a bad owner count with E_MODEL_DEF', () => {
    for (const n of [0, -1, 1.5, 2 ** 30 + 1]) expect(mmError(() => lock(n)).code).toBe('E_MODEL_DEF');
  });
});

describe('formatSlotValue', () => {
  it('formats each kind as a person reads it', () => {
    expect(formatSlotValue(bool(), 1)).toBe('true');
    expect(formatSlotValue(bool(), 0)).toBe('false');
    expect(formatSlotValue(int(-3, 3), -2)).toBe('-2');
    expect(formatSlotValue(enumOf('p', 'q'), 1)).toBe('q');
    expect(formatSlotValue(enumOf('p', 'q'), 5)).toBe('?5');
    expect(formatSlotValue(lock(), 0)).toBe('free');
    expect(formatSlotValue(lock(), 3)).toBe('held(2)');
  });
});

// ---- packing: helpers over SlotInfo[] (no CompiledModel here) ----------------------------

/** The value of every slot (as readSlot gives it: ints as values, the rest raw). */
function decodeSlots(slots: readonly SlotInfo[], buf: Int32Array): number[] {
  return slots.map((s) => readSlot(buf, s));
}

/** The state of `words` words whose slots hold `values` (as readSlot gives them). */
function encodeSlots(slots: readonly SlotInfo[], words: number, values: readonly number[]): Int32Array {
  expect(values.length).toBe(slots.length);
  const buf = new Int32Array(words);
  slots.forEach((s, i) => writeRaw(buf, s, s.type.kind === 'int' ? values[i]! - s.type.min : values[i]!));
  return buf;
}

/** The bits of its word that a slot owns. */
function fieldMask(slot: SlotInfo): number {
  return slot.bits >= 32 ? -1 : ((1 << slot.bits) - 1) << slot.shift;
}

describe('packing: fields sharing a word', () => {
  it('a bool, an int and an enum in one word do not disturb each other, at the top of their ranges', () => {
    // b: 1 bit at 0; i: int(-100, 27), 128 values, 7 bits at 1..7; e: 8 values, 3 bits at 8..10;
    // j: int(-(2 ** 20), 2 ** 20 - 1), 21 bits at 11..31, so word 0 is full (its sign bit is j's).
    const t = record({ b: bool(), i: int(-100, 27), e: enumOf('p', 'q', 'r', 's', 't', 'u', 'v', 'w'), j: int(-(2 ** 20), 2 ** 20 - 1) });
    type R = { b: boolean; i: number; e: string; j: number };
    const { store, root, slots, words } = build<R>(t);
    expect(shapeOf(t)).toEqual({ bits: 32, words: 1, slots: 4 });
    expect(words).toBe(1);
    expect(slots.map((s) => [s.path, s.word, s.shift, s.bits])).toEqual([
      ['b', 0, 0, 1],
      ['i', 0, 1, 7],
      ['e', 0, 8, 3],
      ['j', 0, 11, 21],
    ]);
    const read = () => [root.b, root.i, root.e, root.j];
    expect(read()).toEqual([false, -100, 'p', -(2 ** 20)]);
    expect(store.b[0]).toBe(0);
    // Each field to the top of its range, one at a time; the others keep their values.
    root.i = 27;
    expect(read()).toEqual([false, 27, 'p', -(2 ** 20)]);
    root.b = true;
    expect(read()).toEqual([true, 27, 'p', -(2 ** 20)]);
    root.e = 'w';
    expect(read()).toEqual([true, 27, 'w', -(2 ** 20)]);
    root.j = 2 ** 20 - 1;
    expect(read()).toEqual([true, 27, 'w', 2 ** 20 - 1]);
    expect(store.b[0]).toBe(-1); // every bit of the word set: all four at their top raw value
    expect(decodeSlots(slots, store.b)).toEqual([1, 27, 7, 2 ** 20 - 1]);
    // Back to the bottom, one at a time, from a full word.
    root.i = -100;
    expect(read()).toEqual([true, -100, 'w', 2 ** 20 - 1]);
    root.e = 'p';
    expect(read()).toEqual([true, -100, 'p', 2 ** 20 - 1]);
    root.b = false;
    expect(read()).toEqual([false, -100, 'p', 2 ** 20 - 1]);
    root.j = -(2 ** 20);
    expect(read()).toEqual([false, -100, 'p', -(2 ** 20)]);
    expect(store.b[0]).toBe(0);
    // Mixed values: negative ints that are not the minimum.
    root.i = -1;
    root.j = -1;
    root.e = 'r';
    expect(read()).toEqual([false, -1, 'r', -1]);
    expect(decodeSlots(slots, store.b)).toEqual([0, -1, 2, -1]);
    expect(store.b[0]).toBe(encodeSlots(slots, 1, [0, -1, 2, -1])[0]);
  });

  it('the same fields as elements of arrays: neighbours in one word keep their values', () => {
    // Four int(-7, 8) (16 values, 4 bits) then four enum of 3 (2 bits) then four bools: 28 bits.
    const t = record({ xs: array(4, int(-7, 8)), es: array(4, enumOf('u', 'v', 'w')), bs: array(4, bool()) });
    type R = { xs: ArrLike<number>; es: ArrLike<string>; bs: ArrLike<boolean> };
    const { root, slots, words } = build<R>(t);
    expect(words).toBe(1);
    expect(slots.map((s) => s.shift)).toEqual([0, 4, 8, 12, 16, 18, 20, 22, 24, 25, 26, 27]);
    root.xs.set(1, 8);
    root.xs.set(2, -7);
    root.xs.set(3, -1);
    root.es.set(0, 'w');
    root.es.set(3, 'w');
    root.bs.set(0, true);
    root.bs.set(3, true);
    expect(root.xs.toArray()).toEqual([-7, 8, -7, -1]);
    expect(root.es.toArray()).toEqual(['w', 'u', 'u', 'w']);
    expect(root.bs.toArray()).toEqual([true, false, false, true]);
    root.xs.set(1, -7);
    root.es.set(0, 'u');
    expect(root.xs.toArray()).toEqual([-7, -7, -7, -1]);
    expect(root.es.toArray()).toEqual(['u', 'u', 'u', 'w']);
    expect(root.bs.toArray()).toEqual([true, false, false, true]);
  });

  it('an int whose range needs exactly 32 bits round-trips its extremes', () => {
    const full = int(-(2 ** 31), 2 ** 31 - 1);
    const negOne = int(-1, 2 ** 31 - 1); // 2^31 + 1 values: 32 bits
    const upToZero = int(-(2 ** 31), 0); // 2^31 + 1 values: 32 bits
    const t = record({ b: bool(), full, negOne, upToZero, arr: array(2, full), e: enumOf('p', 'q') });
    type R = { b: boolean; full: number; negOne: number; upToZero: number; arr: ArrLike<number>; e: string };
    const { store, root, slots, words } = build<R>(t);
    // b at word 0; each 32-bit int takes a word of its own (1 + 32 > 32); e after the last.
    expect(slots.map((s) => [s.path, s.word, s.shift, s.bits])).toEqual([
      ['b', 0, 0, 1],
      ['full', 1, 0, 32],
      ['negOne', 2, 0, 32],
      ['upToZero', 3, 0, 32],
      ['arr[0]', 4, 0, 32],
      ['arr[1]', 5, 0, 32],
      ['e', 6, 0, 1],
    ]);
    expect(words).toBe(7);
    const read = () => [root.b, root.full, root.negOne, root.upToZero, root.arr.get(0), root.arr.get(1), root.e];
    expect(read()).toEqual([false, -(2 ** 31), -1, -(2 ** 31), -(2 ** 31), -(2 ** 31), 'p']);
    root.b = true;
    root.e = 'q';
    const ints: [number, number, (v: number) => void][] = [
      [-(2 ** 31), 2 ** 31 - 1, (v) => (root.full = v)],
      [-1, 2 ** 31 - 1, (v) => (root.negOne = v)],
      [-(2 ** 31), 0, (v) => (root.upToZero = v)],
      [-(2 ** 31), 2 ** 31 - 1, (v) => root.arr.set(0, v)],
      [-(2 ** 31), 2 ** 31 - 1, (v) => root.arr.set(1, v)],
    ];
    ints.forEach(([lo, hi, set], n) => {
      const k = n + 1; // slot of the int written
      for (const v of [hi, lo, lo + 1, hi - 1, 0, -1, 1, hi]) {
        if (v < lo || v > hi) continue;
        const before = decodeSlots(slots, store.b);
        set(v);
        const after = decodeSlots(slots, store.b);
        // The written slot holds v, read through the view and through readSlot…
        expect(read()[k], slots[k]!.path).toBe(v);
        expect(after[k]).toBe(v);
        // …and no other slot changed.
        expect(after.filter((_, i) => i !== k)).toEqual(before.filter((_, i) => i !== k));
      }
    });
    expect(read()).toEqual([true, 2 ** 31 - 1, 2 ** 31 - 1, 0, 2 ** 31 - 1, 2 ** 31 - 1, 'q']);
    root.full = 2 ** 31 - 1;
    root.negOne = 2 ** 31 - 1;
    root.upToZero = -(2 ** 31);
    root.arr.set(0, -(2 ** 31));
    root.arr.set(1, 2 ** 31 - 1);
    expect(read()).toEqual([true, 2 ** 31 - 1, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31), 2 ** 31 - 1, 'q']);
    expect(decodeSlots(slots, store.b)).toEqual([1, 2 ** 31 - 1, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31), 2 ** 31 - 1, 1]);
    // Raw: full's top value is 2^32 - 1, all 32 bits set.
    expect(readRaw(store.b, slots[1]!)).toBe(2 ** 32 - 1);
    expect(store.b[1]).toBe(-1);
    expect(readRaw(store.b, slots[3]!)).toBe(0);
    // encode/decode by hand of the extremes gives the same words.
    expect(encodeSlots(slots, words, decodeSlots(slots, store.b))).toEqual(store.b);
    // Out of range by one, at both ends, is refused and changes nothing.
    const before = store.b.slice();
    expect(mmError(() => (root.negOne = -2)).code).toBe('E_MODEL_RANGE');
    expect(mmError(() => (root.upToZero = 1)).code).toBe('E_MODEL_RANGE');
    expect(mmError(() => (root.full = 2 ** 31)).code).toBe('E_MODEL_RANGE');
    expect(mmError(() => (root.full = -(2 ** 31) - 1)).code).toBe('E_MODEL_RANGE');
    expect(mmError(() => root.arr.set(1, 2 ** 31)).code).toBe('E_MODEL_RANGE');
    expect(store.b).toEqual(before);
  });

  it('a record of at most 32 bits packs into one word; a larger one starts on a word boundary', () => {
    const r32 = record({ lo: int(0, 2 ** 16 - 1), hi: int(-(2 ** 15), 2 ** 15 - 1) }); // 16 + 16 bits
    const r31 = record({ x: int(0, 2 ** 30 - 1), f: bool() }); // 30 + 1 bits
    const r33 = record({ x: int(0, 2 ** 17 - 1), y: int(0, 2 ** 16 - 1) }); // 17 + 16 bits
    expect(shapeOf(r32)).toEqual({ bits: 32, words: 1, slots: 2 });
    expect(shapeOf(r31)).toEqual({ bits: 31, words: 1, slots: 2 });
    // 17 + 16 > 32: x in word 0, y in word 1.
    expect(shapeOf(r33)).toEqual({ bits: null, words: 2, slots: 2 });
    // By hand: a (1 bit, word 0 bit 0); p31 (31 bits) fits in word 0 at bit 1, filling it;
    // p32 (32 bits) is word 1; c (1 bit) word 2 bit 0; big (not packed) starts word 3 and
    // takes words 3 and 4; d (1 bit) starts word 5 after it; p32b does not fit after d: word 6.
    const t = record({ a: bool(), p31: r31, p32: r32, c: bool(), big: r33, d: bool(), p32b: r32 });
    type P = { lo: number; hi: number };
    type R = { a: boolean; p31: { x: number; f: boolean }; p32: P; c: boolean; big: { x: number; y: number }; d: boolean; p32b: P };
    const { store, root, slots, words } = build<R>(t);
    expect(slots.map((s) => [s.path, s.word, s.shift])).toEqual([
      ['a', 0, 0],
      ['p31.x', 0, 1],
      ['p31.f', 0, 31],
      ['p32.lo', 1, 0],
      ['p32.hi', 1, 16],
      ['c', 2, 0],
      ['big.x', 3, 0],
      ['big.y', 4, 0],
      ['d', 5, 0],
      ['p32b.lo', 6, 0],
      ['p32b.hi', 6, 16],
    ]);
    expect(words).toBe(7);
    expect(shapeOf(t)).toEqual({ bits: null, words: 7, slots: 11 });
    // Writes at the tops of the ranges keep every other field.
    root.a = true;
    root.p31.x = 2 ** 30 - 1;
    root.p31.f = true;
    root.p32.lo = 2 ** 16 - 1;
    root.p32.hi = -(2 ** 15);
    root.big.x = 2 ** 17 - 1;
    root.big.y = 2 ** 16 - 1;
    root.d = true;
    root.p32b.hi = 2 ** 15 - 1;
    expect(JSON.parse(JSON.stringify(root))).toEqual({
      a: true,
      p31: { x: 2 ** 30 - 1, f: true },
      p32: { lo: 2 ** 16 - 1, hi: -(2 ** 15) },
      c: false,
      big: { x: 2 ** 17 - 1, y: 2 ** 16 - 1 },
      d: true,
      p32b: { lo: 0, hi: 2 ** 15 - 1 },
    });
    expect(store.b[0]).toBe(-1); // a, p31.x, p31.f fill word 0
    expect([...store.b.slice(2)]).toEqual([0, 2 ** 17 - 1, 2 ** 16 - 1, 1, (2 ** 16 - 1) << 16]);
  });

  it('array elements never straddle words', () => {
    // Elements of 10 bits: three per word (30 bits), the fourth starts the next word.
    const a10 = array(5, int(0, 2 ** 10 - 1));
    expect(shapeOf(a10)).toEqual({ bits: null, words: 2, slots: 5 });
    const { root, slots } = build<{ xs: ArrLike<number> }>(record({ xs: a10 }));
    expect(slots.map((s) => [s.word, s.shift])).toEqual([
      [0, 0],
      [0, 10],
      [0, 20],
      [1, 0],
      [1, 10],
    ]);
    for (let i = 0; i < 5; i++) root.xs.set(i, 2 ** 10 - 1 - i);
    expect(root.xs.toArray()).toEqual([1023, 1022, 1021, 1020, 1019]);
    // Records of 9 bits (a 3-bit int array, a 6-bit lock): three per word.
    const recs = array(5, record({ a: array(3, int(0, 1)), b: lock() }));
    const out: SlotInfo[] = [];
    collectSlots(recs, 'r', 0, 0, out);
    for (const s of out) expect(s.shift + s.bits, s.path).toBeLessThanOrEqual(32);
    expect(out.filter((s) => s.path.endsWith('.b')).map((s) => [s.word, s.shift])).toEqual([
      [0, 3],
      [0, 12],
      [0, 21],
      [1, 3],
      [1, 12],
    ]);
    // A lock of 2^30 owners is 31 bits: one per word.
    const bigLocks: SlotInfo[] = [];
    collectSlots(array(3, lock(2 ** 30)), 'l', 0, 0, bigLocks);
    expect(bigLocks.map((s) => [s.word, s.shift, s.bits])).toEqual([
      [0, 0, 31],
      [1, 0, 31],
      [2, 0, 31],
    ]);
  });
});

describe('property: random values through views in a random record', () => {
  type Leaf =
    | { kind: 'bool' }
    | { kind: 'int'; min: number; max: number }
    | { kind: 'enum'; n: number }
    | { kind: 'lock'; owners: number };
  type FieldSpec = { shape: 'scalar'; t: Leaf } | { shape: 'array'; n: number; t: Leaf } | { shape: 'record'; fields: Leaf[] };

  const I32_MIN = -(2 ** 31);
  const I32_MAX = 2 ** 31 - 1;
  const intLeaf: fc.Arbitrary<Leaf> = fc.oneof(
    // small ranges around 0, often negative minimums
    fc.tuple(fc.integer({ min: -40, max: 40 }), fc.integer({ min: 0, max: 70 })).map(([min, w]) => ({ kind: 'int' as const, min, max: min + w })),
    // ranges of 2^b values, b up to 32 (exact powers are the boundary of a width)
    fc
      .tuple(fc.integer({ min: 0, max: 32 }), fc.integer({ min: -1, max: 1 }), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([b, d, u]) => {
        const span = Math.max(1, Math.min(2 ** 32, 2 ** b + d));
        const min = Math.floor(I32_MIN + u * (2 ** 32 - span));
        return { kind: 'int' as const, min, max: min + span - 1 };
      }),
    // anything in 32 bits
    fc.tuple(fc.integer({ min: I32_MIN, max: I32_MAX }), fc.integer({ min: I32_MIN, max: I32_MAX })).map(([x, y]) => ({
      kind: 'int' as const,
      min: Math.min(x, y),
      max: Math.max(x, y),
    })),
    fc.constant({ kind: 'int' as const, min: I32_MIN, max: I32_MAX }),
  );
  const leaf: fc.Arbitrary<Leaf> = fc.oneof(
    fc.constant({ kind: 'bool' as const }),
    intLeaf,
    fc.integer({ min: 1, max: 70 }).map((n) => ({ kind: 'enum' as const, n })),
    fc.oneof(fc.integer({ min: 1, max: 130 }), fc.integer({ min: 1, max: 2 ** 30 })).map((owners) => ({ kind: 'lock' as const, owners })),
  );
  const fieldSpec: fc.Arbitrary<FieldSpec> = fc.oneof(
    { weight: 3, arbitrary: leaf.map((t) => ({ shape: 'scalar' as const, t })) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 5 }), leaf).map(([n, t]) => ({ shape: 'array' as const, n, t })) },
    { weight: 1, arbitrary: fc.array(leaf, { minLength: 0, maxLength: 4 }).map((fields) => ({ shape: 'record' as const, fields })) },
  );
  const pick = fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }));
  const write = fc.record({ leaf: fc.nat(), u: pick });

  function toType(l: Leaf): ScalarType {
    switch (l.kind) {
      case 'bool':
        return bool();
      case 'int':
        return int(l.min, l.max);
      case 'enum':
        return enumOf(...Array.from({ length: l.n }, (_, i) => `v${i}`));
      case 'lock':
        return lock(l.owners);
    }
  }
  function fieldType(f: FieldSpec): Type {
    if (f.shape === 'scalar') return toType(f.t);
    if (f.shape === 'array') return array(f.n, toType(f.t));
    return record(Object.fromEntries(f.fields.map((l, i) => [`g${i}`, toType(l)])));
  }

  /** One scalar of the record: how to read and write it through the views. */
  interface Access {
    path: string;
    leaf: Leaf;
    get(): number;
    set(u: number): number;
  }

  /** Reads a view's value as a slot value; writes the value that `u` in [0, 1] picks, returns it. */
  function access(path: string, l: Leaf, get: () => unknown, set: (v: unknown) => void, lockOf: () => LockLike): Access {
    const scale = (u: number, n: number) => Math.min(n - 1, Math.floor(u * n));
    switch (l.kind) {
      case 'bool':
        return { path, leaf: l, get: () => (get() ? 1 : 0), set: (u) => (set(u >= 0.5), u >= 0.5 ? 1 : 0) };
      case 'int':
        return {
          path,
          leaf: l,
          get: () => get() as number,
          set: (u) => {
            const v = l.min + scale(u, l.max - l.min + 1);
            set(v);
            return v;
          },
        };
      case 'enum':
        return {
          path,
          leaf: l,
          get: () => Number(String(get()).slice(1)),
          set: (u) => {
            const i = scale(u, l.n);
            set(`v${i}`);
            return i;
          },
        };
      case 'lock':
        return {
          path,
          leaf: l,
          get: () => lockOf().owner + 1,
          set: (u) => {
            const lk = lockOf();
            if (!lk.free) {
              lk.release(lk.owner);
              return 0;
            }
            const id = scale(u, l.owners);
            lk.acquire(id);
            return id + 1;
          },
        };
    }
  }

  function accesses(specs: FieldSpec[], root: Record<string, any>): Access[] {
    const out: Access[] = [];
    specs.forEach((f, i) => {
      const name = `f${i}`;
      if (f.shape === 'scalar') {
        out.push(access(name, f.t, () => root[name], (v) => (root[name] = v), () => root[name] as LockLike));
      } else if (f.shape === 'array') {
        for (let j = 0; j < f.n; j++) {
          const arr = root[name];
          if (f.t.kind === 'lock') out.push(access(`${name}[${j}]`, f.t, () => null, () => {}, () => arr[j] as LockLike));
          else out.push(access(`${name}[${j}]`, f.t, () => arr.get(j), (v) => arr.set(j, v), () => arr[j]));
        }
      } else {
        const rec = root[name];
        f.fields.forEach((l, j) => {
          const g = `g${j}`;
          out.push(access(`${name}.${g}`, l, () => rec[g], (v) => (rec[g] = v), () => rec[g] as LockLike));
        });
      }
    });
    return out;
  }

  it('every value written reads back; no write changes another field; the words are exactly the encoded values', () => {
    fc.assert(
      fc.property(fc.array(fieldSpec, { minLength: 1, maxLength: 10 }), fc.array(write, { minLength: 1, maxLength: 40 }), (specs, writes) => {
        const t = record(Object.fromEntries(specs.map((f, i) => [`f${i}`, fieldType(f)])));
        const { store, root, slots, words } = build<Record<string, any>>(t);
        const acc = accesses(specs, root);
        if (acc.length === 0) return;
        // Slots and accessors correspond one to one, in order.
        expect(slots.map((s) => s.path)).toEqual(acc.map((a) => a.path));
        // Layout: every slot inside its word, no bit shared, within the words counted.
        const used = new Int32Array(words);
        for (const s of slots) {
          expect(s.word).toBeLessThan(words);
          expect(s.shift + s.bits).toBeLessThanOrEqual(32);
          expect(used[s.word]! & fieldMask(s)).toBe(0);
          used[s.word] = used[s.word]! | fieldMask(s);
        }
        // The all-zero state reads as the defaults.
        const expected = slots.map((s) => (s.type.kind === 'int' ? s.type.min : 0));
        expect(acc.map((a) => a.get())).toEqual(expected);
        for (const w of writes) {
          const k = w.leaf % acc.length;
          const v = acc[k]!.set(w.u);
          expected[k] = v;
          expect(acc[k]!.get(), acc[k]!.path).toBe(v);
          expect(decodeSlots(slots, store.b)).toEqual(expected);
          expect(acc.map((a) => a.get())).toEqual(expected);
          expect(store.b).toEqual(encodeSlots(slots, words, expected));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
