/**
 * The Xen PV page-type oracle: what the hypervisor checks when a paravirtualised guest
 * builds, pins and hooks its page tables (docs/seed-problems.md §2, "What Xen checks").
 *
 * Xen (xen/arch/x86/mm.c) keeps for every machine frame f a type and a type count
 * (page->u.inuse.type_info): type(f) ∈ {none, W, L1, L2, L3, L4}, tcount(f), and a pin
 * bit (_PGT_pinned). A frame can only change type while its type count is 0, so it is
 * never a page table and writably mapped at the same time:
 *
 *   get_page_type(f, T)      tcount == 0: type := T, tcount := 1 and, for a table type,
 *                            validate the contents (alloc_page_type -> alloc_lN_table);
 *                            a failed validation drops the reference again
 *                            type == T:   tcount++
 *                            otherwise:   -EINVAL, "(XEN) mm.c: Bad type (saw X != exp T)"
 *   put_page_type(f)         tcount--; a table whose count reaches 0 is devalidated
 *                            (free_page_type -> free_lN_table drops what its entries hold)
 *
 *   X1 get_page_from_l1e     a present L1 entry that maps f with _PAGE_RW needs
 *                            get_page_type(f, W); a read-only entry takes only a plain page
 *                            reference (not modelled: it can never fail here). Applies to
 *                            mmu_update and update_va_mapping (mod_l1_entry), to a trapped
 *                            and emulated write into a validated L1, and to the validation
 *                            of an L1 (alloc_l1_table).
 *   X2 get_page_from_lNe     MMUEXT_PIN_Lx_TABLE, or installing a table pointer into a
 *      MMUEXT_PIN_Lx_TABLE   validated table, needs get_page_type(f, Lx), which validates
 *                            f's entries recursively (X1 for the entries of an L1).
 *   X3                       a validated table changes only through hypercalls or
 *                            trap-and-emulate, i.e. only through the functions below.
 *
 * The model keeps this state in a `xenFramesType(n)` array of its shared state and calls
 * these functions from the guest's steps: a hypercall is synchronous, so Xen's checks run
 * inside the guest step that issues it. Each function returns null on success or the
 * line Xen would log; the guest step then BUG()s: `c.fault(..., 'INV-X')`.
 *
 * What the model supplies: the contents of its tables. Validation takes them as a
 * callback (`validate`), and devalidation as `devalidate`, because only the model knows
 * where its entries live.
 *
 * Simplifications: pfn == mfn (no p2m); the plain page reference count (count_info) is
 * not kept, since nothing in these models frees frames; PGT_partial (preemptible
 * validation), PGT_pae_xen_l2 and linear (recursive) page tables are not modelled.
 */
import { array, bool, enumOf, int, record } from '../model/index.js';

export const PAGE_TYPES = ['none', 'W', 'L1', 'L2', 'L3', 'L4'] as const;
export type PageType = (typeof PAGE_TYPES)[number];
export type TableType = 'L1' | 'L2' | 'L3' | 'L4';

/** One frame's type information (page->u.inuse.type_info). */
export function xenFrameType(maxCount = 3) {
  return record({ type: enumOf(...PAGE_TYPES), tcount: int(0, maxCount), pinned: bool() });
}

/** The state type: `xen: xenFramesType(frames)`, frame f at index f (pfn == mfn). */
export function xenFramesType(frames: number, maxCount = 3) {
  return array(frames, xenFrameType(maxCount));
}

export interface XenFrame {
  type: PageType;
  tcount: number;
  pinned: boolean;
}
export type XenFrames = readonly XenFrame[];

/** Xen's answer: null on success, else the line Xen logs (and the hypercall fails with -EINVAL). */
export type XenResult = string | null;

/** A present L1 entry: the frame it maps, writable or not. */
export interface L1e {
  readonly frame: number;
  readonly rw: boolean;
}

export function isTableType(t: PageType): t is TableType {
  return t === 'L1' || t === 'L2' || t === 'L3' || t === 'L4';
}

/** Sets a frame's type information (initial states: what the domain builder left). */
export function setFrame(frames: XenFrames, f: number, type: PageType, tcount: number, pinned = false): void {
  const x = frames[f]!;
  x.type = type;
  x.tcount = tcount;
  x.pinned = pinned;
}

/**
 * get_page_type(f, t): takes a type reference. With a type count of 0 the frame takes
 * type t; a table type is then validated by `validate` (alloc_page_type), and a failed
 * validation leaves the frame untyped and unreferenced.
 */
export function getPageType(frames: XenFrames, f: number, t: PageType, validate?: () => XenResult): XenResult {
  const x = frames[f]!;
  if (x.tcount === 0) {
    x.type = t;
    x.tcount = 1;
    if (isTableType(t) && validate) {
      const err = validate();
      if (err !== null) {
        x.type = 'none';
        x.tcount = 0;
        return err;
      }
    }
    return null;
  }
  if (x.type !== t) return `Bad type (saw ${x.type} != exp ${t}) for mfn ${f}`;
  x.tcount++;
  return null;
}

