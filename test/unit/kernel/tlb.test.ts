/**
 * src/kernel/tlb.ts: per-CPU TLBs over the pages of a small range. Per CPU, at most one
 * cached translation per page and optionally one block entry covering the whole range;
 * the walker inserts, a broadcast flush empties every CPU, and a block entry together
 * with a single-page entry on one CPU is a TLB conflict.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actor, bool, defineModel, param } from '../../../src/index.js';
import { tlbConflict, tlbFlushAll, tlbHit, tlbInsert, tlbType } from '../../../src/kernel/tlb.js';
import { checkModel, scheduleOf, viewsOf } from './support.js';

const NUM_RUNS = Number(process.env['FC_NUM_RUNS'] ?? 200);

/** Every (cpu, page) hit as a matrix of 0/1, for readable failures. */
function hits(tlbs: ReturnType<typeof fresh>['view'], pages: number): number[][] {
  return tlbs.map((t) => Array.from({ length: pages }, (_, p) => (tlbHit(t, p) ? 1 : 0)));
}

function fresh(cpus: number, pages: number) {
  return viewsOf(tlbType(cpus, pages));
}

describe('tlbType', () => {
  it('is one record per CPU: a block flag and one flag per page', () => {
    const t = tlbType(3, 4);
    expect(t.kind).toBe('array');
    expect(t.length).toBe(3);
    expect(t.of.kind).toBe('record');
    expect(Object.keys(t.of.fields).sort()).toEqual(['block', 'single']);
    expect(t.of.fields.block.kind).toBe('bool');
    expect(t.of.fields.single.kind).toBe('array');
    expect(t.of.fields.single.length).toBe(4);
    expect(t.of.fields.single.of.kind).toBe('bool');
  });

  it('a fresh TLB (the default state) caches nothing: no hit on any CPU, no conflict', () => {
    const { view } = fresh(2, 3);
    expect(view).toHaveLength(2);
    expect(hits(view, 3)).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(view.some(tlbConflict)).toBe(false);
  });
});

describe('tlbInsert / tlbHit', () => {
  it('a single-page entry hits that page on that CPU only', () => {
    const { view } = fresh(2, 3);
    tlbInsert(view[1]!, 2, false);
    expect(hits(view, 3)).toEqual([
      [0, 0, 0],
      [0, 0, 1],
    ]);
    expect(view[1]!.block).toBe(false);
  });

  it('a block entry hits every page of the range on that CPU, and no single entry is made', () => {
    const { view } = fresh(2, 4);
    tlbInsert(view[0]!, 1, true);
    expect(hits(view, 4)).toEqual([
      [1, 1, 1, 1],
      [0, 0, 0, 0],
    ]);
    expect(view[0]!.block).toBe(true);
    expect(view[0]!.single.toArray()).toEqual([false, false, false, false]);
  });

  it('inserting a cached translation again changes nothing', () => {
    const a = fresh(2, 2);
    tlbInsert(a.view[0]!, 1, false);
    tlbInsert(a.view[1]!, 0, true);
    const before = a.bytes();
    tlbInsert(a.view[0]!, 1, false);
    tlbInsert(a.view[1]!, 1, true);
    expect(a.bytes()).toEqual(before);
  });
});

describe('tlbFlushAll', () => {
  it('empties every CPU, block and single entries alike: the state is the empty one again', () => {
    const a = fresh(3, 3);
    const empty = a.fingerprint();
    tlbInsert(a.view[0]!, 0, false);
    tlbInsert(a.view[0]!, 2, false);
    tlbInsert(a.view[1]!, 1, true);
    tlbInsert(a.view[2]!, 1, false);
    tlbInsert(a.view[2]!, 0, true);
    expect(a.fingerprint()).not.toBe(empty);
    tlbFlushAll(a.view);
    expect(hits(a.view, 3)).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(a.fingerprint()).toBe(empty);
    expect(a.bytes().every((w) => w === 0)).toBe(true);
  });

  it('flushes only the TLBs it is given', () => {
    const a = fresh(2, 2);
    tlbInsert(a.view[0]!, 0, false);
    tlbInsert(a.view[1]!, 1, true);
    tlbFlushAll([a.view[0]!]);
    expect(hits(a.view, 2)).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });
});

