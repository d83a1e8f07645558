/**
 * xen-pgt-ro — Xen PV: page-table pages must be read-only before they are pinned or
 * hooked (2011: 4b239f458 "x86-64, mm: Put early page table high", 2.6.39-rc1, and its
 * fix 279b706 "x86,xen: introduce x86_init.mapping.pagetable_reserve"; Yinghai Lu's 3.9
 * top-down rework). Specification: docs/seed-problems.md §2; the LKML thread "Xen MMU's
 * requirement to pin pages RO and initial_memory_mapping" (Stefano Stabellini, Konrad
 * Rzeszutek Wilk, May 2011).
 *
 * Kernel sources: arch/x86/mm/init_64.c (2.6.37-3.8: alloc_low_page, unmap_low_page,
 * phys_pte_init, phys_pmd_init, phys_pud_init, kernel_physical_mapping_init),
 * arch/x86/mm/init.c (init_memory_mapping, find_early_table_space, the pagetable_reserve
 * hook), arch/x86/xen/mmu.c (mask_rw_pte, xen_set_pte_init, xen_alloc_pte_init,
 * xen_alloc_pmd_init, pin_pagetable_pfn, make_lowmem_page_readonly/readwrite,
 * xen_mapping_pagetable_reserve); Xen: xen/arch/x86/mm.c (get_page_type,
 * get_page_from_l1e, do_mmuext_op MMUEXT_PIN_L1_TABLE), see src/kernel/xen.ts.
 *
 * The bad sequence (V-pre with high tables; P2 == X, the frame P1 maps RW):
 *
 *   kernel_physical_mapping_init (boot CPU)                  Xen
 *   M  = alloc_low_page()        (fixmap RW alias, M not hooked)
 *   P1 = alloc_low_page(); fill: pte(X) = RW   (X >= pgt_buf_end)
 *   pmd_populate_kernel(M,P1): pin L1(P1)          validate P1 -> X: type W, count 1
 *   P2 = alloc_low_page()  == frame X; fill
 *   pmd_populate_kernel(M,P2):
 *     make_lowmem_page_readonly(__va(X))
 *       lookup_address -> NULL (path via M unhooked) -> no-op
 *     pin L1(X)                                    get_page_type(X,L1): W!=L1 -> -EINVAL
 *     BUG()
 *
 * Actors. G, the boot CPU running init_memory_mapping, single-threaded: the steps G1..G7
 * of docs/seed-problems.md. H, the hypervisor, is not an actor: it is the synchronous oracle of
 * src/kernel/xen.ts (X1, X2, X3), whose checks run inside the G step that makes the
 * hypercall (or whose write Xen traps and emulates). The race diagram gives Xen a
 * column of its own: G's steps note what Xen did (`c.note('Xen', ...)`: a validation, a
 * refusal). There is no concurrency: the checker explores the layouts (where the
 * page-table buffer lies, which free frame the 3.9 allocator returns), not interleavings.
 *
 * Geometry (parameters `ranges`, `pages`, `spare`). Physical frames 0..F-1, pfn == mfn:
 *   [0, B)       the boot region, B = 1 + ranges + spare: memory already mapped, RW, by a
 *                validated, hooked L1 of the initial (Xen-built) tables;
 *   [B, F)       the range this init_memory_mapping call maps: `ranges` 2 MB ranges of
 *                `pages` frames each; range r gets a new PTE page P_r; one new PMD page M
 *                holds the pmd entries of all the ranges; M is hooked by one pud entry of
 *                the live, pinned root.
 *   The page-table buffer [pgt_buf_start, pgt_buf_top) has 1 + ranges + spare frames
 *   (find_early_table_space overestimates: `spare` frames are left in [end, top)).
 *
 * Shared state: lm[f], the linear-map pte of frame f (ABSENT/RO/RW; held by the boot L1
 * for f < B, by P_r for a frame of range r); fixmap[f], an early_memremap alias of f;
 * pmd_page (M), pte_page[r] (P_r), pmd[r] (M[r] = P_r written), pud (M hooked); the
 * cursors pgt_buf_start/end/top; xen[f], Xen's type, type count and pin bit per frame.
 *
 * Invariants:
 *   INV-X  every hypercall from G succeeds: a refused pin, update_va_mapping, mmu_update
 *          or trapped write is a BUG()/Oops, raised as a fault with property INV-X by the
 *          step that makes it. Xen refuses exactly when X2 meets a frame with W type
 *          references or X1 would writably map a frame typed as a table.
 *   INV-R  after G7 (G done), every frame of [pgt_buf_end, pgt_buf_top), returned to the
 *          allocator, is mapped RW (and reachable) in the linear map.
 *
 * Variants → parameters → verdict (scenarios/xen/):
 *   V-pre, low tables        placement=low  mask=end reserve=false   SAFE
 *   V-pre, high tables       placement=high mask=end reserve=false   VIOLATION(INV-X)
 *   V-39 without RW restore  placement=high mask=top reserve=false   VIOLATION(INV-R), INV-X safe
 *   V-39 full                placement=high mask=top reserve=true    SAFE
 *   V-3.9                    placement=mapped mask=none reserve=false SAFE
 * where
 *   placement  where page-table pages come from: low = pgt_buf in memory already mapped
 *              and reachable (2.6.37/38); high = pgt_buf inside the range being mapped,
 *              anywhere in it (4b239f458); mapped = 3.9's alloc_low_pages, any free frame
 *              of the memory already mapped (min_pfn_mapped..max_pfn_mapped), used through
 *              __va, with no early_memremap;
 *   mask       the x86_64 mask_rw_pte: end = write-protect pgt_buf_start <= pfn <
 *              pgt_buf_end (as it stands when the pte is written), early_ioremap slots
 *              untouched (2.6.37/38); top = write-protect pgt_buf_start <= pfn <
 *              pgt_buf_top, and early_ioremap slots unless pfn == pgt_buf_end-1 (2.6.39);
 *              none = 3.9, the buffer range is no longer used;
 *   reserve    xen_mapping_pagetable_reserve makes [end, top) RW again (279b706).
 *
 * Simplifications:
 *   - One init_memory_mapping call: one new PMD page and `ranges` new PTE pages; the
 *     PUD page is the existing pinned root, so phys_pud_init's reuse of an existing
 *     table through map_low_page is not modelled. That is the only place where the
 *     2.6.39 early_ioremap rule (RO unless pfn == pgt_buf_end-1) makes a difference:
 *     alloc_low_page always maps the newest buffer page, which both rules map RW. The
 *     rule is implemented in mask_rw_pte all the same.
 *   - The boot region is not re-mapped: phys_pte_init reuses existing ptes ("We will
 *     re-use the existing mapping"), so mapping it again changes nothing.
 *   - A 2 MB range is `pages` frames, a PTE page's whole content is written in one step
 *     (phys_pte_init), and so is the buffer placement (find_early_table_space chooses any
 *     base inside the range being mapped, not only the top).
 *   - __flush_tlb_all, memblock reservations, clear_page and the spin_lock of
 *     init_mm.page_table_lock change nothing Xen checks and are left out. So are the
 *     kernel's own mappings of the page-table pages outside the linear map (the
 *     __START_KERNEL_map alias covers the kernel image, not the buffer).
 *   - Xen keeps no plain page reference counts (see src/kernel/xen.ts); pfn == mfn.
 *
 * Expected state counts (measured with `mmrace check`, BFS; ranges=2 pages=4 spare=1):
 *   V-pre low                safe, 21 states
 *   V-pre high               violation of INV-X after 76 states; counterexample 16 steps
 *                            (buffer at the start of the range mapped; DFS: 20 states)
 *   V-39 without restore     violation of INV-R after 97 states; counterexample 20 steps
 *                            (a whole run: INV-R holds only once G is done)
 *   V-39 full                safe, 106 states (5 buffer placements)
 *   V-3.9                    safe, 233 states (4 * 3 * 2 allocation orders)
 * Deep (ranges=3 pages=6 spare=2): V-pre high violation after 196 states (16 steps),
 * V-39 full safe 378 states, V-3.9 safe 3,277 states.
 */
