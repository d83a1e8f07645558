/**
 * The async renditions of bench/hunt/ (the bug-hunting benchmark's fast-check side) are
 * faithful to their mmrace scenarios in one concrete way each: driven by a scripted
 * scheduler instead of fast-check's, the schedule of mmrace's counterexample (same
 * actors, same step labels, same choices) reproduces the same violation, and a safe
 * ordering of the same actors does not. The scripts are hard-coded from traces written
 * once, offline, by `node bin/mmrace.js check <scenario> --json --trace <file>` (BFS, the
 * default strategy: the shortest counterexample); a trace entry {actor, instance, label,
 * choice} is written here as [actor + instance for actors with several instances, label,
 * choice]. Then fast-check's scheduler, as bench/hunt.ts drives it, finds each violation.
 */
import { describe, expect, it } from 'vitest';
import { CASES, fastCheckHunt } from '../../bench/hunt.js';
import { contpte } from '../../bench/hunt/contpte.js';
import { directMap } from '../../bench/hunt/direct_map.js';
import { riscvKexec } from '../../bench/hunt/riscv_kexec.js';
import type { Points, Rendition, Violation } from '../../bench/hunt/runtime.js';
import { transPgd } from '../../bench/hunt/trans_pgd.js';
import { xen } from '../../bench/hunt/xen.js';

/** One step of a script: the actor, the step's label, the values of its choices. */
type Step = readonly [actor: string, label: string, choice?: readonly number[]];

/** Lets every pending microtask run (the actors settle on their next scheduled point). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/**
 * A stand-in for fast-check's scheduler that releases the pending points in a given
 * order: the steps of a script (failing if the scripted actor has no pending point or
 * the label differs), or else always the first actor of a priority list that has one.
 */
class Scripted implements Points {
  private pending: { actor: string; label: string; release: () => void }[] = [];
  /** The steps released, as `actor:label`. */
  readonly released: string[] = [];
  /** Choice values, consumed in order by the rendition's choose(). */
  readonly choices: number[];

  constructor(
    private readonly plan: { script: readonly Step[] } | { priority: readonly string[] },
    choices: readonly number[] = [],
  ) {
    this.choices = [...choices];
  }

  readonly choose = (n: number): number => {
    const k = this.choices.shift();
    if (k === undefined) throw new Error(`choose(${n}): the script has no choice left (after ${this.released.join(', ')})`);
    return k;
  };

  schedule<T>(task: Promise<T>, label = '', actor = ''): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ actor, label, release: () => void task.then(resolve, reject) });
    });
  }

  async waitIdle(): Promise<void> {
    if ('script' in this.plan) {
      for (const [i, [actor, label, choice]] of this.plan.script.entries()) {
        await settle();
        const k = this.pending.findIndex((p) => p.actor === actor);
        if (k < 0) throw new Error(`step ${i + 1}: ${actor} has no enabled step; pending: ${this.pending.map((p) => p.label).join(', ') || 'none'}`);
        const [p] = this.pending.splice(k, 1);
        expect(p!.label, `step ${i + 1}`).toBe(`${actor}:${label}`);
        this.choices.push(...(choice ?? []));
        this.released.push(p!.label);
        p!.release();
      }
      await settle();
      return;
    }
    for (let n = 0; n < 10_000; n++) {
      await settle();
      const order = this.plan.priority;
      const next = this.pending
        .map((p, k) => ({ k, rank: order.indexOf(p.actor) }))
        .filter((x) => x.rank >= 0)
        .sort((a, b) => a.rank - b.rank)[0];
      if (next === undefined) return;
      const [p] = this.pending.splice(next.k, 1);
      this.released.push(p!.label);
      p!.release();
    }
    throw new Error('the priority schedule did not end in 10,000 steps');
  }
}

async function replay(r: Rendition, plan: ConstructorParameters<typeof Scripted>[0], choices: readonly number[] = []) {
  const sched = new Scripted(plan, choices);
  const w = r.start(sched, sched.choose);
  const violation: Violation | null = await w.run();
  return { violation, pc: w.pc, released: sched.released };
}

interface Fidelity {
  readonly rendition: Rendition;
  /** Choices of the initial state (the trace's `init.choice`). */
  readonly initChoices?: readonly number[];
  readonly counterexample: readonly Step[];
  /** A safe ordering: actors by priority, and the choices it makes. */
  readonly safe: { readonly priority: readonly string[]; readonly choices: readonly number[] };
}

