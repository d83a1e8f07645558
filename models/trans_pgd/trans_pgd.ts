/**
 * trans_pgd — arm64 hibernate's copy of the linear map into tmp_pg_dir (James Morse
 * reviewing Pavel Tatashin's trans_pgd series, Aug–Sep 2019; commit 7eced90b202d, v6.12).
 * Specification: docs/seed-problems.md §1. Kernel sources: arch/arm64/kernel/hibernate.c (v5.4:
 * _copy_pte, copy_pte, copy_page_tables, swsusp_arch_resume), arch/arm64/mm/trans_pgd.c
 * (v5.9, then v6.12 after 7eced90b), arch/arm64/kernel/hibernate-asm.S
 * (swsusp_arch_suspend_exit), and the v3 12/17 patch's copy_pte with TRANS_MKWRITE,
 * TRANS_MKVALID, TRANS_CHECKPFN.
 *
 * An ordering problem, not a race (docs/seed-problems.md §1):
 *
 *   swsusp_arch_resume (boot kernel, 1 CPU)      swsusp_arch_suspend_exit (on tmp_pg_dir)
 *   copy_page_tables(tmp_pg_dir)
 *     _copy_pte: src pte for P invalid
 *                (!dpa case)  -> dst none
 *   switch TTBR1 -> tmp_pg_dir
 *                                                copy_page(__va(P), image_page)
 *                                                  -> translation fault, no recovery
 *
 * Actors (one CPU: the others are offline, interrupts masked):
 *   B  copy_page_tables: one step per leaf pte of the linear map, `_copy_pte` (V0, V2) or
 *      one iteration of the flagged `copy_pte` (VF). A BUG_ON stops the machine
 *      (outcome BUG); -ENXIO makes swsusp_arch_resume print "Tried to set PTE for PFN that
 *      does not exist" and return: resume is aborted, the boot kernel runs on (ABORT).
 *   R  swsusp_arch_resume -> hibernate_exit -> swsusp_arch_suspend_exit, after B: only if
 *      B returned 0 and the machine still runs; break_before_make_ttbr_switch puts
 *      tmp_pg_dir in TTBR1; then copy_page to __va(P) for each page P of D (in order): a
 *      dst pte that is not V_RW is a translation or permission fault while kernel text and
 *      page tables are being overwritten, unrecoverable (outcome FAULT); finally the
 *      restored kernel is entered (_cpu_resume, outcome RESUMED).
 *
 * Shared state: src[i] (the boot kernel's linear-map pte i, one of NONE, V_RW, V_RO,
 * INV_DPA, INV_OTHER, INV_BAD), dst[i] (tmp_pg_dir's pte i: NONE, V_RW, V_RO, INV,
 * V_BOGUS), D[i] (R writes page i), dpa (debug_pagealloc_enabled()), outcome (RUN, BUG,
 * ABORT, RESUMED, FAULT), ttbr1 (ghost: which tables TTBR1 holds), invented (ghost: B met
 * an entry it would make valid from a !pfn_valid source). src, D and dpa are chosen by
 * init (every combination is an initial state); B and R are then deterministic.
 *
 * Invariants:
 *   INV-W     every page of D is V_RW in dst, so R never faults: outcome != FAULT.
 *   INV-PFN   every valid dst entry has pfn_valid: no dst[i] is V_BOGUS.
 *   INV-STOP  if B meets an entry it would invent from a !pfn_valid source, the outcome
 *             is BUG (neither mapped nor aborted-and-carry-on): invented => outcome BUG.
 *   Listed in this order: a state violating INV-PFN and INV-STOP reports INV-PFN. The
 *   parameter `check` keeps one of them only (a cell of the table is checked alone).
 *   Where a variant violates two invariants in different states, BFS reports the one with
 *   the shorter counterexample (the table's highlighted one); DFS may report either.
 *
 * Variants (scenarios/trans_pgd/; dpa=any: both values are initial states):
 *   variant                        parameters                                   INV-W      INV-PFN    INV-STOP
 *   V0 original                    algo=v0 sources=2019 dpa=any                 SAFE       SAFE       SAFE
 *   V0 + INV_OTHER, dpa=0          algo=v0 sources=all dpa=0                    VIOLATION  SAFE       SAFE
 *   V2 = 7eced90b                  algo=v2 sources=all dpa=any                  SAFE       SAFE       SAFE
 *   VF hibernate flags             algo=flagged (mkwrite=always mkvalid=dpa checkpfn=dpa)
 *                                    sources=2019 dpa=any                       SAFE       SAFE       VIOLATION
 *                                    sources=all dpa=0 ("same as V0")          VIOLATION  SAFE       SAFE
 *                                    sources=all dpa=any                        VIOLATION  SAFE       VIOLATION
 *   VF MKWRITE clear (flags=0)     algo=flagged mkwrite=never mkvalid=never checkpfn=never
 *                                    sources=2019 dpa=any                       VIOLATION  SAFE       n/a (holds: nothing is invented)
 *   VF MKVALID without CHECKPFN    algo=flagged mkvalid=always checkpfn=never
 *                                    sources=all dpa=any                        SAFE       VIOLATION  VIOLATION
 *   VF MKVALID clear, dpa=1        algo=flagged mkvalid=never (checkpfn=dpa)
 *                                    sources=2019 dpa=1                         VIOLATION  SAFE       SAFE
 *   Knobs that remove a fix, for the tests: bug_on=false (no BUG_ON in _copy_pte),
 *   mkwrite=never with algo=v0/v2 (no pte_mkwrite in _copy_pte).
 *
 * Simplifications:
 * - The linear map is reduced to n leaf ptes; copy_pmd/copy_pud's block entries
 *   (dst = src & ~PMD_SECT_RDONLY) and the table allocation (get_safe_page, -ENOMEM) are
 *   left out. A pte is reduced to its kind: valid or not, writable or not, pfn_valid or not.
 * - A pte made valid from INV_DPA / INV_OTHER is V_RW with or without pte_mkwrite: those
 *   pages are normal memory, mapped read-write before set_direct_map_invalid_noflush or
 *   debug_pagealloc cleared PTE_VALID. A !pfn_valid pte made valid is V_BOGUS whatever
 *   its write bit.
 * - D, the pages R writes, is a subset of the non-NONE ptes whose pfn is valid: the image
 *   holds pfn_valid pages only (saveable_page), so an INV_BAD pte (corruption) is never in
 *   D; what B does with it is INV-STOP's and INV-PFN's concern.
 * - INV_OTHER (secretmem, vmalloc's VM_FLUSH_RESET_PERMS, kfence) is one kind; the later
 *   `|| is_kfence_address(addr)` term of _copy_pte is not modelled (it fixes the kfence
 *   pages only, not secretmem or vmalloc, so V0 stays a violation with it).
 * - One step per pte for B (no concurrency: nothing can run between the read of the
 *   source pte and the write of the destination pte), and one per page of D for R.
 * - symmetry=true (deep scenarios only) picks the ptes' (kind, in D) in non-decreasing
 *   order: B and R treat each pte on its own, so the ptes are interchangeable and one
 *   order of each multiset of kinds is enough (the tests check the same verdicts with and
 *   without it). Without it, n=6 with sources=all has over a million initial states.
 *
 * Expected state counts (measured with `mmrace check`, n=3 as in the default scenarios;
 * initial states: sum over dpa of |(kind, in D) options|^n, 6 or 8 options per pte for the
 * 2019 kinds, 8 or 10 with INV_OTHER):
 *   scenario                      BFS states  cex steps   DFS states
 *   v0                                5,231   safe            5,231
 *   v0-inv-other                      3,079   6 (INV-W)         556
 *   v2                               10,643   safe           10,643
 *   vf-hibernate                      1,393   1 (INV-STOP)    2,288
 *   vf-hibernate-inv-other            3,079   6 (INV-W)         556
 *   vf-mkwrite-clear                  4,373   6 (INV-W)         759
 *   vf-mkvalid-nocheckpfn             1,961   1 (INV-PFN)     1,560
 *   vf-mkvalid-nocheckpfn-stop        1,961   1 (INV-STOP)    1,560
 *   vf-mkvalid-clear                  2,726   6 (INV-W)         556
 * Deep (n=6, `mmrace ci --deep`): v0 2,777,944 states safe (3 s); v2 with symmetry 70,510
 * safe (without symmetry: 1,262,144 initial states, refused by the engine's limit of a
 * million); the violations 8,437 to 2,779,205 states.
 */
