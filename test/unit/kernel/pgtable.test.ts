/**
 * src/kernel/pgtable.ts: multi-level page tables as state. Entries are none, a table
 * pointer or a leaf (permissions, valid bit, frame); every writer leaves the unused
 * fields at zero, so that two entries that mean the same thing are the same state.
 * Expectations are written from the comments (pgd_clear, pmd_populate, set_pte, the
 * pageattr callbacks, the hardware walk, a huge-leaf split).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actor, defineModel, param } from '../../../src/index.js';
import {
  PAGE_KERNEL,
  PAGE_KERNEL_EXEC,
  PAGE_KERNEL_READ,
  PAGE_KERNEL_READ_EXEC,
  PT_KINDS,
  ptAllows,
  ptClear,
  ptCopy,
  ptEntryType,
  ptEqual,
  ptFormat,
  ptLeaf,
  ptModifyLeaf,
  ptSameLeaf,
  ptSetLeaf,
  ptSetTable,
  ptSplitInto,
  ptTablesType,
  ptWalk,
  type Prot,
  type PtEntry,
  type PtKind,
} from '../../../src/kernel/pgtable.js';
import { checkModel, scheduleOf, viewsOf } from './support.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 200);

/** An entry's fields as plain data. */
type Plain = { kind: PtKind; table: number; valid: boolean; r: boolean; w: boolean; x: boolean; pfn: number };
const ZERO: Plain = { kind: 'none', table: 0, valid: false, r: false, w: false, x: false, pfn: 0 };

function plain(e: Readonly<PtEntry>): Plain {
  return { kind: e.kind, table: e.table, valid: e.valid, r: e.r, w: e.w, x: e.x, pfn: e.pfn };
}

/** Writes every field of `e` directly (not through a helper): any combination, canonical or not. */
function assign(e: PtEntry, p: Plain): void {
  e.kind = p.kind;
  e.table = p.table;
  e.valid = p.valid;
  e.r = p.r;
  e.w = p.w;
  e.x = p.x;
  e.pfn = p.pfn;
}

/** A pool of `tables` tables of `entries` entries with `pfns` frames, all entries none. */
function pool(tables: number, entries: number, pfns = 4) {
  return viewsOf(ptTablesType(tables, entries, pfns));
}

/** One entry alone in a state, with `tables` table indices and `pfns` frames. */
function entry(tables = 4, pfns = 4) {
  return viewsOf(ptEntryType(tables, pfns));
}

/** Any entry (all field combinations) of a pool of 4 tables and 4 frames. */
const anyPlain: fc.Arbitrary<Plain> = fc.record({
  kind: fc.constantFrom(...PT_KINDS),
  table: fc.nat(3),
  valid: fc.boolean(),
  r: fc.boolean(),
  w: fc.boolean(),
  x: fc.boolean(),
  pfn: fc.nat(3),
});

/** A Prot with each field absent, false or true. */
const anyProt: fc.Arbitrary<Prot> = fc.record({ r: fc.boolean(), w: fc.boolean(), x: fc.boolean() }, { requiredKeys: [] });

describe('the entry and pool types', () => {
  it('an entry has a kind (none, table, leaf), a table index bounded by the pool, rwx, valid and a frame', () => {
    expect(PT_KINDS).toEqual(['none', 'table', 'leaf']);
    const t = ptEntryType(5, 3);
    expect(Object.keys(t.fields).sort()).toEqual(['kind', 'pfn', 'r', 'table', 'valid', 'w', 'x']);
    expect(t.fields.kind).toEqual({ kind: 'enum', values: ['none', 'table', 'leaf'] });
    expect(t.fields.table).toEqual({ kind: 'int', min: 0, max: 4 });
    expect(t.fields.pfn).toEqual({ kind: 'int', min: 0, max: 2 });
    for (const f of ['valid', 'r', 'w', 'x'] as const) expect(t.fields[f].kind).toBe('bool');
  });

  it('frames default to 1 (pfn always 0) for models that do not track them', () => {
    expect(ptEntryType(2).fields.pfn).toEqual({ kind: 'int', min: 0, max: 0 });
    expect(ptTablesType(2, 3).of.of.fields.pfn).toEqual({ kind: 'int', min: 0, max: 0 });
  });

  it('a pool is `tables` tables of `entries` entries', () => {
    const t = ptTablesType(3, 4, 2);
    expect(t.length).toBe(3);
    expect(t.of.length).toBe(4);
    expect(t.of.of.fields.table).toEqual({ kind: 'int', min: 0, max: 2 });
    expect(t.of.of.fields.pfn).toEqual({ kind: 'int', min: 0, max: 1 });
  });

  it('the default state: every entry is none with every field zero', () => {
    const p = pool(2, 3);
    for (const tbl of p.view) for (const e of tbl) expect(plain(e)).toEqual(ZERO);
  });
});

