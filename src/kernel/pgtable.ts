/**
 * Multi-level page tables as state: entries, tables, the walk to the effective leaf,
 * copying and rewriting entries, splitting a huge leaf.
 *
 * The tables of a model live in one pool, `pt: ptTablesType(tables, entries)`: table t
 * is `pt[t]`, an array of `entries` entries. A root (a pgd: swapper_pg_dir, an mm's
 * pgd) is just a table of the pool, and so is every lower table (pud/pmd/pte tables,
 * shared between the roots that point at them). A virtual address is the list of its
 * indices, one per level from the root: `[pgdIndex, pmdIndex, pteIndex]` for a
 * three-level (Sv39-like) table. Each entry is one of
 *
 *   none    pgd_none / pmd_none / pte_none: nothing mapped (the hardware walk faults)
 *   table   a pointer to the lower table `table` (riscv: V=1 and R=W=X=0)
 *   leaf    a mapping with its permissions r, w, x and its valid bit: a huge leaf above
 *           the last level maps the whole range below it (riscv: a PGD/PUD/PMD "leaf"
 *           has one of R, W, X set); a leaf with `valid` false is a non-none invalid
 *           entry (set_direct_map_invalid_noflush, debug_pagealloc: V=0, pfn kept)
 *
 * and `pfn` (abstract frame numbers, `pfns` of them; 1 by default for models that do not
 * track frames). Every writer below leaves the unused fields at zero, so that two
 * entries that mean the same thing are the same state.
 *
 * Kernel functions each helper stands for:
 *   ptClear        pgd_clear / pmd_clear / pte_clear
 *   ptSetTable     pgd_populate / p4d_populate / pud_populate / pmd_populate_kernel;
 *                  set_pmd(pmdp, pfn_pmd(.., PAGE_TABLE)) when a split installs a table
 *   ptSetLeaf      set_pgd / set_pud / set_pmd / set_pte of a leaf (pfn_pxd(pfn, prot),
 *                  vmap_pages_range's set_pte_at, create_pgd_mapping at boot)
 *   ptCopy         pgd_alloc's memcpy of the kernel half, one entry (riscv, arm64);
 *                  clone_pgd_range in x86 pgd_ctor; set_pgd(pgd, *pgd_ref) in
 *                  sync_global_pgds; a TLB fill caching the leaf the walker found
 *   ptModifyLeaf   the walk_page_range_novma callbacks of __set_memory (riscv
 *                  pageattr_pgd_entry ... pageattr_pte_entry): a leaf becomes
 *                  (val & ~clear_mask) | set_mask; tables and none are left alone
 *   ptWalk         walk_page_range_novma's descent / the hardware walker: follows table
 *                  entries from a root and stops at the first leaf or none
 *   ptLeaf         the effective leaf for an address through a root (what the MMU uses)
 *   ptAllows       the hardware permission check of a load, store or instruction fetch
 *   ptSplitInto    splitting a huge leaf (riscv __split_linear_mapping_pmd/_pud, x86
 *                  split_large_page, arm64 split_pmd): the new lower table is filled
 *                  with leaves carrying the huge leaf's permissions; the caller then
 *                  installs it with ptSetTable in place of the leaf
 *
 * Example (a linear-map PGD leaf made executable in init_mm only):
 *
 *   state: { pt: ptTablesType(3, 2) },              // 0 = init_mm.pgd, 1 = mm.pgd, 2 = a pmd table
 *   init: (c) => { ptSetLeaf(c.s.pt[0][1], PAGE_KERNEL); ptCopy(c.s.pt[1][1], c.s.pt[0][1]); }
 *   step: (c) => { ptModifyLeaf(ptWalk(c.s.pt, 0, [1, 0]).entry, { x: true }); }
 *   invariant: (s) => ptSameLeaf(ptLeaf(s.pt, 1, [1, 0]), ptLeaf(s.pt, 0, [1, 0]))   // fails
 */
import { array, bool, enumOf, int, record } from '../model/index.js';