import { actor, array, bool, defineModel, enumOf, param, int, type StepDef } from 'mmrace/model';

/** The boot kernel's linear-map pte, reduced to its kind. */
export const SRC_KINDS = ['NONE', 'V_RW', 'V_RO', 'INV_DPA', 'INV_OTHER', 'INV_BAD'] as const;
export type SrcKind = (typeof SRC_KINDS)[number];
/** tmp_pg_dir's pte. */
export const DST_KINDS = ['NONE', 'V_RW', 'V_RO', 'INV', 'V_BOGUS'] as const;
export type DstKind = (typeof DST_KINDS)[number];
export const OUTCOMES = ['RUN', 'BUG', 'ABORT', 'RESUMED', 'FAULT'] as const;

const WHEN = ['always', 'dpa', 'never'] as const;
type When = (typeof WHEN)[number];

/** The invariants, in the order they are checked. */
export const INVARIANTS = ['INV-W', 'INV-PFN', 'INV-STOP'] as const;

const valid = (k: SrcKind): boolean => k === 'V_RW' || k === 'V_RO';
/** pfn_valid(pte_pfn(pte)) for a non-none pte. */
const pfnValid = (k: SrcKind): boolean => k !== 'INV_BAD';

/** The (kind, in D) options of one pte in init, in the order init enumerates them. */
export function pteOptions(sources: '2019' | 'all', dpa: boolean): { kind: SrcKind; inD: boolean }[] {
  const out: { kind: SrcKind; inD: boolean }[] = [];
  for (const kind of SRC_KINDS) {
    if (kind === 'INV_DPA' && !dpa) continue; // debug_pagealloc off invalidates nothing
    if (kind === 'INV_OTHER' && sources === '2019') continue; // 2019: INV only from dpa
    out.push({ kind, inD: false });
    // R writes the image's pages: pfn_valid pages of the linear map.
    if (kind !== 'NONE' && pfnValid(kind)) out.push({ kind, inD: true });
  }
  return out;
}

