/**
 * Async rendition of scenarios/contpte/b-kernel.json (models/contpte/contpte.ts with
 * n=4 cpus=2 accesses=1 stores=true readers=0 mm=init_mm gate=none; clear=xchg,
 * order=bbm, the defaults) for fast-check's scheduler.
 *
 * The race (B-kernel, VIOLATION(INV-KFAULT)): contpte is allowed for init_mm. U1, the PTL
 * holder, folds the block: contpte_convert clears every pte (xchg), flushes, repaints
 * with PTE_CONT. A kernel access K on another CPU that misses its TLB and walks a pte
 * inside the clear..repaint window takes a translation fault on a TTBR1 address:
 * do_translation_fault -> do_bad_area -> Oops.
 *
 * Same actors, steps (labels) and choices as the model: U1 (spin_lock(ptl),
 * contpte_try_fold, contpte_convert:xchg x4, __flush_tlb_range, __set_ptes x4,
 * spin_unlock(ptl)); K0, K1 (access: choose the page and load/store; mmu:walk). The
 * same state (ptes, per-CPU TLBs, the PTL, the hardware access/dirty ghosts) and the
 * same properties: the fault INV-KFAULT, the invariants INV-BBM, INV-UFAULT, INV-AD.
 * Left out: INV-LL (it only constrains lockless readers, and there are none) and the
 * user fault path (handle_pte_fault ..., never reached with mm=init_mm).
 */
import { World, type Chooser, type Points, type Rendition } from './runtime.js';

const N = 4;
const CPUS = 2;
const ACCESSES = 1;
const U1_ID = 0;

interface Pte {
  valid: boolean;
  cont: boolean;
  young: boolean;
  dirty: boolean;
  fresh: boolean;
}
interface Tlb {
  block: boolean;
  single: boolean[];
}
export interface State {
  /** PTL owner, null when free. */
  ptl: number | null;
  pte: Pte[];
  tlb: Tlb[];
  hwYoung: boolean;
  hwDirty: boolean;
  installed: boolean;
}

const tlbConflict = (t: Tlb): boolean => t.block && t.single.some((x) => x);

async function u1(w: World<State>): Promise<void> {
  const s = w.s;
  const l = { young: false, dirty: false };
  await w.step('U1', 'spin_lock(ptl)', () => (s.ptl = U1_ID), () => s.ptl === null);
  let fold = true;
  await w.step('U1', 'contpte_try_fold', () => {
    // folds: gate=none and mm=init_mm; all ptes valid and none already cont.
    for (const e of s.pte) if (!e.valid || e.cont) fold = false;
  });
  if (fold) {
    for (let i = 0; i < N; i++) {
      await w.step('U1', 'contpte_convert:xchg', () => {
        const e = s.pte[i]!;
        l.young ||= e.young;
        l.dirty ||= e.dirty;
        e.valid = e.cont = e.young = e.dirty = e.fresh = false;
      });
    }
    await w.step('U1', '__flush_tlb_range', () => {
      for (const t of s.tlb) {
        t.block = false;
        t.single.fill(false);
      }
    });
    for (let i = 0; i < N; i++) {
      await w.step('U1', '__set_ptes', () => {
        const e = s.pte[i]!;
        e.valid = e.cont = true;
        e.young = l.young;
        e.dirty = l.dirty;
      });
    }
  }
  await w.step('U1', 'spin_unlock(ptl)', () => {
    if (s.ptl !== U1_ID) throw new Error('spin_unlock(ptl): not the owner');
    s.ptl = null;
  });
}

async function k(w: World<State>, cpu: number): Promise<void> {
  const s = w.s;
  const me = `K${cpu}`;
  let j = 0;
  let store = false;
  for (let left = 0; left < ACCESSES; left++) {
    await w.step(me, 'access', () => {
      j = w.choose(N);
      store = w.pick([false, true]);
    });
    await w.step(me, 'mmu:walk', () => {
      const t = s.tlb[cpu]!;
      const e = s.pte[j]!;
      const hit = t.block || t.single[j]!;
      if (!hit || (store && !e.dirty)) {
        if (!e.valid) {
          w.fault('INV-KFAULT', `Unable to handle kernel paging request: CPU${cpu} translation fault on page ${j} of init_mm: do_translation_fault -> do_bad_area -> Oops`);
        }
        if (!hit) {
          if (e.cont) t.block = true;
          else t.single[j] = true;
          e.young = true;
          s.hwYoung = true;
        }
        if (store) {
          e.dirty = true;
          s.hwDirty = true;
        }
      }
    });
  }
}

export const contpte: Rendition<State> = {
  scenario: 'scenarios/contpte/b-kernel.json',
  property: 'INV-KFAULT',
  start(points: Points, choose: Chooser): World<State> {
    const s: State = {
      ptl: null,
      // The block is mapped, not yet contiguous, clean and old.
      pte: Array.from({ length: N }, () => ({ valid: true, cont: false, young: false, dirty: false, fresh: false })),
      tlb: Array.from({ length: CPUS }, () => ({ block: false, single: Array<boolean>(N).fill(false) })),
      hwYoung: false,
      hwDirty: false,
      installed: false,
    };
    const w = new World(points, choose, s, {
      'INV-BBM': (st) => !st.tlb.some(tlbConflict),
      'INV-UFAULT': (st) => !st.installed,
      'INV-AD': (st, world) => {
        const at = world.pc['U1'];
        if (at !== 'spin_lock(ptl)' && at !== 'contpte_try_fold' && at !== 'spin_unlock(ptl)' && at !== 'done') return true;
        let young = false;
        let dirty = false;
        for (const e of st.pte) {
          young ||= e.young;
          dirty ||= e.dirty;
        }
        return young === st.hwYoung && dirty === st.hwDirty;
      },
    });
    w.spawn('U1', () => u1(w));
    for (let c = 0; c < CPUS; c++) w.spawn(`K${c}`, () => k(w, c));
    return w;
  },
};
