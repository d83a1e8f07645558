/**
 * contpte — arm64 contiguous-PTE fold against other CPUs, hardware walkers and lockless
 * readers (Ryan Roberts' contpte series, v6.9; the efi_mm discussion of Feb 2024).
 * Specification: docs/seed-problems.md §5. Kernel sources: arch/arm64/mm/contpte.c
 * (contpte_convert, __contpte_try_fold, contpte_ptep_get_lockless),
 * arch/arm64/include/asm/pgtable.h (mm_is_user, contpte_try_fold), arch/arm64/mm/fault.c.
 *
 * The race, for a kernel mapping (variant B-kernel: contpte allowed for init_mm):
 *
 *   CPU0 (holds PTL: set_ptes -> fold)        CPU1 (kernel load of page j, linear map)
 *   contpte_convert()
 *     xchg(pte[0..N-1], 0)
 *                                             walk: pte[j] == 0 -> translation fault
 *                                             do_translation_fault: TTBR1 address
 *                                               -> do_bad_area -> Oops     (INV-KFAULT)
 *     __flush_tlb_range()  (TLBI+DSB)
 *     __set_ptes(pte | PTE_CONT)
 *   spin_unlock(ptl)
 *
 * For a user mm the same fault is harmless: CPU1's fault handler reads the pte locklessly,
 * waits for the PTL that CPU0 holds across the whole convert, sees the pte changed
 * (pte_same fails), unlocks and retries the access, which then walks the new block entry.
 *
 * Actors:
 *   U1  the PTL holder: set_ptes(nr=1) has just written the block's last pte; it takes the
 *       PTL, contpte_try_fold, then contpte_convert (clear each pte with xchg, gathering
 *       access/dirty; TLBI+DSB; repaint with PTE_CONT), then unlocks.
 *   U2  other CPUs of the same user mm (instances: `cpus`), each doing `accesses` loads or
 *       stores of pages of the block: TLB lookup, hardware walk on a miss (inserting a
 *       block entry for a cont pte, a single-page entry otherwise, and setting the access
 *       flag), hardware dirty update (DBM) on a store; on a translation fault the fault
 *       handler: lockless read, PTL, pte_same re-check, retry.
 *   K   the same CPUs when the mm is init_mm or efi_mm: a fault is an Oops.
 *   L   a lockless reader (GUP-fast, handle_pte_fault's orig_pte): contpte_ptep_get_lockless
 *       (instances: `readers`).
 *
 * Invariants: INV-BBM (no TLB holds a block entry and a single-page entry of the block),
 * INV-AD (the OR of access/dirty across the block survives a convert), INV-KFAULT (a fault
 * raised by K), INV-UFAULT (a user fault installs nothing), INV-LL (the lockless read is
 * gathered only from valid+cont ptes, and returns the validity of the pte and at least
 * the access/dirty state that ptep_get() had when it read the original pte).
 *
 * Variants are the parameters (see scenarios/contpte/):
 *   S                  mm=user                          SAFE
 *   B-kernel           mm=init_mm gate=none             VIOLATION(INV-KFAULT)
 *   efi_mm             mm=efi_mm gate=none              SAFE (static mappings: never folded live)
 *   B-nobbm            order=nobbm                      VIOLATION(INV-BBM)
 *   B-lateflush        order=lateflush                  VIOLATION(INV-BBM)
 *   B-nonatomic-clear  clear=read-write                 VIOLATION(INV-AD)
 *   B-ll-plain         readers=1 lockless=plain         VIOLATION(INV-LL)
 *   B-ll-noretry       readers=1 lockless=noretry       VIOLATION(INV-LL)
 *   B-fault-nolock     recheck=false                    VIOLATION(INV-UFAULT)
 *
 * Simplifications: CONT_PTES is reduced to `n`; pfn and protection are the same for every
 * pte of the block before and after, so a pte is {valid, cont, young, dirty} (a pte
 * installed by a fault handler is marked `fresh`, a new page); U1 starts after
 * __set_ptes wrote the last pte, so the fold always applies when allowed; TLB entries are
 * per CPU: a block entry, and a single-page entry per page; TLBI+DSB is one atomic step
 * that removes the block's entries from every CPU.
 *
 * Expected state counts (BFS, no reduction): S n=2 cpus=1 accesses=2: 187 states;
 * S n=4 cpus=2 accesses=1: see scenarios/contpte/s.json (checked by `mmrace ci`).
 */
import { actor, array, bool, defineModel, int, lock, param, record, type StepDef } from 'mmrace/model';
import {
  takeFault,
  type FaultPolicy,
  spinLock,
  spinUnlock,
  tlbConflict,
  tlbFlushAll,
  tlbHit,
  tlbInsert,
  tlbType,
} from 'mmrace/kernel';

