/**
 * direct_map — direct-map robustness: vfree of a VM_FLUSH_RESET_PERMS area against
 * hibernation's safe_copy_page (Mike Rapoport, "arch, mm: improve robustness of direct
 * map manipulation", v1 2020-10-25 to v7 2020-11-09, merged in v5.10).
 * Specification: docs/seed-problems.md §3. Kernel sources: mm/vmalloc.c (vm_remove_mappings,
 * set_area_direct_map, __vunmap), kernel/power/snapshot.c (safe_copy_page, do_copy_page,
 * the v1/v2 hibernate_map_page(page, enable) and the v5.10 hibernate_map_page /
 * hibernate_unmap_page), kernel/power/hibernate.c (create_image), arch/arm64/mm/pageattr.c
 * (set_direct_map_{invalid,default}_noflush, __kernel_map_pages, kernel_page_present),
 * arch/x86/mm/pat/set_memory.c (__set_pages_p/__set_pages_np, __kernel_map_pages,
 * kernel_page_present via lookup_address), mm/page_alloc.c (free_pages_prepare).
 *
 * The bad schedule (Mike, 2020-10-28; variant B1, arm64 dpa=0 rodata_full=1):
 *
 *   __vunmap()   (V, a non-freezable thread)
 *     vm_remove_mappings()
 *       set_direct_map_invalid()      pte[p] = INVALID
 *       (thread is frozen)
 *                                     safe_copy_page()             (H, irqs off, 1 CPU)
 *                                       kernel_page_present() = false
 *                                       __kernel_map_pages()
 *                                         if (!debug_pagealloc()) return
 *                                       do_copy_page() -> fault    (INV-COPY)
 *
 * Actors:
 *   V  vfree of a VM_FLUSH_RESET_PERMS area owning `vpages` pages: remove_vm_area;
 *      set_direct_map_invalid_noflush on each page (return ignored); _vm_unmap_aliases
 *      (flush_tlb_kernel_range over the direct map); set_direct_map_default_noflush on each
 *      page; __free_pages.
 *   H  create_image + copy_data_pages: local_irq_disable (the other CPUs are offline,
 *      tasks frozen), then safe_copy_page on every saveable page (H1 kernel_page_present;
 *      if not present H2 map back; H3 do_copy_page; if not present H4 unmap and flush),
 *      then local_irq_enable.
 *   A  (param A) debug_pagealloc free of a page that hibernation nevertheless saves:
 *      free_pages_prepare -> __kernel_map_pages(page, 1, 0) when debug_pagealloc is on.
 *
 * Scheduling. H is atomic: its first step sets `frozen` and, in the faithful mode, every
 * step of V and A awaits !frozen, so the schedules are V-prefix (and A), all of H,
 * V-suffix. V can only be paused between its own steps. With unconstrained=true the
 * guard is dropped and H interleaves step by step with V and A.
 *
 * Invariants:
 *   INV-COPY     do_copy_page never reads a page whose pte is INVALID (and not in the TLB):
 *                a fault with interrupts off is an Oops, raised as c.fault(.., 'INV-COPY').
 *   INV-RESTORE  when H has copied every page, each page's pte is what H1 found, and a
 *                page H left INVALID has no translation left in the TLB.
 *   INV-REPORT   if a map operation used by H returned an error, a message was printed
 *                (WARN_ON in v1/v2, pr_warn_once in v5.10). Ghosts mapFailed / warned.
 *
 * Gates on arm64, as read (sdm = set_direct_map_*_noflush, kmp = __kernel_map_pages,
 * kpp = kernel_page_present; x86 has no gates: cpa always runs, lookup_address walks):
 *
 *   code            sdm              kmp              kpp              H2/H4 use
 *   v5.9            rodata_full      dpa||rodata_full dpa||rodata_full kernel_map_pages
 *   v5.9-dpa-gate   rodata_full      dpa              dpa||rodata_full kernel_map_pages
 *   v1              rodata_full      dpa||rodata_full dpa||rodata_full hibernate_map_page(p, en)
 *   v1-full         rodata_full      rodata_full      rodata_full      hibernate_map_page(p, en)
 *   v5.10           dpa||rodata_full dpa||rodata_full dpa||rodata_full hibernate_{map,unmap}_page
 *
 * `v1` is v1/v2 up to patch 2/4 (hibernate uses set_direct_map_*, what Rick reviewed);
 * `v1-full` adds patch 3/4 of v1/v2, which also turned the arm64 gates of
 * __kernel_map_pages and kernel_page_present into `!rodata_full` (v3 restored
 * dpa||rodata_full in kmp/kpp and put it in sdm).
 *
 * Variants (scenarios/direct_map/):                                               verdict
 *   B0          arch=arm64 code=v5.9 (dpa, rodata_full: both), A                   SAFE
 *   B0-x86      arch=x86 code=v5.9 alloc_fail, A                                   SAFE
 *   B1          arch=arm64 code=v5.9-dpa-gate dpa=off rodata_full=on               VIOLATION(INV-COPY)
 *   B2          arch=arm64 code=v1 A dpa=on rodata_full=off                        VIOLATION(INV-COPY)
 *   B2-full     arch=arm64 code=v1-full A dpa=on rodata_full=off                   SAFE (A unmaps nothing)
 *               (no scenario: no pte ever becomes invalid, so safe proves nothing; B2 of
 *               docs/seed-problems.md §3, series v1/v2 as Rick reviewed it, is b2.json)
 *   B3          arch=x86 code=v5.9 large_np alloc_fail dpa=off, no A               VIOLATION(INV-REPORT) first;
 *               check=INV-COPY: VIOLATION(INV-COPY); check=INV-REPORT: VIOLATION(INV-REPORT)
 *   F           arch=arm64 code=v5.10 (both, both), A                              SAFE
 *   F-x86       arch=x86 code=v5.10 alloc_fail, A (map-back cannot fail)           SAFE
 *   F-fail      arch=x86 code=v5.10 large_np alloc_fail dpa=off, no A              VIOLATION(INV-COPY);
 *               check=INV-REPORT: SAFE (the warning is printed)
 *   B0-unc      B0 with unconstrained (check=INV-COPY)                             VIOLATION(INV-COPY)
 *   F-unc       F with unconstrained (check=INV-COPY)                              VIOLATION(INV-COPY)
 * Without H's atomicity INV-RESTORE fails too (V or A writes a pte between H1 and the end
 * of H), so which invariant a DFS meets first depends on the search order; the
 * unconstrained scenarios check INV-COPY alone, the TOCTOU fault of the specification.
 * Unconstrained, H can also undo V's restore (H1 finds the page INVALID, V runs
 * set_direct_map_default and __free_pages, H's unmap runs last): a freed page is left
 * out of the direct map. None of the three invariants names that (INV-RESTORE holds: H
 * left the pte as it found it); test/models/direct_map.test.ts shows it with a probe.
 *
 * Simplifications:
 * - A pte is VALID or INVALID; protections other than PTE_VALID / _PAGE_PRESENT are not
 *   modelled. On arm64 the mapping level is not modelled: the linear map is page-granular
 *   whenever a gate is open (rodata_full or debug_pagealloc forbid block mappings), and
 *   nothing changes it when every gate is closed.
 * - x86: each page sits in its own region, 4K or LARGE (a 2M/1G mapping; LARGE only when
 *   debug_pagealloc is off, which disables large direct-map pages). change_page_attr on a
 *   LARGE page keeps it when the page already has the requested present bit
 *   (try_preserve_large_page) and otherwise splits it; with alloc_fail each split chooses
 *   whether its page-table allocation fails (-ENOMEM, pte unchanged).
 * - `large_np` adds the hypothetical caller of B3: a page of a LARGE region it left
 *   not-present (set_memory_np on a whole large page). x86 only.
 * - dpa=on stands for DEBUG_PAGEALLOC=y and debug_pagealloc=on; with dpa=off it does not
 *   matter whether DEBUG_PAGEALLOC is compiled in, since every reader tests
 *   debug_pagealloc_enabled() at run time and hibernation's helpers exist under
 *   ARCH_HAS_SET_DIRECT_MAP on both arches. rodata_full is not read on x86.
 * - The TLB is the hibernating CPU's, one entry per page; it starts empty (a stale entry
 *   could only hide a fault), do_copy_page fills it, flushes empty it.
 * - A page V has freed is not saveable (copy_data_pages skips free pages): H1 skips it.
 *   V's __free_pages does not run debug_pagealloc itself; A is the debug_pagealloc free.
 * - With check=INV-RESTORE or INV-REPORT the Oops of do_copy_page does not stop the search:
 *   it sets the ghost `oops` and H stops there (the snapshot is dead); V and A may then run
 *   on, so the search reports no false deadlock.
 *
 * Expected state counts (measured with `mmrace check`; BFS and DFS explore the same states
 * when safe), and the length of the BFS counterexample:
 *   B0 435 · B0-x86 319 · B2-full 90 · F 452 · F-x86 321 · F-fail check=INV-REPORT 156 (SAFE)
 *   B1 42 (6 steps) · B2 59 (7) · B3 check=INV-COPY 51 (6) · B3 check=INV-REPORT 37 (5)
 *   F-fail 51 (6) · B0-unconstrained 121 (5) · F-unconstrained 122 (5)
 *   vpages=3 (deep): F 1,320 · B0-x86 2,581 (SAFE)
 */