import { actor, array, bool, defineModel, enumOf, int, param, type StepCtx, type StepDef } from 'mmrace/model';
import {
  allocL1Table,
  allocTable,
  getPageType,
  modL1Entry,
  pinTable,
  setFrame,
  xenFramesType,
  type L1e,
  type XenResult,
} from 'mmrace/kernel';

type Prot = 'ABSENT' | 'RO' | 'RW';

interface P {
  readonly ranges: number;
  readonly pages: number;
  readonly spare: number;
  readonly placement: 'low' | 'high' | 'mapped';
  readonly mask: 'end' | 'top' | 'none';
  readonly reserve: boolean;
}

/** The frame layout of a parameter set. */
export function geometry(p: Pick<P, 'ranges' | 'pages' | 'spare'>) {
  const buffer = 1 + p.ranges + p.spare;
  const boot = buffer;
  const frames = boot + p.ranges * p.pages;
  return {
    /** Frames of the page-table buffer (pgt_buf_top - pgt_buf_start). */
    buffer,
    /** The boot region [0, boot): already mapped and reachable. */
    boot,
    frames,
    /** The 2 MB range of frame f (its PTE page P_r holds lm[f]), -1 for the boot region. */
    rangeOf: (f: number) => (f < boot ? -1 : Math.floor((f - boot) / p.pages)),
    /** The first frame of range r. */
    first: (r: number) => boot + r * p.pages,
  };
}

