/**
 * src/kernel/xen.ts: the Xen PV page-type oracle. Every frame has a type (none, W, L1..L4),
 * a type count and a pin bit; a frame changes type only while its count is 0, so it is
 * never a page table and writably mapped at once. Expectations are written from the
 * comments and xen/arch/x86/mm.c (get_page_type, put_page_type, get_page_from_l1e,
 * mod_l1_entry, alloc_lN_table, MMUEXT_PIN / UNPIN): the refusals and Xen's log lines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actor, bool, defineModel, param, type ActorDef } from '../../../src/index.js';
import {
  PAGE_TYPES,
  allocL1Table,
  allocTable,
  freeL1Table,
  getPageFromL1e,
  getPageFromTableEntry,
  getPageType,
  isTableType,
  modL1Entry,
  pinTable,
  putPageFromL1e,
  putPageType,
  setFrame,
  unpinTable,
  xenFrameType,
  xenFramesType,
  type L1e,
  type PageType,
  type XenFrames,
  type XenResult,
} from '../../../src/kernel/xen.js';
import { checkModel, scheduleOf, viewsOf } from './support.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 200);

/** `frames` frames (type count up to `maxCount`), all untyped. */
function frames(n = 4, maxCount = 3) {
  return viewsOf(xenFramesType(n, maxCount));
}

/** A frame as [type, tcount, pinned]. */
function tri(fs: XenFrames, f: number): [PageType, number, boolean] {
  const x = fs[f]!;
  return [x.type, x.tcount, x.pinned];
}

const ok = (): XenResult => null;
const rw = (frame: number): L1e => ({ frame, rw: true });
const ro = (frame: number): L1e => ({ frame, rw: false });

describe('the frame types', () => {
  it('type ∈ {none, W, L1, L2, L3, L4}, a bounded type count, a pin bit', () => {
    expect(PAGE_TYPES).toEqual(['none', 'W', 'L1', 'L2', 'L3', 'L4']);
    const t = xenFrameType(5);
    expect(t.fields.type).toEqual({ kind: 'enum', values: ['none', 'W', 'L1', 'L2', 'L3', 'L4'] });
    expect(t.fields.tcount).toEqual({ kind: 'int', min: 0, max: 5 });
    expect(t.fields.pinned).toEqual({ kind: 'bool' });
    expect(xenFrameType().fields.tcount).toEqual({ kind: 'int', min: 0, max: 3 });
    const a = xenFramesType(4);
    expect(a.length).toBe(4);
    expect(a.of.fields.tcount).toEqual({ kind: 'int', min: 0, max: 3 });
  });

  it('a fresh frame is untyped, unreferenced, unpinned', () => {
    const v = frames(2).view;
    expect(tri(v, 0)).toEqual(['none', 0, false]);
    expect(tri(v, 1)).toEqual(['none', 0, false]);
  });

  it('isTableType: L1..L4 are page-table types, none and W are not', () => {
    expect(PAGE_TYPES.filter(isTableType)).toEqual(['L1', 'L2', 'L3', 'L4']);
  });

  it('setFrame writes the type information (unpinned by default)', () => {
    const v = frames(2).view;
    setFrame(v, 1, 'L2', 2, true);
    expect(tri(v, 1)).toEqual(['L2', 2, true]);
    setFrame(v, 1, 'W', 1);
    expect(tri(v, 1)).toEqual(['W', 1, false]);
    expect(tri(v, 0)).toEqual(['none', 0, false]);
  });
});