import { actor, array, bool, defineModel, enumOf, int, MmraceError, param, type StepCtx, type StepDef } from 'mmrace/model';
import { takeFault, type FaultPolicy } from 'mmrace/kernel';

export const CODES = ['v5.9', 'v5.9-dpa-gate', 'v1', 'v1-full', 'v5.10'] as const;
export type Code = (typeof CODES)[number];
const TRI = ['off', 'on', 'both'] as const;
const CHECKS = ['all', 'INV-COPY', 'INV-RESTORE', 'INV-REPORT'] as const;

type Gate = 'rodata_full' | 'dpa' | 'dpa||rodata_full';
interface Gates {
  /** set_direct_map_{invalid,default}_noflush: returns 0 without doing anything when closed. */
  readonly sdm: Gate;
  /** __kernel_map_pages: returns early when closed. */
  readonly kmp: Gate;
  /** kernel_page_present: returns true without walking when closed. */
  readonly kpp: Gate;
}

/** arch/arm64/mm/pageattr.c, as read in each version. */
export const ARM64_GATES: Readonly<Record<Code, Gates>> = {
  'v5.9': { sdm: 'rodata_full', kmp: 'dpa||rodata_full', kpp: 'dpa||rodata_full' },
  'v5.9-dpa-gate': { sdm: 'rodata_full', kmp: 'dpa', kpp: 'dpa||rodata_full' },
  v1: { sdm: 'rodata_full', kmp: 'dpa||rodata_full', kpp: 'dpa||rodata_full' },
  'v1-full': { sdm: 'rodata_full', kmp: 'rodata_full', kpp: 'rodata_full' },
  'v5.10': { sdm: 'dpa||rodata_full', kmp: 'dpa||rodata_full', kpp: 'dpa||rodata_full' },
};

