import { describe, expect, it } from 'vitest';
import { array, bool, enumOf, int, lock, record } from '../../../src/model/schema.js';
import {
  MODE_READONLY,
  MODE_RECORD,
  Store,
  collectSlots,
  defaultSlotValue,
  formatSlotValue,
  makeView,
  sizeOf,
  type SlotInfo,
} from '../../../src/model/layout.js';
import { mmError } from '../helpers.js';

/**
 * The schema under test. Its layout, worked out by hand (fields in declaration order,
 * records field by field, arrays element by element):
 *
 *   0  a                   int(0, 3)
 *   1  pte[0].valid        bool
 *   2  pte[0].pfn          int(0, 7)
 *   3  pte[1].valid        bool
 *   4  pte[1].pfn          int(0, 7)
 *   5  m[0][0]             bool
 *   6  m[0][1]             bool
 *   7  m[0][2]             bool
 *   8  m[1][0]             bool
 *   9  m[1][1]             bool
 *  10  m[1][2]             bool
 *  11  st                  enum(x, y, z)
 *  12  ptl                 lock
 *  13  locks[0]            lock
 *  14  locks[1]            lock
 *  15  nested.inner.v      int(-2, 2)
 *  16  counts[0]           int(-5, 5)
 *  17  counts[1]           int(-5, 5)
 *  18  counts[2]           int(-5, 5)
 *  19  kinds[0]            enum(anon, file)
 *  20  kinds[1]            enum(anon, file)
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

const EXPECTED_PATHS = [
  'a',
  'pte[0].valid',
  'pte[0].pfn',
  'pte[1].valid',
  'pte[1].pfn',
  'm[0][0]',
  'm[0][1]',
  'm[0][2]',
  'm[1][0]',
  'm[1][1]',
  'm[1][2]',
  'st',
  'ptl',
  'locks[0]',
  'locks[1]',
  'nested.inner.v',
  'counts[0]',
  'counts[1]',
  'counts[2]',
  'kinds[0]',
  'kinds[1]',
];
const SLOT = Object.fromEntries(EXPECTED_PATHS.map((p, i) => [p, i])) as Record<string, number>;

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

function setup(): { store: Store; root: Root; slots: SlotInfo[] } {
  const slots: SlotInfo[] = [];
  collectSlots(stateType, '', slots);
  const store = new Store(slots);
  const buf = new Int32Array(slots.length);
  for (let i = 0; i < slots.length; i++) buf[i] = defaultSlotValue(slots[i]!.type);
  store.bind(buf);
  const root = makeView(stateType, store, 0) as Root;
  return { store, root, slots };
}

describe('slot layout', () => {
  it('lays out nested records and arrays in declaration order with human paths', () => {
    const { slots } = setup();
    expect(slots.map((s) => s.path)).toEqual(EXPECTED_PATHS);
    expect(slots[SLOT['pte[1].pfn']!]!.type).toEqual({ kind: 'int', min: 0, max: 7 });
    expect(slots[SLOT['st']!]!.type).toEqual({ kind: 'enum', values: ['x', 'y', 'z'] });
    expect(slots[SLOT['locks[1]']!]!.type.kind).toBe('lock');
    expect(slots[SLOT['m[1][2]']!]!.type.kind).toBe('bool');
  });

  it('computes sizes of scalars, records and arrays', () => {
    expect(sizeOf(bool())).toBe(1);
    expect(sizeOf(lock())).toBe(1);
    expect(sizeOf(record({ valid: bool(), pfn: int(0, 7) }))).toBe(2);
    expect(sizeOf(array(2, array(3, bool())))).toBe(6);
    expect(sizeOf(array(0, int(0, 1)))).toBe(0);
    expect(sizeOf(array(4, record({ a: array(3, int(0, 1)), b: lock() })))).toBe(16);
    expect(sizeOf(stateType)).toBe(EXPECTED_PATHS.length);
  });

  it('prefixes a non-empty base path', () => {
    const out: SlotInfo[] = [];
    collectSlots(record({ tmp: int(0, 1), arr: array(2, bool()) }), 'T[1]', out);
    expect(out.map((s) => s.path)).toEqual(['T[1].tmp', 'T[1].arr[0]', 'T[1].arr[1]']);
  });

  it('defaults: false, int minimum, first enum value, free lock', () => {
    expect(defaultSlotValue(bool())).toBe(0);
    expect(defaultSlotValue(int(-2, 2))).toBe(-2);
    expect(defaultSlotValue(int(3, 9))).toBe(3);
    expect(defaultSlotValue(enumOf('p', 'q'))).toBe(0);
    expect(defaultSlotValue(lock())).toBe(0);
  });
});

describe('views', () => {
  it('scalar fields write and read their own slot, and only that slot', () => {
    const { store, root } = setup();
    const cases: [string, () => void, number][] = [
      ['a', () => (root.a = 3), 3],
      ['pte[1].valid', () => (root.pte[1]!.valid = true), 1],
      ['pte[1].pfn', () => (root.pte[1]!.pfn = 6), 6],
      ['pte[0].pfn', () => (root.pte[0]!.pfn = 5), 5],
      ['m[1][2]', () => root.m[1]!.set(2, true), 1],
      ['m[0][1]', () => root.m[0]!.set(1, true), 1],
      ['st', () => (root.st = 'z'), 2],
      ['nested.inner.v', () => (root.nested.inner.v = 1), 1],
      ['counts[2]', () => root.counts.set(2, -4), -4],
      ['kinds[1]', () => root.kinds.set(1, 'file'), 1],
      ['locks[1]', () => root.locks[1]!.acquire(4), 5],
    ];
    for (const [path, write, raw] of cases) {
      const before = store.b.slice();
      write();
      const k = SLOT[path]!;
      expect(store.b[k], path).toBe(raw);
      for (let i = 0; i < before.length; i++) if (i !== k) expect(store.b[i], `${path} touched slot ${i}`).toBe(before[i]);
    }
  });

  it('reads convert raw slot values: bool 0/1, enum index, int value, lock owner+1', () => {
    const { store, root } = setup();
    const b = store.b;
    b[SLOT['pte[0].valid']!] = 1;
    b[SLOT['st']!] = 1;
    b[SLOT['a']!] = 2;
    b[SLOT['nested.inner.v']!] = -1;
    b[SLOT['ptl']!] = 3;
    b[SLOT['m[1][0]']!] = 1;
    b[SLOT['kinds[0]']!] = 1;
    b[SLOT['counts[1]']!] = -5;
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
    expect(root.counts.toArray()).toEqual([-5, -5, -5]); // [1] was set to -5 by hand, the others hold the default (the minimum)
    b[SLOT['counts[1]']!] = 4;
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
    const { store, root, slots } = setup();
    const one = store.b;
    const other = new Int32Array(slots.length);
    // Fill the other buffer with distinct in-range raw values, by hand.
    const raw: Record<string, number> = {
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
    for (const [p, v] of Object.entries(raw)) other[SLOT[p]!] = v;
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
    expect(other[SLOT['pte[1].pfn']!]).toBe(1);
    expect(other[SLOT['counts[0]']!]).toBe(5);
    expect(other[SLOT['locks[0]']!]).toBe(1);
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
  ];
  for (const [what, path, write] of bad) {
    it(`${what} throws E_MODEL_RANGE naming ${path}, state unchanged`, () => {
      const { store, root } = setup();
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

  it('an index error on an empty array does not name the next slot', () => {
    // A zero-length array owns no slot: slot `o` belongs to the next field (here `b`).
    const t = record({ e: array(0, int(0, 1)), b: int(0, 3) });
    const slots: SlotInfo[] = [];
    collectSlots(t, '', slots);
    const store = new Store(slots);
    const root = makeView(t, store, 0) as { e: ArrLike<number> };
    const e = mmError(() => root.e.get(0));
    expect(e.code).toBe('E_MODEL_RANGE');
    expect(e.message).not.toMatch(/\bof b\b/);
  });

  it('values at the bounds are accepted', () => {
    const { store, root } = setup();
    root.a = 0;
    root.a = 3;
    root.nested.inner.v = -2;
    root.counts.set(2, 5);
    root.counts.set(0, -5);
    expect(store.b[SLOT['a']!]).toBe(3);
    expect(store.b[SLOT['counts[2]']!]).toBe(5);
    expect(store.b[SLOT['counts[0]']!]).toBe(-5);
  });

  it('a write to an undeclared field throws instead of becoming hidden state', () => {
    // Views are shared by every state. An expando property written through one (a typo
    // in a JS model: `s.cnt = 1` for `s.count`) is state that survives rebasing to
    // another buffer and is never fingerprinted, so the search silently goes wrong.
    // Expected: the write throws (record views should be non-extensible).
    const { store, root } = setup();
    const other = new Int32Array(store.b.length);
    let threw = false;
    try {
      (root as unknown as Record<string, unknown>)['aa'] = 1;
    } catch {
      threw = true;
    }
    store.bind(other);
    const leaked = (root as unknown as Record<string, unknown>)['aa'];
    expect({ threw, leaked }).toEqual({ threw: true, leaked: undefined });
  });
});

describe('read-only mode', () => {
  it('refuses writes with E_MODEL_DEF naming the slot and what was evaluated; reads work', () => {
    const { store, root } = setup();
    store.b[SLOT['a']!] = 2;
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
    expect(noDup(store.readSet)).toBe(true);
    expect(noDup(store.writeSet)).toBe(true);
    expect(sorted(store.readSet)).toEqual(sorted([SLOT['a']!, SLOT['pte[1].pfn']!, SLOT['counts[2]']!, SLOT['m[1][0]']!]));
    expect(sorted(store.writeSet)).toEqual(sorted([SLOT['pte[0].pfn']!, SLOT['st']!, SLOT['counts[2]']!]));
  });

  it('locks: free/owner/heldBy read; acquire and release read and write', () => {
    const { store, root } = setup();
    store.m = MODE_RECORD;
    store.beginFootprint();
    void root.ptl.free;
    void root.locks[0]!.owner;
    void root.nested.inner.v;
    expect(sorted(store.readSet)).toEqual([SLOT['ptl']!, SLOT['locks[0]']!, SLOT['nested.inner.v']!]);
    expect(store.writeSet).toEqual([]);
    store.beginFootprint();
    root.locks[1]!.acquire(2);
    expect(root.locks[1]!.heldBy(2)).toBe(true);
    root.locks[1]!.release(2);
    expect(store.readSet).toEqual([SLOT['locks[1]']!]);
    expect(store.writeSet).toEqual([SLOT['locks[1]']!]);
  });

  it('beginFootprint starts afresh, and a slot is recorded again in the next footprint', () => {
    const { store, root } = setup();
    store.m = MODE_RECORD;
    store.beginFootprint();
    void root.a;
    root.st = 'z';
    store.beginFootprint();
    expect(store.readSet).toEqual([]);
    expect(store.writeSet).toEqual([]);
    void root.a;
    void root.a;
    root.st = 'x';
    expect(store.readSet).toEqual([SLOT['a']!]);
    expect(store.writeSet).toEqual([SLOT['st']!]);
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
    expect(store.readSet).toEqual([SLOT['a']!]);
    expect(store.writeSet).toEqual([SLOT['st']!]);
    store.beginFootprint();
    void root.a;
    expect(store.readSet).toEqual([SLOT['a']!]);
  });

  it('records nothing when not in recording mode', () => {
    const { store, root } = setup();
    store.m = 0;
    store.beginFootprint();
    void root.a;
    root.a = 1;
    root.counts.set(0, 1);
    expect(store.readSet).toEqual([]);
    expect(store.writeSet).toEqual([]);
  });
});

describe('locks', () => {
  it('acquire, heldBy, owner, free, release', () => {
    const { store, root } = setup();
    const l = root.ptl;
    expect(l.free).toBe(true);
    expect(l.owner).toBe(-1);
    expect(l.heldBy(0)).toBe(false);
    l.acquire(0);
    expect(store.b[SLOT['ptl']!]).toBe(1);
    expect(l.free).toBe(false);
    expect(l.owner).toBe(0);
    expect(l.heldBy(0)).toBe(true);
    expect(l.heldBy(1)).toBe(false);
    l.release(0);
    expect(l.free).toBe(true);
    expect(store.b[SLOT['ptl']!]).toBe(0);
    l.acquire(7);
    expect(l.owner).toBe(7);
    expect(store.b[SLOT['ptl']!]).toBe(8);
  });

  it('acquiring a held lock, releasing a lock held by another or a free lock: E_MODEL_DEF naming the lock', () => {
    const { store, root } = setup();
    root.locks[1]!.acquire(1);
    const before = store.b.slice();
    const e1 = mmError(() => root.locks[1]!.acquire(2));
    expect(e1.code).toBe('E_MODEL_DEF');
    expect(e1.message).toContain('locks[1]');
    expect(e1.message).toContain('held by 1');
    const e1b = mmError(() => root.locks[1]!.acquire(1));
    expect(e1b.code).toBe('E_MODEL_DEF');
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
