/**
 * riscv_kexec — riscv kexec: set_memory_x on a PGD-level linear-map leaf (Guo Ren /
 * Alexandre Ghiti, Jun–Jul 2023). Specification: docs/seed-problems.md §4.
 * Kernel sources (6.4): arch/riscv/kernel/machine_kexec.c (machine_kexec_prepare: copy
 * riscv_kexec_relocate to page_address(control_code_page), set_memory_x(buf, 1);
 * machine_kexec: local_flush_icache_all, kexec_method = control_code_buffer),
 * arch/riscv/mm/pageattr.c (__set_memory: walk_page_range_novma(&init_mm) under the
 * init_mm mmap lock, pageattr_pgd_entry..pageattr_pte_entry rewrite leaves in place,
 * flush_tlb_kernel_range), arch/riscv/include/asm/pgalloc.h (pgd_alloc: memcpy of the
 * kernel half from init_mm.pgd, no lock, no list), arch/riscv/mm/init.c (best_map_size:
 * 3335068f8721 added PGD leaves, 629db01c64ff removed them; 311cd2f6e253 splits huge
 * linear leaves in set_memory_*; 7d3332be011e4 pre-allocates the vmalloc PGD entries).
 * x86 analogues for X/X′: pgd_alloc -> pgd_ctor (clone_pgd_range + pgd_list_add) under
 * pgd_lock; x86-32 __set_pmd_pte propagating a large-page change along pgd_list.
 *
 * The bug (variant B; the oops: "Unable to handle kernel paging request at
 * ffffffda23b0d000", epc == that address, cause 0xc, task uinit):
 *
 *   task T (uinit)
 *   fork: pgd_alloc(mmT): memcpy kernel half  -> mmT.pgd[k] = LEAF(RW,NX)
 *   kexec_load -> machine_kexec_prepare
 *     set_memory_x(ctrl,1): init_mm.pgd[k] = LEAF(RWX)
 *     flush_tlb_kernel_range()
 *   reboot(KEXEC) -> machine_kexec
 *     satp = mmT.pgd;  jump ctrl
 *     walk mmT.pgd[k]: NX -> instruction page fault -> Oops
 *
 * A copied PGD *leaf* is a snapshot; only PGD *table* entries keep lower levels shared.
 * X′ (the list-based fix done wrong) is the one true race:
 *
 *   F: pgd_alloc (new mm N)                   S: set_memory_x
 *   pgd_ctor: clone_pgd_range  (old leaf)
 *                                             spin_lock(&pgd_lock)
 *                                             init_mm.pgd[k] = LEAF(RWX)
 *                                             list_for_each_entry(pgd_list): T, O (not N)
 *                                             spin_unlock(&pgd_lock); flush
 *   spin_lock(&pgd_lock); pgd_list_add(N)
 *   spin_unlock(&pgd_lock)                    ... N runs reboot(KEXEC): Oops
 *
 * State: one pool of page tables (src/kernel/pgtable.ts), Sv39-like with three levels
 * (pgd, pmd, pte) and two entries per table: the roots init_mm.pgd, mmT (the loader's),
 * mmO (an older task's) and mmN (allocated by F); the kernel half of a pgd is
 * [vmalloc, linear map] in address order; the vmalloc PGD entry is a table pre-allocated
 * at boot (VM_PMD -> VM_PTE); the linear map is a 1 GB PGD leaf (linear=pgd) or a PGD
 * table to a shared PMD table of 2 MB leaves (linear=pmd); SPLIT0/SPLIT1 are the tables a
 * split allocates. VA_ctrl is [linear, 0, 0] (page_address) or [vmalloc, 0, 0]
 * (vm_map_ram). Also: the TLB entry for VA_ctrl of the CPU that runs machine_kexec (a
 * global kernel entry: it survives satp switches), that CPU's current task and satp,
 * init_mm's mmap lock, pgd_lock and pgd_list (X, X′).
 *
 * Actors:
 *   S    kexec_load -> machine_kexec_prepare in task T: [vm_map_ram,] memcpy of the
 *        relocation code into the buffer (a store through mmT; the walker caches the
 *        leaf), then set_memory_x: S1 mmap_write_lock(&init_mm), [split,] S2 the pageattr
 *        callback rewrites the leaf (X), [G1: the same in current->active_mm; X/X′: under
 *        pgd_lock, then every pgd on pgd_list,] S3 unlock, S4 flush_tlb_kernel_range.
 *   F    fork/exec -> pgd_alloc of mm N: F1 __get_free_page, F2 memcpy of the kernel half
 *        one entry per step (X: clone_pgd_range + pgd_list_add under pgd_lock; X′: the copy
 *        outside it). Present when the executor is the forked task (or fork=true).
 *   Csw  the scheduler of the CPU that runs machine_kexec: switch_mm sets satp to
 *        next->mm->pgd; a kernel thread (K) keeps the previous mm (lazy TLB). It stops
 *        once machine_shutdown has disabled interrupts.
 *   E    reboot(LINUX_REBOOT_CMD_KEXEC) in the executor (T, O or N) once kexec_load has
 *        returned and the executor runs: machine_shutdown, then machine_kexec jumps to
 *        the buffer: E1, an instruction fetch at VA_ctrl through the TLB or a walk from
 *        satp. A non-X (or absent) leaf is an instruction page fault; the linear map and
 *        vmalloc have no fixup on 64-bit, so it is an Oops: c.fault(..., property).
 *
 * Properties:
 *   INV-SYNC  (docs/seed-problems.md) the effective kernel leaf for VA_ctrl that a CPU uses equals
 *             the one through init_mm.pgd. scope=exec: checked where it bites, at E1: the
 *             fault is INV-SYNC when init_mm maps VA_ctrl executable but the executing
 *             CPU's view (its satp's walk, or its TLB entry) does not. scope=all: also a
 *             state invariant, once set_memory_x has returned, over every mm in use
 *             (mmT, mmO, mmN once pgd_alloc is done) and the TLB entry.
 *   INV-EXEC  the fault condition of docs/seed-problems.md when init_mm itself has no X (G2):
 *             E1 executes through a non-X leaf although every mm agrees.
 *
 * Variants -> parameters -> verdict (scenarios/riscv_kexec/):
 *   B        defaults (buffer=page_address linear=pgd)          VIOLATION(INV-SYNC)
 *            executor=other | executor=forked (F free)            VIOLATION(INV-SYNC)
 *            executor=forked forkAfter=true                       SAFE (forked after S2)
 *            cached=false (TLBs never hold VA_ctrl)               VIOLATION(INV-SYNC)
 *   G1       activeMm=true (executor=loader)                      SAFE
 *            activeMm=true executor=other                         VIOLATION(INV-SYNC)
 *   G2       buffer=vm_map_ram setx=false (any executor)          VIOLATION(INV-EXEC)
 *   G4       buffer=vm_map_ram (any executor, F free)             SAFE
 *   A        linear=pmd [split=true] (any executor, F free)       SAFE
 *            linear=pgd split=true (splitting a PGD leaf)         VIOLATION(INV-SYNC)
 *            linear=pmd flush=false (the flush is necessary)      VIOLATION(INV-SYNC)
 *   X        sync=pgd_list (any executor, F free)                 SAFE
 *   X′       sync=pgd_list_unlocked_copy executor=forked          VIOLATION(INV-SYNC)
 *   scope=all: SAFE for G4, A, X; VIOLATION(INV-SYNC) for B (even forkAfter), G1, X′.
 *
 * Simplifications:
 *   - One address matters, VA_ctrl; a pgd has two kernel entries (vmalloc, linear map)
 *     so that pgd_alloc's per-entry copy can interleave with S; the user half, the
 *     kernel image entry, P4D/PUD levels (folded on Sv39) and pfns are left out.
 *   - One CPU's TLB: the one that runs machine_kexec (machine_shutdown offlines the
 *     others). The memcpy's store fills it (worst case: the loader ran on that CPU;
 *     cached=false leaves it empty); it holds only valid leaves (no negative caching).
 *     The memcpy walks mmT, S runs whatever the scheduler does (T on any CPU).
 *   - The init_mm mmap lock (an rwsem) is a spinlock step; nobody else takes it here.
 *   - Each pageattr callback, each split level (fill the new table + install it: the
 *     table is private until installed) and each pgd_list propagation is one atomic step.
 *   - X/X′ use the x86 protocol on the riscv tables; pgd_list initially holds mmT, mmO.
 *   - The executor is a user task (switch_mm loads its pgd); a kernel thread only keeps
 *     the previous mm while it runs.
 *
 * Expected state counts (BFS, no reduction; DFS finds the same for the safe ones):
 *   B 26 states (counterexample 7 steps); B executor=other 26 (8); B forked 131 (11);
 *   B forked forkAfter 42 safe; B cached=false 26 (7); G1 32 safe; G1 other 30 (9);
 *   G2 14 (4); G2 forked cached=false 56 (8); G4 forked 164 safe; A forked 134 safe;
 *   A split forked 152 safe; A flush=false 22 (6); linear=pgd split 34 (9);
 *   X forked 268 safe; X′ forked 361 (18); scope=all: B forkAfter 17 (5).
 */