export const PT_KINDS = ['none', 'table', 'leaf'] as const;
export type PtKind = (typeof PT_KINDS)[number];

/** One page-table entry as steps and invariants see it. */
export interface PtEntry {
  kind: PtKind;
  /** For `table`: the index of the lower table in the pool (0 otherwise). */
  table: number;
  /** The hardware valid bit: false for none, true for a table, as set for a leaf. */
  valid: boolean;
  r: boolean;
  w: boolean;
  x: boolean;
  /** For a leaf: its (abstract) frame (0 otherwise). */
  pfn: number;
}

export type PtTable = readonly PtEntry[];
export type PtTables = readonly PtTable[];

/** Permissions of a leaf. */
export interface Prot {
  readonly r?: boolean;
  readonly w?: boolean;
  readonly x?: boolean;
}

/** PAGE_KERNEL: read-write, not executable (the linear map, vm_map_ram, vmalloc). */
export const PAGE_KERNEL: Prot = { r: true, w: true, x: false };
/** PAGE_KERNEL_EXEC: read-write-execute. */
export const PAGE_KERNEL_EXEC: Prot = { r: true, w: true, x: true };
/** PAGE_KERNEL_READ / PAGE_KERNEL_RO: read-only (rodata, module aliases). */
export const PAGE_KERNEL_READ: Prot = { r: true, w: false, x: false };
/** PAGE_KERNEL_READ_EXEC / PAGE_KERNEL_ROX: kernel text. */
export const PAGE_KERNEL_READ_EXEC: Prot = { r: true, w: false, x: true };

/** The state type of one entry; `tables` bounds the table pointer, `pfns` the frame. */
export function ptEntryType(tables: number, pfns = 1) {
  return record({
    kind: enumOf(...PT_KINDS),
    table: int(0, Math.max(0, tables - 1)),
    valid: bool(),
    r: bool(),
    w: bool(),
    x: bool(),
    pfn: int(0, Math.max(0, pfns - 1)),
  });
}

/** The state type of a pool of `tables` tables of `entries` entries each. */
export function ptTablesType(tables: number, entries: number, pfns = 1) {
  return array(tables, array(entries, ptEntryType(tables, pfns)));
}

/** pgd_clear / pmd_clear / pte_clear: the entry becomes none. */
export function ptClear(e: PtEntry): void {
  e.kind = 'none';
  e.table = 0;
  e.valid = e.r = e.w = e.x = false;
  e.pfn = 0;
}

/** pgd_populate / pud_populate / pmd_populate_kernel: the entry points at table `t`. */
export function ptSetTable(e: PtEntry, t: number): void {
  e.kind = 'table';
  e.table = t;
  e.valid = true;
  e.r = e.w = e.x = false;
  e.pfn = 0;
}

/** set_pgd / set_pmd / set_pte of a leaf with `prot` (valid unless `valid` is false). */
export function ptSetLeaf(e: PtEntry, prot: Prot, pfn = 0, valid = true): void {
  e.kind = 'leaf';
  e.table = 0;
  e.valid = valid;
  e.r = prot.r ?? false;
  e.w = prot.w ?? false;
  e.x = prot.x ?? false;
  e.pfn = pfn;
}

/** dst := src, one entry: pgd_alloc's memcpy, clone_pgd_range, set_pgd(pgd, *pgd_ref). */
export function ptCopy(dst: PtEntry, src: Readonly<PtEntry>): void {
  dst.kind = src.kind;
  dst.table = src.table;
  dst.valid = src.valid;
  dst.r = src.r;
  dst.w = src.w;
  dst.x = src.x;
  dst.pfn = src.pfn;
}

/**
 * The pageattr callbacks of __set_memory (riscv pageattr_pgd_entry .. pageattr_pte_entry;
 * arm64 change_page_range; x86 __change_page_attr on the kpte): if `e` is a leaf, its
 * permissions become (val & ~clear) | set. Returns whether `e` was a leaf (a table is
 * descended by the walker, none is skipped).
 */
