/**
 * Page frames with reference counts, freed and reused, and a ghost generation that tells
 * a stale pointer from a live one.
 *
 * A frame's `ref` is its page_count(): 0 while free, 1 or more while in use. Its `gen`
 * counts how often it was freed. No kernel field holds it: it is ghost state, there so
 * that a pointer remembered as (frame, generation) is known to be stale once its frame
 * was freed, even after the frame was allocated again and holds a live page: the
 * use-after-free and reuse races of GUP-fast against zap, of a TLB flush batched past
 * the free, of a page-table page freed under a walker.
 *
 * Kernel functions each helper stands for:
 *   allocPage      alloc_page / __get_free_page / pte_alloc_one: any free frame (each is
 *                  a separate transition: a freed frame may come back at once), count 1
 *   getPage        get_page / folio_get: one more reference on a page the caller knows
 *                  is live (a free one is a use after free: a fault of the model)
 *   tryGetPage     get_page_unless_zero / folio_try_get: GUP-fast's speculative
 *                  reference, which fails on a free frame (and may land on a reused one)
 *   putPage        put_page / folio_put: one reference less; the last one frees the frame
 *
 *   state: { page: pagesType(2, 2, 2), held: pagePtrType(2, 2) },
 *   'pte_alloc_one': (c) => { const f = allocPage(c, c.s.page); pagePtrSet(c.s.held, c.s.page, f); },
 *   'put_page':      (c) => putPage(c, c.s.page, c.s.held.frame),
 *   invariant:       (s) => !pagePtrStale(s.held, s.page)
 */
import { MmraceError } from '../errors.js';
import { bool, int, record, array, type StepCtx } from '../model/index.js';

/** The state type of `frames` page frames: counts up to `maxRef`, and up to `frees` frees of each. */
export function pagesType(frames: number, maxRef: number, frees: number) {
  return array(frames, record({ ref: int(0, maxRef), gen: int(0, frees) }));
}

/** A pointer to a page as a model remembers it: the frame, and the frame's generation then. */
export function pagePtrType(frames: number, frees: number) {
  return record({ set: bool(), frame: int(0, Math.max(0, frames - 1)), gen: int(0, frees) });
}

export interface PageFrame {
  ref: number;
  gen: number;
}

export interface PageFrames {
  readonly length: number;
  readonly [i: number]: PageFrame;
}

export interface PagePtr {
  set: boolean;
  frame: number;
  gen: number;
}

/** The property of a use after free (getPage on a free frame). */
export const USE_AFTER_FREE = 'INV-UAF';
/** The property of a count dropped below zero (putPage on a free frame). */
export const REFCOUNT = 'INV-REFCOUNT';

/**
 * alloc_page(): a free frame, now holding one reference; which one is the model's choice
 * (every free frame is a transition of its own). -1 when none is free (an allocation
 * failure the caller handles).
 */
export function allocPage(c: Pick<StepCtx, 'choose'>, frames: PageFrames): number {
  const free: number[] = [];
  for (let i = 0; i < frames.length; i++) if (frames[i]!.ref === 0) free.push(i);
  if (free.length === 0) return -1;
  const f = free.length === 1 ? free[0]! : c.choose('frame', free);
  frames[f]!.ref = 1;
  return f;
}

/** get_page(frame): one more reference; on a free frame, a use after free (a fault of `property`). */
export function getPage(c: Pick<StepCtx, 'fault'>, frames: PageFrames, frame: number, property = USE_AFTER_FREE): void {
  const p = frames[frame]!;
  if (p.ref === 0) {
    c.fault(`get_page(frame ${frame}): the page is free (use after free)`, property);
    return;
  }
  more(frames, frame);
}

/** get_page_unless_zero(frame): one more reference, unless the frame is free; whether it took one. */
export function tryGetPage(frames: PageFrames, frame: number): boolean {
  const p = frames[frame]!;
  if (p.ref === 0) return false;
  more(frames, frame);
  return true;
}

/**
 * put_page(frame): one reference less; the last one frees the frame (its generation goes
 * up). On a free frame, the count would go below zero: a fault of `property`.
 */
export function putPage(c: Pick<StepCtx, 'fault'>, frames: PageFrames, frame: number, property = REFCOUNT): void {
  const p = frames[frame]!;
  if (p.ref === 0) {
    c.fault(`put_page(frame ${frame}): the page is already free (refcount underflow)`, property);
    return;
  }
  p.ref -= 1;
  if (p.ref === 0) {
    try {
      p.gen += 1;
    } catch (e) {
      throw bound(e, `put_page(frame ${frame}): the frame is freed more often than pagesType's frees allow (${p.gen})`, 'raise the third argument of pagesType (and of pagePtrType)');
    }
  }
}

/** One more reference on `frame`, or E_MODEL_RANGE naming pagesType's bound. */
function more(frames: PageFrames, frame: number): void {
  const p = frames[frame]!;
  try {
    p.ref += 1;
  } catch (e) {
    throw bound(e, `get_page(frame ${frame}): more than ${p.ref} references, more than pagesType's maxRef allows`, 'raise the second argument of pagesType');
  }
}

/** A write past a bound of pagesType (E_MODEL_RANGE from the state's layout), said in the words of the helper. */
function bound(e: unknown, message: string, hint: string): unknown {
  return e instanceof MmraceError && e.code === 'E_MODEL_RANGE' ? new MmraceError('E_MODEL_RANGE', message, hint) : e;
}

/** Remembers `frame` as it is now (set, frame, generation). */
export function pagePtrSet(ptr: PagePtr, frames: PageFrames, frame: number): void {
  ptr.set = true;
  ptr.frame = frame;
  ptr.gen = frames[frame]!.gen;
}

/** Forgets the pointer (every field back to zero, so that equal meanings are equal states). */
export function pagePtrClear(ptr: PagePtr): void {
  ptr.set = false;
  ptr.frame = 0;
  ptr.gen = 0;
}

/** Whether the pointer is set and its frame was freed since (possibly allocated again). */
export function pagePtrStale(ptr: PagePtr, frames: PageFrames): boolean {
  return ptr.set && frames[ptr.frame]!.gen !== ptr.gen;
}