import { actor, array, bool, defineModel, enumOf, int, lock, param, type StepDef } from 'mmrace/model';
import {
  takeFault,
  spinLock,
  spinUnlock,
  PAGE_KERNEL,
  ptAllows,
  ptClear,
  ptCopy,
  ptEntryType,
  ptFormat,
  ptLeaf,
  ptModifyLeaf,
  ptSameLeaf,
  ptSetLeaf,
  ptSetTable,
  ptSplitInto,
  ptTablesType,
  ptWalk,
  type PtTables,
} from 'mmrace/kernel';

// ---- the page-table pool -------------------------------------------------------------

/** Roots: swapper_pg_dir (init_mm.pgd) and the pgd of three mms. */
export const INIT = 0;
/** The loader's mm (task T: kexec_load), forked before kexec_load. */
export const MM_T = 1;
/** Another task's mm (task O: init, a shell), forked before kexec_load. */
export const MM_O = 2;
/** The mm that F allocates (task N: a new process, e.g. a later `kexec -e`). */
export const MM_N = 3;
/** Lower tables, shared by every root that points at them. */
export const VM_PMD = 4; // vmalloc PMD table, pre-allocated at boot (7d3332be011e4)
export const VM_PTE = 5; // vmalloc PTE table of the area vm_map_ram uses
export const LM_PMD = 6; // linear-map PMD table (629db01c64ff: no PGD leaves)
export const SPLIT0 = 7; // tables allocated by set_memory_x's split (311cd2f6e253)
export const SPLIT1 = 8;
const TABLES = 9;
/** Entries per table: the kernel half of a pgd is [vmalloc, linear map] (Sv39 order). */
const ENTRIES = 2;
export const PGD_VMALLOC = 0;
export const PGD_LINEAR = 1;
/** Sv39 levels; the PUD and P4D levels are folded into the PGD. */
const LEVELS = ['pgd', 'pmd', 'pte'] as const;
/** The split function of each level's huge leaf (Sv39: a PGD leaf is the folded PUD's). */
const SPLIT_FN = ['__split_linear_mapping_pud', '__split_linear_mapping_pmd'] as const;