const ENOMEM = -12;
const COPY: FaultPolicy = { space: 'kernel', property: 'INV-COPY' };

interface P {
  arch: 'arm64' | 'x86';
  code: Code;
  dpa: (typeof TRI)[number];
  rodata_full: (typeof TRI)[number];
  A: boolean;
  vpages: number;
  large_np: boolean;
  alloc_fail: boolean;
  unconstrained: boolean;
  check: (typeof CHECKS)[number];
}

/** Page numbering: V's pages first, then A's page, then the large not-present page. */
function layout(p: P) {
  const a = p.A ? p.vpages : -1;
  const np = p.large_np ? p.vpages + (p.A ? 1 : 0) : -1;
  return { n: p.vpages + (p.A ? 1 : 0) + (p.large_np ? 1 : 0), a, np };
}

type Ctx = StepCtx<any, any, P>;

function open(g: Gate, s: { dpa: boolean; rodata_full: boolean }): boolean {
  return g === 'rodata_full' ? s.rodata_full : g === 'dpa' ? s.dpa : s.dpa || s.rodata_full;
}

/** A closed gate as the kernel tests it, for the notes. */
const CLOSED: Readonly<Record<Gate, string>> = {
  rodata_full: 'if (!rodata_full) return',
  dpa: 'if (!debug_pagealloc()) return',
  'dpa||rodata_full': 'if (!debug_pagealloc() && !rodata_full) return',
};
const closedText = (g: Gate): string => CLOSED[g];

