/**
 * The Xen PV page-table model (docs/seed-problems.md §2) and its oracle src/kernel/xen.ts:
 * each variant's verdict, the counterexamples read against the diagram of docs/seed-problems.md,
 * the fixed variants shown not safe by accident (a parameter flip breaks them, probes
 * show the guest really reaches the window), the oracle's type counts checked against
 * the page tables in every reachable state, and the oracle's rules one by one.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel, defineModel, replay, type CheckResult, type Model } from '../../src/index.js';
import { assertVerdict, checkModel } from '../../src/testing/index.js';
import pgtRo, { geometry, lookupAddress } from '../../models/xen/pgt_ro.js';
import {
  allocL1Table,
  allocTable,
  getPageFromL1e,
  getPageType,
  modL1Entry,
  pinTable,
  putPageType,
  unpinTable,
  type XenFrame,
} from 'mmrace/kernel';
import { checkIn } from '../unit/helpers.js';

const file = fileURLToPath(new URL('../../models/xen/pgt_ro.ts', import.meta.url));
const small = { ranges: 2, pages: 4, spare: 1 };
const deep = { ranges: 3, pages: 6, spare: 2 };
type Params = Record<string, number | string | boolean>;

/** The variants of the table of §2, as parameters (without the geometry). */
const V = {
  preLow: { placement: 'low', mask: 'end', reserve: false },
  preHigh: { placement: 'high', mask: 'end', reserve: false },
  v39NoRestore: { placement: 'high', mask: 'top', reserve: false },
  v39: { placement: 'high', mask: 'top', reserve: true },
  v3_9: { placement: 'mapped', mask: 'none', reserve: false },
} as const;

/** pgt_ro with more invariants. */
function withInvariants(extra: (p: any) => Record<string, (s: any, w: any) => boolean>): Model {
  const base = pgtRo.invariants as (p: any) => Record<string, unknown>;
  return defineModel({ ...pgtRo, invariants: (p: any) => ({ ...base(p), ...extra(p) }) } as any);
}

/** pgt_ro with a "probe": an invariant violated when `reached` holds. */
function withProbe(reached: (s: any, w: any, g: ReturnType<typeof geometry>) => boolean): Model {
  return withInvariants((p) => ({ probe: (s, w) => !reached(s, w, geometry(p)) }));
}

/** Replays a counterexample; the state after each step, slot by slot. */
function walk(r: CheckResult, model: Model, params: Params) {
  const rep = replay(r.trace!, new CompiledModel(model, params));
  expect(rep.reproduced).toBe(true);
  const cur = new Map(rep.initial.map((e) => [e.slot, e.value]));
  const after = rep.steps.map((st) => {
    for (const ch of st.changes) cur.set(ch.slot, ch.to);
    return new Map(cur);
  });
  return { rep, after, final: after[after.length - 1]! };
}

describe('xen-pgt-ro verdicts (table of §2)', () => {
  it.each([
    ['V-pre, low tables', V.preLow, { verdict: 'safe' }],
    ['V-pre, high tables', V.preHigh, { verdict: 'violation', property: 'INV-X' }],
    ['V-39 without the RW restore', V.v39NoRestore, { verdict: 'violation', property: 'INV-R' }],
    ['V-39 full', V.v39, { verdict: 'safe' }],
    ['V-3.9', V.v3_9, { verdict: 'safe' }],
  ] as const)('%s (BFS and DFS, small and deep)', async (_name, variant, want) => {
    for (const g of [small, deep]) {
      const r = await checkModel({ model: pgtRo, file }, { ...g, ...variant });
      assertVerdict(r, want);
      const d = await checkModel({ model: pgtRo, file }, { ...g, ...variant }, { strategy: 'dfs' });
      assertVerdict(d, want);
    }
  });

  it('V-39 without the RW restore is INV-X safe: with INV-R taken out, nothing is found', async () => {
    const noR = defineModel({ ...pgtRo, invariants: {} } as any);
    for (const g of [small, deep]) {
      expect((await checkIn(new CompiledModel(noR, { ...g, ...V.v39NoRestore }), file)).verdict).toBe('safe');
    }
  });
});