describe('getPageType', () => {
  it('an unreferenced frame takes the type with one reference', () => {
    const v = frames().view;
    expect(getPageType(v, 0, 'W')).toBeNull();
    expect(tri(v, 0)).toEqual(['W', 1, false]);
  });

  it('an unreferenced frame may change type (a stale type with count 0 does not stand in the way)', () => {
    const v = frames().view;
    setFrame(v, 2, 'L1', 0);
    expect(getPageType(v, 2, 'W')).toBeNull();
    expect(tri(v, 2)).toEqual(['W', 1, false]);
  });

  it('the same type again: one more reference, no new validation', () => {
    const v = frames().view;
    let validations = 0;
    const validate = () => (validations++, null);
    expect(getPageType(v, 1, 'L1', validate)).toBeNull();
    expect(getPageType(v, 1, 'L1', validate)).toBeNull();
    expect(tri(v, 1)).toEqual(['L1', 2, false]);
    expect(validations).toBe(1);
  });

  it('another type while referenced: -EINVAL with "Bad type (saw X != exp T)", and nothing changes', () => {
    const v = frames().view;
    setFrame(v, 3, 'W', 2);
    expect(getPageType(v, 3, 'L1', ok)).toBe('Bad type (saw W != exp L1) for mfn 3');
    expect(tri(v, 3)).toEqual(['W', 2, false]);
    setFrame(v, 0, 'L2', 1, true);
    expect(getPageType(v, 0, 'W')).toBe('Bad type (saw L2 != exp W) for mfn 0');
    expect(tri(v, 0)).toEqual(['L2', 1, true]);
  });

  it('a table type is validated, with the frame already of that type and referenced', () => {
    const v = frames().view;
    const seen: [PageType, number][] = [];
    expect(getPageType(v, 2, 'L3', () => (seen.push([v[2]!.type, v[2]!.tcount]), null))).toBeNull();
    expect(seen).toEqual([['L3', 1]]);
  });

  it('a writable type is never validated', () => {
    const v = frames().view;
    let called = false;
    expect(getPageType(v, 0, 'W', () => ((called = true), 'no'))).toBeNull();
    expect(called).toBe(false);
    expect(tri(v, 0)).toEqual(['W', 1, false]);
  });

  it('a failed validation returns its line and leaves the frame untyped and unreferenced', () => {
    const v = frames().view;
    setFrame(v, 1, 'W', 0);
    expect(getPageType(v, 1, 'L1', () => 'bad L1 entry')).toBe('bad L1 entry');
    expect(tri(v, 1)).toEqual(['none', 0, false]);
  });
});

describe('putPageType', () => {
  it('drops one reference; the frame may then take another type', () => {
    const v = frames().view;
    setFrame(v, 0, 'W', 2);
    putPageType(v, 0);
    expect(v[0]!.tcount).toBe(1);
    expect(getPageType(v, 0, 'L1', ok)).not.toBeNull();
    putPageType(v, 0);
    expect(v[0]!.tcount).toBe(0);
    expect(getPageType(v, 0, 'L1', ok)).toBeNull();
    expect(tri(v, 0)).toEqual(['L1', 1, false]);
  });

  it('a table whose count reaches 0 is devalidated, once; not before', () => {
    const v = frames().view;
    setFrame(v, 2, 'L2', 2);
    let devalidated = 0;
    putPageType(v, 2, () => devalidated++);
    expect(devalidated).toBe(0);
    putPageType(v, 2, () => devalidated++);
    expect(devalidated).toBe(1);
    expect(v[2]!.tcount).toBe(0);
  });

  it('a writable frame whose count reaches 0 is not devalidated (it is no table)', () => {
    const v = frames().view;
    setFrame(v, 1, 'W', 1);
    let devalidated = false;
    putPageType(v, 1, () => (devalidated = true));
    expect(devalidated).toBe(false);
    expect(v[1]!.tcount).toBe(0);
  });

  it('dropping a reference nobody holds is a bug of the model: it throws, naming the frame', () => {
    const v = frames().view;
    expect(() => putPageType(v, 3)).toThrow(/put_page_type\(mfn 3\)/);
    expect(tri(v, 3)).toEqual(['none', 0, false]);
  });
});

describe('X1: getPageFromL1e / putPageFromL1e', () => {
  it('a writable entry takes a W reference on the frame it maps', () => {
    const v = frames().view;
    expect(getPageFromL1e(v, rw(1))).toBeNull();
    expect(getPageFromL1e(v, rw(1))).toBeNull();
    expect(tri(v, 1)).toEqual(['W', 2, false]);
  });

  it('a read-only entry takes no type reference: even a page table may be mapped read-only', () => {
    const v = frames().view;
    setFrame(v, 2, 'L1', 1, true);
    expect(getPageFromL1e(v, ro(2))).toBeNull();
    expect(tri(v, 2)).toEqual(['L1', 1, true]);
  });

  it('a writable mapping of a page table is refused: "Error getting mfn F from L1 entry (_PAGE_RW)"', () => {
    const v = frames().view;
    setFrame(v, 2, 'L1', 1, true);
    expect(getPageFromL1e(v, rw(2))).toBe('Bad type (saw L1 != exp W) for mfn 2; Error getting mfn 2 from L1 entry (_PAGE_RW)');
    expect(tri(v, 2)).toEqual(['L1', 1, true]);
  });

  it('putPageFromL1e drops what a writable entry held, and nothing for a read-only one', () => {
    const v = frames().view;
    setFrame(v, 1, 'W', 2);
    putPageFromL1e(v, rw(1));
    expect(v[1]!.tcount).toBe(1);
    putPageFromL1e(v, ro(1));
    expect(v[1]!.tcount).toBe(1);
  });
});