/** A pte's option as the reports name it: its kind, and `in D` when R writes the page. */
const optionName = (o: { kind: SrcKind; inD: boolean }): string => (o.inD ? `${o.kind} in D` : o.kind);

/** pteOptions and their names, made once per (sources, dpa): init runs for every initial state. */
const OPTIONS = new Map<string, { opts: { kind: SrcKind; inD: boolean }[]; names: string[] }>();
function optionsOf(sources: '2019' | 'all', dpa: boolean): { opts: { kind: SrcKind; inD: boolean }[]; names: string[] } {
  const key = `${sources} ${dpa}`;
  let o = OPTIONS.get(key);
  if (o === undefined) {
    const opts = pteOptions(sources, dpa);
    o = { opts, names: opts.map(optionName) };
    OPTIONS.set(key, o);
  }
  return o;
}

export default defineModel({
  id: 'trans_pgd',
  title: 'arm64 hibernate / trans_pgd: copy of the linear map before the TTBR1 switch',
  params: {
    n: param.int(1, 6, 3, 'leaf ptes of the linear map'),
    algo: param.enum(['v0', 'v2', 'flagged'], 'v0', "v0: _copy_pte (dpa && !pte_none); v2: 7eced90b (!pte_none); flagged: v3's copy_pte with trans_flags"),
    sources: param.enum(['2019', 'all'], '2019', '2019: INV only from debug_pagealloc; all: also INV_OTHER (secretmem/vmalloc/kfence)'),
    dpa: param.enum(['any', '0', '1'], 'any', 'debug_pagealloc_enabled(); any = both are initial states'),
    mkwrite: param.enum(WHEN, 'always', 'TRANS_MKWRITE (flagged); for v0/v2, pte_mkwrite (always in the kernel; never removes it)'),
    mkvalid: param.enum(WHEN, 'dpa', 'TRANS_MKVALID (flagged only)'),
    checkpfn: param.enum(WHEN, 'dpa', 'TRANS_CHECKPFN (flagged only)'),
    bug_on: param.bool(true, 'v0/v2: BUG_ON(!pfn_valid(pte_pfn(pte))) before making an entry valid'),
    check: param.enum(['all', ...INVARIANTS], 'all', 'which invariants are checked'),
    symmetry: param.bool(false, 'pick the ptes in non-decreasing (kind, in D) order: one order per multiset'),
  },
  state: (p) => ({
    src: array(p.n, enumOf(...SRC_KINDS)),
    dst: array(p.n, enumOf(...DST_KINDS)),
    /** The pages R writes (restore_pblist). */
    D: array(p.n, bool()),
    /** debug_pagealloc_enabled(). */
    dpa: bool(),
    outcome: enumOf(...OUTCOMES),
    /** Ghost: the tables in TTBR1. */
    ttbr1: enumOf('swapper_pg_dir', 'tmp_pg_dir'),
    /** Ghost: B met an entry it would make valid from a !pfn_valid source. */
    invented: bool(),
  }),
  init: (c) => {
    c.s.dpa = c.p.dpa === 'any' ? c.choose('dpa', [0, 1]) === 1 : c.p.dpa === '1';
    const { opts, names } = optionsOf(c.p.sources, c.s.dpa);
    let from = 0;
    for (let i = 0; i < c.p.n; i++) {
      // Named by value for the reports: `pte[2]=INV_OTHER in D`.
      const k = names.indexOf(c.choose(`pte[${i}]`, from === 0 ? names : names.slice(from)), from);
      if (c.p.symmetry) from = k;
      c.s.src.set(i, opts[k]!.kind);
      c.s.D.set(i, opts[k]!.inD);
    }
  },
  actors: (p) => ({
    B: actor({
      // pte: READ_ONCE(*src_ptep), kept so that a counterexample shows what B read.
      locals: { i: int(0, p.n), pte: enumOf(...SRC_KINDS) },
      steps: p.algo === 'flagged' ? flaggedSteps() : copyPteSteps(),
    }),
    R: actor({ locals: { i: int(0, p.n) }, steps: restoreSteps() }),
  }),
  invariants: (p) => {
    const all = {
      'INV-W': (s: any) => s.outcome !== 'FAULT',
      'INV-PFN': (s: any) => {
        for (let i = 0; i < p.n; i++) if (s.dst.get(i) === 'V_BOGUS') return false;
        return true;
      },
      'INV-STOP': (s: any) => !s.invented || s.outcome === 'BUG',
    };
    if (p.check === 'all') return all;
    return { [p.check]: all[p.check as keyof typeof all] };
  },
});