describe('counterexamples read as the diagram of §2', () => {
  it('V-pre, high tables: P1 maps X RW, P2 == X cannot be made RO (M unhooked), pin L1(X) fails W != L1, BUG()', async () => {
    const params = { ...small, ...V.preHigh };
    const r = await checkIn(new CompiledModel(pgtRo, params), file);
    expect(r).toMatchObject({ verdict: 'violation', property: 'INV-X', kind: 'fault' });
    const { rep, after, final } = walk(r, pgtRo, params);
    const labels = rep.steps.map((s) => s.label);
    expect(rep.steps.every((s) => s.actor === 'G')).toBe(true);
    const at = (label: string, nth = 0) => labels.indexOf(label, nth === 0 ? 0 : labels.indexOf(label) + 1);

    // M = alloc_low_page(), with an RW fixmap alias, never hooked in the whole trace.
    const M = final.get('pmd_page')!;
    expect(after[at('phys_pud_init:early_memremap')]!.get(`fixmap[${M}]`)).toBe('RW');
    expect(labels).not.toContain('pud_populate:set_pud');
    expect(final.get('pud')).toBe('false');

    // P1 = alloc_low_page(); fill: pte(X) = RW with X >= pgt_buf_end, X == P2's frame.
    const P1 = final.get('pte_page[0]')!;
    const X = final.get('pte_page[1]')!;
    expect(X).not.toBe(P1);
    const fill1 = at('phys_pte_init');
    const fill = rep.steps[fill1]!.changes.find((ch) => ch.slot === `lm[${X}]`);
    expect(fill).toMatchObject({ from: 'ABSENT', to: 'RW' });
    expect(Number(X)).toBeGreaterThanOrEqual(Number(after[fill1]!.get('pgt_buf_end')));

    // pmd_populate_kernel(M,P1): pin L1(P1) validates P1 -> X: type W, count 1.
    const pin1 = at('xen_alloc_pte_init:pin_pagetable_pfn');
    expect(rep.steps[pin1]!.fault).toBeUndefined();
    expect(after[pin1]!.get(`xen[${P1}].type`)).toBe('L1');
    expect(after[pin1]!.get(`xen[${X}].type`)).toBe('W');
    expect(after[pin1]!.get(`xen[${X}].tcount`)).toBe('1');

    // P2 = alloc_low_page() == frame X, after the pin of P1.
    const alloc2 = at('phys_pmd_init:alloc_low_page', 2);
    expect(alloc2).toBeGreaterThan(pin1);
    expect(rep.steps[alloc2]!.changes).toContainEqual({ slot: 'pte_page[1]', from: '-1', to: X });

    // make_lowmem_page_readonly(__va(X)): lookup_address -> NULL, a no-op: X stays RW.
    const last = rep.steps.length - 1;
    expect(rep.steps[last - 1]!.label).toBe('xen_alloc_pte_init:make_lowmem_page_readonly');
    expect(rep.steps[last - 1]!.changes.filter((ch) => ch.slot !== 'G[0].pc')).toEqual([]);
    expect(after[last - 1]!.get(`lm[${X}]`)).toBe('RW');
    expect(after[last - 1]!.get('pmd[1]')).toBe('false');

    // pin L1(X): get_page_type(X, L1): W != L1 -> -EINVAL -> BUG().
    expect(rep.steps[last]!.label).toBe('xen_alloc_pte_init:pin_pagetable_pfn');
    expect(rep.steps[last]!.fault?.property).toBe('INV-X');
    expect(r.message).toContain(`MMUEXT_PIN_L1_TABLE, ${X}`);
    expect(r.message).toContain(`Bad type (saw W != exp L1) for mfn ${X}`);
    expect(r.message).toContain('BUG()');
  });

  it('V-39 without the RW restore: every hypercall succeeds, and a spare page of [end, top) is left RO', async () => {
    const params = { ...small, ...V.v39NoRestore };
    const r = await checkIn(new CompiledModel(pgtRo, params), file);
    expect(r).toMatchObject({ verdict: 'violation', property: 'INV-R', kind: 'invariant' });
    const { rep, final } = walk(r, pgtRo, params);
    expect(rep.steps.some((s) => s.fault)).toBe(false);
    expect(rep.steps[rep.steps.length - 1]!.label).toBe('pud_populate:set_pud');
    expect(rep.steps.filter((s) => s.label === 'xen_alloc_pte_init:pin_pagetable_pfn')).toHaveLength(small.ranges);
    expect(final.get('pud')).toBe('true');
    const end = Number(final.get('pgt_buf_end'));
    const top = Number(final.get('pgt_buf_top'));
    expect(top - end).toBe(small.spare);
    const spares = Array.from({ length: top - end }, (_, i) => final.get(`lm[${end + i}]`));
    expect(spares).toContain('RO');
  });
});