/**
 * x86 change_page_attr on one 4K page of the direct map (__set_pages_p / __set_pages_np):
 * a LARGE mapping is kept when the page already has the requested present bit, else
 * split_large_page allocates a page table, which may fail. Returns 0 or -ENOMEM.
 */
function cpa(c: Ctx, i: number, v: 'VALID' | 'INVALID'): number {
  const s = c.s;
  if (s.level.get(i) === 'LARGE') {
    if (s.pte.get(i) === v) return 0; // try_preserve_large_page: nothing to change
    if (c.p.alloc_fail && c.choose(['split: alloc ok', 'split: alloc fails']) === 'split: alloc fails') {
      if (c.noting) c.note(`page ${i}: split_large_page: -ENOMEM, pte unchanged`);
      return ENOMEM;
    }
    s.level.set(i, '4K');
  }
  s.pte.set(i, v);
  if (c.noting) c.note(`page ${i} ${v}`);
  return 0;
}

/** set_direct_map_default_noflush (VALID) / set_direct_map_invalid_noflush (INVALID). */
function setDirectMap(c: Ctx, i: number, v: 'VALID' | 'INVALID'): number {
  if (c.p.arch === 'x86') return cpa(c, i, v);
  // arm64: if (!gate) return 0; apply_to_page_range() on an existing pte cannot fail.
  const gate = ARM64_GATES[c.p.code].sdm;
  if (open(gate, c.s)) {
    c.s.pte.set(i, v);
    if (c.noting) c.note(`page ${i} ${v}`);
  } else if (c.noting) c.note(`${closedText(gate)} 0`);
  return 0;
}

/** flush_tlb_kernel_range(addr, addr + PAGE_SIZE) / __flush_tlb_all on the copying CPU. */
function flushTlb(c: Ctx, i: number | 'all'): void {
  if (i === 'all') for (let j = 0; j < c.s.tlb.length; j++) c.s.tlb.set(j, false);
  else c.s.tlb.set(i, false);
}

/**
 * __kernel_map_pages(page, 1, enable). arm64: if (!gate) return; set_memory_valid ->
 * apply_to_page_range + flush_tlb_kernel_range. x86: __set_pages_p/np, "the return value
 * is ignored as the calls cannot fail", then __flush_tlb_all. Returns cpa's result (for
 * the ghost of INV-REPORT: the caller ignores it).
 */
function kernelMapPages(c: Ctx, i: number, v: 'VALID' | 'INVALID'): number {
  if (c.p.arch === 'x86') {
    const ret = cpa(c, i, v);
    flushTlb(c, 'all');
    return ret;
  }
  const gate = ARM64_GATES[c.p.code].kmp;
  if (!open(gate, c.s)) {
    if (c.noting) c.note(closedText(gate));
    return 0;
  }
  c.s.pte.set(i, v);
  if (c.noting) c.note(`page ${i} ${v}`);
  flushTlb(c, i);
  return 0;
}

/** kernel_page_present(page). */
function kernelPagePresent(c: Ctx, i: number): boolean {
  // arm64: if (!gate) return true; else walk: pte_valid(). x86: lookup_address() is
  // level-aware: the pte or the large pmd/pud that maps the page, & _PAGE_PRESENT.
  const gate = ARM64_GATES[c.p.code].kpp;
  if (c.p.arch === 'arm64' && !open(gate, c.s)) {
    if (c.noting) c.note(`${closedText(gate)} true`);
    return true;
  }
  if (c.noting) c.note(`page ${i} ${c.s.pte.get(i)} -> ${c.s.pte.get(i) === 'VALID'}`);
  return c.s.pte.get(i) === 'VALID';
}