const applies = (w: When, dpa: boolean): boolean => w === 'always' || (w === 'dpa' && dpa);

/** Next pte for B: loop, or B is done (copy_page_tables returned 0). */
function nextPte(c: any, label: string): void {
  c.l.i++;
  if (c.l.i < c.p.n) c.goto(label);
  else c.finish();
}

/** B for V0 and V2: _copy_pte(dst_ptep, src_ptep, addr) on pte i. */
function copyPteSteps(): Record<string, StepDef<any, any, any>> {
  return {
    _copy_pte: (c) => {
      const i = c.l.i;
      const pte: SrcKind = (c.l.pte = c.s.src.get(i));
      // V2 (7eced90b): else if (!pte_none(pte)); V0: else if (debug_pagealloc_enabled() && !pte_none(pte)).
      const fixup = c.p.algo === 'v2' || c.s.dpa;
      if (valid(pte)) {
        // set_pte(dst_ptep, pte_mkwrite(pte)): clear PTE_RDONLY for the restore.
        c.s.dst.set(i, pte === 'V_RO' && !applies(c.p.mkwrite, c.s.dpa) ? 'V_RO' : 'V_RW');
        if (c.noting) c.note(`pte[${i}] ${pte} -> dst ${c.s.dst.get(i)}`);
      } else if (fixup && pte !== 'NONE') {
        if (!pfnValid(pte)) {
          c.s.invented = true;
          if (c.p.bug_on) {
            // BUG_ON(!pfn_valid(pte_pfn(pte))): the machine stops here.
            if (c.noting) c.note(`pte[${i}] ${pte}: BUG_ON(!pfn_valid)`);
            c.s.outcome = 'BUG';
            return c.finish();
          }
        }
        // set_pte(dst_ptep, pte_mkpresent(pte_mkwrite(pte))).
        c.s.dst.set(i, pfnValid(pte) ? 'V_RW' : 'V_BOGUS');
        if (c.noting) c.note(`pte[${i}] ${pte} (${c.p.algo === 'v2' ? '!pte_none' : 'dpa'} case) -> dst ${c.s.dst.get(i)}`);
      } else if (c.noting) {
        // dst stays none.
        c.note(pte === 'NONE' ? `pte[${i}] none -> dst none` : `pte[${i}] ${pte} invalid (!dpa case) -> dst none`);
      }
      nextPte(c, '_copy_pte');
    },
  };
}