export default defineModel({
  id: 'xen-pgt-ro',
  title: 'Xen PV: page-table pages must be read-only before they are pinned or hooked',
  params: {
    ranges: param.int(1, 3, 2, '2 MB ranges mapped (new PTE pages)'),
    pages: param.int(2, 6, 4, 'pages per 2 MB range (PTRS_PER_PTE, 512 in the kernel)'),
    spare: param.int(0, 2, 1, 'pages find_early_table_space reserves beyond need: [end, top) after the mapping'),
    placement: param.enum(['low', 'high', 'mapped'], 'high', 'page-table pages: pgt_buf already mapped (2.6.38); pgt_buf inside the range mapped (2.6.39); any mapped free frame (3.9)'),
    mask: param.enum(['end', 'top', 'none'], 'top', 'mask_rw_pte: RO below pgt_buf_end (2.6.38); below pgt_buf_top, fixmap RO unless newest (2.6.39); no buffer rule (3.9)'),
    reserve: param.bool(true, 'xen_mapping_pagetable_reserve: make [pgt_buf_end, pgt_buf_top) RW again (279b706)'),
  },
  state: (p) => {
    const g = geometry(p);
    if (p.placement === 'high' && p.ranges * p.pages < g.buffer) {
      throw new Error(`xen-pgt-ro: ${g.buffer} buffer pages do not fit in ${p.ranges} ranges of ${p.pages} pages`);
    }
    return {
      /** The linear-map pte of each frame: the boot L1 holds it for the boot region, P_r for range r. */
      lm: array(g.frames, enumOf('ABSENT', 'RO', 'RW')),
      /** An early_memremap (fixmap) alias of the frame, in the pinned fixmap L1. */
      fixmap: array(g.frames, enumOf('NONE', 'RO', 'RW')),
      /** M, the new PMD page (-1 before alloc_low_page). */
      pmd_page: int(-1, g.frames - 1),
      /** P_r, the new PTE page of range r. */
      pte_page: array(p.ranges, int(-1, g.frames - 1)),
      /** M[r] = P_r written (pmd_populate_kernel). */
      pmd: array(p.ranges, bool()),
      /** The live root's pud entry points to M: M and what it points to are hooked. */
      pud: bool(),
      pgt_buf_start: int(0, g.frames),
      pgt_buf_end: int(0, g.frames),
      pgt_buf_top: int(0, g.frames),
      /** Xen's type information per frame (src/kernel/xen.ts). */
      xen: xenFramesType(g.frames),
    };
  },
  init: (c) => {
    // The boot region is mapped RW by a validated L1 of the initial tables: each frame
    // holds one W type reference (X1, taken when the domain builder validated it).
    const g = geometry(c.p);
    for (let f = 0; f < g.boot; f++) {
      c.s.lm.set(f, 'RW');
      setFrame(c.s.xen, f, 'W', 1);
    }
  },
  actors: (p) => ({
    G: actor({ locals: { r: int(0, p.ranges), f: int(0, geometry(p).frames) }, steps: bootCpu(p) }),
  }),
  invariants: (p) => {
    const g = geometry(p);
    return {
      'INV-R': (s, w) => {
        if (w.pc('G') !== 'done') return true;
        for (let f = s.pgt_buf_end; f < s.pgt_buf_top; f++) {
          if (s.lm.get(f) !== 'RW' || !lookupAddress(s, g, f)) return false;
        }
        return true;
      },
    };
  },
});