describe('the PAGE_KERNEL protections', () => {
  it('are the kernel\'s: RW-, RWX, R--, R-X', () => {
    const rwx = (p: Prot) => [p.r ?? false, p.w ?? false, p.x ?? false];
    expect(rwx(PAGE_KERNEL)).toEqual([true, true, false]);
    expect(rwx(PAGE_KERNEL_EXEC)).toEqual([true, true, true]);
    expect(rwx(PAGE_KERNEL_READ)).toEqual([true, false, false]);
    expect(rwx(PAGE_KERNEL_READ_EXEC)).toEqual([true, false, true]);
  });
});

describe('ptClear', () => {
  it('makes any entry none, with every other field zero: the same state as a fresh entry', () => {
    fc.assert(
      fc.property(anyPlain, (p) => {
        const a = entry();
        const zero = a.bytes();
        assign(a.view, p);
        ptClear(a.view);
        expect(plain(a.view)).toEqual(ZERO);
        expect(a.bytes()).toEqual(zero);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('ptSetTable', () => {
  it('points the entry at table t: kind table, valid, no permissions, no frame', () => {
    const a = entry();
    ptSetLeaf(a.view, PAGE_KERNEL_EXEC, 3);
    ptSetTable(a.view, 2);
    expect(plain(a.view)).toEqual({ ...ZERO, kind: 'table', table: 2, valid: true });
  });

  it('whatever the entry was, the same table pointer is the same state', () => {
    fc.assert(
      fc.property(anyPlain, fc.nat(3), (p, t) => {
        const a = entry();
        assign(a.view, p);
        ptSetTable(a.view, t);
        const b = entry();
        ptSetTable(b.view, t);
        expect(a.bytes()).toEqual(b.bytes());
        expect(a.fingerprint()).toBe(b.fingerprint());
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('ptSetLeaf', () => {
  it('a leaf with the protection given, valid, frame 0 by default, table index zero', () => {
    const a = entry();
    ptSetTable(a.view, 3);
    ptSetLeaf(a.view, PAGE_KERNEL_READ_EXEC);
    expect(plain(a.view)).toEqual({ kind: 'leaf', table: 0, valid: true, r: true, w: false, x: true, pfn: 0 });
  });

  it('absent permissions are cleared, not kept', () => {
    const a = entry();
    ptSetLeaf(a.view, PAGE_KERNEL_EXEC, 1);
    ptSetLeaf(a.view, { w: true }, 2);
    expect(plain(a.view)).toEqual({ kind: 'leaf', table: 0, valid: true, r: false, w: true, x: false, pfn: 2 });
  });

  it('an invalid leaf keeps its permissions and frame (V=0, pfn kept)', () => {
    const a = entry();
    ptSetLeaf(a.view, PAGE_KERNEL, 3, false);
    expect(plain(a.view)).toEqual({ kind: 'leaf', table: 0, valid: false, r: true, w: true, x: false, pfn: 3 });
  });

  it('whatever the entry was, the same leaf is the same state', () => {
    fc.assert(
      fc.property(anyPlain, anyProt, fc.nat(3), fc.boolean(), (p, prot, pfn, valid) => {
        const a = entry();
        assign(a.view, p);
        ptSetLeaf(a.view, prot, pfn, valid);
        const b = entry();
        ptSetLeaf(b.view, prot, pfn, valid);
        expect(a.bytes()).toEqual(b.bytes());
        expect(plain(a.view)).toEqual({ kind: 'leaf', table: 0, valid, r: prot.r === true, w: prot.w === true, x: prot.x === true, pfn });
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('ptCopy and ptEqual', () => {
  it('dst := src, every field, whatever both were; src is left alone', () => {
    fc.assert(
      fc.property(anyPlain, anyPlain, (d, s) => {
        const p = pool(4, 1);
        const [dst, src] = [p.view[0]![0]!, p.view[1]![0]!];
        assign(dst, d);
        assign(src, s);
        ptCopy(dst, src);
        expect(plain(dst)).toEqual(s);
        expect(plain(src)).toEqual(s);
        expect(ptEqual(dst, src)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('copying an entry onto itself changes nothing', () => {
    fc.assert(
      fc.property(anyPlain, (s) => {
        const a = entry();
        assign(a.view, s);
        ptCopy(a.view, a.view);
        expect(plain(a.view)).toEqual(s);
      }),
      { numRuns: 50 },
    );
  });

  it('ptEqual compares every field: equal exactly when all seven are', () => {
    fc.assert(
      fc.property(anyPlain, anyPlain, (x, y) => {
        const p = pool(4, 1);
        assign(p.view[0]![0]!, x);
        assign(p.view[1]![0]!, y);
        expect(ptEqual(p.view[0]![0]!, p.view[1]![0]!)).toBe(JSON.stringify(x) === JSON.stringify(y));
      }),
      { numRuns: NUM_RUNS },
    );
    // One field apart, field by field.
    const base: Plain = { kind: 'leaf', table: 1, valid: true, r: true, w: false, x: true, pfn: 2 };
    const apart: Partial<Plain>[] = [{ kind: 'table' }, { table: 2 }, { valid: false }, { r: false }, { w: true }, { x: false }, { pfn: 3 }];
    for (const d of apart) expect(ptEqual(base as PtEntry, { ...base, ...d } as PtEntry)).toBe(false);
    expect(ptEqual(base as PtEntry, { ...base } as PtEntry)).toBe(true);
  });

  it('copying a table pointer shares the lower table between two roots (pgd_alloc\'s memcpy)', () => {
    // 0 = init_mm.pgd, 1 = mm.pgd, 2 = a pmd table.
    const p = pool(3, 2);
    const pt = p.view;
    ptSetTable(pt[0]![1]!, 2);
    ptSetLeaf(pt[2]![0]!, PAGE_KERNEL, 1);
    ptCopy(pt[1]![1]!, pt[0]![1]!);
    expect(ptLeaf(pt, 1, [1, 0])).not.toBeNull();
    expect(ptSameLeaf(ptLeaf(pt, 1, [1, 0]), ptLeaf(pt, 0, [1, 0]))).toBe(true);
    // A change of the shared lower table is seen through both roots.
    ptModifyLeaf(pt[2]![0]!, { x: true });
    expect(ptAllows(ptLeaf(pt, 1, [1, 0]), 'x')).toBe(true);
    expect(ptAllows(ptLeaf(pt, 0, [1, 0]), 'x')).toBe(true);
  });
});

describe('ptModifyLeaf', () => {
  it('a leaf\'s permissions become (val & ~clear) | set, nothing else changes, and it returns true', () => {
    fc.assert(
      fc.property(anyPlain, anyProt, anyProt, (p, set, clear) => {
        fc.pre(p.kind === 'leaf');
        const a = entry();
        assign(a.view, p);
        const was = a.bytes();
        expect(ptModifyLeaf(a.view, set, clear)).toBe(true);
        const bit = (v: boolean, k: 'r' | 'w' | 'x') => (v && clear[k] !== true) || set[k] === true;
        expect(plain(a.view)).toEqual({ ...p, r: bit(p.r, 'r'), w: bit(p.w, 'w'), x: bit(p.x, 'x') });
        // No permission change at all leaves the very same state.
        if (plain(a.view).r === p.r && plain(a.view).w === p.w && plain(a.view).x === p.x) expect(a.bytes()).toEqual(was);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('tables and none are left alone (the walker descends a table, skips none), and it returns false', () => {
    fc.assert(
      fc.property(anyPlain, anyProt, anyProt, (p, set, clear) => {
        fc.pre(p.kind !== 'leaf');
        const a = entry();
        assign(a.view, p);
        const was = a.bytes();
        expect(ptModifyLeaf(a.view, set, clear)).toBe(false);
        expect(a.bytes()).toEqual(was);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('clear defaults to nothing; a bit both set and cleared ends set ((val & ~m) | m)', () => {
    const a = entry();
    ptSetLeaf(a.view, PAGE_KERNEL_READ, 2, false);
    ptModifyLeaf(a.view, { x: true });
    expect(plain(a.view)).toEqual({ kind: 'leaf', table: 0, valid: false, r: true, w: false, x: true, pfn: 2 });
    ptModifyLeaf(a.view, { w: true }, { w: true, r: true });
    expect(plain(a.view)).toMatchObject({ r: false, w: true, x: true });
  });

  it('set_memory_ro / set_memory_nx as masks: RWX -> R-X -> R--', () => {
    const a = entry();
    ptSetLeaf(a.view, PAGE_KERNEL_EXEC);
    ptModifyLeaf(a.view, {}, { w: true });
    expect(ptFormat(a.view)).toBe('LEAF(R-X)');
    ptModifyLeaf(a.view, {}, { x: true });
    expect(ptFormat(a.view)).toBe('LEAF(R--)');
  });
});

/**
 * A three-level pool: 0 = a root (pgd), 1 = a pmd table, 2 = a pte table, 3 = spare.
 * root[0] -> pmd; pmd[0] -> pte; pte[0] = leaf RW- pfn 1; pte[1] none;
 * pmd[1] = huge leaf R-X pfn 2; root[1] = huge leaf RWX pfn 3 (invalid); root[2] none.
 */
function threeLevel() {
  const p = pool(4, 3);
  const pt = p.view;
  ptSetTable(pt[0]![0]!, 1);
  ptSetTable(pt[1]![0]!, 2);
  ptSetLeaf(pt[2]![0]!, PAGE_KERNEL, 1);
  ptSetLeaf(pt[1]![1]!, PAGE_KERNEL_READ_EXEC, 2);
  ptSetLeaf(pt[0]![1]!, PAGE_KERNEL_EXEC, 3, false);
  ptSetTable(pt[2]![2]!, 3); // a table pointer at the last level (not a valid pte)
  return p;
}

describe('ptWalk', () => {
  it('follows table entries down to the leaf at the last level', () => {
    const pt = threeLevel().view;
    const w = ptWalk(pt, 0, [0, 0, 0]);
    expect([w.level, w.table, w.index]).toEqual([2, 2, 0]);
    expect(w.entry).toBe(pt[2]![0]!);
    expect(plain(w.entry)).toMatchObject({ kind: 'leaf', r: true, w: true, x: false, pfn: 1 });
  });

  it('stops at none: the root\'s none, or a none at the last level', () => {
    const pt = threeLevel().view;
    const a = ptWalk(pt, 0, [2, 1, 1]);
    expect([a.entry.kind, a.level, a.table, a.index]).toEqual(['none', 0, 0, 2]);
    const b = ptWalk(pt, 0, [0, 0, 1]);
    expect([b.entry.kind, b.level, b.table, b.index]).toEqual(['none', 2, 2, 1]);
    const c = ptWalk(pt, 0, [0, 2, 0]);
    expect([c.entry.kind, c.level, c.table, c.index]).toEqual(['none', 1, 1, 2]);
  });

  it('stops at a huge leaf above the last level, whatever the lower indices', () => {
    const pt = threeLevel().view;
    for (const j of [0, 1, 2]) {
      const w = ptWalk(pt, 0, [0, 1, j]);
      expect([w.entry.kind, w.level, w.table, w.index]).toEqual(['leaf', 1, 1, 1]);
      const v = ptWalk(pt, 0, [1, j, 0]);
      expect([v.entry.kind, v.level, v.table, v.index]).toEqual(['leaf', 0, 0, 1]);
    }
  });

  it('stops at the last level even at a table entry', () => {
    const pt = threeLevel().view;
    const w = ptWalk(pt, 0, [0, 0, 2]);
    expect([w.entry.kind, w.level, w.table, w.index]).toEqual(['table', 2, 2, 2]);
  });

  it('walks from any root of the pool, and a shorter address has fewer levels', () => {
    const pt = threeLevel().view;
    // From the pmd table as a root, two levels.
    const w = ptWalk(pt, 1, [0, 0]);
    expect([w.entry.kind, w.level, w.table, w.index]).toEqual(['leaf', 1, 2, 0]);
    // One level: the root's entry itself, a table or not.
    const v = ptWalk(pt, 0, [0]);
    expect([v.entry.kind, v.level, v.table, v.index]).toEqual(['table', 0, 0, 0]);
  });

  it('returns the entry of the state itself: writing through it changes the table', () => {
    const p = threeLevel();
    ptModifyLeaf(ptWalk(p.view, 0, [0, 0, 0]).entry, { x: true });
    expect(p.view[2]![0]!.x).toBe(true);
  });
});

describe('ptLeaf', () => {
  it('the valid leaf the MMU uses: at the last level, or a huge leaf above it', () => {
    const pt = threeLevel().view;
    expect(ptLeaf(pt, 0, [0, 0, 0])).toBe(pt[2]![0]!);
    expect(ptLeaf(pt, 0, [0, 1, 2])).toBe(pt[1]![1]!);
  });

  it('null for none, an invalid leaf, or a table at the last level', () => {
    const pt = threeLevel().view;
    expect(ptLeaf(pt, 0, [2, 0, 0])).toBeNull(); // none at the root
    expect(ptLeaf(pt, 0, [0, 0, 1])).toBeNull(); // none at the last level
    expect(ptLeaf(pt, 0, [1, 0, 0])).toBeNull(); // an invalid huge leaf
    expect(ptLeaf(pt, 0, [0, 0, 2])).toBeNull(); // a table at the last level
  });

  it('an invalid leaf made valid again translates with its kept frame', () => {
    const p = threeLevel();
    ptSetLeaf(p.view[0]![1]!, PAGE_KERNEL_EXEC, 3, true);
    expect(plain(ptLeaf(p.view, 0, [1, 2, 2])!)).toEqual({ kind: 'leaf', table: 0, valid: true, r: true, w: true, x: true, pfn: 3 });
  });
});

describe('ptAllows', () => {
  it('no effective leaf allows nothing', () => {
    for (const a of ['r', 'w', 'x'] as const) expect(ptAllows(null, a)).toBe(false);
  });

  it('a valid leaf allows exactly its permissions', () => {
    fc.assert(
      fc.property(anyProt, (prot) => {
        const e = entry();
        ptSetLeaf(e.view, prot);
        expect(ptAllows(e.view, 'r')).toBe(prot.r === true);
        expect(ptAllows(e.view, 'w')).toBe(prot.w === true);
        expect(ptAllows(e.view, 'x')).toBe(prot.x === true);
      }),
      { numRuns: 50 },
    );
  });

  it('an invalid leaf (a cached copy of one too) allows nothing, whatever its permissions', () => {
    const e = entry();
    ptSetLeaf(e.view, PAGE_KERNEL_EXEC, 0, false);
    for (const a of ['r', 'w', 'x'] as const) expect(ptAllows(e.view, a)).toBe(false);
  });

  it('a table or none entry is no leaf: it allows nothing even with stray bits set', () => {
    const e = entry();
    for (const kind of ['table', 'none'] as const) {
      assign(e.view, { kind, table: 1, valid: true, r: true, w: true, x: true, pfn: 1 });
      for (const a of ['r', 'w', 'x'] as const) expect(ptAllows(e.view, a)).toBe(false);
    }
  });

  it('a cached copy of a leaf (ptCopy) allows what the leaf allows', () => {
    const p = pool(2, 1);
    ptSetLeaf(p.view[0]![0]!, PAGE_KERNEL_READ);
    ptCopy(p.view[1]![0]!, p.view[0]![0]!);
    expect((['r', 'w', 'x'] as const).map((a) => ptAllows(p.view[1]![0]!, a))).toEqual([true, false, false]);
  });
});

describe('ptSameLeaf', () => {
  it('both absent: the same; one absent: not', () => {
    const e = entry();
    ptSetLeaf(e.view, PAGE_KERNEL);
    expect(ptSameLeaf(null, null)).toBe(true);
    expect(ptSameLeaf(null, e.view)).toBe(false);
    expect(ptSameLeaf(e.view, null)).toBe(false);
  });

  it('two leaves: the same exactly when equal (permissions, validity and frame)', () => {
    const p = pool(2, 1);
    const [a, b] = [p.view[0]![0]!, p.view[1]![0]!];
    ptSetLeaf(a, PAGE_KERNEL, 1);
    ptSetLeaf(b, PAGE_KERNEL, 1);
    expect(ptSameLeaf(a, b)).toBe(true);
    ptSetLeaf(b, PAGE_KERNEL, 2);
    expect(ptSameLeaf(a, b)).toBe(false);
    ptSetLeaf(b, PAGE_KERNEL_EXEC, 1);
    expect(ptSameLeaf(a, b)).toBe(false);
  });
});

describe('ptSplitInto', () => {
  it('fills every entry of the new table with the huge leaf\'s permissions, validity and frame', () => {
    fc.assert(
      fc.property(anyProt, fc.nat(3), fc.boolean(), fc.array(anyPlain, { minLength: 3, maxLength: 3 }), (prot, pfn, valid, junk) => {
        const p = pool(4, 3);
        const pt = p.view;
        ptSetLeaf(pt[0]![1]!, prot, pfn, valid);
        // Whatever the new table held before (a recycled page).
        junk.forEach((j, i) => assign(pt[2]![i]!, j));
        const others = [0, 1, 3].map((t) => pt[t]!.map(plain));
        ptSplitInto(pt, 2, pt[0]![1]!);
        for (const e of pt[2]!) expect(plain(e)).toEqual(plain(pt[0]![1]!));
        for (const e of pt[2]!) expect(plain(e)).toEqual({ kind: 'leaf', table: 0, valid, r: prot.r === true, w: prot.w === true, x: prot.x === true, pfn });
        // No other table changes: the new table is not reachable yet.
        expect([0, 1, 3].map((t) => pt[t]!.map(plain))).toEqual(others);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('split then installed with ptSetTable: every address below translates as before, one level lower', () => {
    fc.assert(
      fc.property(anyProt, fc.nat(3), (prot, pfn) => {
        const p = pool(3, 4);
        const pt = p.view;
        ptSetLeaf(pt[0]![2]!, prot, pfn);
        const before = [0, 1, 2, 3].map((j) => ptLeaf(pt, 0, [2, j]) && plain(ptLeaf(pt, 0, [2, j])!));
        const perms = (['r', 'w', 'x'] as const).map((a) => [0, 1, 2, 3].map((j) => ptAllows(ptLeaf(pt, 0, [2, j]), a)));
        ptSplitInto(pt, 1, pt[0]![2]!);
        ptSetTable(pt[0]![2]!, 1);
        for (const j of [0, 1, 2, 3]) {
          const w = ptWalk(pt, 0, [2, j]);
          expect([w.level, w.table, w.index]).toEqual([1, 1, j]);
          expect(ptSameLeaf(ptLeaf(pt, 0, [2, j]), before[j] as PtEntry)).toBe(true);
        }
        expect((['r', 'w', 'x'] as const).map((a) => [0, 1, 2, 3].map((j) => ptAllows(ptLeaf(pt, 0, [2, j]), a)))).toEqual(perms);
      }),
      { numRuns: 50 },
    );
  });

  it('the split state is the state of the same mapping built entry by entry', () => {
    const a = pool(3, 2);
    ptSetLeaf(a.view[0]![0]!, PAGE_KERNEL_READ_EXEC, 1);
    ptSplitInto(a.view, 2, a.view[0]![0]!);
    ptSetTable(a.view[0]![0]!, 2);
    const b = pool(3, 2);
    ptSetLeaf(b.view[2]![0]!, PAGE_KERNEL_READ_EXEC, 1);
    ptSetLeaf(b.view[2]![1]!, PAGE_KERNEL_READ_EXEC, 1);
    ptSetTable(b.view[0]![0]!, 2);
    expect(a.bytes()).toEqual(b.bytes());
    expect(a.fingerprint()).toBe(b.fingerprint());
  });

  it('an invalid huge leaf splits into invalid leaves (no address becomes mapped)', () => {
    const p = pool(2, 2);
    ptSetLeaf(p.view[0]![0]!, PAGE_KERNEL, 1, false);
    ptSplitInto(p.view, 1, p.view[0]![0]!);
    ptSetTable(p.view[0]![0]!, 1);
    expect(ptLeaf(p.view, 0, [0, 0])).toBeNull();
    expect(ptLeaf(p.view, 0, [0, 1])).toBeNull();
    expect(p.view[1]!.map((e) => e.kind)).toEqual(['leaf', 'leaf']);
  });
});

describe('ptFormat', () => {
  it('none, TABLE(tN), LEAF(prot[,invalid][,pfn N])', () => {
    const e = entry(6, 4);
    expect(ptFormat(null)).toBe('none');
    expect(ptFormat(e.view)).toBe('none');
    ptSetTable(e.view, 5);
    expect(ptFormat(e.view)).toBe('TABLE(t5)');
    ptSetLeaf(e.view, PAGE_KERNEL);
    expect(ptFormat(e.view)).toBe('LEAF(RW-)');
    ptSetLeaf(e.view, PAGE_KERNEL_EXEC, 0, false);
    expect(ptFormat(e.view)).toBe('LEAF(RWX,invalid)');
    ptSetLeaf(e.view, PAGE_KERNEL_READ_EXEC, 3);
    expect(ptFormat(e.view)).toBe('LEAF(R-X,pfn 3)');
    ptSetLeaf(e.view, {}, 2, false);
    expect(ptFormat(e.view)).toBe('LEAF(---,invalid,pfn 2)');
  });
});

// ---- in models ------------------------------------------------------------------------

/**
 * The example of pgtable.ts's comment: a linear-map PGD leaf copied into an mm's pgd at
 * pgd_alloc, then made executable in init_mm only. With `sync`, the step changes both
 * copies (sync_global_pgds).
 */
const execInInitMmOnly = defineModel({
  id: 'kernel-pt-example',
  params: { sync: param.bool(false) },
  state: { pt: ptTablesType(3, 2) }, // 0 = init_mm.pgd, 1 = mm.pgd, 2 = a pmd table
  init: (c) => {
    ptSetLeaf(c.s.pt[0]![1]!, PAGE_KERNEL);
    ptCopy(c.s.pt[1]![1]!, c.s.pt[0]![1]!);
  },
  actors: {
    setx: actor({
      steps: {
        set_memory_x: (c) => {
          ptModifyLeaf(ptWalk(c.s.pt, 0, [1, 0]).entry, { x: true });
          if (c.p.sync) ptCopy(c.s.pt[1]![1]!, c.s.pt[0]![1]!);
        },
      },
    }),
  },
  invariants: {
    'INV-SYNC': (s) => ptSameLeaf(ptLeaf(s.pt, 1, [1, 0]), ptLeaf(s.pt, 0, [1, 0])),
  },
});

/**
 * Equal meanings are equal states: the entry starts as one of `starts` (two initial
 * states), then one step writes it with `op`. If the writer leaves every unused field at
 * zero, both runs end in one state: 2 initial states + 1 = 3 states.
 */
function converge(op: 'clear' | 'table' | 'leaf' | 'copy') {
  return defineModel({
    id: `kernel-pt-converge-${op}`,
    state: { pt: ptTablesType(3, 2, 4) },
    init: (c) => {
      const e = c.s.pt[0]![0]!;
      if (c.choose('start', ['leaf', 'table']) === 'leaf') ptSetLeaf(e, PAGE_KERNEL_EXEC, 3, false);
      else ptSetTable(e, 2);
      ptSetLeaf(c.s.pt[1]![1]!, PAGE_KERNEL_READ, 1);
    },
    actors: {
      w: actor({
        steps: {
          write: (c) => {
            const e = c.s.pt[0]![0]!;
            if (op === 'clear') ptClear(e);
            else if (op === 'table') ptSetTable(e, 1);
            else if (op === 'leaf') ptSetLeaf(e, PAGE_KERNEL_READ, 1);
            else ptCopy(e, c.s.pt[1]![1]!);
          },
        },
      }),
    },
  });
}

/**
 * A huge leaf at root[0] (R--, pfn 1) is split into table 1 while a CPU reads address
 * [0, 1] through the root. `order`: `fill-first` fills the new table (ptSplitInto), then
 * installs it (ptSetTable) — riscv's __split_linear_mapping_pmd; `install-first` installs
 * the (still empty) table, then fills it from a saved copy of the leaf. The reader's load
 * must never fault: the address is mapped throughout.
 */
const split = defineModel({
  id: 'kernel-pt-split',
  params: { order: param.enum(['fill-first', 'install-first'], 'fill-first') },
  state: { pt: ptTablesType(2, 2, 2), saved: ptEntryType(2, 2) },
  init: (c) => ptSetLeaf(c.s.pt[0]![0]!, PAGE_KERNEL_READ, 1),
  actors: (p) => ({
    splitter: actor({
      steps:
        p.order === 'fill-first'
          ? {
              fill: (c) => ptSplitInto(c.s.pt, 1, c.s.pt[0]![0]!),
              install: (c) => ptSetTable(c.s.pt[0]![0]!, 1),
            }
          : {
              save: (c) => ptCopy(c.s.saved, c.s.pt[0]![0]!),
              install: (c) => ptSetTable(c.s.pt[0]![0]!, 1),
              fill: (c) => ptSplitInto(c.s.pt, 1, c.s.saved),
            },
    }),
    reader: actor({
      steps: {
        load: (c) => {
          const leaf = ptLeaf(c.s.pt, 0, [0, 1]);
          if (!ptAllows(leaf, 'r') || leaf!.pfn !== 1) c.fault(`load [0, 1]: ${ptFormat(leaf)}`, 'INV-KFAULT');
        },
      },
    }),
  }),
});

describe('page tables in models', () => {
  it('the comment\'s example: made executable in init_mm only, the mm\'s copy differs (INV-SYNC fails)', async () => {
    const r = await checkModel(execInInitMmOnly, { sync: false });
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('INV-SYNC');
    expect(scheduleOf(r)).toEqual(['setx[0] set_memory_x']);
  });

  it('the example with both copies changed in the same step: safe', async () => {
    const r = await checkModel(execInInitMmOnly, { sync: true });
    expect(r.verdict).toBe('safe');
    expect(r.states).toBe(2);
  });

  for (const op of ['clear', 'table', 'leaf', 'copy'] as const) {
    it(`equal meanings are equal states: ${op} from a leaf and from a table end in one state`, async () => {
      const r = await checkModel(converge(op));
      expect(r.verdict).toBe('safe');
      expect(r.states).toBe(3);
    });
  }

  it('a split filled before it is installed: the address stays mapped (safe)', async () => {
    const r = await checkModel(split, { order: 'fill-first' });
    expect(r.verdict).toBe('safe');
  });

  it('a split installed before it is filled: the load faults on the empty table', async () => {
    const r = await checkModel(split, { order: 'install-first' });
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('INV-KFAULT');
    expect(scheduleOf(r)).toEqual(['splitter[0] save', 'splitter[0] install', 'reader[0] load']);
    expect(r.message).toContain('none');
  });
});