/** B for VF: one iteration of v3's copy_pte(info, dst_ptep, src_ptep, start, end). */
function flaggedSteps(): Record<string, StepDef<any, any, any>> {
  return {
    copy_pte: (c) => {
      const i = c.l.i;
      const pte: SrcKind = (c.l.pte = c.s.src.get(i));
      // if (pte_none(src_pte)) continue;
      if (pte === 'NONE') {
        if (c.noting) c.note(`pte[${i}] none -> dst none`);
        return nextPte(c, 'copy_pte');
      }
      const mkwrite = applies(c.p.mkwrite, c.s.dpa);
      const mkvalid = applies(c.p.mkvalid, c.s.dpa);
      const checkpfn = applies(c.p.checkpfn, c.s.dpa);
      if (mkvalid && !pfnValid(pte)) c.s.invented = true;
      if (checkpfn && !pfnValid(pte)) {
        // return -ENXIO: swsusp_arch_resume prints "Tried to set PTE for PFN that does
        // not exist" and returns; resume is aborted and the boot kernel runs on.
        if (c.noting) c.note(`pte[${i}] ${pte}: !pfn_valid -> -ENXIO, resume aborted, the boot kernel runs on`);
        c.s.outcome = 'ABORT';
        return c.finish();
      }
      // set_pte(&dst_ptep[i], src_pte) after the flags' pte_mkwrite / pte_mkpresent.
      let d: DstKind;
      if (!valid(pte) && !mkvalid) d = 'INV';
      else if (!pfnValid(pte)) d = 'V_BOGUS';
      else if (pte === 'V_RO' && !mkwrite) d = 'V_RO';
      else d = 'V_RW';
      c.s.dst.set(i, d);
      if (c.noting) c.note(`pte[${i}] ${pte} -> dst ${d}`);
      nextPte(c, 'copy_pte');
    },
  };
}

/** Index of the next page of D from `from`, or n. */
function nextInD(c: any, from: number): number {
  let i = from;
  while (i < c.p.n && !c.s.D.get(i)) i++;
  return i;
}

/** R: swsusp_arch_resume's hibernate_exit, that is swsusp_arch_suspend_exit on tmp_pg_dir. */
function restoreSteps(): Record<string, StepDef<any, any, any>> {
  return {
    hibernate_exit: {
      // B (copy_page_tables) has run to completion.
      await: (c) => c.pc('B') === 'done',
      do: (c) => {
        // BUG: the machine has stopped. ABORT: swsusp_arch_resume's `if (rc) goto out`,
        // hibernate_exit is never called. R has nothing to do.
        if (c.s.outcome !== 'RUN') c.finish();
      },
    },
    break_before_make_ttbr_switch: (c) => {
      if (c.noting) c.note('TTBR1 = tmp_pg_dir');
      c.s.ttbr1 = 'tmp_pg_dir';
      c.l.i = nextInD(c, 0);
      if (c.l.i >= c.p.n) c.goto('_cpu_resume');
    },
    // copy_page(__va(P), image page) for each page P of restore_pblist.
    copy_page: (c) => {
      const i = c.l.i;
      if (c.s.dst.get(i) !== 'V_RW') {
        // A translation (dst NONE, INV) or permission (V_RO) fault while kernel text and
        // page tables are being overwritten: no recovery.
        if (c.noting) c.note(`__va(P${i}): dst ${c.s.dst.get(i)} -> ${c.s.dst.get(i) === 'V_RO' ? 'permission' : 'translation'} fault, no recovery`);
        c.s.outcome = 'FAULT';
        return c.finish();
      }
      if (c.noting) c.note(`__va(P${i})`);
      c.l.i = nextInD(c, i + 1);
      if (c.l.i < c.p.n) c.goto('copy_page');
    },
    // ret to reenter_kernel: the restored kernel runs.
    _cpu_resume: (c) => {
      c.s.outcome = 'RESUMED';
    },
  };
}