export const ROOT_NAME = ['init_mm', 'mmT', 'mmO', 'mmN'] as const;

/** Tasks on the CPU that runs machine_kexec: T loader, O other, N forked, K a kernel thread. */
const TASKS = ['T', 'O', 'N', 'K'] as const;
type Task = (typeof TASKS)[number];
const MM_OF: Record<Task, number> = { T: MM_T, O: MM_O, N: MM_N, K: -1 };
const EXECUTOR_TASK = { loader: 'T', other: 'O', forked: 'N' } as const;

/** Lock owner ids. */
const S_ID = 0;
const F_ID = 1;

type P = {
  buffer: 'page_address' | 'vm_map_ram';
  setx: boolean;
  activeMm: boolean;
  linear: 'pgd' | 'pmd';
  split: boolean;
  sync: 'none' | 'pgd_list' | 'pgd_list_unlocked_copy';
  flush: boolean;
  cached: boolean;
  executor: 'loader' | 'other' | 'forked';
  fork: boolean;
  forkAfter: boolean;
  scope: 'exec' | 'all';
};

/** VA_ctrl, the control code buffer, as its indices [pgd, pmd, pte]. */
export function vaCtrl(p: Pick<P, 'buffer'>): readonly number[] {
  return p.buffer === 'vm_map_ram' ? [PGD_VMALLOC, 0, 0] : [PGD_LINEAR, 0, 0];
}