describe('the safe variants are not safe by accident', () => {
  const verdictOf = (model: Model, params: Params) => checkIn(new CompiledModel(model, params), file);

  it.each([
    ['V-pre low, tables placed high (4b239f458)', { ...V.preLow, placement: 'high' }, 'INV-X'],
    ['V-39 full, without xen_mapping_pagetable_reserve', { ...V.v39, reserve: false }, 'INV-R'],
    ['V-39 full, mask_rw_pte only up to pgt_buf_end', { ...V.v39, mask: 'end' }, 'INV-X'],
    ['V-3.9, tables from the range being mapped', { ...V.v3_9, placement: 'high' }, 'INV-X'],
  ] as const)('the fix removed: %s', async (_name, variant, property) => {
    for (const g of [small, deep]) {
      const r = await verdictOf(pgtRo, { ...g, ...variant });
      expect(r.verdict).toBe('violation');
      expect(r.property).toBe(property);
    }
  });

  it('V-39 full reaches the window of the diagram: a page-table page already mapped by a pinned, unreachable PTE page is pinned (and its entry is RO)', async () => {
    const params = { ...small, ...V.v39 };
    const model = withProbe((s, w, g) => {
      if (w.pc('G') !== 'xen_alloc_pte_init:pin_pagetable_pfn') return false;
      const f = s.pte_page.get(w.locals('G').r);
      const holder = s.pte_page.get(g.rangeOf(f));
      return s.lm.get(f) !== 'ABSENT' && holder >= 0 && s.xen[holder].pinned && !lookupAddress(s, g, f);
    });
    const r = await verdictOf(model, params);
    expect(r.property).toBe('probe');
    const { final } = walk(r, model, params);
    const X = final.get(`pte_page[${final.get('G[0].r')}]`);
    expect(final.get(`lm[${X}]`)).toBe('RO');
    expect(final.get(`xen[${X}].tcount`)).toBe('0');
  });

  it('V-39 full: the restore really turns a read-only spare page RW', async () => {
    const r = await verdictOf(
      withProbe((s, w) => w.pc('G') === 'xen_mapping_pagetable_reserve:make_lowmem_page_readwrite' && s.lm.get(w.locals('G').f) === 'RO'),
      { ...small, ...V.v39 },
    );
    expect(r.property).toBe('probe');
  });

  it.each([
    ['V-pre low', V.preLow],
    ['V-3.9', V.v3_9],
  ] as const)('%s: each table page is still mapped RW (a W type reference) when make_lowmem_page_readonly runs, and has none at the pin', async (_n, variant) => {
    for (const [label, page] of [
      ['xen_alloc_pte_init:make_lowmem_page_readonly', (s: any, w: any) => s.pte_page.get(w.locals('G').r)],
      ['xen_alloc_pmd_init:make_lowmem_page_readonly', (s: any) => s.pmd_page],
    ] as const) {
      const before = await verdictOf(
        withProbe((s, w) => {
          if (w.pc('G') !== label) return false;
          const f = page(s, w);
          return s.lm.get(f) === 'RW' && s.xen[f].type === 'W' && s.xen[f].tcount >= 1;
        }),
        { ...small, ...variant },
      );
      expect(before.property).toBe('probe');
    }
    const atPin = await verdictOf(
      withProbe((s, w) => {
        if (w.pc('G') !== 'xen_alloc_pte_init:pin_pagetable_pfn') return false;
        const f = s.pte_page.get(w.locals('G').r);
        return s.lm.get(f) === 'RO' && s.xen[f].tcount === 0;
      }),
      { ...small, ...variant },
    );
    expect(atPin.property).toBe('probe');
  });

  it('V-3.9: the allocator returns every free mapped frame as the first PTE page', async () => {
    const g = geometry(small);
    for (let f = 0; f < g.boot; f++) {
      const r = await verdictOf(withProbe((s) => s.pte_page.get(0) === f), { ...small, ...V.v3_9 });
      expect(r.property).toBe('probe');
    }
  });

  it('V-39 full: the buffer is placed at every base inside the range being mapped', async () => {
    const g = geometry(small);
    for (let base = g.boot; base + g.buffer <= g.frames; base++) {
      const r = await verdictOf(withProbe((s, w) => w.pc('G') === 'done' && s.pgt_buf_start === base), { ...small, ...V.v39 });
      expect(r.property).toBe('probe');
    }
  });
});

