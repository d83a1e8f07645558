/**
 * Per-CPU TLBs over the pages of a small address range.
 *
 * Each CPU holds, per page, at most one cached translation, and optionally one block
 * entry covering the whole range (a contiguous-PTE or huge mapping). Entries are
 * inserted by the hardware walker on a miss and removed by a broadcast range flush.
 *
 * Kernel functions: the hardware walk (insertion), flush_tlb_kernel_range,
 * __flush_tlb_range / flush_tlb_range (arm64: TLBI VALE1IS + DSB ISH; x86: INVLPG and
 * the flush IPI; riscv: sfence.vma and the remote fence SBI call), local_flush_tlb_all.
 */
import { array, bool, record } from '../model/index.js';

/** The state type: `tlb: tlbType(cpus, pages)`. */
export function tlbType(cpus: number, pages: number) {
  return array(cpus, record({ block: bool(), single: array(pages, bool()) }));
}

export interface TlbView {
  block: boolean;
  readonly single: { readonly length: number; get(i: number): boolean; set(i: number, v: boolean): void };
}

/** A TLB hit for `page` on this CPU. */
export function tlbHit(t: TlbView, page: number): boolean {
  return t.block || t.single.get(page);
}

/** The walker caches a translation: a block entry for a contiguous pte, else one page. */
export function tlbInsert(t: TlbView, page: number, block: boolean): void {
  if (block) t.block = true;
  else t.single.set(page, true);
}

/** Broadcast flush of the range on every CPU (TLBI + DSB completed). */
export function tlbFlushAll(tlbs: readonly TlbView[]): void {
  for (const t of tlbs) {
    t.block = false;
    for (let j = 0; j < t.single.length; j++) t.single.set(j, false);
  }
}

/** A CPU holding a block entry and a single-page entry that overlap it (TLB conflict). */
export function tlbConflict(t: TlbView): boolean {
  if (!t.block) return false;
  for (let j = 0; j < t.single.length; j++) if (t.single.get(j)) return true;
  return false;
}
