/**
 * Async rendition of scenarios/trans_pgd/v0-inv-other.json (models/trans_pgd/trans_pgd.ts
 * with n=3 algo=v0 sources=all dpa=0; mkwrite=always, bug_on, check=all, the defaults)
 * for fast-check's scheduler.
 *
 * The ordering bug (V0 + INV_OTHER, VIOLATION(INV-W)): hibernate's _copy_pte (v5.4)
 * makes an invalid source pte valid only when debug_pagealloc is on; a linear-map page
 * that secretmem, vmalloc or kfence made invalid (INV_OTHER) is left none in tmp_pg_dir
 * with debug_pagealloc off, and swsusp_arch_suspend_exit's copy_page to that image page
 * takes a translation fault after the TTBR1 switch, with no recovery.
 *
 * Same actors, steps (labels) and choices as the model: the initial state chooses, for
 * each of the 3 ptes, one of the 8 (kind, in D) options of models/trans_pgd's pteOptions
 * for sources=all and dpa off, in the same order; B (_copy_pte, one step per pte); R
 * (hibernate_exit, awaiting B's end; break_before_make_ttbr_switch; copy_page per page of
 * D; _cpu_resume). The same invariants, INV-W, INV-PFN, INV-STOP. Only algo=v0 is
 * rendered (not v2 or the flagged copy_pte). There is no concurrency: R starts when B is
 * done, so the search is over the initial states, which fast-check draws with fc.gen().
 */
import { World, type Chooser, type Points, type Rendition } from './runtime.js';

type Src = 'NONE' | 'V_RW' | 'V_RO' | 'INV_DPA' | 'INV_OTHER' | 'INV_BAD';
type Dst = 'NONE' | 'V_RW' | 'V_RO' | 'INV' | 'V_BOGUS';
type Outcome = 'RUN' | 'BUG' | 'ABORT' | 'RESUMED' | 'FAULT';
export interface State {
  src: Src[];
  dst: Dst[];
  D: boolean[];
  dpa: boolean;
  outcome: Outcome;
  ttbr1: 'swapper_pg_dir' | 'tmp_pg_dir';
  invented: boolean;
}

const N = 3;
/** pteOptions('all', dpa=false) of the model, in its order: INV_DPA is absent with dpa off. */
export const OPTIONS: readonly { kind: Src; inD: boolean }[] = [
  { kind: 'NONE', inD: false },
  { kind: 'V_RW', inD: false },
  { kind: 'V_RW', inD: true },
  { kind: 'V_RO', inD: false },
  { kind: 'V_RO', inD: true },
  { kind: 'INV_OTHER', inD: false },
  { kind: 'INV_OTHER', inD: true },
  { kind: 'INV_BAD', inD: false }, // !pfn_valid: never an image page
];

const valid = (k: Src) => k === 'V_RW' || k === 'V_RO';
const pfnValid = (k: Src) => k !== 'INV_BAD';

async function b(w: World<State>): Promise<void> {
  const s = w.s;
  for (let i = 0; i < N; i++) {
    let bug = false;
    await w.step('B', '_copy_pte', () => {
      const pte = s.src[i]!;
      const fixup = s.dpa; // V0: else if (debug_pagealloc_enabled() && !pte_none(pte))
      if (valid(pte)) {
        s.dst[i] = 'V_RW'; // set_pte(dst_ptep, pte_mkwrite(pte))
      } else if (fixup && pte !== 'NONE') {
        if (!pfnValid(pte)) {
          s.invented = true;
          s.outcome = 'BUG'; // BUG_ON(!pfn_valid(pte_pfn(pte)))
          bug = true;
          return;
        }
        s.dst[i] = 'V_RW'; // set_pte(dst_ptep, pte_mkpresent(pte_mkwrite(pte)))
      }
    });
    if (bug) return;
  }
}

const nextInD = (s: State, from: number): number => {
  let i = from;
  while (i < N && !s.D[i]) i++;
  return i;
};

async function r(w: World<State>): Promise<void> {
  const s = w.s;
  let stop = false;
  await w.step('R', 'hibernate_exit', () => void (stop = s.outcome !== 'RUN'), () => w.pc['B'] === 'done');
  if (stop) return;
  let i = N;
  await w.step('R', 'break_before_make_ttbr_switch', () => {
    s.ttbr1 = 'tmp_pg_dir';
    i = nextInD(s, 0);
  });
  while (i < N) {
    await w.step('R', 'copy_page', () => {
      if (s.dst[i] !== 'V_RW') {
        s.outcome = 'FAULT'; // translation or permission fault while overwriting the kernel
        stop = true;
        return;
      }
      i = nextInD(s, i + 1);
    });
    if (stop) return;
  }
  await w.step('R', '_cpu_resume', () => (s.outcome = 'RESUMED'));
}

export const transPgd: Rendition<State> = {
  scenario: 'scenarios/trans_pgd/v0-inv-other.json',
  property: 'INV-W',
  start(points: Points, choose: Chooser): World<State> {
    const s: State = {
      src: [],
      dst: Array<Dst>(N).fill('NONE'),
      D: [],
      dpa: false,
      outcome: 'RUN',
      ttbr1: 'swapper_pg_dir',
      invented: false,
    };
    const w = new World(points, choose, s, {
      'INV-W': (st) => st.outcome !== 'FAULT',
      'INV-PFN': (st) => !st.dst.includes('V_BOGUS'),
      'INV-STOP': (st) => !st.invented || st.outcome === 'BUG',
    });
    // init: every combination of the ptes' (kind, in D) is an initial state.
    for (let i = 0; i < N; i++) {
      const o = OPTIONS[w.choose(OPTIONS.length)]!;
      s.src.push(o.kind);
      s.D.push(o.inD);
    }
    w.spawn('B', () => b(w));
    w.spawn('R', () => r(w));
    return w;
  },
};