const pte = record({ valid: bool(), cont: bool(), young: bool(), dirty: bool(), fresh: bool() });

/** PTL owner ids: U1 is 0, CPU c of U2 is 1 + c. */
const U1_ID = 0;

export default defineModel({
  id: 'contpte',
  title: 'arm64 contpte fold vs other CPUs, walkers and lockless readers',
  params: {
    n: param.int(2, 16, 2, 'ptes in the contiguous block (CONT_PTES, 16 in the kernel)'),
    cpus: param.int(0, 4, 1, 'other CPUs accessing the block'),
    accesses: param.int(1, 4, 2, 'accesses per CPU'),
    stores: param.bool(true, 'CPUs may store (hardware dirty update), not only load'),
    readers: param.int(0, 2, 0, 'lockless readers (contpte_ptep_get_lockless)'),
    mm: param.enum(['user', 'init_mm', 'efi_mm'], 'user', 'the mm whose mapping is folded'),
    gate: param.enum(['mm_is_user', 'none'], 'mm_is_user', 'mm_is_user(): contpte only for user mms; none = B-kernel'),
    clear: param.enum(['xchg', 'read-write'], 'xchg', 'how contpte_convert clears: __ptep_get_and_clear, or READ then WRITE 0'),
    order: param.enum(['bbm', 'nobbm', 'lateflush'], 'bbm', 'break-before-make; set CONT on live ptes then flush; flush after repaint'),
    lockless: param.enum(['gather', 'plain', 'noretry'], 'gather', 'contpte_ptep_get_lockless; READ_ONCE of one pte; gather without re-checks'),
    recheck: param.bool(true, 'the fault handler re-checks pte_same under the PTL'),
  },
  state: (p) => ({
    ptl: lock(),
    pte: array(p.n, pte),
    tlb: tlbType(p.cpus, p.n),
    /** Ghosts: an access flag or dirty bit was ever set by hardware in the block. */
    hwYoung: bool(),
    hwDirty: bool(),
    /** Ghost: a user fault handler installed a pte. */
    installed: bool(),
  }),
  init: (c) => {
    // The block is mapped, not yet contiguous, clean and old.
    for (let i = 0; i < c.p.n; i++) c.s.pte[i]!.valid = true;
  },
  actors: (p) => {
    // mm_is_user(): contpte applies to user mms only; with the gate removed it applies to
    // every mm, except that efi_mm's mappings are static (built with the private API and
    // never changed while live), so nothing folds them.
    const folds = p.mm === 'user' || (p.gate === 'none' && p.mm === 'init_mm');
    const kernel = p.mm !== 'user';
    return {
      U1: actor({ locals: { i: int(0, p.n), young: bool(), dirty: bool(), old: record({ young: bool(), dirty: bool() }) }, steps: u1Steps(p, folds) }),
      [kernel ? 'K' : 'U2']: actor({
        instances: p.cpus,
        // Nothing else reads a CPU's pc or locals: partial-order reduction may run its
        // local steps (choosing the access) without interleaving the others around them.
        private: true,
        locals: { j: int(0, p.n - 1), store: bool(), left: int(0, p.accesses), origValid: bool() },
        steps: cpuSteps(kernel),
      }),
      L: actor({
        instances: p.readers,
        // Lockless readers are interchangeable: symmetry reduction sorts them.
        symmetric: true,
        locals: {
          j: int(0, p.n - 1),
          i: int(0, p.n),
          res: record({ valid: bool(), young: bool(), dirty: bool() }),
          /** Ghost: ptep_get() when the original pte was read. */
          truth: record({ valid: bool(), young: bool(), dirty: bool() }),
          /** Ghost: the value was gathered from a pte that was not valid+cont. */
          mixed: bool(),
        },
        steps: lockless(),
      }),
    };
  },
  invariants: {
    'INV-BBM': (s) => !s.tlb.some(tlbConflict),
    'INV-UFAULT': (s) => !s.installed,
    'INV-AD': (s, w) => {
      // Outside the convert window the block's access/dirty state is what hardware set.
      const at = w.pc('U1');
      if (at !== 'spin_lock(ptl)' && at !== 'contpte_try_fold' && at !== 'spin_unlock(ptl)' && at !== 'done') return true;
      let young = false;
      let dirty = false;
      for (const e of s.pte) {
        young ||= e.young;
        dirty ||= e.dirty;
      }
      return young === s.hwYoung && dirty === s.hwDirty;
    },
    'INV-LL': (_s, w) => {
      for (let r = 0; r < w.p.readers; r++) {
        if (w.pc('L', r) !== 'done') continue;
        const l = w.locals('L', r);
        if (l.mixed || l.res.valid !== l.truth.valid) return false;
        if ((l.truth.young && !l.res.young) || (l.truth.dirty && !l.res.dirty)) return false;
      }
      return true;
    },
  },
});