/** A map operation used by H returned `ret`; `reports` says whether the caller prints it. */
function mapResult(c: Ctx, ret: number, reports: boolean): void {
  if (ret === 0) return;
  c.s.mapFailed = true;
  if (reports) c.s.warned = true;
}

/** H's map-back (H2) and unmap (H4) steps, named and coded as in each version. */
function hibernateMapSteps(code: Code): Record<string, (c: Ctx) => void> {
  switch (code) {
    case 'v5.9':
    case 'v5.9-dpa-gate':
      return {
        'kernel_map_pages(page, 1, 1)': (c) => mapResult(c, kernelMapPages(c, c.l.i, 'VALID'), false),
        'kernel_map_pages(page, 1, 0)': (c) => mapResult(c, kernelMapPages(c, c.l.i, 'INVALID'), false),
      };
    case 'v1':
    case 'v1-full': {
      // hibernate_map_page(page, enable): ret = set_direct_map_*(page);
      // if (WARN_ON(ret)) return; flush_tlb_kernel_range(addr, addr + PAGE_SIZE);
      const mapPage = (c: Ctx, v: 'VALID' | 'INVALID') => {
        const ret = setDirectMap(c, c.l.i, v);
        mapResult(c, ret, true);
        if (ret === 0) flushTlb(c, c.l.i);
      };
      return {
        'hibernate_map_page(page, 1)': (c) => mapPage(c, 'VALID'),
        'hibernate_map_page(page, 0)': (c) => mapPage(c, 'INVALID'),
      };
    }
    case 'v5.10':
      return {
        // ret = set_direct_map_default_noflush(page); if (ret) pr_warn_once(...);
        hibernate_map_page: (c) => mapResult(c, setDirectMap(c, c.l.i, 'VALID'), true),
        // ret = set_direct_map_invalid_noflush(page); if (ret) pr_warn_once(...);
        // flush_tlb_kernel_range(addr, addr + PAGE_SIZE);
        hibernate_unmap_page: (c) => {
          mapResult(c, setDirectMap(c, c.l.i, 'INVALID'), true);
          flushTlb(c, c.l.i);
        },
      };
  }
}

/** H is running: one CPU, interrupts off, the rest frozen (an Oops ends it). */
const hibernating = (s: any) => s.frozen && !s.oops;

/** A step of V or A: in the faithful mode it cannot run while H runs. */
function preemptible(body: (c: Ctx) => void): StepDef<any, any, P> {
  return { await: (c) => c.p.unconstrained || !hibernating(c.s), do: body };
}

function hSteps(p: P, n: number): Record<string, StepDef<any, any, P>> {
  const map = hibernateMapSteps(p.code);
  const [mapLabel, unmapLabel] = Object.keys(map) as [string, string];
  const H1 = 'safe_copy_page:kernel_page_present';
  const END = 'create_image:local_irq_enable';
  const nextPage = (c: Ctx) => {
    c.l.i++;
    c.goto(c.l.i < n ? H1 : END);
  };
  const faultStops = p.check === 'all' || p.check === 'INV-COPY';
  return {
    // create_image: pm_sleep_disable_secondary_cpus(); local_irq_disable(); ...
    // swsusp_arch_suspend -> swsusp_save -> copy_data_pages.
    'create_image:local_irq_disable': (c) => {
      c.s.frozen = true;
      c.l.i = 0;
      // The vfree()ing thread, paused between two of its steps, stays so.
      if (c.noting && !p.unconstrained && c.pc('V') !== 'done' && c.pc('V') !== 'remove_vm_area') c.note('V', '/* thread is frozen */');
    },
    [H1]: (c) => {
      const i = c.l.i;
      // copy_data_pages copies the saveable pages; a page V has freed is not one.
      if (i < p.vpages && c.s.vfreed) {
        c.s.found.set(i, 'free');
        return nextPage(c);
      }
      c.s.found.set(i, c.s.pte.get(i)); // ghost for INV-RESTORE
      c.l.present = kernelPagePresent(c, i);
      if (c.l.present) c.goto('do_copy_page');
    },
    [mapLabel]: map[mapLabel]!,
    do_copy_page: (c) => {
      const i = c.l.i;
      if (c.s.pte.get(i) === 'INVALID' && !c.s.tlb.get(i)) {
        const what = `do_copy_page reads page ${i} of the direct map, pte INVALID, interrupts off`;
        if (faultStops) return takeFault(c, COPY, what);
        c.s.oops = true;
        return c.finish();
      }
      c.s.tlb.set(i, true); // the load walked the pte and cached the translation
      if (c.noting) c.note(`page ${i}`);
      if (c.l.present) nextPage(c);
    },
    [unmapLabel]: (c) => {
      map[unmapLabel]!(c);
      nextPage(c);
    },
    [END]: (c) => {
      c.s.frozen = false;
    },
  };
}