describe('tlbConflict', () => {
  it('a block entry over a single-page entry on one CPU is a conflict, whichever was first', () => {
    const a = fresh(1, 4);
    tlbInsert(a.view[0]!, 3, false);
    tlbInsert(a.view[0]!, 0, true);
    expect(tlbConflict(a.view[0]!)).toBe(true);
    const b = fresh(1, 4);
    tlbInsert(b.view[0]!, 0, true);
    tlbInsert(b.view[0]!, 3, false);
    expect(tlbConflict(b.view[0]!)).toBe(true);
  });

  it('a block entry alone, or single entries alone (any number), are no conflict', () => {
    const a = fresh(2, 3);
    tlbInsert(a.view[0]!, 0, true);
    for (const p of [0, 1, 2]) tlbInsert(a.view[1]!, p, false);
    expect(tlbConflict(a.view[0]!)).toBe(false);
    expect(tlbConflict(a.view[1]!)).toBe(false);
  });

  it('is per CPU: a block entry on one CPU and a single entry on another are no conflict', () => {
    const a = fresh(2, 2);
    tlbInsert(a.view[0]!, 0, true);
    tlbInsert(a.view[1]!, 0, false);
    expect(a.view.map(tlbConflict)).toEqual([false, false]);
  });

  it('a flush resolves every conflict', () => {
    const a = fresh(2, 2);
    for (const t of a.view) {
      tlbInsert(t, 1, false);
      tlbInsert(t, 0, true);
    }
    expect(a.view.map(tlbConflict)).toEqual([true, true]);
    tlbFlushAll(a.view);
    expect(a.view.map(tlbConflict)).toEqual([false, false]);
  });
});

/** A reference TLB, written from the comments: per CPU a block flag and a set of pages. */
type Op = { kind: 'insert'; cpu: number; page: number; block: boolean } | { kind: 'flush' };

class RefTlbs {
  readonly block: boolean[];
  readonly pages: Set<number>[];
  constructor(cpus: number) {
    this.block = Array.from({ length: cpus }, () => false);
    this.pages = Array.from({ length: cpus }, () => new Set<number>());
  }
  apply(op: Op): void {
    if (op.kind === 'flush') {
      this.block.fill(false);
      for (const s of this.pages) s.clear();
    } else if (op.block) this.block[op.cpu] = true;
    else this.pages[op.cpu]!.add(op.page);
  }
  hit(cpu: number, page: number): boolean {
    return this.block[cpu]! || this.pages[cpu]!.has(page);
  }
  conflict(cpu: number): boolean {
    return this.block[cpu]! && this.pages[cpu]!.size > 0;
  }
}