type P = {
  n: number;
  clear: 'xchg' | 'read-write';
  order: 'bbm' | 'nobbm' | 'lateflush';
  lockless: 'gather' | 'plain' | 'noretry';
  recheck: boolean;
};

/** U1: the PTL holder folding the block (set_ptes -> contpte_try_fold -> contpte_convert). */
function u1Steps(p: P, folds: boolean): Record<string, StepDef<any, any, any>> {
  const steps: Record<string, StepDef<any, any, any>> = {
    'spin_lock(ptl)': spinLock((c) => c.s.ptl, () => U1_ID),
    contpte_try_fold: (c) => {
      // __contpte_try_fold: one folio covers the block, all ptes valid with contiguous
      // pfns and the same protection (true here by construction), none already cont.
      if (!folds) return c.goto('spin_unlock(ptl)');
      for (const e of c.s.pte) if (!e.valid || e.cont) return c.goto('spin_unlock(ptl)');
      c.l.i = 0;
    },
  };
  // C1..CN: clear each pte, gathering access/dirty into the new pte.
  const clearStep =
    p.clear === 'xchg'
      ? {
          'contpte_convert:xchg': (c: any) => {
            const e = c.s.pte[c.l.i];
            c.l.young ||= e.young;
            c.l.dirty ||= e.dirty;
            e.valid = e.cont = e.young = e.dirty = e.fresh = false;
            if (c.noting) c.note(`pte[${c.l.i}] = 0`);
            c.l.i++;
            if (c.l.i < c.p.n) c.goto('contpte_convert:xchg');
            else c.l.i = 0;
          },
        }
      : {
          'contpte_convert:READ_ONCE': (c: any) => {
            const e = c.s.pte[c.l.i];
            c.l.old.young = e.young;
            c.l.old.dirty = e.dirty;
          },
          'contpte_convert:WRITE_ONCE(0)': (c: any) => {
            const e = c.s.pte[c.l.i];
            c.l.young ||= c.l.old.young;
            c.l.dirty ||= c.l.old.dirty;
            e.valid = e.cont = e.young = e.dirty = e.fresh = false;
            c.l.i++;
            if (c.l.i < c.p.n) c.goto('contpte_convert:READ_ONCE');
            else c.l.i = 0;
          },
        };
  const flush = {
    // TLBI VALE1IS over the block + DSB ISH: every CPU drops its entries for the block.
    __flush_tlb_range: (c: any) => {
      if (c.noting) c.note('TLBI+DSB');
      tlbFlushAll(c.s.tlb);
      c.l.i = 0;
    },
  };
  // CS1..CSN: repaint with PTE_CONT and the gathered access/dirty bits.
  const repaint = {
    __set_ptes: (c: any) => {
      const e = c.s.pte[c.l.i];
      e.valid = true;
      e.cont = true;
      e.young = c.l.young;
      e.dirty = c.l.dirty;
      if (c.noting) c.note(`pte[${c.l.i}] = pte | PTE_CONT`);
      c.l.i++;
      if (c.l.i < c.p.n) c.goto('__set_ptes');
    },
  };
  // B-nobbm: PTE_CONT set on live, valid ptes (each an atomic update), then the flush.
  const setContLive = {
    'set_pte(cont)': (c: any) => {
      c.s.pte[c.l.i].cont = true;
      c.l.i++;
      if (c.l.i < c.p.n) c.goto('set_pte(cont)');
    },
  };
  if (p.order === 'bbm') Object.assign(steps, clearStep, flush, repaint);
  else if (p.order === 'lateflush') Object.assign(steps, clearStep, repaint, flush);
  else Object.assign(steps, setContLive, flush);
  steps['spin_unlock(ptl)'] = spinUnlock((c) => c.s.ptl, () => U1_ID);
  return steps;
}