function vSteps(p: P): Record<string, StepDef<any, any, P>> {
  const loop = (c: Ctx, label: string) => {
    c.l.j++;
    if (c.l.j < p.vpages) c.goto(label);
    else c.l.j = 0;
  };
  return {
    remove_vm_area: preemptible(() => {}),
    // set_area_direct_map(area, set_direct_map_invalid_noflush): return value ignored.
    set_direct_map_invalid_noflush: preemptible((c) => {
      setDirectMap(c, c.l.j, 'INVALID');
      loop(c, 'set_direct_map_invalid_noflush');
    }),
    // _vm_unmap_aliases(start, end, flush_dmap): flush_tlb_kernel_range over the
    // vmalloc aliases and the area's direct map.
    _vm_unmap_aliases: preemptible((c) => {
      for (let j = 0; j < p.vpages; j++) flushTlb(c, j);
    }),
    set_direct_map_default_noflush: preemptible((c) => {
      setDirectMap(c, c.l.j, 'VALID');
      loop(c, 'set_direct_map_default_noflush');
    }),
    // __vunmap: for each page __free_pages(page, 0).
    __free_pages: preemptible((c) => {
      c.s.vfreed = true;
    }),
  };
}

function aSteps(p: P, page: number): Record<string, StepDef<any, any, P>> {
  const label =
    p.code === 'v5.9' || p.code === 'v5.9-dpa-gate'
      ? 'free_pages_prepare:kernel_map_pages(page, 1, 0)'
      : p.code === 'v5.10'
        ? 'free_pages_prepare:debug_pagealloc_unmap_pages'
        : 'free_pages_prepare:debug_pagealloc_map_pages(page, 1, 0)';
  return {
    // if (debug_pagealloc_enabled_static()) -> __kernel_map_pages(page, 1, 0)
    [label]: preemptible((c) => {
      if (c.s.dpa) kernelMapPages(c, page, 'INVALID');
    }),
  };
}

/** A config bit from its parameter: off, on, or both (a named choice of init: `dpa=on`). */
function pick(c: { choose<T>(name: string, v: readonly T[]): T }, name: string, v: (typeof TRI)[number]): boolean {
  return v === 'both' ? c.choose(name, ['off', 'on']) === 'on' : v === 'on';
}