type Geo = ReturnType<typeof geometry>;

/**
 * lookup_address(__va(f)) from the live root: the boot L1 is reachable; P_r only once
 * M[r] = P_r is written and M is hooked (set_pud). NULL otherwise ("vaddr missing").
 * A table reachable from the live root is validated (X2 ran when it was hooked).
 */
export function lookupAddress(s: any, g: Geo, f: number): boolean {
  const r = g.rangeOf(f);
  return r < 0 || (s.pud && s.pmd.get(r));
}

/** The present entries of P_r, as Xen validates them. */
function l1Entries(s: any, g: Geo, p: P, r: number): L1e[] {
  const out: L1e[] = [];
  for (let q = g.first(r); q < g.first(r) + p.pages; q++) {
    const prot = s.lm.get(q) as Prot;
    if (prot !== 'ABSENT') out.push({ frame: q, rw: prot === 'RW' });
  }
  return out;
}

/** mask_rw_pte(ptep, pte) of arch/x86/xen/mmu.c (x86_64), as xen_set_pte_init applies it. */
function maskRwPte(p: P, s: any, pfn: number, earlyIoremap: boolean): 'RO' | 'RW' {
  const start = s.pgt_buf_start;
  const end = s.pgt_buf_end;
  const top = s.pgt_buf_top;
  switch (p.mask) {
    case 'end':
      // 2.6.37/38: "If the new pfn is within the range of the newly allocated kernel
      // pagetable, and it isn't being mapped into an early_ioremap fixmap slot, make
      // sure it is RO." The range is [pgt_buf_start, pgt_buf_end) as it stands now.
      return !earlyIoremap && pfn >= start && pfn < end ? 'RO' : 'RW';
    case 'top':
      // 2.6.39: the whole buffer up to pgt_buf_top, and every early_ioremap slot except
      // the one of the freshly allocated page (pfn == pgt_buf_end - 1).
      return (!earlyIoremap && pfn >= start && pfn < top) || (earlyIoremap && pfn !== end - 1) ? 'RO' : 'RW';
    case 'none':
      // 3.9: page-table pages come from mapped memory; no buffer range any more.
      return 'RW';
  }
}

function bug(c: StepCtx, call: string, err: string): void {
  // What Xen did, in its own column of the race diagram: `get_page_type(7,L1): W!=L1 -> -EINVAL`.
  if (c.noting) c.note('Xen', xenRefusal(err));
  c.fault(`${call} failed: (XEN) mm.c: ${err} -> BUG()`, 'INV-X');
}