/**
 * put_page_type(f): drops a type reference. When a table's count reaches 0 it is
 * devalidated: `devalidate` must drop what the table's entries hold (free_lN_table).
 * Dropping a reference nobody holds is a bug of the model, not of the guest: it throws.
 */
export function putPageType(frames: XenFrames, f: number, devalidate?: () => void): void {
  const x = frames[f]!;
  if (x.tcount === 0) throw new Error(`put_page_type(mfn ${f}): type count is already 0 (a reference the model never took)`);
  x.tcount--;
  if (x.tcount === 0 && isTableType(x.type)) devalidate?.();
}

/** X1, get_page_from_l1e: a writable entry needs a W type reference on the frame it maps. */
export function getPageFromL1e(frames: XenFrames, e: L1e): XenResult {
  if (!e.rw) return null;
  const err = getPageType(frames, e.frame, 'W');
  return err === null ? null : `${err}; Error getting mfn ${e.frame} from L1 entry (_PAGE_RW)`;
}

/** put_page_from_l1e: what a writable entry held is dropped. */
export function putPageFromL1e(frames: XenFrames, e: L1e): void {
  if (e.rw) putPageType(frames, e.frame);
}

/**
 * mod_l1_entry: an entry of a validated L1 changes from `old` to `nu` (null = not
 * present), through mmu_update, update_va_mapping or a trapped write. The new entry's
 * references are taken first (X1); on failure the entry is left unchanged.
 */
export function modL1Entry(frames: XenFrames, old: L1e | null, nu: L1e | null): XenResult {
  if (nu !== null) {
    const err = getPageFromL1e(frames, nu);
    if (err !== null) return err;
  }
  if (old !== null) putPageFromL1e(frames, old);
  return null;
}

/**
 * alloc_l1_table: validation of an L1, X1 for every present entry. On a failure the
 * references taken so far are dropped again, as Xen does.
 */
export function allocL1Table(frames: XenFrames, entries: readonly L1e[]): XenResult {
  for (let i = 0; i < entries.length; i++) {
    const err = getPageFromL1e(frames, entries[i]!);
    if (err !== null) {
      for (let j = i - 1; j >= 0; j--) putPageFromL1e(frames, entries[j]!);
      return err;
    }
  }
  return null;
}

/** free_l1_table: what a devalidated L1's entries held is dropped. */
export function freeL1Table(frames: XenFrames, entries: readonly L1e[]): void {
  for (const e of entries) putPageFromL1e(frames, e);
}

const LOWER: Record<Exclude<TableType, 'L1'>, TableType> = { L2: 'L1', L3: 'L2', L4: 'L3' };

/**
 * X2 for one table pointer, get_page_from_lNe: an entry of a level-`level` table that
 * points to `child` needs get_page_type(child, level-1), validating the child with
 * `validateChild` when it was not typed yet.
 */
export function getPageFromTableEntry(
  frames: XenFrames,
  level: Exclude<TableType, 'L1'>,
  child: number,
  validateChild: (child: number) => XenResult,
): XenResult {
  return getPageType(frames, child, LOWER[level], () => validateChild(child));
}

/**
 * alloc_l2/l3/l4_table: validation of a higher-level table, X2 for every present entry.
 * On a failure the references taken so far are dropped again.
 */
export function allocTable(
  frames: XenFrames,
  level: Exclude<TableType, 'L1'>,
  children: readonly number[],
  validateChild: (child: number) => XenResult,
  devalidateChild?: (child: number) => void,
): XenResult {
  for (let i = 0; i < children.length; i++) {
    const err = getPageFromTableEntry(frames, level, children[i]!, validateChild);
    if (err !== null) {
      for (let j = i - 1; j >= 0; j--) putPageType(frames, children[j]!, devalidateChild && (() => devalidateChild(children[j]!)));
      return err;
    }
  }
  return null;
}

/**
 * MMUEXT_PIN_Lx_TABLE (do_mmuext_op, pin_page): get_page_type(f, level), validating
 * the table, then the pin bit, which keeps that type reference. Pinning a pinned frame
 * fails ("already pinned") and drops the reference taken.
 */
export function pinTable(frames: XenFrames, f: number, level: TableType, validate: () => XenResult): XenResult {
  const err = getPageType(frames, f, level, validate);
  if (err !== null) return `${err}; Error while pinning mfn ${f}`;
  const x = frames[f]!;
  if (x.pinned) {
    putPageType(frames, f);
    return `Mfn ${f} already pinned`;
  }
  x.pinned = true;
  return null;
}

/** MMUEXT_UNPIN_TABLE: clears the pin bit and drops its type reference. */
export function unpinTable(frames: XenFrames, f: number, devalidate?: () => void): XenResult {
  const x = frames[f]!;
  if (!x.pinned) return `Mfn ${f} not pinned`;
  x.pinned = false;
  putPageType(frames, f, devalidate);
  return null;
}