export default defineModel({
  id: 'direct_map',
  title: 'vm_remove_mappings (vfree, VM_FLUSH_RESET_PERMS) vs hibernation safe_copy_page',
  params: {
    arch: param.enum(['arm64', 'x86'], 'arm64', 'arm64 (pageattr.c gates) or x86 (cpa: splits that can fail)'),
    code: param.enum(CODES, 'v5.10', 'kernel version: v5.9 (5.4-5.9), v5.9-dpa-gate (B1), v1 (series v1/v2 patch 2), v1-full (v1/v2 patches 1-4), v5.10'),
    dpa: param.enum(TRI, 'both', 'debug_pagealloc_enabled(): off, on, or both (two initial states)'),
    rodata_full: param.enum(TRI, 'both', 'arm64 rodata_full: off, on, or both (two initial states)'),
    A: param.bool(true, 'actor A: a debug_pagealloc free of a page that hibernation still saves'),
    vpages: param.int(1, 3, 1, 'pages of the vfree()d area'),
    large_np: param.bool(false, 'x86: a page of a LARGE region that a hypothetical caller left not-present (B3)'),
    alloc_fail: param.bool(true, 'x86: a page-table allocation of a large-page split may fail (each split chooses)'),
    unconstrained: param.bool(false, 'let H interleave step by step with V and A (drops H atomicity)'),
    check: param.enum(CHECKS, 'all', 'the invariants checked: all, or one alone (then the Oops of do_copy_page is a ghost unless INV-COPY)'),
  },
  state: (p) => {
    if (p.arch === 'arm64' && p.large_np) {
      throw new MmraceError('E_PARAM', 'large_np is an x86 variant (a LARGE not-present region that cpa must split)');
    }
    if (p.arch === 'x86' && p.code === 'v5.9-dpa-gate') {
      throw new MmraceError('E_PARAM', 'code=v5.9-dpa-gate is the arm64 __kernel_map_pages gate of B1; x86 has no such gate');
    }
    const { n } = layout(p);
    return {
      /** create_image has taken the CPU: other CPUs offline, interrupts off. */
      frozen: bool(),
      /** debug_pagealloc_enabled(). */
      dpa: bool(),
      /** arm64 rodata_full (always false on x86). */
      rodata_full: bool(),
      /** The direct-map pte of each page, and (x86) the level that maps it. */
      pte: array(n, enumOf('VALID', 'INVALID')),
      level: array(n, enumOf('4K', 'LARGE')),
      /** The hibernating CPU's TLB: a translation of the page is cached. */
      tlb: array(n, bool()),
      /** V's pages are freed (no longer saveable). */
      vfreed: bool(),
      /** Ghost (INV-RESTORE): the pte H1 found, or `free` when skipped. */
      found: array(n, enumOf('unseen', 'free', 'VALID', 'INVALID')),
      /** Ghosts (INV-REPORT): a map operation used by H failed; a warning was printed. */
      mapFailed: bool(),
      warned: bool(),
      /** Ghost: do_copy_page faulted (only with check=INV-RESTORE or INV-REPORT). */
      oops: bool(),
    };
  },
  init: (c) => {
    const p = c.p as P;
    const { n, np } = layout(p);
    c.s.dpa = pick(c, 'dpa', p.dpa);
    c.s.rodata_full = p.arch === 'arm64' ? pick(c, 'rodata_full', p.rodata_full) : false;
    for (let i = 0; i < n; i++) {
      c.s.pte.set(i, i === np ? 'INVALID' : 'VALID');
      // x86 maps the direct map with large pages unless debug_pagealloc is on; V's pages
      // may sit in either; A's page is 4K (dpa); the hypothetical region is LARGE.
      const large = p.arch === 'x86' && !c.s.dpa && (i === np || (i < p.vpages && c.choose(`level[${i}]`, ['4K', 'LARGE']) === 'LARGE'));
      c.s.level.set(i, large ? 'LARGE' : '4K');
    }
  },
  actors: (p) => {
    const { n, a } = layout(p);
    return {
      V: actor({ locals: { j: int(0, p.vpages) }, steps: vSteps(p) }),
      H: actor({ locals: { i: int(0, n), present: bool() }, steps: hSteps(p, n) }),
      A: actor({ instances: p.A ? 1 : 0, steps: aSteps(p, a) }),
    };
  },
  invariants: (p) => {
    const all: Record<string, (s: any, w: any) => boolean> = {
      'INV-RESTORE': (s, w) => {
        if (w.pc('H') !== 'create_image:local_irq_enable') return true;
        for (let i = 0; i < s.pte.length; i++) {
          const f = s.found.get(i);
          if (f !== 'VALID' && f !== 'INVALID') continue;
          if (s.pte.get(i) !== f) return false;
          if (f === 'INVALID' && s.tlb.get(i)) return false;
        }
        return true;
      },
      'INV-REPORT': (s) => !s.mapFailed || s.warned,
    };
    if (p.check === 'all') return all;
    if (p.check === 'INV-COPY') return {};
    return { [p.check]: all[p.check]! };
  },
});