describe('modL1Entry', () => {
  it('not present -> writable: takes the W reference', () => {
    const v = frames().view;
    expect(modL1Entry(v, null, rw(0))).toBeNull();
    expect(tri(v, 0)).toEqual(['W', 1, false]);
  });

  it('writable -> not present, or -> read-only: drops it (the frame may then become a table)', () => {
    const v = frames().view;
    setFrame(v, 0, 'W', 1);
    setFrame(v, 1, 'W', 1);
    expect(modL1Entry(v, rw(0), null)).toBeNull();
    expect(modL1Entry(v, rw(1), ro(1))).toBeNull();
    expect([v[0]!.tcount, v[1]!.tcount]).toEqual([0, 0]);
    expect(pinTable(v, 1, 'L1', ok)).toBeNull();
  });

  it('writable f -> writable g: the reference moves from f to g', () => {
    const v = frames().view;
    setFrame(v, 0, 'W', 1);
    expect(modL1Entry(v, rw(0), rw(3))).toBeNull();
    expect([v[0]!.tcount, tri(v, 3)]).toEqual([0, ['W', 1, false]]);
  });

  it('the same writable entry rewritten keeps one reference', () => {
    const v = frames().view;
    setFrame(v, 2, 'W', 1);
    expect(modL1Entry(v, rw(2), rw(2))).toBeNull();
    expect(tri(v, 2)).toEqual(['W', 1, false]);
  });

  it('a refused new entry leaves the old one in place: its reference is kept', () => {
    const v = frames().view;
    setFrame(v, 0, 'W', 1);
    setFrame(v, 1, 'L1', 1, true);
    expect(modL1Entry(v, rw(0), rw(1))).toBe('Bad type (saw L1 != exp W) for mfn 1; Error getting mfn 1 from L1 entry (_PAGE_RW)');
    expect(tri(v, 0)).toEqual(['W', 1, false]);
    expect(tri(v, 1)).toEqual(['L1', 1, true]);
  });

  it('not present -> not present: nothing', () => {
    const v = frames();
    const before = v.bytes();
    expect(modL1Entry(v.view, null, null)).toBeNull();
    expect(v.bytes()).toEqual(before);
  });
});

