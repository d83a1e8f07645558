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
import { array, bool, record, type ActorDef, type StepCtx } from '../model/index.js';

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

/** A fill is found: the walker's guard stops at the first. */
const anyFill = (): boolean => true;

export interface SpeculativeWalker {
  /** CPUs whose TLBs it fills. */
  readonly cpus: number;
  /** Pages of the range. */
  readonly pages: number;
  /** The TLBs of the CPUs. */
  readonly tlb: (c: StepCtx) => readonly TlbView[];
  /**
   * What a walk of `page` by `cpu` finds now: `'block'` (a contiguous or huge mapping,
   * cached as the block entry), `'single'` (one page), or null (nothing mapped: a
   * speculative walk caches nothing and raises no fault).
   */
  readonly walk: (c: StepCtx, cpu: number, page: number) => 'block' | 'single' | null;
  /** The label of the step (default `speculative walk`: a hardware step). */
  readonly label?: string;
}

/**
 * A hardware walker that may walk any page for any CPU at any time and cache what it
 * finds (speculation, prefetch, a walk for a neighbouring access): the TLB entries a
 * break-before-make sequence must flush can appear at any point, not only where an access
 * of the model walks. An actor of one instance whose step caches one (cpu, page) the
 * walk finds and that CPU's TLB does not hold yet (each is a transition of its own); it
 * is optional: the run may end while it could still walk.
 */
export function speculativeWalker(o: SpeculativeWalker): ActorDef {
  const label = o.label ?? 'speculative walk';
  /**
   * The (cpu, page, block) fills that would change a TLB now, given to `each`; stops at the
   * first for which `each` returns true (the guard, which runs in every state, allocates nothing).
   */
  const forFills = (c: StepCtx, each: (cpu: number, page: number, block: boolean) => boolean): boolean => {
    const tlbs = o.tlb(c);
    for (let cpu = 0; cpu < o.cpus; cpu++) {
      for (let page = 0; page < o.pages; page++) {
        const found = o.walk(c, cpu, page);
        if (found === null) continue;
        const t = tlbs[cpu]!;
        if ((found === 'block' ? !t.block : !t.single.get(page)) && each(cpu, page, found === 'block')) return true;
      }
    }
    return false;
  };
  const fills = (c: StepCtx): [number, number, boolean][] => {
    const out: [number, number, boolean][] = [];
    forFills(c, (cpu, page, block) => (out.push([cpu, page, block]), false));
    return out;
  };
  return {
    optional: true,
    steps: {
      [label]: {
        await: (c) => forFills(c, anyFill),
        do: (c) => {
          const all = fills(c);
          // Chosen by name, so that the race diagram tells which fill: `speculative walk cpu 1 page 0`.
          const names = all.map(([cpu, page, block]) => `cpu ${cpu} page ${page}${block ? ' (block)' : ''}`);
          const [cpu, page, block] = all.length === 1 ? all[0]! : all[names.indexOf(c.choose(names))]!;
          tlbInsert(o.tlb(c)[cpu]!, page, block);
          c.goto(label);
        },
        hw: true,
      },
    },
  };
}