const shape = fc.record({ cpus: fc.integer({ min: 1, max: 4 }), pages: fc.integer({ min: 1, max: 6 }) });
const withOps = shape.chain(({ cpus, pages }) =>
  fc.record({
    cpus: fc.constant(cpus),
    pages: fc.constant(pages),
    ops: fc.array(
      fc.oneof(
        { weight: 5, arbitrary: fc.record({ kind: fc.constant('insert' as const), cpu: fc.nat(cpus - 1), page: fc.nat(pages - 1), block: fc.boolean() }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
      ),
      { maxLength: 30 },
    ),
  }),
);

describe('TLB operations against a reference', () => {
  it('every hit and every conflict after each operation of a random sequence', () => {
    fc.assert(
      fc.property(withOps, ({ cpus, pages, ops }) => {
        const { view } = fresh(cpus, pages);
        const ref = new RefTlbs(cpus);
        for (const op of ops) {
          if (op.kind === 'flush') tlbFlushAll(view);
          else tlbInsert(view[op.cpu]!, op.page, op.block);
          ref.apply(op);
          for (let c = 0; c < cpus; c++) {
            for (let p = 0; p < pages; p++) expect(tlbHit(view[c]!, p)).toBe(ref.hit(c, p));
            expect(tlbConflict(view[c]!)).toBe(ref.conflict(c));
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the state is a function of the cached entries: any order of the same inserts gives the same state', () => {
    fc.assert(
      fc.property(
        withOps.chain((x) => fc.record({ x: fc.constant(x), order: fc.shuffledSubarray(x.ops.map((_, i) => i), { minLength: x.ops.length }) })),
        ({ x: { cpus, pages, ops }, order }) => {
          const inserts = ops.filter((o) => o.kind === 'insert');
          const a = fresh(cpus, pages);
          const b = fresh(cpus, pages);
          for (const op of inserts) tlbInsert(a.view[op.cpu]!, op.page, op.block);
          const shuffled = order.map((i) => ops[i]!).filter((o) => o.kind === 'insert');
          for (const op of shuffled) tlbInsert(b.view[op.cpu]!, op.page, op.block);
          expect(b.fingerprint()).toBe(a.fingerprint());
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

/**
 * A contiguous-pte change seen by two CPUs' walkers (contpte, in small): the pte range is
 * mapped page by page, then the writer makes it one contiguous (block) mapping. Each
 * walker, while the range is valid, caches a translation for a page of its choice: a
 * single-page entry, or a block entry once the range is contiguous. With `bbm`
 * (break-before-make) the writer invalidates the range, flushes every TLB, and only then
 * makes it contiguous; without it, it rewrites the range in place.
 */
const contpte = defineModel({
  id: 'kernel-tlb-contpte',
  params: { bbm: param.bool(true) },
  state: { tlb: tlbType(2, 2), valid: bool(), cont: bool() },
  init: (c) => void (c.s.valid = true),
  actors: (p) => ({
    mmu: actor({
      instances: 2,
      steps: {
        walk: {
          hw: true,
          await: (c) => c.s.valid,
          do: (c) => {
            const page = c.choose('page', 2);
            tlbInsert(c.s.tlb[c.self]!, page, c.s.cont);
            c.goto('walk');
          },
        },
      },
    }),
    writer: actor({
      steps: p.bbm
        ? {
            clear: (c) => void (c.s.valid = false),
            flush: (c) => tlbFlushAll(c.s.tlb),
            set_cont: (c) => {
              c.s.cont = true;
              c.s.valid = true;
            },
          }
        : { set_cont: (c) => void (c.s.cont = true) },
    }),
  }),
  invariants: {
    'INV-BBM': (s) => !s.tlb.some(tlbConflict),
    /** Right after the flush (writer at set_cont with bbm), no CPU caches anything. */
    flushed: (s, w) => {
      if (!w.p.bbm || w.pc('writer') !== 'set_cont') return true;
      return s.tlb.every((t) => !t.block && !t.single.toArray().some((x) => x));
    },
  },
});

describe('the TLB in a model', () => {
  it('break-before-make (invalidate, flush all, make contiguous): no TLB conflict', async () => {
    const r = await checkModel(contpte, { bbm: true });
    expect(r.verdict).toBe('safe');
  });

  it('without break-before-make, a CPU caches a page, the range turns contiguous, its block fill conflicts', async () => {
    const r = await checkModel(contpte, { bbm: false });
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('INV-BBM');
    const sched = scheduleOf(r);
    // The shortest: one walk before the change, the change, one walk on the same CPU after it.
    expect(sched).toHaveLength(3);
    expect(sched[1]).toBe('writer[0] set_cont');
    expect(sched[0]).toBe(sched[2]);
  });
});
