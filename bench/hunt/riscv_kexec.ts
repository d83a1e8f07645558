/**
 * Async rendition of scenarios/riscv_kexec/b-forked.json (models/riscv_kexec/riscv_kexec.ts
 * with executor=forked and the defaults: buffer=page_address, linear=pgd, setx, flush,
 * cached, sync=none, scope=exec) for fast-check's scheduler.
 *
 * The race (variant B, 6.4 Sv39, VIOLATION(INV-SYNC)): the linear map is a 1 GB PGD leaf;
 * set_memory_x in kexec_load (S) makes init_mm's leaf executable, but a pgd_alloc (F)
 * that copied the kernel half of init_mm.pgd before that keeps the old NX leaf: copied
 * PGD leaves are snapshots. When the task forked by F (N) runs reboot(KEXEC), machine_kexec
 * (E) fetches the control code through N's pgd: instruction page fault, Oops.
 *
 * Same actors, steps (labels), guards and choices as the model: S
 * (memcpy(control_code_buffer, riscv_kexec_relocate), mmap_write_lock(&init_mm),
 * pageattr_pgd_entry(init_mm), mmap_write_unlock(&init_mm), flush_tlb_kernel_range);
 * F (pgd_alloc:__get_free_page, pgd_alloc:memcpy for each of the 2 kernel entries);
 * Csw (__schedule:switch_mm, a loop that chooses the next task among the runnable ones
 * until E has passed machine_shutdown); E (kernel_kexec:machine_shutdown, awaiting
 * kexec_load's return and N on the CPU; machine_kexec:kexec_method()). The same state: the
 * page-table pool (init_mm, mmT, mmO, mmN pgds of 2 kernel entries, the vmalloc
 * tables), the CPU's TLB entry for VA_ctrl, current task, satp, the init_mm lock; the
 * same property, the fault INV-SYNC (INV-EXEC if init_mm itself is not executable).
 * Only the paths of these parameters are rendered (no vm_map_ram, split, pgd_list,
 * G1 walk); the tables a split would use (LM_PMD, SPLIT0/1) are left out.
 */
import { World, type Chooser, type Points, type Rendition } from './runtime.js';

interface Entry {
  kind: 'none' | 'table' | 'leaf';
  table: number;
  valid: boolean;
  r: boolean;
  w: boolean;
  x: boolean;
}
export interface State {
  pt: Entry[][];
  tlb: Entry;
  current: Task;
  satp: number;
  initMmLock: number | null;
  copiedBeforeSetX: boolean;
}

const INIT = 0;
const MM_T = 1;
const MM_O = 2;
const MM_N = 3;
const VM_PMD = 4;
const VM_PTE = 5;
const TABLES = 6;
const ENTRIES = 2;
const PGD_VMALLOC = 0;
const PGD_LINEAR = 1;
/** VA_ctrl = page_address(control_code_page): [pgd, pmd, pte] indices. */
const VA = [PGD_LINEAR, 0, 0] as const;
const ROOT_NAME = ['init_mm', 'mmT', 'mmO', 'mmN'];
const TASKS = ['T', 'O', 'N', 'K'] as const;
type Task = (typeof TASKS)[number];
const MM_OF: Record<Task, number> = { T: MM_T, O: MM_O, N: MM_N, K: -1 };
const S_ID = 0;
const E_FIRST = 'kernel_kexec:machine_shutdown';

const none = (): Entry => ({ kind: 'none', table: 0, valid: false, r: false, w: false, x: false });
const copy = (dst: Entry, src: Entry): void => void Object.assign(dst, src);
const setTable = (e: Entry, t: number): void => void Object.assign(e, { kind: 'table', table: t, valid: true, r: false, w: false, x: false });
/** PAGE_KERNEL: RW, NX. */
const setKernelLeaf = (e: Entry): void => void Object.assign(e, { kind: 'leaf', table: 0, valid: true, r: true, w: true, x: false });

/** The walk from `root` for VA: follows tables, stops at a leaf, none or the last level. */
function walk(pt: Entry[][], root: number): Entry {
  let t = root;
  for (let level = 0; ; level++) {
    const e = pt[t]![VA[level]!]!;
    if (e.kind !== 'table' || level === VA.length - 1) return e;
    t = e.table;
  }
}
/** The effective (valid) leaf for VA through `root`, or null. */
function leafOf(pt: Entry[][], root: number): Entry | null {
  const e = walk(pt, root);
  return e.kind === 'leaf' && e.valid ? e : null;
}
const allows = (e: Entry | null, a: 'w' | 'x'): boolean => e !== null && e.kind === 'leaf' && e.valid && e[a];
const fmt = (e: Entry | null): string =>
  e === null || e.kind === 'none' ? 'none' : e.kind === 'table' ? `TABLE(t${e.table})` : `LEAF(${e.r ? 'R' : '-'}${e.w ? 'W' : '-'}${e.x ? 'X' : '-'}${e.valid ? '' : ',invalid'})`;

