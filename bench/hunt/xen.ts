/**
 * Async rendition of scenarios/xen/v-pre-high.json (models/xen/pgt_ro.ts with ranges=2
 * pages=4 spare=1 placement=high mask=end reserve=false) for fast-check's scheduler.
 *
 * The bug (V-pre with high tables, after 4b239f458, VIOLATION(INV-X)): the page-table
 * buffer lies inside the range being mapped. P1, the first PTE page, maps frame X >=
 * pgt_buf_end RW (mask_rw_pte only write-protects [pgt_buf_start, pgt_buf_end)); pinning
 * P1 makes Xen take a W type reference on X. The next alloc_low_page returns X as P2;
 * make_lowmem_page_readonly(__va(X)) finds no pte (the path through M is not hooked yet)
 * and does nothing; pin L1(X) fails in Xen (W != L1): BUG().
 *
 * Same actor, steps (labels) and choice as the model: G, the boot CPU
 * (find_early_table_space, which chooses where the buffer starts inside the range mapped;
 * phys_pud_init:alloc_low_page, phys_pud_init:early_memremap; per 2 MB range
 * phys_pmd_init:alloc_low_page, phys_pmd_init:early_memremap, phys_pte_init,
 * phys_pmd_init:unmap_low_page, xen_alloc_pte_init:make_lowmem_page_readonly,
 * xen_alloc_pte_init:pin_pagetable_pfn, pmd_populate_kernel:set_pmd; then
 * phys_pud_init:unmap_low_page, xen_alloc_pmd_init:make_lowmem_page_readonly,
 * pud_populate:set_pud). H, the hypervisor, is a synchronous oracle inside G's steps, as
 * in the model: a compact copy of src/kernel/xen.ts's get_page_type / mod_l1_entry /
 * alloc_l1_table / pin rules (type, type count, pin bit per frame). The same state
 * (lm, fixmap, M, P_r, pmd, pud, the pgt_buf cursors, Xen's frames) and properties: the
 * fault INV-X, the invariant INV-R. Only mask=end without the reserve hook is rendered.
 * One actor: the search is over the choice, which fast-check draws with fc.gen().
 */
import { World, type Chooser, type Points, type Rendition } from './runtime.js';

type Prot = 'ABSENT' | 'RO' | 'RW';
type PageType = 'none' | 'W' | 'L1' | 'L2';
interface Frame {
  type: PageType;
  tcount: number;
  pinned: boolean;
}
interface L1e {
  frame: number;
  rw: boolean;
}
export interface State {
  lm: Prot[];
  fixmap: ('NONE' | 'RO' | 'RW')[];
  pmd_page: number;
  pte_page: number[];
  pmd: boolean[];
  pud: boolean;
  pgt_buf_start: number;
  pgt_buf_end: number;
  pgt_buf_top: number;
  xen: Frame[];
}

const RANGES = 2;
const PAGES = 4;
const SPARE = 1;
const BUFFER = 1 + RANGES + SPARE;
const BOOT = BUFFER;
const FRAMES = BOOT + RANGES * PAGES;
const rangeOf = (f: number) => (f < BOOT ? -1 : Math.floor((f - BOOT) / PAGES));
const first = (r: number) => BOOT + r * PAGES;

// ---- Xen's type rules (xen/arch/x86/mm.c; src/kernel/xen.ts) --------------------------

type Result = string | null;