const FIDELITY: readonly Fidelity[] = [
  {
    rendition: contpte,
    // node bin/mmrace.js check scenarios/contpte/b-kernel.json --json --trace /tmp/hunt/contpte_b-kernel.json
    // (5 steps): U1 clears pte 0, CPU 0 loads page 0 (choice [j=0, store=false]) and walks it.
    counterexample: [
      ['U1', 'spin_lock(ptl)'],
      ['U1', 'contpte_try_fold'],
      ['U1', 'contpte_convert:xchg'],
      ['K0', 'access', [0, 0]],
      ['K0', 'mmu:walk'],
    ],
    // The fold runs to completion, then CPU 0 loads page 0 and CPU 1 stores to page 1:
    // both walk the repainted block.
    safe: { priority: ['U1', 'K0', 'K1'], choices: [0, 0, 1, 1] },
  },
  {
    rendition: directMap,
    // node bin/mmrace.js check scenarios/direct_map/b1.json --json --trace /tmp/hunt/direct_map_b1.json (6 steps).
    counterexample: [
      ['V', 'remove_vm_area'],
      ['V', 'set_direct_map_invalid_noflush'],
      ['H', 'create_image:local_irq_disable'],
      ['H', 'safe_copy_page:kernel_page_present'],
      ['H', 'kernel_map_pages(page, 1, 1)'],
      ['H', 'do_copy_page'],
    ],
    // vfree completes (the page is mapped back and freed), then hibernation, then A.
    safe: { priority: ['V', 'H', 'A'], choices: [] },
  },
  {
    rendition: riscvKexec,
    // node bin/mmrace.js check scenarios/riscv_kexec/b-forked.json --json --trace /tmp/hunt/riscv_kexec_b-forked.json
    // (11 steps): F copies both kernel entries while S holds the lock, before the pageattr
    // callback; Csw's choice [1] picks N among the runnable tasks [O, N, K].
    counterexample: [
      ['S', 'memcpy(control_code_buffer, riscv_kexec_relocate)'],
      ['S', 'mmap_write_lock(&init_mm)'],
      ['F', 'pgd_alloc:__get_free_page'],
      ['F', 'pgd_alloc:memcpy'],
      ['F', 'pgd_alloc:memcpy'],
      ['S', 'pageattr_pgd_entry(init_mm)'],
      ['S', 'mmap_write_unlock(&init_mm)'],
      ['S', 'flush_tlb_kernel_range'],
      ['Csw', '__schedule:switch_mm', [1]],
      ['E', 'kernel_kexec:machine_shutdown'],
      ['E', 'machine_kexec:kexec_method()'],
    ],
    // kexec_load completes before the fork (N copies the executable leaf), the CPU
    // switches to N (choice 1 of [O, N, K]) and N runs reboot(KEXEC).
    safe: { priority: ['S', 'F', 'E', 'Csw'], choices: [1] },
  },
  {
    rendition: transPgd,
    // node bin/mmrace.js check scenarios/trans_pgd/v0-inv-other.json --json --trace /tmp/hunt/trans_pgd_v0-inv-other.json
    // (6 steps); init choice [0, 0, 6]: ptes NONE, NONE, and INV_OTHER in D.
    initChoices: [0, 0, 6],
    counterexample: [
      ['B', '_copy_pte'],
      ['B', '_copy_pte'],
      ['B', '_copy_pte'],
      ['R', 'hibernate_exit'],
      ['R', 'break_before_make_ttbr_switch'],
      ['R', 'copy_page'],
    ],
    // B then R (the only order) on ptes V_RW in D, V_RW in D, V_RO in D: all made RW.
    safe: { priority: ['B', 'R'], choices: [2, 2, 4] },
  },
  {
    rendition: xen,
    // node bin/mmrace.js check scenarios/xen/v-pre-high.json --json --trace /tmp/hunt/xen_v-pre-high.json
    // (16 steps); choice [0]: the page-table buffer starts at the first frame of the range mapped.
    counterexample: [
      ['G', 'find_early_table_space', [0]],
      ['G', 'phys_pud_init:alloc_low_page'],
      ['G', 'phys_pud_init:early_memremap'],
      ['G', 'phys_pmd_init:alloc_low_page'],
      ['G', 'phys_pmd_init:early_memremap'],
      ['G', 'phys_pte_init'],
      ['G', 'phys_pmd_init:unmap_low_page'],
      ['G', 'xen_alloc_pte_init:make_lowmem_page_readonly'],
      ['G', 'xen_alloc_pte_init:pin_pagetable_pfn'],
      ['G', 'pmd_populate_kernel:set_pmd'],
      ['G', 'phys_pmd_init:alloc_low_page'],
      ['G', 'phys_pmd_init:early_memremap'],
      ['G', 'phys_pte_init'],
      ['G', 'phys_pmd_init:unmap_low_page'],
      ['G', 'xen_alloc_pte_init:make_lowmem_page_readonly'],
      ['G', 'xen_alloc_pte_init:pin_pagetable_pfn'],
    ],
    // One actor: the whole run, with the buffer at the top of the range mapped (choice 4).
    safe: { priority: ['G'], choices: [4] },
  },
];

describe('bench/hunt renditions', () => {
  for (const f of FIDELITY) {
    const r = f.rendition;
    describe(r.scenario, () => {
      it(`mmrace's counterexample schedule reproduces ${r.property}`, async () => {
        const out = await replay(r, { script: f.counterexample }, f.initChoices);
        expect(out.released).toHaveLength(f.counterexample.length);
        expect(out.violation?.property).toBe(r.property);
      });

      it('a safe ordering runs every actor to the end without a violation', async () => {
        const out = await replay(r, { priority: f.safe.priority }, f.safe.choices);
        expect(out.violation).toBeNull();
        for (const [actor, pc] of Object.entries(out.pc)) expect(pc, actor).toBe('done');
      });
    });
  }

  it('covers every rendition of the benchmark', () => {
    expect(FIDELITY.map((f) => f.rendition)).toEqual(CASES.map((c) => c.rendition));
  });

  it("fast-check's scheduler finds each seed violation (seed 1)", async () => {
    for (const c of CASES) {
      const a = await fastCheckHunt(c.rendition, 1, 1000, 30);
      expect(a.property, c.model).toBe(c.rendition.property);
      expect(a.found, c.model).toBe(true);
    }
  });
});