export function ptModifyLeaf(e: PtEntry, set: Prot, clear: Prot = {}): boolean {
  if (e.kind !== 'leaf') return false;
  if (clear.r) e.r = false;
  if (clear.w) e.w = false;
  if (clear.x) e.x = false;
  if (set.r) e.r = true;
  if (set.w) e.w = true;
  if (set.x) e.x = true;
  return true;
}

/** True when two entries are the same (all fields). */
export function ptEqual(a: Readonly<PtEntry>, b: Readonly<PtEntry>): boolean {
  return a.kind === b.kind && a.table === b.table && a.valid === b.valid && a.r === b.r && a.w === b.w && a.x === b.x && a.pfn === b.pfn;
}

/** Where a walk stopped: the entry, its level (0 = the root), its table and index. */
export interface PtWalkResult {
  readonly entry: PtEntry;
  readonly level: number;
  readonly table: number;
  readonly index: number;
}

/**
 * Walks `va` (one index per level) from root table `root`: follows table entries and
 * stops at the first leaf or none, or at the last level. This is the descent of
 * walk_page_range_novma (its pxd_entry callbacks see the entries on the way) and of the
 * hardware walker.
 */
export function ptWalk(pt: PtTables, root: number, va: readonly number[]): PtWalkResult {
  let t = root;
  for (let level = 0; ; level++) {
    const index = va[level]!;
    const entry = pt[t]![index]!;
    if (entry.kind !== 'table' || level === va.length - 1) return { entry, level, table: t, index };
    t = entry.table;
  }
}

/**
 * The effective leaf for `va` through `root`: the valid leaf the MMU translates with, or
 * null when the walk meets none, an invalid leaf, or a table at the last level (a page
 * fault whatever the access).
 */
export function ptLeaf(pt: PtTables, root: number, va: readonly number[]): PtEntry | null {
  const { entry } = ptWalk(pt, root, va);
  return entry.kind === 'leaf' && entry.valid ? entry : null;
}

export type Access = 'r' | 'w' | 'x';

/**
 * The hardware permission check: does the effective leaf (or a cached copy of it) allow
 * the access? riscv raises a load, store/AMO or instruction page fault (cause 13, 15, 12)
 * otherwise; arm64 a permission or translation fault; x86 #PF.
 */
export function ptAllows(leaf: Readonly<PtEntry> | null, access: Access): boolean {
  if (leaf === null || leaf.kind !== 'leaf' || !leaf.valid) return false;
  return access === 'r' ? leaf.r : access === 'w' ? leaf.w : leaf.x;
}

/** Two effective leaves translate the same way (both absent, or equal leaves). */
export function ptSameLeaf(a: Readonly<PtEntry> | null, b: Readonly<PtEntry> | null): boolean {
  if (a === null || b === null) return a === b;
  return ptEqual(a, b);
}

/**
 * Splits a huge leaf: every entry of table `t` becomes a leaf with `leaf`'s permissions,
 * validity and frame (frames stay abstract: the split pages keep the huge leaf's pfn).
 * Table `t` must not be reachable yet; install it with ptSetTable(parent, t) afterwards
 * (riscv __split_linear_mapping_pmd: fill the new pte page, smp_wmb, set_pmd).
 */
export function ptSplitInto(pt: PtTables, t: number, leaf: Readonly<PtEntry>): void {
  for (const e of pt[t]!) ptCopy(e, leaf);
}

/** A short description for messages: `none`, `TABLE(t5)`, `LEAF(RW-)`, `LEAF(RWX,invalid)`. */
export function ptFormat(e: Readonly<PtEntry> | null): string {
  if (e === null || e.kind === 'none') return 'none';
  if (e.kind === 'table') return `TABLE(t${e.table})`;
  const prot = `${e.r ? 'R' : '-'}${e.w ? 'W' : '-'}${e.x ? 'X' : '-'}`;
  return `LEAF(${prot}${e.valid ? '' : ',invalid'}${e.pfn ? `,pfn ${e.pfn}` : ''})`;
}