function getPageType(x: Frame[], f: number, t: PageType, validate?: () => Result): Result {
  const fr = x[f]!;
  if (fr.tcount === 0) {
    fr.type = t;
    fr.tcount = 1;
    if (t !== 'W' && validate) {
      const err = validate();
      if (err !== null) {
        fr.type = 'none';
        fr.tcount = 0;
        return err;
      }
    }
    return null;
  }
  if (fr.type !== t) return `Bad type (saw ${fr.type} != exp ${t}) for mfn ${f}`;
  fr.tcount++;
  return null;
}
function putPageType(x: Frame[], f: number): void {
  const fr = x[f]!;
  if (fr.tcount === 0) throw new Error(`put_page_type(mfn ${f}): type count is already 0`);
  fr.tcount--;
}
/** X1: a writable L1 entry needs a W type reference on the frame it maps. */
const getPageFromL1e = (x: Frame[], e: L1e): Result => (e.rw ? getPageType(x, e.frame, 'W') : null);
const putPageFromL1e = (x: Frame[], e: L1e): void => void (e.rw && putPageType(x, e.frame));
function modL1Entry(x: Frame[], old: L1e | null, nu: L1e | null): Result {
  if (nu !== null) {
    const err = getPageFromL1e(x, nu);
    if (err !== null) return err;
  }
  if (old !== null) putPageFromL1e(x, old);
  return null;
}
function allocL1Table(x: Frame[], entries: L1e[]): Result {
  for (let i = 0; i < entries.length; i++) {
    const err = getPageFromL1e(x, entries[i]!);
    if (err !== null) {
      for (let j = i - 1; j >= 0; j--) putPageFromL1e(x, entries[j]!);
      return err;
    }
  }
  return null;
}
/** alloc_l2_table: X2 for each pmd entry (an L1 reference on the PTE page, validating it). */
function allocL2Table(x: Frame[], children: number[], validateChild: (ch: number) => Result): Result {
  for (let i = 0; i < children.length; i++) {
    const err = getPageType(x, children[i]!, 'L1', () => validateChild(children[i]!));
    if (err !== null) {
      for (let j = i - 1; j >= 0; j--) putPageType(x, children[j]!);
      return err;
    }
  }
  return null;
}
/** MMUEXT_PIN_L1_TABLE. */
function pinTable(x: Frame[], f: number, validate: () => Result): Result {
  const err = getPageType(x, f, 'L1', validate);
  if (err !== null) return `${err}; Error while pinning mfn ${f}`;
  if (x[f]!.pinned) {
    putPageType(x, f);
    return `Mfn ${f} already pinned`;
  }
  x[f]!.pinned = true;
  return null;
}

// ---- the guest ---------------------------------------------------------------------------

const lookupAddress = (s: State, f: number): boolean => {
  const r = rangeOf(f);
  return r < 0 || (s.pud && s.pmd[r]!);
};

function l1Entries(s: State, r: number): L1e[] {
  const out: L1e[] = [];
  for (let q = first(r); q < first(r) + PAGES; q++) {
    const prot = s.lm[q]!;
    if (prot !== 'ABSENT') out.push({ frame: q, rw: prot === 'RW' });
  }
  return out;
}

/** mask_rw_pte, mask=end (2.6.37/38): RO inside [pgt_buf_start, pgt_buf_end) unless early_ioremap. */
const maskRwPte = (s: State, pfn: number, earlyIoremap: boolean): 'RO' | 'RW' =>
  !earlyIoremap && pfn >= s.pgt_buf_start && pfn < s.pgt_buf_end ? 'RO' : 'RW';

function bug(w: World<State>, call: string, err: string): never {
  return w.fault('INV-X', `${call} failed: (XEN) mm.c: ${err} -> BUG()`);
}

function setLowmemPage(w: World<State>, f: number, prot: 'RO' | 'RW', fn: string): void {
  const s = w.s;
  if (!lookupAddress(s, f)) return; // vaddr missing: nothing happens
  const old = s.lm[f]!;
  if (old === 'ABSENT') return;
  const err = modL1Entry(s.xen, { frame: f, rw: old === 'RW' }, { frame: f, rw: prot === 'RW' });
  if (err !== null) bug(w, `${fn}(__va(${f})): HYPERVISOR_update_va_mapping`, err);
  s.lm[f] = prot;
}

function alloc(s: State): number {
  const pfn = s.pgt_buf_end;
  if (pfn >= s.pgt_buf_top) throw new Error('alloc_low_page: ran out of memory');
  s.pgt_buf_end = pfn + 1;
  return pfn;
}

function earlyMemremap(w: World<State>, f: number): void {
  const s = w.s;
  const prot = maskRwPte(s, f, true);
  const err = modL1Entry(s.xen, null, { frame: f, rw: prot === 'RW' });
  if (err !== null) w.fault('INV-X', `early_memremap(${f}): Xen refuses to emulate the fixmap pte write: (XEN) mm.c: ${err} -> Oops`);
  s.fixmap[f] = prot;
}

function unmapLowPage(s: State, f: number): void {
  const old = s.fixmap[f]!;
  modL1Entry(s.xen, old === 'NONE' ? null : { frame: f, rw: old === 'RW' }, null);
  s.fixmap[f] = 'NONE';
}