/** Level of the leaf that maps VA_ctrl before set_memory_x (0 = a PGD leaf). */
function leafLevel(p: Pick<P, 'buffer' | 'linear'>): number {
  return p.buffer === 'vm_map_ram' ? 2 : p.linear === 'pgd' ? 0 : 1;
}

/** F runs: the executor is a forked task, or an unrelated fork races with kexec_load. */
function hasF(p: Pick<P, 'executor' | 'fork'>): boolean {
  return p.executor === 'forked' || p.fork;
}

const E_FIRST = 'kernel_kexec:machine_shutdown';
const E_JUMP = 'machine_kexec:kexec_method()';

export default defineModel({
  id: 'riscv_kexec',
  title: 'riscv kexec: set_memory_x on a PGD-level linear-map leaf vs pgd_alloc snapshots',
  params: {
    buffer: param.enum(['page_address', 'vm_map_ram'], 'page_address', 'control code buffer: linear-map page_address (6.4) or a vm_map_ram alias (v2, v4)'),
    setx: param.bool(true, 'machine_kexec_prepare calls set_memory_x on the buffer (v2 does not)'),
    activeMm: param.bool(false, 'G1: __set_memory also walks current->active_mm'),
    linear: param.enum(['pgd', 'pmd'], 'pgd', 'best_map_size: 1 GB PGD leaves (3335068f8721) or none at PGD level (629db01c64ff: PMD on Sv39)'),
    split: param.bool(false, '311cd2f6e253: set_memory_x splits the huge linear leaf down to a PTE'),
    sync: param.enum(['none', 'pgd_list', 'pgd_list_unlocked_copy'], 'none', 'x86-style pgd_list: X (copy+list_add under pgd_lock), X′ (copy outside it)'),
    flush: param.bool(true, 'flush_tlb_kernel_range after the walk'),
    cached: param.bool(true, "the memcpy into the buffer leaves VA_ctrl's translation in the TLB (false: TLBs stay empty)"),
    executor: param.enum(['loader', 'other', 'forked'], 'loader', 'the task that calls reboot(KEXEC): T itself, an older task O, a task N forked by F'),
    fork: param.bool(false, 'F (pgd_alloc) runs even when the executor is not the forked task'),
    forkAfter: param.bool(false, 'F starts only after kexec_load returned (a later `kexec -e` process)'),
    scope: param.enum(['exec', 'all'], 'exec', 'INV-SYNC for the mm machine_kexec runs on (exec) or for every mm in use once set_memory_x returned (all)'),
  },
  state: {
    pt: ptTablesType(TABLES, ENTRIES),
    /** The TLB entry for VA_ctrl of the CPU that runs machine_kexec (kind none: not cached). Kernel entries are global: they survive satp switches. */
    tlb: ptEntryType(TABLES),
    /** The task running on that CPU, and its satp (the root it translates through). */
    current: enumOf(...TASKS),
    satp: int(0, MM_N),
    initMmLock: lock(),
    pgdLock: lock(),
    /** x86-style pgd_list, indexed by root (variants X, X′). */
    pgdList: array(MM_N + 1, bool()),
    /** Ghost: F copied VA_ctrl's PGD entry while init_mm's leaf was not yet executable. */
    copiedBeforeSetX: bool(),
  },
  init: (c) => {
    const pt = c.s.pt as PtTables;
    // vmalloc: the PGD entry is a table pre-allocated at boot; vm_map_ram fills a pte of it.
    ptSetTable(pt[INIT]![PGD_VMALLOC]!, VM_PMD);
    ptSetTable(pt[VM_PMD]![0]!, VM_PTE);
    // The linear map, PAGE_KERNEL (RW, NX): a 1 GB PGD leaf, or a PMD table of 2 MB leaves.
    if (c.p.linear === 'pgd') ptSetLeaf(pt[INIT]![PGD_LINEAR]!, PAGE_KERNEL);
    else {
      ptSetTable(pt[INIT]![PGD_LINEAR]!, LM_PMD);
      for (const e of pt[LM_PMD]!) ptSetLeaf(e, PAGE_KERNEL);
    }
    // T and O were forked before kexec_load: pgd_alloc copied init_mm's kernel half.
    for (const r of [MM_T, MM_O]) for (let k = 0; k < ENTRIES; k++) ptCopy(pt[r]![k]!, pt[INIT]![k]!);
    if (c.p.sync !== 'none') {
      c.s.pgdList.set(MM_T, true);
      c.s.pgdList.set(MM_O, true);
    }
    c.s.current = 'T';
    c.s.satp = MM_T;
    c.note(`T, O forked before kexec_load: mmT.pgd[${PGD_LINEAR}] = ${ptFormat(pt[MM_T]![PGD_LINEAR]!)} (pgd_alloc's memcpy)`);
  },
  actors: (p) => ({
    S: actor({ locals: { r: int(MM_T, MM_N + 1) }, steps: sSteps(p) }),
    F: actor({ instances: hasF(p) ? 1 : 0, locals: { ent: int(0, ENTRIES) }, steps: fSteps(p) }),
    Csw: actor({ steps: cswSteps(p) }),
    E: actor({ steps: eSteps(p) }),
  }),
  invariants: (p) => {
    const inv: Record<string, (s: any, w: any) => boolean> = {};
    if (p.scope === 'all') inv['INV-SYNC'] = syncAll(p);
    return inv;
  },
});