async function sActor(w: World<State>): Promise<void> {
  const s = w.s;
  await w.step('S', 'memcpy(control_code_buffer, riscv_kexec_relocate)', () => {
    const leaf = leafOf(s.pt, MM_T);
    if (!allows(leaf, 'w')) throw new Error(`model: control code buffer not writable: ${fmt(leaf)}`);
    copy(s.tlb, leaf!); // cached=true: the walker caches the (global) kernel leaf
  });
  await w.step('S', 'mmap_write_lock(&init_mm)', () => (s.initMmLock = S_ID), () => s.initMmLock === null);
  await w.step('S', 'pageattr_pgd_entry(init_mm)', () => {
    const e = walk(s.pt, INIT);
    if (e.kind === 'leaf') e.x = true;
  });
  await w.step('S', 'mmap_write_unlock(&init_mm)', () => {
    if (s.initMmLock !== S_ID) throw new Error('mmap_write_unlock: not the owner');
    s.initMmLock = null;
  });
  await w.step('S', 'flush_tlb_kernel_range', () => copy(s.tlb, none()));
}

async function fActor(w: World<State>): Promise<void> {
  const s = w.s;
  await w.step('F', 'pgd_alloc:__get_free_page', () => {}, () => true); // forkAfter=false
  for (let k = 0; k < ENTRIES; k++) {
    await w.step('F', 'pgd_alloc:memcpy', () => {
      if (k === VA[0] && !allows(leafOf(s.pt, INIT), 'x')) s.copiedBeforeSetX = true;
      copy(s.pt[MM_N]![k]!, s.pt[INIT]![k]!);
    });
  }
}

async function cswActor(w: World<State>): Promise<void> {
  const s = w.s;
  let stop = false;
  while (!stop) {
    await w.step('Csw', '__schedule:switch_mm', () => {
      // After machine_shutdown nothing is scheduled.
      if (w.pc['E'] !== E_FIRST) {
        stop = true;
        return;
      }
      const runnable = TASKS.filter((t) => t !== s.current && (t !== 'N' || w.pc['F'] === 'done'));
      const next = w.pick(runnable);
      if (next !== 'K') s.satp = MM_OF[next];
      s.current = next;
    });
  }
}

async function eActor(w: World<State>): Promise<void> {
  const s = w.s;
  await w.step('E', E_FIRST, () => {}, () => w.pc['S'] === 'done' && s.current === 'N');
  await w.step('E', 'machine_kexec:kexec_method()', () => {
    const cached = s.tlb.kind === 'leaf';
    const leaf = cached ? s.tlb : leafOf(s.pt, s.satp);
    if (allows(leaf, 'x')) return; // riscv_kexec_relocate runs
    const ref = leafOf(s.pt, INIT);
    const property = allows(ref, 'x') ? 'INV-SYNC' : 'INV-EXEC';
    const via = cached ? `TLB entry ${fmt(leaf)}` : `${ROOT_NAME[s.satp]}.pgd (satp of task ${s.current}): ${fmt(leaf)}`;
    w.fault(property, `Unable to handle kernel paging request: instruction page fault (cause 0xc) at control_code_buffer: ${via}; init_mm: ${fmt(ref)} -> Oops`);
  });
}

export const riscvKexec: Rendition<State> = {
  scenario: 'scenarios/riscv_kexec/b-forked.json',
  property: 'INV-SYNC',
  start(points: Points, choose: Chooser): World<State> {
    const pt = Array.from({ length: TABLES }, () => Array.from({ length: ENTRIES }, none));
    setTable(pt[INIT]![PGD_VMALLOC]!, VM_PMD);
    setTable(pt[VM_PMD]![0]!, VM_PTE);
    setKernelLeaf(pt[INIT]![PGD_LINEAR]!); // linear=pgd: a 1 GB PGD leaf, PAGE_KERNEL
    // T and O were forked before kexec_load: pgd_alloc copied init_mm's kernel half.
    for (const r of [MM_T, MM_O]) for (let k = 0; k < ENTRIES; k++) copy(pt[r]![k]!, pt[INIT]![k]!);
    const s: State = { pt, tlb: none(), current: 'T', satp: MM_T, initMmLock: null, copiedBeforeSetX: false };
    const w = new World(points, choose, s, {}); // scope=exec: INV-SYNC is checked at E's fetch
    w.spawn('S', () => sActor(w));
    w.spawn('F', () => fActor(w));
    w.spawn('Csw', () => cswActor(w));
    w.spawn('E', () => eActor(w));
    return w;
  },
};