async function g(w: World<State>): Promise<void> {
  const s = w.s;
  await w.step('G', 'find_early_table_space', () => {
    // placement=high: anywhere inside the range this call maps.
    const start = BOOT + w.choose(FRAMES - BOOT - BUFFER + 1);
    s.pgt_buf_start = s.pgt_buf_end = start;
    s.pgt_buf_top = start + BUFFER;
  });
  await w.step('G', 'phys_pud_init:alloc_low_page', () => (s.pmd_page = alloc(s)));
  await w.step('G', 'phys_pud_init:early_memremap', () => earlyMemremap(w, s.pmd_page));
  for (let r = 0; r < RANGES; r++) {
    await w.step('G', 'phys_pmd_init:alloc_low_page', () => (s.pte_page[r] = alloc(s)));
    await w.step('G', 'phys_pmd_init:early_memremap', () => earlyMemremap(w, s.pte_page[r]!));
    await w.step('G', 'phys_pte_init', () => {
      for (let q = first(r); q < first(r) + PAGES; q++) s.lm[q] = maskRwPte(s, q, false);
    });
    await w.step('G', 'phys_pmd_init:unmap_low_page', () => unmapLowPage(s, s.pte_page[r]!));
    await w.step('G', 'xen_alloc_pte_init:make_lowmem_page_readonly', () => setLowmemPage(w, s.pte_page[r]!, 'RO', 'make_lowmem_page_readonly'));
    await w.step('G', 'xen_alloc_pte_init:pin_pagetable_pfn', () => {
      const f = s.pte_page[r]!;
      const err = pinTable(s.xen, f, () => allocL1Table(s.xen, l1Entries(s, r)));
      if (err !== null) bug(w, `pin_pagetable_pfn(MMUEXT_PIN_L1_TABLE, ${f}): HYPERVISOR_mmuext_op`, err);
    });
    await w.step('G', 'pmd_populate_kernel:set_pmd', () => (s.pmd[r] = true));
  }
  await w.step('G', 'phys_pud_init:unmap_low_page', () => unmapLowPage(s, s.pmd_page));
  await w.step('G', 'xen_alloc_pmd_init:make_lowmem_page_readonly', () => setLowmemPage(w, s.pmd_page, 'RO', 'make_lowmem_page_readonly'));
  await w.step('G', 'pud_populate:set_pud', () => {
    const m = s.pmd_page;
    const children: number[] = [];
    for (let r = 0; r < RANGES; r++) if (s.pmd[r]) children.push(s.pte_page[r]!);
    const validateChild = (ch: number): Result => allocL1Table(s.xen, l1Entries(s, s.pte_page.indexOf(ch)));
    const err = getPageType(s.xen, m, 'L2', () => allocL2Table(s.xen, children, validateChild));
    if (err !== null) bug(w, `set_pud(pud, __pud(${m} | _PAGE_TABLE)): HYPERVISOR_mmu_update`, err);
    s.pud = true; // reserve=false: no pagetable_reserve hook
  });
}

export const xen: Rendition<State> = {
  scenario: 'scenarios/xen/v-pre-high.json',
  property: 'INV-X',
  start(points: Points, choose: Chooser): World<State> {
    const s: State = {
      // The boot region is mapped RW by a validated L1 of the initial tables.
      lm: Array.from({ length: FRAMES }, (_, f) => (f < BOOT ? 'RW' : 'ABSENT')),
      fixmap: Array(FRAMES).fill('NONE'),
      pmd_page: -1,
      pte_page: Array<number>(RANGES).fill(-1),
      pmd: Array<boolean>(RANGES).fill(false),
      pud: false,
      pgt_buf_start: 0,
      pgt_buf_end: 0,
      pgt_buf_top: 0,
      xen: Array.from({ length: FRAMES }, (_, f) => ({ type: f < BOOT ? 'W' : 'none', tcount: f < BOOT ? 1 : 0, pinned: false })),
    };
    const w = new World(points, choose, s, {
      'INV-R': (st, world) => {
        if (world.pc['G'] !== 'done') return true;
        for (let f = st.pgt_buf_end; f < st.pgt_buf_top; f++) if (st.lm[f] !== 'RW' || !lookupAddress(st, f)) return false;
        return true;
      },
    });
    w.spawn('G', () => g(w));
    return w;
  },
};