// ---- S: kexec_load -> machine_kexec_prepare (task T) -----------------------------------

function sSteps(p: P): Record<string, StepDef<any, any, any>> {
  const va = vaCtrl(p);
  const steps: Record<string, StepDef<any, any, any>> = {};
  if (p.buffer === 'vm_map_ram') {
    // vm_map_ram(&control_code_page, 1, NUMA_NO_NODE): vmap_pages_range -> set_pte_at in
    // the shared vmalloc pte table, PAGE_KERNEL (no exec).
    steps['vm_map_ram:vmap_pages_range'] = (c) => {
      ptSetLeaf(c.s.pt[VM_PTE][va[2]!], PAGE_KERNEL);
    };
  }
  // Copying riscv_kexec_relocate into the buffer: a store through T's mm; the walker
  // caches the (global) kernel leaf in this CPU's TLB.
  steps['memcpy(control_code_buffer, riscv_kexec_relocate)'] = (c) => {
    const leaf = ptLeaf(c.s.pt, MM_T, va);
    if (!ptAllows(leaf, 'w')) throw new Error(`model: control code buffer not writable: ${ptFormat(leaf)}`);
    if (p.cached) ptCopy(c.s.tlb, leaf!);
    if (c.noting) c.note(`mmT.pgd: ${ptFormat(leaf)}${p.cached ? ', cached in the TLB' : ''}`);
  };
  if (!p.setx) return steps;

  // set_memory_x(buf, 1) -> __set_memory(buf, 1, __pgprot(_PAGE_EXEC), __pgprot(0))
  steps['mmap_write_lock(&init_mm)'] = spinLock((c) => c.s.initMmLock, () => S_ID);
  if (p.sync !== 'none') steps['spin_lock(&pgd_lock)'] = spinLock((c) => c.s.pgdLock, () => S_ID);
  let level = leafLevel(p);
  if (p.split) {
    // 311cd2f6e253: split the huge leaf down to a PTE, level by level: fill a new table
    // with the leaf's permissions, then install it in place of the leaf. In init_mm's
    // walk: a shared table for a PMD leaf, init_mm's own PGD for a PGD leaf.
    for (let t = 0; level < LEVELS.length - 1; level++, t++) {
      const table = SPLIT0 + t;
      steps[SPLIT_FN[level]!] = (c) => {
        const w = ptWalk(c.s.pt, INIT, va);
        ptSplitInto(c.s.pt, table, w.entry);
        ptSetTable(w.entry, table);
      };
    }
  }
  const lvl = LEVELS[level]!;
  // walk_page_range_novma(&init_mm, ...): the pageattr callback rewrites the leaf in place.
  steps[`pageattr_${lvl}_entry(init_mm)`] = (c) => {
    ptModifyLeaf(ptWalk(c.s.pt, INIT, va).entry, { x: true });
    if (c.noting) c.note(`init_mm.${lvl}: ${ptFormat(ptWalk(c.s.pt, INIT, va).entry)}`);
  };
  if (p.activeMm) {
    // v1: walk_page_range_novma(current->active_mm, ...) as well (current is T).
    steps[`pageattr_${lvl}_entry(current->active_mm)`] = (c) => {
      ptModifyLeaf(ptWalk(c.s.pt, MM_T, va).entry, { x: true });
      if (c.noting) c.note(`mmT.${lvl}: ${ptFormat(ptWalk(c.s.pt, MM_T, va).entry)}`);
    };
  }
  if (p.sync !== 'none') {
    // x86-32 __set_pmd_pte: propagate the new entry to every pgd on pgd_list, one per step.
    steps['list_for_each_entry(pgd_list):set_pgd'] = (c) => {
      let r = nextListed(c.s.pgdList, c.l.r);
      if (r <= MM_N) {
        ptCopy(c.s.pt[r][va[0]!], c.s.pt[INIT][va[0]!]);
        r = nextListed(c.s.pgdList, r + 1);
      }
      c.l.r = r;
      if (r <= MM_N) c.goto('list_for_each_entry(pgd_list):set_pgd');
    };
    steps['spin_unlock(&pgd_lock)'] = spinUnlock((c) => c.s.pgdLock, () => S_ID);
  }
  steps['mmap_write_unlock(&init_mm)'] = spinUnlock((c) => c.s.initMmLock, () => S_ID);
  if (p.flush) {
    // flush_tlb_kernel_range: sfence.vma on every hart (this CPU's TLB entry goes).
    steps['flush_tlb_kernel_range'] = (c) => {
      ptClear(c.s.tlb);
      if (c.noting) c.note('sfence.vma: no TLB entry left');
    };
  }
  return steps;
}