describe("the oracle's type counts match the page tables in every reachable state", () => {
  /**
   * Recomputed from the page tables: W references (an RW entry in a validated L1: the
   * boot L1, a pinned P_r, the fixmap), L1 references (the pin, M's entry once M is
   * validated), the L2 reference (the pud entry). A frame has one kind at most.
   */
  const consistent = (p: any) => {
    const g = geometry(p);
    return {
      'xen-consistent': (s: any) => {
        for (let f = 0; f < g.frames; f++) {
          const r = g.rangeOf(f);
          const holder = r < 0 ? -1 : s.pte_page.get(r);
          const validated = r < 0 || (holder >= 0 && s.xen[holder].pinned);
          const w = (validated && s.lm.get(f) === 'RW' ? 1 : 0) + (s.fixmap.get(f) === 'RW' ? 1 : 0);
          let l1 = 0;
          let pinned = false;
          for (let k = 0; k < p.ranges; k++) {
            if (s.pte_page.get(k) !== f || !s.xen[f].pinned) continue;
            pinned = true;
            l1 += 1 + (s.pud && s.pmd.get(k) ? 1 : 0);
          }
          const l2 = s.pud && s.pmd_page === f ? 1 : 0;
          const x = s.xen[f];
          if ([w, l1, l2].filter((n) => n > 0).length > 1) return false;
          if (x.tcount !== w + l1 + l2 || x.pinned !== pinned) return false;
          if ((w > 0 && x.type !== 'W') || (l1 > 0 && x.type !== 'L1') || (l2 > 0 && x.type !== 'L2')) return false;
        }
        return true;
      },
    };
  };

  it.each([
    ['V-pre low', V.preLow, 'safe'],
    ['V-pre high', V.preHigh, 'INV-X'],
    ['V-39 without restore', V.v39NoRestore, 'INV-R'],
    ['V-39 full', V.v39, 'safe'],
    ['V-3.9', V.v3_9, 'safe'],
    ['V-3.9 with high tables', { ...V.v3_9, placement: 'high' }, 'INV-X'],
  ] as const)('%s', async (_name, variant, want) => {
    const model = withInvariants(consistent);
    for (const g of [small, deep]) {
      for (const strategy of ['bfs', 'dfs'] as const) {
        const r = await checkIn(new CompiledModel(model, { ...g, ...variant }), file, { strategy, shrink: false });
        expect(r.verdict === 'safe' ? 'safe' : r.property).toBe(want);
      }
    }
  });
});

