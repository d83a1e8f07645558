/**
 * Async rendition of scenarios/direct_map/b1.json (models/direct_map/direct_map.ts with
 * arch=arm64 code=v5.9-dpa-gate dpa=off rodata_full=on A=true; vpages=1, H atomic, the
 * defaults) for fast-check's scheduler.
 *
 * The race (B1, Mike Rapoport 2020-10-28, VIOLATION(INV-COPY)): vfree of a
 * VM_FLUSH_RESET_PERMS area (V) is paused right after set_direct_map_invalid_noflush has
 * made its page INVALID; hibernation (H, atomic: irqs off, everything else frozen) finds
 * the page not present, but __kernel_map_pages, gated on debug_pagealloc only, returns
 * early, and do_copy_page reads the unmapped page: an Oops with interrupts off.
 *
 * Same actors, steps (labels) and guards as the model: V (remove_vm_area,
 * set_direct_map_invalid_noflush, _vm_unmap_aliases, set_direct_map_default_noflush,
 * __free_pages, each awaiting "H is not running"); H (create_image:local_irq_disable,
 * then per page safe_copy_page:kernel_page_present, [kernel_map_pages(page, 1, 1)],
 * do_copy_page, [kernel_map_pages(page, 1, 0)], then create_image:local_irq_enable);
 * A (free_pages_prepare:kernel_map_pages(page, 1, 0), a no-op with dpa off). Page 0 is
 * V's, page 1 A's. The same properties: the fault INV-COPY, the invariants INV-RESTORE
 * and INV-REPORT. Only the arm64 paths and the v5.9-dpa-gate gates are rendered (the
 * scenario's); x86's cpa, its splits and their allocation choices are left out, so this
 * rendition has no data choice (neither does the model with these parameters).
 */
import { World, type Chooser, type Points, type Rendition } from './runtime.js';

type Pte = 'VALID' | 'INVALID';
type Found = 'unseen' | 'free' | Pte;
export interface State {
  frozen: boolean;
  dpa: boolean;
  rodata_full: boolean;
  pte: Pte[];
  tlb: boolean[];
  vfreed: boolean;
  found: Found[];
  mapFailed: boolean;
  warned: boolean;
  oops: boolean;
}

const VPAGES = 1;
/** A's page. */
const A_PAGE = 1;
const PAGES = 2;

// arm64 gates of code=v5.9-dpa-gate: set_direct_map_* on rodata_full, __kernel_map_pages
// on debug_pagealloc only (B1), kernel_page_present on dpa || rodata_full.
const sdmOpen = (s: State) => s.rodata_full;
const kmpOpen = (s: State) => s.dpa;
const kppOpen = (s: State) => s.dpa || s.rodata_full;

/** set_direct_map_{default,invalid}_noflush (arm64): 0 without doing anything when closed. */
function setDirectMap(s: State, i: number, v: Pte): number {
  if (sdmOpen(s)) s.pte[i] = v;
  return 0;
}

/** __kernel_map_pages(page, 1, enable) (arm64): set_memory_valid + flush_tlb_kernel_range. */
function kernelMapPages(s: State, i: number, v: Pte): number {
  if (!kmpOpen(s)) return 0;
  s.pte[i] = v;
  s.tlb[i] = false;
  return 0;
}

/** The caller of __kernel_map_pages ignores its result (INV-REPORT's ghosts). */
function mapResult(s: State, ret: number): void {
  if (ret !== 0) s.mapFailed = true;
}

const hibernating = (s: State) => s.frozen && !s.oops;

async function v(w: World<State>): Promise<void> {
  const s = w.s;
  const free = () => !hibernating(s);
  await w.step('V', 'remove_vm_area', () => {}, free);
  for (let j = 0; j < VPAGES; j++) await w.step('V', 'set_direct_map_invalid_noflush', () => void setDirectMap(s, j, 'INVALID'), free);
  await w.step('V', '_vm_unmap_aliases', () => {
    for (let j = 0; j < VPAGES; j++) s.tlb[j] = false;
  }, free);
  for (let j = 0; j < VPAGES; j++) await w.step('V', 'set_direct_map_default_noflush', () => void setDirectMap(s, j, 'VALID'), free);
  await w.step('V', '__free_pages', () => (s.vfreed = true), free);
}

async function h(w: World<State>): Promise<void> {
  const s = w.s;
  await w.step('H', 'create_image:local_irq_disable', () => (s.frozen = true));
  for (let i = 0; i < PAGES; i++) {
    let skip = false;
    let present = false;
    await w.step('H', 'safe_copy_page:kernel_page_present', () => {
      if (i < VPAGES && s.vfreed) {
        s.found[i] = 'free';
        skip = true;
        return;
      }
      s.found[i] = s.pte[i]!;
      present = !kppOpen(s) || s.pte[i] === 'VALID';
    });
    if (skip) continue;
    if (!present) await w.step('H', 'kernel_map_pages(page, 1, 1)', () => mapResult(s, kernelMapPages(s, i, 'VALID')));
    await w.step('H', 'do_copy_page', () => {
      if (s.pte[i] === 'INVALID' && !s.tlb[i]) {
        w.fault('INV-COPY', `Unable to handle kernel paging request: do_copy_page reads page ${i} of the direct map, pte INVALID, interrupts off -> Oops`);
      }
      s.tlb[i] = true;
    });
    if (!present) await w.step('H', 'kernel_map_pages(page, 1, 0)', () => mapResult(s, kernelMapPages(s, i, 'INVALID')));
  }
  await w.step('H', 'create_image:local_irq_enable', () => (s.frozen = false));
}

async function a(w: World<State>): Promise<void> {
  const s = w.s;
  await w.step('A', 'free_pages_prepare:kernel_map_pages(page, 1, 0)', () => {
    if (s.dpa) kernelMapPages(s, A_PAGE, 'INVALID');
  }, () => !hibernating(s));
}

export const directMap: Rendition<State> = {
  scenario: 'scenarios/direct_map/b1.json',
  property: 'INV-COPY',
  start(points: Points, choose: Chooser): World<State> {
    const s: State = {
      frozen: false,
      dpa: false,
      rodata_full: true,
      pte: Array<Pte>(PAGES).fill('VALID'),
      tlb: Array<boolean>(PAGES).fill(false),
      vfreed: false,
      found: Array<Found>(PAGES).fill('unseen'),
      mapFailed: false,
      warned: false,
      oops: false,
    };
    const w = new World(points, choose, s, {
      'INV-RESTORE': (st, world) => {
        if (world.pc['H'] !== 'create_image:local_irq_enable') return true;
        for (let i = 0; i < PAGES; i++) {
          const f = st.found[i];
          if (f !== 'VALID' && f !== 'INVALID') continue;
          if (st.pte[i] !== f) return false;
          if (f === 'INVALID' && st.tlb[i]) return false;
        }
        return true;
      },
      'INV-REPORT': (st) => !st.mapFailed || st.warned,
    });
    w.spawn('V', () => v(w));
    w.spawn('H', () => h(w));
    w.spawn('A', () => a(w));
    return w;
  },
};
