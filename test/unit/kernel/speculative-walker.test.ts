/**
 * src/kernel/tlb.ts speculativeWalker: a hardware walker that may fill any CPU's TLB with
 * what the page table maps, at any time. Break-before-make exists for it: a CPU may cache
 * a single-page entry at any moment the ptes are valid, so a block entry over them must
 * wait until the ptes were cleared and the TLBs flushed.
 */
import { describe, expect, it } from 'vitest';
import { actor, array, bool, defineModel, param, record } from '../../../src/model/index.js';
import { speculativeWalker, tlbConflict, tlbFlushAll, tlbType } from '../../../src/kernel/tlb.js';
import { check } from '../../../src/index.js';
import type { Model } from '../../../src/model/define.js';

const FILE = new URL(import.meta.url);
const PAGES = 2;

/**
 * A fold of two valid ptes into a contiguous block. `bbm`: clear both, flush, write them
 * back with the contiguous bit; else the contiguous bit is set on the live ptes, then the
 * TLBs are flushed. No access of the model walks: every TLB entry comes from the walker.
 */
const fold = defineModel({
  id: 'fold-vs-speculation',
  params: { bbm: param.bool(true, 'break-before-make'), walker: param.bool(true, 'a speculative walker') },
  state: { pte: array(PAGES, record({ valid: bool(), cont: bool() })), tlb: tlbType(2, PAGES) },
  init: (c) => {
    for (let i = 0; i < PAGES; i++) c.s.pte[i]!.valid = true;
  },
  actors: (p) => ({
    U: actor({
      steps: {
        clear: (c) => {
          if (!p.bbm) return;
          for (let i = 0; i < PAGES; i++) c.s.pte[i]!.valid = false;
        },
        flush_first: (c) => {
          if (p.bbm) tlbFlushAll(c.s.tlb);
        },
        set_cont: (c) => {
          for (let i = 0; i < PAGES; i++) Object.assign(c.s.pte[i]!, { valid: true, cont: true });
        },
        flush_after: (c) => {
          if (!p.bbm) tlbFlushAll(c.s.tlb);
        },
      },
    }),
    ...(p.walker
      ? {
          HW: speculativeWalker({
            cpus: 2,
            pages: PAGES,
            tlb: (c) => c.s.tlb,
            walk: (c, _cpu, page) => {
              const pte = c.s.pte[page]!;
              return !pte.valid ? null : pte.cont ? 'block' : 'single';
            },
          }),
        }
      : {}),
  }),
  invariants: {
    // No CPU holds a block entry and a single-page entry inside it (a TLB conflict abort).
    'INV-BBM': (s) => !tlbConflict(s.tlb[0]!) && !tlbConflict(s.tlb[1]!),
  },
});

const run = (model: Model, params: Record<string, boolean> = {}) => check({ model, file: FILE, params }, { workers: 0, por: false, symmetry: false });

describe('a speculative walker against a fold', () => {
  it('break-before-make leaves it nothing to conflict with: safe, and the run may end with the walker able to walk', async () => {
    const r = await run(fold);
    expect(r.verdict).toBe('safe');
  });

  it('the contiguous bit set on live ptes: the walker caches a page, then the block over it', async () => {
    const r = await run(fold, { bbm: false });
    expect([r.verdict, r.property]).toEqual(['violation', 'INV-BBM']);
    const steps = r.trace!.schedule.map((s) => `${s.actor}.${s.label}`);
    const cont = steps.indexOf('U.set_cont');
    expect(steps.slice(0, cont)).toContain('HW.speculative walk');
    expect(steps.slice(cont + 1)).toEqual(['HW.speculative walk']);
    expect(steps).not.toContain('U.flush_after');
  });

  it('without the walker no step of the model fills a TLB, so the same fold looks safe', async () => {
    const r = await run(fold, { bbm: false, walker: false });
    expect(r.verdict).toBe('safe');
  });

  it('each (cpu, page) the walk would add is a transition of its own, and nothing already cached is walked again', async () => {
    // The walker alone over two valid ptes on 2 CPUs: every set of the 4 single entries is
    // a state (16), and a state with k entries missing has k successors: 4 x 2^3 = 32
    // transitions (a walk that changed nothing would add a self-loop to each state).
    const alone = defineModel({
      id: 'walker-alone',
      state: { pte: array(PAGES, record({ valid: bool(), cont: bool() })), tlb: tlbType(2, PAGES) },
      init: (c) => {
        for (let i = 0; i < PAGES; i++) c.s.pte[i]!.valid = true;
      },
      actors: { HW: speculativeWalker({ cpus: 2, pages: PAGES, tlb: (c) => c.s.tlb, walk: (c, _cpu, page) => (c.s.pte[page]!.valid ? 'single' : null) }) },
    });
    const r = await run(alone);
    expect([r.verdict, r.states, r.transitions]).toEqual(['safe', 16, 32]);
  });
});