function nextListed(list: { get(i: number): boolean }, from: number): number {
  let r = from;
  while (r <= MM_N && !list.get(r)) r++;
  return r;
}

// ---- F: fork/exec -> pgd_alloc (task N's mm) -----------------------------------------------

function fSteps(p: P): Record<string, StepDef<any, any, any>> {
  const va = vaCtrl(p);
  const copy = (label: string): StepDef<any, any, any> => (c) => {
    const k = c.l.ent;
    if (k === va[0] && !ptAllows(ptLeaf(c.s.pt, INIT, va), 'x')) c.s.copiedBeforeSetX = true;
    ptCopy(c.s.pt[MM_N][k], c.s.pt[INIT][k]);
    if (c.noting) c.note(`mmN.pgd[${k}] = ${ptFormat(c.s.pt[MM_N][k])}`);
    c.l.ent = k + 1;
    if (c.l.ent < ENTRIES) c.goto(label);
  };
  const steps: Record<string, StepDef<any, any, any>> = {
    // The new pgd page (its user half zeroed; the kernel half is still none here).
    'pgd_alloc:__get_free_page': { await: (c) => !p.forkAfter || c.pc('S') === 'done' },
  };
  if (p.sync === 'none') {
    // riscv pgd_alloc: memcpy(pgd + USER_PTRS_PER_PGD, init_mm.pgd + USER_PTRS_PER_PGD, ...)
    // with no lock and no list, one entry per step.
    steps['pgd_alloc:memcpy'] = copy('pgd_alloc:memcpy');
    return steps;
  }
  const listAdd: Record<string, StepDef<any, any, any>> = {
    pgd_list_add: (c) => {
      c.s.pgdList.set(MM_N, true);
    },
  };
  if (p.sync === 'pgd_list') {
    // x86 pgd_alloc -> pgd_ctor under pgd_lock: clone_pgd_range, then pgd_list_add.
    steps['spin_lock(&pgd_lock)'] = spinLock((c) => c.s.pgdLock, () => F_ID);
    steps['pgd_ctor:clone_pgd_range'] = copy('pgd_ctor:clone_pgd_range');
    Object.assign(steps, listAdd);
  } else {
    // X′: the copy outside the lock, only the list_add under it.
    steps['pgd_ctor:clone_pgd_range'] = copy('pgd_ctor:clone_pgd_range');
    steps['spin_lock(&pgd_lock)'] = spinLock((c) => c.s.pgdLock, () => F_ID);
    Object.assign(steps, listAdd);
  }
  steps['spin_unlock(&pgd_lock)'] = spinUnlock((c) => c.s.pgdLock, () => F_ID);
  return steps;
}