/** Xen's log line as the diagram tells the refusal: the get_page_type that failed. */
function xenRefusal(err: string): string {
  const m = /Bad type \(saw (\w+) != exp (\w+)\) for mfn (\d+)/.exec(err);
  return m ? `get_page_type(${m[3]},${m[2]}): ${m[1]}!=${m[2]} -> -EINVAL` : `${err} -> -EINVAL`;
}

/** The frames a table's RW entries map inside the page-table buffer, with their type count: what a validation typed W there. */
function wTyped(s: any, entries: readonly L1e[]): string {
  const out: string[] = [];
  for (const e of entries) {
    if (e.rw && e.frame >= s.pgt_buf_start && e.frame < s.pgt_buf_top) out.push(`${e.frame}: type W, count ${s.xen[e.frame].tcount}`);
  }
  return out.join('; ');
}

/** The name of a frame the boot CPU allocated, for the notes: `M`, `P1`, ... */
function frameName(s: any, ranges: number, f: number): string {
  if (s.pmd_page === f) return `M=${f}`;
  for (let r = 0; r < ranges; r++) if (s.pte_page.get(r) === f) return `P${r + 1}=${f}`;
  return `${f}`;
}

/**
 * make_lowmem_page_readonly / make_lowmem_page_readwrite(__va(f)):
 * pte = lookup_address(va); if (pte == NULL) return; HYPERVISOR_update_va_mapping(va,
 * pte_wrprotect / pte_mkwrite (*pte)) or BUG(). False when the step faulted.
 */
function setLowmemPage(c: StepCtx, g: Geo, f: number, prot: 'RO' | 'RW', fn: string): boolean {
  const s = c.s;
  if (!lookupAddress(s, g, f)) {
    if (c.noting) c.note(`__va(${f}): lookup_address -> NULL (path via M unhooked) -> no-op`);
    return true; // vaddr missing: nothing happens
  }
  const old = s.lm.get(f) as Prot;
  if (old === 'ABSENT') {
    if (c.noting) c.note(`__va(${f}): pte none -> no-op`);
    return true; // a none pte stays none
  }
  if (c.noting) c.note(`__va(${f}): update_va_mapping(${prot})`);
  const err = modL1Entry(s.xen, { frame: f, rw: old === 'RW' }, { frame: f, rw: prot === 'RW' });
  if (err !== null) {
    bug(c, `${fn}(__va(${f})): HYPERVISOR_update_va_mapping`, err);
    return false;
  }
  s.lm.set(f, prot);
  return true;
}