/** U2 / K: a CPU's loads and stores to the block, with the user fault path. */
function cpuSteps(kernel: boolean): Record<string, StepDef<any, any, any>> {
  const policy: FaultPolicy = kernel
    ? { space: 'kernel', property: 'INV-KFAULT' }
    : { space: 'user', property: 'INV-UFAULT', handler: 'handle_pte_fault:ptep_get_lockless' };
  return {
    // The access this CPU makes: a page of the block, a load or a store.
    access: (c) => {
      c.l.j = c.choose('page', c.p.n);
      c.l.store = c.p.stores ? c.choose('op', ['load', 'store']) === 'store' : false;
    },
    'mmu:walk': {
      // The MMU: a TLB lookup, and on a miss the hardware table walk (not a kernel call).
      hw: true,
      doc: 'the MMU: TLB lookup; on a miss the hardware walk (a block entry for a cont pte); DBM sets dirty on a store',
      do: (c) => {
        const t = c.s.tlb[c.self];
        const e = c.s.pte[c.l.j];
        const hit = tlbHit(t, c.l.j);
        if (!hit || (c.l.store && !e.dirty)) {
          // A TLB miss walks the table; a store through a clean entry makes the hardware
          // update the pte's dirty bit (DBM), an atomic read-modify-write of the pte that
          // also needs a valid pte.
          if (!e.valid) {
            if (c.noting) c.note(`pte[${c.l.j}]==0`);
            return takeFault(c, policy, `CPU${c.self} translation fault on page ${c.l.j} of ${c.p.mm}: do_translation_fault -> do_bad_area`);
          }
          if (!hit) {
            if (c.noting) c.note(`pte[${c.l.j}] valid, cache ${e.cont ? 'block' : 'page'} entry`);
            tlbInsert(t, c.l.j, e.cont);
            e.young = true;
            c.s.hwYoung = true;
          } else if (c.noting) c.note('TLB hit');
          if (c.l.store) {
            if (c.noting) c.note('DBM: set dirty');
            e.dirty = true;
            c.s.hwDirty = true;
          }
        } else if (c.noting) c.note('TLB hit');
        c.l.left++;
        if (c.l.left < c.p.accesses) c.goto('access');
        else c.finish();
      },
    },
    'handle_pte_fault:ptep_get_lockless': (c) => {
      c.l.origValid = c.s.pte[c.l.j].valid;
    },
    'spin_lock(ptl)': spinLock((c) => c.s.ptl, (c) => 1 + c.self),
    pte_same: (c) => {
      // do_anonymous_page / finish_fault re-check the pte under the PTL: a pte that
      // changed (or is now valid) means someone else handled it: unlock and retry.
      if (c.p.recheck && (c.s.pte[c.l.j].valid || c.s.pte[c.l.j].valid !== c.l.origValid)) {
        return c.goto('spin_unlock(ptl)');
      }
    },
    'do_anonymous_page:set_pte_at': (c) => {
      const e = c.s.pte[c.l.j];
      e.valid = true;
      e.cont = false;
      e.young = true;
      e.dirty = c.l.store;
      e.fresh = true;
      c.s.installed = true;
      // The new page's bits count as set on the block (so INV-AD keeps to the convert).
      c.s.hwYoung = true;
      if (c.l.store) c.s.hwDirty = true;
    },
    'spin_unlock(ptl)': spinUnlock((c) => c.s.ptl, (c) => 1 + c.self, (c) => c.goto('mmu:walk')),
  };
}

/** L: contpte_ptep_get_lockless(pte[j]) (or its broken variants). */
function lockless(): Record<string, StepDef<any, any, any>> {
  return {
    gup_fast: (c) => {
      c.l.j = c.choose('page', c.p.n);
    },
    'ptep_get_lockless:orig': (c) => {
      const s = c.s;
      const orig = s.pte[c.l.j];
      // Ghost: what ptep_get() under the PTL would return now.
      let young = orig.young;
      let dirty = orig.dirty;
      if (orig.valid && orig.cont) for (const e of s.pte) ((young ||= e.young), (dirty ||= e.dirty));
      c.l.truth.valid = orig.valid;
      c.l.truth.young = young;
      c.l.truth.dirty = dirty;
      c.l.res.valid = orig.valid;
      c.l.res.young = orig.young;
      c.l.res.dirty = orig.dirty;
      c.l.mixed = false;
      c.l.i = 0;
      if (!(orig.valid && orig.cont) || c.p.lockless === 'plain') c.finish();
    },
    'ptep_get_lockless:gather': (c) => {
      const e = c.s.pte[c.l.i];
      if (!(e.valid && e.cont)) {
        if (c.p.lockless === 'gather') {
          // A pte of the block is not valid+cont: the block is being changed; start again.
          c.l.i = 0;
          return c.goto('ptep_get_lockless:orig');
        }
        c.l.mixed = true;
      }
      c.l.res.young ||= e.young;
      c.l.res.dirty ||= e.dirty;
      c.l.i++;
      if (c.l.i < c.p.n) c.goto('ptep_get_lockless:gather');
      else c.finish();
    },
  };
}