// ---- Csw: context switches on the CPU that will run machine_kexec -----------------------

function cswSteps(p: P): Record<string, StepDef<any, any, any>> {
  const f = hasF(p);
  return {
    '__schedule:switch_mm': (c) => {
      // After machine_shutdown (interrupts off, other harts offline) nothing is scheduled.
      if (c.pc('E') !== E_FIRST) return c.finish();
      const runnable = TASKS.filter((t) => t !== c.s.current && (t !== 'N' || (f && c.pc('F') === 'done')));
      const next = c.choose('next', runnable);
      // switch_mm: csr_write(satp, next->mm->pgd); a kernel thread has no mm and keeps
      // the previous one (enter_lazy_tlb: active_mm = prev->active_mm, satp unchanged).
      if (next !== 'K') c.s.satp = MM_OF[next];
      c.s.current = next;
      c.goto('__schedule:switch_mm');
    },
  };
}

// ---- E: reboot(LINUX_REBOOT_CMD_KEXEC) -> kernel_kexec -> machine_kexec --------------------

function eSteps(p: P): Record<string, StepDef<any, any, any>> {
  const va = vaCtrl(p);
  const executor = EXECUTOR_TASK[p.executor];
  return {
    // The executor calls reboot(KEXEC) once kexec_load has returned (kexec_image set).
    [E_FIRST]: { await: (c) => c.pc('S') === 'done' && c.s.current === executor },
    // local_flush_icache_all(); (*kexec_method)(...): fetch at VA_ctrl through satp.
    [E_JUMP]: (c) => {
      const cached = c.s.tlb.kind === 'leaf';
      const leaf = cached ? c.s.tlb : ptLeaf(c.s.pt, c.s.satp, va);
      if (ptAllows(leaf, 'x')) return; // riscv_kexec_relocate runs: the new kernel boots
      const ref = ptLeaf(c.s.pt, INIT, va);
      // INV-SYNC: the kernel made the page executable, this CPU's view disagrees.
      // INV-EXEC (the fault condition): not even init_mm maps it executable.
      const property = ptAllows(ref, 'x') ? 'INV-SYNC' : 'INV-EXEC';
      if (c.noting) c.note(`satp = ${ROOT_NAME[c.s.satp]}.pgd; jump control_code_buffer: ${cached ? 'TLB' : 'walk'}: ${ptFormat(leaf)}, not X`);
      const via = cached
        ? `TLB entry ${ptFormat(leaf)}`
        : `${ROOT_NAME[c.s.satp]}.pgd (satp of task ${c.s.current}): ${ptFormat(leaf)} at ${LEVELS[ptWalk(c.s.pt, c.s.satp, va).level]}`;
      takeFault(
        c,
        { space: 'kernel', property },
        `instruction page fault (cause 0xc) at control_code_buffer: ${via}; init_mm: ${ptFormat(ref)}`,
      );
    },
  };
}

// ---- INV-SYNC over every mm in use (scope=all) ----------------------------------------------

function syncAll(p: P) {
  const va = vaCtrl(p);
  const f = hasF(p);
  return (s: any, w: any): boolean => {
    // Once set_memory_x (kexec_load) has returned, kernel mappings must be global.
    if (w.pc('S') !== 'done') return true;
    const ref = ptLeaf(s.pt, INIT, va);
    if (!ptSameLeaf(ptLeaf(s.pt, MM_T, va), ref) || !ptSameLeaf(ptLeaf(s.pt, MM_O, va), ref)) return false;
    if (f && w.pc('F') === 'done' && !ptSameLeaf(ptLeaf(s.pt, MM_N, va), ref)) return false;
    return s.tlb.kind === 'none' || ptSameLeaf(s.tlb, ref);
  };
}