/** The steps of G: init_memory_mapping on the boot CPU (docs/seed-problems.md G1..G7). */
function bootCpu(p: P): Record<string, StepDef<any, any, any>> {
  const g = geometry(p);
  const pgtBuf = p.placement !== 'mapped';
  const steps: Record<string, StepDef<any, any, any>> = {};

  /** alloc_low_page: pgt_buf_end++ (2.6.37-3.8), or 3.9's alloc_low_pages from mapped memory. */
  const alloc = (c: StepCtx): number => {
    const s = c.s;
    if (pgtBuf) {
      const pfn = s.pgt_buf_end;
      if (pfn >= s.pgt_buf_top) throw new Error('alloc_low_page: ran out of memory'); // sized so it cannot happen
      s.pgt_buf_end = pfn + 1;
      return pfn;
    }
    // memblock_find_in_range(min_pfn_mapped, max_pfn_mapped): any free mapped frame.
    const free: number[] = [];
    for (let f = 0; f < g.boot; f++) {
      let used = s.pmd_page === f;
      for (let r = 0; r < p.ranges; r++) used ||= s.pte_page.get(r) === f;
      if (!used) free.push(f);
    }
    return c.choose('frame', free);
  };

  /** early_memremap(pfn): the fixmap pte goes through xen_set_pte_init -> mask_rw_pte,
   * a direct write into the pinned fixmap L1 that Xen traps and emulates (X1, X3). */
  const earlyMemremap = (c: StepCtx, f: number): void => {
    const prot = maskRwPte(p, c.s, f, true);
    if (c.noting) c.note(`fixmap alias of ${f} ${prot}`);
    const err = modL1Entry(c.s.xen, null, { frame: f, rw: prot === 'RW' });
    if (err !== null) {
      if (c.noting) c.note('Xen', xenRefusal(err));
      c.fault(`early_memremap(${f}): xen_set_pte_init: Xen refuses to emulate the fixmap pte write: (XEN) mm.c: ${err} -> Oops`, 'INV-X');
      return;
    }
    c.s.fixmap.set(f, prot);
  };

  /** unmap_low_page: early_iounmap clears the fixmap pte (Xen drops its references). */
  const unmapLowPage = (c: StepCtx, f: number): void => {
    const old = c.s.fixmap.get(f);
    modL1Entry(c.s.xen, old === 'NONE' ? null : { frame: f, rw: old === 'RW' }, null);
    c.s.fixmap.set(f, 'NONE');
    if (c.noting) c.note(`fixmap alias of ${f} cleared`);
  };

  if (pgtBuf) {
    // Where a high buffer may start: any frame of the range mapped that leaves room for it.
    const starts = Array.from({ length: g.frames - g.boot - g.buffer + 1 }, (_, i) => g.boot + i);
    steps['find_early_table_space'] = (c) => {
      // The buffer: low, in memory already mapped (2.6.37/38); or high, anywhere inside
      // the range this call maps (4b239f458).
      const start = p.placement === 'low' ? 0 : c.choose('start', starts);
      c.s.pgt_buf_start = start;
      c.s.pgt_buf_end = start;
      c.s.pgt_buf_top = start + g.buffer;
      if (c.noting) c.note(`pgt_buf = [${start}, ${start + g.buffer})${p.placement === 'low' ? '' : ', inside the range mapped'}`);
    };
  }

  // G1: phys_pud_init finds the pud entry empty: M = alloc_low_page().
  steps['phys_pud_init:alloc_low_page'] = (c) => {
    c.s.pmd_page = alloc(c);
    if (c.noting) c.note(`M = ${c.s.pmd_page}`);
    c.l.r = 0;
  };
  if (pgtBuf) steps['phys_pud_init:early_memremap'] = (c) => earlyMemremap(c, c.s.pmd_page);

  // G2..G5 for each 2 MB range r: phys_pmd_init.
  steps['phys_pmd_init:alloc_low_page'] = (c) => {
    c.s.pte_page.set(c.l.r, alloc(c));
    if (c.noting) c.note(`P${c.l.r + 1} = ${c.s.pte_page.get(c.l.r)}`);
  };
  if (pgtBuf) steps['phys_pmd_init:early_memremap'] = (c) => earlyMemremap(c, c.s.pte_page.get(c.l.r));
  steps['phys_pte_init'] = (c) => {
    // set_pte(pte, pfn_pte(q, PAGE_KERNEL)) for every frame of the range, through
    // xen_set_pte_init -> mask_rw_pte. P_r is not yet typed: plain writes Xen never sees.
    const first = g.first(c.l.r);
    for (let q = first; q < first + p.pages; q++) c.s.lm.set(q, maskRwPte(p, c.s, q, false));
    if (c.noting) c.note(() => {
      const ptes: string[] = [];
      for (let q = first; q < first + p.pages; q++) ptes.push(`${q}:${c.s.lm.get(q)}`);
      return `P${c.l.r + 1} fill: pte ${ptes.join(' ')}${pgtBuf ? ` (pgt_buf_end ${c.s.pgt_buf_end})` : ''}`;
    });
  };
  if (pgtBuf) steps['phys_pmd_init:unmap_low_page'] = (c) => unmapLowPage(c, c.s.pte_page.get(c.l.r));
  // G5: pmd_populate_kernel(&init_mm, pmd, P_r) -> paravirt_alloc_pte -> xen_alloc_pte_init.
  steps['xen_alloc_pte_init:make_lowmem_page_readonly'] = (c) => {
    setLowmemPage(c, g, c.s.pte_page.get(c.l.r), 'RO', 'make_lowmem_page_readonly');
  };
  steps['xen_alloc_pte_init:pin_pagetable_pfn'] = (c) => {
    const s = c.s;
    const r = c.l.r;
    const f = s.pte_page.get(r);
    // X2: MMUEXT_PIN_L1_TABLE validates P_r, X1 for each of its RW entries.
    if (c.noting) c.note(`pin L1(${frameName(s, p.ranges, f)})`);
    const err = pinTable(s.xen, f, 'L1', () => allocL1Table(s.xen, l1Entries(s, g, p, r)));
    if (err !== null) return bug(c, `pin_pagetable_pfn(MMUEXT_PIN_L1_TABLE, ${f}): HYPERVISOR_mmuext_op`, err);
    if (c.noting) c.note('Xen', () => {
      const typed = wTyped(s, l1Entries(s, g, p, r));
      return `validate ${f}${typed ? ` -> ${typed}` : ': OK'}`;
    });
  };
  steps['pmd_populate_kernel:set_pmd'] = (c) => {
    // M[r] = P_r: M is not typed yet, a plain write through its alias.
    c.s.pmd.set(c.l.r, true);
    if (c.noting) c.note(`M[${c.l.r}] = P${c.l.r + 1}`);
    c.l.r++;
    if (c.l.r < p.ranges) c.goto('phys_pmd_init:alloc_low_page');
  };

  // G6: unmap M, pud_populate -> xen_alloc_pmd_init, then set_pud into the pinned root.
  if (pgtBuf) steps['phys_pud_init:unmap_low_page'] = (c) => unmapLowPage(c, c.s.pmd_page);
  steps['xen_alloc_pmd_init:make_lowmem_page_readonly'] = (c) => {
    setLowmemPage(c, g, c.s.pmd_page, 'RO', 'make_lowmem_page_readonly');
  };
  const restore = pgtBuf && p.reserve;
  steps['pud_populate:set_pud'] = (c) => {
    const s = c.s;
    const m = s.pmd_page;
    // X2: the pud entry makes Xen take M as an L2 and validate it: each present pmd
    // entry takes an L1 reference on its PTE page (already pinned, so already valid).
    const children: number[] = [];
    for (let r = 0; r < p.ranges; r++) if (s.pmd.get(r)) children.push(s.pte_page.get(r));
    const validateChild = (ch: number): XenResult => {
      let r = 0;
      while (s.pte_page.get(r) !== ch) r++;
      return allocL1Table(s.xen, l1Entries(s, g, p, r));
    };
    const err = getPageType(s.xen, m, 'L2', () => allocTable(s.xen, 'L2', children, validateChild));
    if (err !== null) return bug(c, `set_pud(pud, __pud(${m} | _PAGE_TABLE)): HYPERVISOR_mmu_update`, err);
    if (c.noting) c.note(`hook M=${m}`);
    if (c.noting) c.note('Xen', `validate ${m} as L2`);
    s.pud = true;
    // G7: __flush_tlb_all; x86_init.mapping.pagetable_reserve(start, end).
    if (!restore || s.pgt_buf_end >= s.pgt_buf_top) return c.finish();
    c.l.f = s.pgt_buf_end;
  };
  if (restore) {
    steps['xen_mapping_pagetable_reserve:make_lowmem_page_readwrite'] = (c) => {
      // "set RW the remaining pages": [pgt_buf_end, pgt_buf_top), one page at a time.
      if (!setLowmemPage(c, g, c.l.f, 'RW', 'make_lowmem_page_readwrite')) return;
      c.l.f++;
      if (c.l.f < c.s.pgt_buf_top) c.goto('xen_mapping_pagetable_reserve:make_lowmem_page_readwrite');
    };
  }
  return steps;
}