describe('src/kernel/xen.ts: the rules of xen/arch/x86/mm.c', () => {
  const frames = (n: number): XenFrame[] => Array.from({ length: n }, () => ({ type: 'none', tcount: 0, pinned: false }));
  /** The references held, per frame (a type with count 0 is no reference: Xen keeps stale type bits). */
  const refs = (fs: XenFrame[]) => fs.map((f) => (f.tcount > 0 ? `${f.type}:${f.tcount}${f.pinned ? ' pinned' : ''}` : 'free'));

  it('get_page_type: an untyped frame takes the type; the same type counts up; another type fails while referenced', () => {
    const fs = frames(1);
    expect(getPageType(fs, 0, 'W')).toBeNull();
    expect(getPageType(fs, 0, 'W')).toBeNull();
    expect(fs[0]).toEqual({ type: 'W', tcount: 2, pinned: false });
    expect(getPageType(fs, 0, 'L1')).toBe('Bad type (saw W != exp L1) for mfn 0');
    expect(fs[0]!.tcount).toBe(2);
    putPageType(fs, 0);
    putPageType(fs, 0);
    // Type count 0: the frame may change type.
    expect(getPageType(fs, 0, 'L1', () => null)).toBeNull();
    expect(fs[0]).toEqual({ type: 'L1', tcount: 1, pinned: false });
  });

  it('get_page_type validates a table type only when it takes the type, and a failed validation leaves no reference', () => {
    const fs = frames(1);
    let validations = 0;
    expect(getPageType(fs, 0, 'L2', () => (validations++, 'bad entry'))).toBe('bad entry');
    expect(fs[0]).toEqual({ type: 'none', tcount: 0, pinned: false });
    expect(getPageType(fs, 0, 'L2', () => (validations++, null))).toBeNull();
    expect(getPageType(fs, 0, 'L2', () => (validations++, 'never called'))).toBeNull();
    expect(validations).toBe(2);
    expect(fs[0]!.tcount).toBe(2);
  });

  it('put_page_type devalidates a table whose count reaches 0, and refuses a reference never taken', () => {
    const fs = frames(1);
    getPageType(fs, 0, 'L1', () => null);
    getPageType(fs, 0, 'L1');
    let freed = 0;
    putPageType(fs, 0, () => freed++);
    expect(freed).toBe(0);
    putPageType(fs, 0, () => freed++);
    expect(freed).toBe(1);
    expect(() => putPageType(fs, 0)).toThrow(/already 0/);
  });

  it('X1: an RW entry needs a W reference, an RO entry none; an RW entry onto a table frame is refused', () => {
    const fs = frames(2);
    expect(getPageFromL1e(fs, { frame: 0, rw: false })).toBeNull();
    expect(fs[0]!.tcount).toBe(0);
    expect(getPageFromL1e(fs, { frame: 0, rw: true })).toBeNull();
    expect(fs[0]).toMatchObject({ type: 'W', tcount: 1 });
    pinTable(fs, 1, 'L1', () => null);
    expect(getPageFromL1e(fs, { frame: 1, rw: true })).toMatch(/Bad type \(saw L1 != exp W\) for mfn 1; Error getting mfn 1/);
    expect(fs[1]).toEqual({ type: 'L1', tcount: 1, pinned: true });
  });

  it('mod_l1_entry (update_va_mapping): RW -> RO drops the W reference; RO -> RW of a table frame fails and changes nothing', () => {
    const fs = frames(2);
    modL1Entry(fs, null, { frame: 0, rw: true });
    expect(modL1Entry(fs, { frame: 0, rw: true }, { frame: 0, rw: false })).toBeNull();
    expect(fs[0]!.tcount).toBe(0);
    // RW -> RW: the new reference is taken before the old one is dropped.
    modL1Entry(fs, null, { frame: 0, rw: true });
    expect(modL1Entry(fs, { frame: 0, rw: true }, { frame: 0, rw: true })).toBeNull();
    expect(fs[0]!.tcount).toBe(1);
    pinTable(fs, 1, 'L1', () => null);
    const snap = refs(fs);
    expect(modL1Entry(fs, { frame: 1, rw: false }, { frame: 1, rw: true })).not.toBeNull();
    expect(refs(fs)).toEqual(snap);
  });

  it('X2, MMUEXT_PIN_L1_TABLE: the frame must have no W reference; validation applies X1 to every entry and rolls back on failure', () => {
    const fs = frames(4);
    // Frame 0 is mapped RW somewhere: it cannot be pinned (the BUG of §2).
    getPageType(fs, 0, 'W');
    expect(pinTable(fs, 0, 'L1', () => null)).toBe('Bad type (saw W != exp L1) for mfn 0; Error while pinning mfn 0');
    // Frame 1: an L1 mapping 2 RW and 3 RW, where 3 is a pinned table: refused, and the
    // W reference taken on 2 is dropped again.
    pinTable(fs, 3, 'L1', () => null);
    const snap = refs(fs);
    const err = pinTable(fs, 1, 'L1', () => allocL1Table(fs, [
      { frame: 2, rw: true },
      { frame: 3, rw: true },
    ]));
    expect(err).toMatch(/saw L1 != exp W.*Error while pinning mfn 1/);
    expect(refs(fs)).toEqual(snap);
    // An L1 that maps itself RW can never be pinned: it is typed L1 while validated.
    expect(pinTable(fs, 2, 'L1', () => allocL1Table(fs, [{ frame: 2, rw: true }]))).toMatch(/saw L1 != exp W/);
    expect(fs[2]).toEqual({ type: 'none', tcount: 0, pinned: false });
    // RO entries are fine, and a second pin is refused without leaking a reference.
    expect(pinTable(fs, 2, 'L1', () => allocL1Table(fs, [{ frame: 2, rw: false }, { frame: 3, rw: false }]))).toBeNull();
    expect(pinTable(fs, 2, 'L1', () => null)).toBe('Mfn 2 already pinned');
    expect(fs[2]).toEqual({ type: 'L1', tcount: 1, pinned: true });
    expect(unpinTable(fs, 2)).toBeNull();
    expect(fs[2]).toEqual({ type: 'L1', tcount: 0, pinned: false });
    expect(unpinTable(fs, 2)).toBe('Mfn 2 not pinned');
  });

  it('X2 for a table pointer: an L2 entry takes an L1 reference on its child, validating it if untyped; failures roll back', () => {
    const fs = frames(4);
    pinTable(fs, 1, 'L1', () => null);
    let validated: number[] = [];
    const validateChild = (ch: number) => (validated.push(ch), null);
    expect(getPageType(fs, 0, 'L2', () => allocTable(fs, 'L2', [1, 2], validateChild))).toBeNull();
    expect(validated).toEqual([2]); // 1 was already a validated L1
    expect(fs.map((f) => [f.type, f.tcount])).toEqual([['L2', 1], ['L1', 2], ['L1', 1], ['none', 0]]);
    // A child mapped RW (W) cannot become an L1: the L2 is refused, references rolled back.
    getPageType(fs, 3, 'W');
    const snap = refs(fs);
    validated = [];
    expect(allocTable(fs, 'L2', [1, 3], validateChild)).toBe('Bad type (saw W != exp L1) for mfn 3');
    expect(refs(fs)).toEqual(snap);
  });
});