describe('allocL1Table / freeL1Table', () => {
  it('validates every present entry (X1): W references for the writable ones only', () => {
    const v = frames().view;
    expect(allocL1Table(v, [rw(0), ro(1), rw(0), rw(2)])).toBeNull();
    expect([tri(v, 0), tri(v, 1), tri(v, 2)]).toEqual([
      ['W', 2, false],
      ['none', 0, false],
      ['W', 1, false],
    ]);
    freeL1Table(v, [rw(0), ro(1), rw(0), rw(2)]);
    expect([v[0]!.tcount, v[1]!.tcount, v[2]!.tcount]).toEqual([0, 0, 0]);
  });

  it('an L1 mapping itself writable is refused while it is being validated (it is already an L1)', () => {
    const v = frames().view;
    const err = getPageType(v, 1, 'L1', () => allocL1Table(v, [rw(0), rw(1)]));
    expect(err).toBe('Bad type (saw L1 != exp W) for mfn 1; Error getting mfn 1 from L1 entry (_PAGE_RW)');
    // The reference taken for entry 0 is dropped again, and frame 1 is left untyped.
    expect(v[0]!.tcount).toBe(0);
    expect(tri(v, 1)).toEqual(['none', 0, false]);
  });

  /** Any frame state of 4 frames (counts up to 3 of 7), and up to 4 entries. */
  const arb = fc.record({
    fs: fc.array(fc.record({ type: fc.constantFrom(...PAGE_TYPES), tcount: fc.nat(3), pinned: fc.boolean() }), { minLength: 4, maxLength: 4 }),
    entries: fc.array(fc.record({ frame: fc.nat(3), rw: fc.boolean() }), { maxLength: 4 }),
  });

  it('against a reference: succeeds exactly when every writable frame is W or unreferenced; a failure gives back every reference', () => {
    fc.assert(
      fc.property(arb, ({ fs, entries }) => {
        const v = frames(4, 7);
        fs.forEach((f, i) => setFrame(v.view, i, f.type, f.tcount, f.pinned));
        // The reference, from the comments: entries in order; the first writable entry
        // whose frame is referenced with another type than W fails (after the entries
        // before it have taken their references on other, acceptable frames).
        const count = fs.map((f) => f.tcount);
        const type = fs.map((f) => f.type);
        let expected: string | null = null;
        for (const e of entries) {
          if (!e.rw) continue;
          if (count[e.frame]! > 0 && type[e.frame] !== 'W') {
            expected = `Bad type (saw ${type[e.frame]} != exp W) for mfn ${e.frame}; Error getting mfn ${e.frame} from L1 entry (_PAGE_RW)`;
            break;
          }
          type[e.frame] = 'W';
          count[e.frame]! += 1;
        }
        expect(allocL1Table(v.view, entries)).toBe(expected);
        if (expected !== null) {
          // Every reference taken is dropped again: counts and pins as before, and every
          // frame still referenced keeps its type. (A frame back at count 0 may keep the
          // type W, as in Xen: the type of an unreferenced frame means nothing.)
          expect(v.view.map((x) => x.tcount)).toEqual(fs.map((f) => f.tcount));
          expect(v.view.map((x) => x.pinned)).toEqual(fs.map((f) => f.pinned));
          for (let f = 0; f < 4; f++) if (fs[f]!.tcount > 0) expect(v.view[f]!.type).toBe(fs[f]!.type);
        } else {
          for (let f = 0; f < 4; f++) {
            expect(v.view[f]!.tcount).toBe(count[f]);
            if (entries.some((e) => e.rw && e.frame === f)) expect(v.view[f]!.type).toBe('W');
            expect(v.view[f]!.pinned).toBe(fs[f]!.pinned);
          }
          // Devalidation gives back every reference validation took.
          freeL1Table(v.view, entries);
          expect(v.view.map((x) => x.tcount)).toEqual(fs.map((f) => f.tcount));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('X2: getPageFromTableEntry / allocTable', () => {
  it('an entry of an Ln table needs its child typed L(n-1), validated once', () => {
    for (const [level, lower] of [
      ['L2', 'L1'],
      ['L3', 'L2'],
      ['L4', 'L3'],
    ] as const) {
      const v = frames().view;
      const validated: number[] = [];
      expect(getPageFromTableEntry(v, level, 3, (c) => (validated.push(c), null))).toBeNull();
      expect(getPageFromTableEntry(v, level, 3, (c) => (validated.push(c), null))).toBeNull();
      expect(tri(v, 3)).toEqual([lower, 2, false]);
      expect(validated).toEqual([3]);
    }
  });

  it('a child of the wrong type is refused', () => {
    const v = frames().view;
    setFrame(v, 1, 'L1', 1);
    expect(getPageFromTableEntry(v, 'L3', 1, ok)).toBe('Bad type (saw L1 != exp L2) for mfn 1');
    setFrame(v, 2, 'W', 1);
    expect(getPageFromTableEntry(v, 'L2', 2, ok)).toBe('Bad type (saw W != exp L1) for mfn 2');
  });

  it('a child whose validation fails is left untyped, and the failure is returned', () => {
    const v = frames().view;
    expect(getPageFromTableEntry(v, 'L2', 1, (c) => `bad child ${c}`)).toBe('bad child 1');
    expect(tri(v, 1)).toEqual(['none', 0, false]);
  });

  it('allocTable validates every child; on a failure the references taken are dropped and those children devalidated', () => {
    const v = frames(5).view;
    setFrame(v, 4, 'W', 1); // the third child is writably mapped
    const validated: number[] = [];
    const devalidated: number[] = [];
    const err = allocTable(
      v,
      'L2',
      [1, 2, 4, 3],
      (c) => (validated.push(c), null),
      (c) => devalidated.push(c),
    );
    expect(err).toBe('Bad type (saw W != exp L1) for mfn 4');
    expect(validated).toEqual([1, 2]);
    expect(devalidated.sort()).toEqual([1, 2]);
    expect([v[1]!.tcount, v[2]!.tcount, v[3]!.tcount]).toEqual([0, 0, 0]);
    expect(tri(v, 4)).toEqual(['W', 1, false]);
  });

  it('allocTable rollback devalidates only children whose count reaches 0', () => {
    const v = frames(4).view;
    setFrame(v, 1, 'L1', 1); // already referenced from elsewhere
    setFrame(v, 3, 'L2', 1);
    const devalidated: number[] = [];
    expect(allocTable(v, 'L2', [1, 2, 3], ok, (c) => devalidated.push(c))).toBe('Bad type (saw L2 != exp L1) for mfn 3');
    expect(devalidated).toEqual([2]);
    expect(tri(v, 1)).toEqual(['L1', 1, false]);
    expect(v[2]!.tcount).toBe(0);
  });

  it('allocTable success: one reference per entry, repeated children counted each time', () => {
    const v = frames(4).view;
    expect(allocTable(v, 'L4', [1, 2, 1], ok)).toBeNull();
    expect([tri(v, 1), tri(v, 2)]).toEqual([
      ['L3', 2, false],
      ['L3', 1, false],
    ]);
  });
});

describe('MMUEXT_PIN_Lx_TABLE / MMUEXT_UNPIN_TABLE', () => {
  it('pinning validates the table and keeps its type reference with the pin bit', () => {
    const v = frames().view;
    let validations = 0;
    expect(pinTable(v, 1, 'L1', () => (validations++, null))).toBeNull();
    expect(tri(v, 1)).toEqual(['L1', 1, true]);
    expect(validations).toBe(1);
  });

  it('pinning a pinned frame fails ("already pinned") and drops the reference it took', () => {
    const v = frames().view;
    expect(pinTable(v, 1, 'L2', ok)).toBeNull();
    expect(pinTable(v, 1, 'L2', ok)).toBe('Mfn 1 already pinned');
    expect(tri(v, 1)).toEqual(['L2', 1, true]);
  });

  it('pinning a frame that is writably mapped fails: Bad type, "Error while pinning"', () => {
    const v = frames().view;
    setFrame(v, 0, 'W', 1);
    expect(pinTable(v, 0, 'L1', ok)).toBe('Bad type (saw W != exp L1) for mfn 0; Error while pinning mfn 0');
    expect(tri(v, 0)).toEqual(['W', 1, false]);
  });

  it('pinning with a failed validation fails and leaves the frame untyped and unpinned', () => {
    const v = frames().view;
    expect(pinTable(v, 2, 'L1', () => 'bad entry')).toBe('bad entry; Error while pinning mfn 2');
    expect(tri(v, 2)).toEqual(['none', 0, false]);
  });

  it('pinning a table already in use at that type: no new validation, one more reference', () => {
    const v = frames().view;
    setFrame(v, 3, 'L1', 1);
    let validations = 0;
    expect(pinTable(v, 3, 'L1', () => (validations++, null))).toBeNull();
    expect(tri(v, 3)).toEqual(['L1', 2, true]);
    expect(validations).toBe(0);
  });

  it('unpinning an unpinned frame fails ("not pinned") and changes nothing', () => {
    const v = frames();
    setFrame(v.view, 0, 'L1', 1);
    const before = v.bytes();
    expect(unpinTable(v.view, 0)).toBe('Mfn 0 not pinned');
    expect(v.bytes()).toEqual(before);
  });

  it('unpinning clears the pin bit and drops its reference; the last one devalidates', () => {
    const v = frames().view;
    expect(pinTable(v, 1, 'L1', ok)).toBeNull();
    expect(getPageType(v, 1, 'L1', ok)).toBeNull(); // also referenced from an L2
    let devalidated = 0;
    expect(unpinTable(v, 1, () => devalidated++)).toBeNull();
    expect(tri(v, 1)).toEqual(['L1', 1, false]);
    expect(devalidated).toBe(0);
    putPageType(v, 1, () => devalidated++);
    expect(devalidated).toBe(1);
    // Unpinned and unreferenced: the guest may map it writable again.
    expect(getPageFromL1e(v, rw(1))).toBeNull();
  });

  it('unpinning the only reference devalidates the table (free_lN_table) and leaves it unreferenced', () => {
    const v = frames().view;
    expect(pinTable(v, 0, 'L1', () => allocL1Table(v, [rw(2)]))).toBeNull();
    expect(tri(v, 2)).toEqual(['W', 1, false]);
    const devalidated: number[] = [];
    expect(unpinTable(v, 0, () => (devalidated.push(0), freeL1Table(v, [rw(2)])))).toBeNull();
    expect(devalidated).toEqual([0]);
    expect([v[0]!.tcount, v[0]!.pinned, v[2]!.tcount]).toEqual([0, false, 0]);
  });

  it('pin, unpin, pin again: validated each time the count rises from 0', () => {
    const v = frames().view;
    let validations = 0;
    const validate = () => (validations++, null);
    expect(pinTable(v, 2, 'L3', validate)).toBeNull();
    expect(unpinTable(v, 2)).toBeNull();
    expect(pinTable(v, 2, 'L3', validate)).toBeNull();
    expect(validations).toBe(2);
    expect(tri(v, 2)).toEqual(['L3', 1, true]);
  });
});

/**
 * A PV guest pins a new page-table page P (frame 0). Its kernel maps P through an entry
 * of a validated, pinned L1 (frame 1), writable at first. Xen refuses to pin P as an L1
 * while that mapping is writable. `mode`:
 *   - `none`:    the guest pins without making the mapping read-only: refused;
 *   - `ordered`: it makes the mapping read-only (mod_l1_entry), then pins: accepted;
 *   - `racy`:    one CPU makes it read-only while another pins: the pin may come first;
 *   - `remap`:   ordered, then the guest maps P writable again: refused (X1).
 * Every refusal is a guest BUG(): a fault of property INV-X with Xen's line.
 */
const pin = defineModel({
  id: 'kernel-xen-pin',
  params: { mode: param.enum(['none', 'ordered', 'racy', 'remap'], 'ordered') },
  state: { xen: xenFramesType(2), mapRw: bool() },
  init: (c) => {
    setFrame(c.s.xen, 0, 'W', 1); // the writable mapping's reference
    setFrame(c.s.xen, 1, 'L1', 1, true);
    c.s.mapRw = true;
  },
  actors: (p): Record<string, ActorDef> => {
    const makeRo = (c: { s: { xen: XenFrames; mapRw: boolean }; fault(m: string, p?: string): void }) => {
      const err = modL1Entry(c.s.xen, rw(0), ro(0));
      if (err !== null) return c.fault(err, 'INV-X');
      c.s.mapRw = false;
    };
    const doPin = (c: { s: { xen: XenFrames }; fault(m: string, p?: string): void }) => {
      const err = pinTable(c.s.xen, 0, 'L1', () => allocL1Table(c.s.xen, []));
      if (err !== null) c.fault(err, 'INV-X');
    };
    const remap = (c: { s: { xen: XenFrames; mapRw: boolean }; fault(m: string, p?: string): void }) => {
      const err = modL1Entry(c.s.xen, ro(0), rw(0));
      if (err !== null) return c.fault(err, 'INV-X');
      c.s.mapRw = true;
    };
    switch (p.mode) {
      case 'none':
        return { guest: actor({ steps: { pin: doPin } }) };
      case 'ordered':
        return { guest: actor({ steps: { make_ro: makeRo, pin: doPin } }) };
      case 'remap':
        return { guest: actor({ steps: { make_ro: makeRo, pin: doPin, remap } }) };
      default:
        return { cpu0: actor({ steps: { make_ro: makeRo } }), cpu1: actor({ steps: { pin: doPin } }) };
    }
  },
  invariants: {
    /** Never a page table and writably mapped at the same time. */
    'INV-TYPE': (s) => !(s.mapRw && isTableType(s.xen[0]!.type) && s.xen[0]!.tcount > 0),
  },
});

describe('the oracle in a model', () => {
  it('pinning a page that is still writably mapped: Xen refuses (INV-X with its line)', async () => {
    const r = await checkModel(pin, { mode: 'none' });
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('INV-X');
    expect(r.message).toContain('Bad type (saw W != exp L1) for mfn 0; Error while pinning mfn 0');
  });

  it('made read-only, then pinned: accepted', async () => {
    const r = await checkModel(pin, { mode: 'ordered' });
    expect(r.verdict).toBe('safe');
    expect(r.states).toBe(3);
  });

  it('made read-only on one CPU while another pins: the pin can come first', async () => {
    const r = await checkModel(pin, { mode: 'racy' });
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('INV-X');
    expect(scheduleOf(r)).toEqual(['cpu1[0] pin']);
  });

  it('a pinned page table mapped writable again: Xen refuses the mod_l1_entry', async () => {
    const r = await checkModel(pin, { mode: 'remap' });
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('INV-X');
    expect(r.message).toContain('Bad type (saw L1 != exp W) for mfn 0; Error getting mfn 0 from L1 entry (_PAGE_RW)');
    expect(scheduleOf(r)).toEqual(['guest[0] make_ro', 'guest[0] pin', 'guest[0] remap']);
  });
});
