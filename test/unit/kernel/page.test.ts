/**
 * src/kernel/page.ts: page frames with reference counts, freed and reused, and the ghost
 * generation that tells a stale pointer from a live one. The models below are the race
 * the helpers exist for: GUP-fast takes a reference on the page a pte maps while zap
 * clears the pte and frees the page, which the allocator may hand out again at once.
 */
import { describe, expect, it } from 'vitest';
import { actor, bool, defineModel, enumOf, int, param, record } from '../../../src/model/index.js';
import { allocPage, getPage, pagePtrClear, pagePtrSet, pagePtrStale, pagePtrType, pagesType, putPage, tryGetPage } from '../../../src/kernel/page.js';
import { check } from '../../../src/index.js';
import type { Model } from '../../../src/model/define.js';

const FILE = new URL(import.meta.url);

/**
 * GUP-fast against zap. The pte maps frame 0, which holds the mapping's one reference. Z
 * clears the pte, drops that reference (the frame is free), and allocates a page for
 * someone else (any free frame: frame 0 may come back). G reads the pte, takes a reference
 * on the frame it read (`get`: get_page; `try`: get_page_unless_zero; `recheck`: that, then
 * the pte read again, as gup_fast_pte_range does), and keeps the page.
 */
const gup = defineModel({
  id: 'gup-vs-zap',
  params: { take: param.enum(['get', 'try', 'recheck'], 'recheck') },
  state: { page: pagesType(2, 3, 2), pte: record({ present: bool(), frame: int(0, 1) }), held: pagePtrType(2, 2), reused: int(-1, 1) },
  init: (c) => {
    c.s.page[0]!.ref = 1;
    c.s.pte.present = true;
    c.s.reused = -1;
  },
  actors: (p) => ({
    Z: actor({
      steps: {
        pte_clear: (c) => {
          c.s.pte.present = false;
        },
        put_page: (c) => putPage(c, c.s.page, 0),
        alloc_page: (c) => {
          c.s.reused = allocPage(c, c.s.page);
        },
      },
    }),
    G: actor({
      locals: { frame: int(0, 1) },
      steps: {
        read_pte: (c) => {
          if (!c.s.pte.present) return c.finish();
          c.l.frame = c.s.pte.frame;
          pagePtrSet(c.s.held, c.s.page, c.l.frame);
        },
        get_page: (c) => {
          if (p.take === 'get') return getPage(c, c.s.page, c.l.frame);
          if (!tryGetPage(c.s.page, c.l.frame)) {
            pagePtrClear(c.s.held);
            return c.finish();
          }
        },
        recheck: (c) => {
          if (p.take === 'recheck' && !(c.s.pte.present && c.s.pte.frame === c.l.frame)) {
            putPage(c, c.s.page, c.l.frame);
            pagePtrClear(c.s.held);
          }
        },
      },
    }),
  }),
  invariants: {
    // G done holding a page: the one it read from the pte, never a freed and reused frame.
    'INV-GUP': (s, w) => !(w.pc('G') === 'done' && pagePtrStale(s.held, s.page)),
  },
});

const run = (model: Model, params: Record<string, string | number | boolean> = {}) => check({ model, file: FILE, params }, { workers: 0, por: false, symmetry: false });

describe('GUP-fast against zap, on the page helpers', () => {
  it('get_page on the frame zap freed is a use after free', async () => {
    const r = await run(gup, { take: 'get' });
    expect([r.verdict, r.property]).toEqual(['violation', 'INV-UAF']);
  });

  it('get_page_unless_zero alone can take a reference on the frame reused for someone else', async () => {
    const r = await run(gup, { take: 'try' });
    expect([r.verdict, r.property]).toEqual(['violation', 'INV-GUP']);
    // The counterexample: the frame freed, handed out again, then G's reference taken.
    const labels = r.trace!.schedule.map((s) => `${s.actor}.${s.label}`);
    expect(labels.indexOf('Z.alloc_page')).toBeLessThan(labels.indexOf('G.get_page'));
    expect(labels.indexOf('Z.put_page')).toBeGreaterThan(labels.indexOf('G.read_pte'));
  });

  it('get_page_unless_zero and the pte read again is safe', async () => {
    const r = await run(gup, { take: 'recheck' });
    expect(r.verdict).toBe('safe');
  });
});

describe('the helpers one by one', () => {
  /** One actor running `body` once on two frames (frame 0 in use, frame 1 free); `out` holds what the body saw. */
  const once = (body: (c: any) => void, frees = 2) =>
    defineModel({
      id: 'page-once',
      state: { page: pagesType(2, 2, frees), out: int(-1, 3), flag: bool(), mode: enumOf('a', 'b') },
      init: (c) => {
        c.s.page[0]!.ref = 1;
        c.s.out = -1;
      },
      actors: { A: actor({ steps: { body } }) },
      invariants: { 'INV-OUT': (s) => s.out !== 1 },
    });

  it('allocPage: each free frame is a transition of its own, holding one reference', async () => {
    // Only frame 1 is free: out = 1 in the one successor, which INV-OUT refuses.
    const r = await run(once((c) => (c.s.out = allocPage(c, c.s.page))));
    expect([r.verdict, r.property, r.states]).toEqual(['violation', 'INV-OUT', 2]);
  });

  it('allocPage: -1 when no frame is free', async () => {
    const m = once((c) => {
      allocPage(c, c.s.page);
      c.s.out = allocPage(c, c.s.page) === -1 ? 2 : 1;
    });
    expect((await run(m)).verdict).toBe('safe');
  });

  it('putPage: the last reference frees the frame and moves its generation on; one more is an underflow', async () => {
    const m = once((c) => {
      putPage(c, c.s.page, 0);
      c.s.out = c.s.page[0]!.ref === 0 && c.s.page[0]!.gen === 1 ? 2 : 1;
      putPage(c, c.s.page, 0);
    });
    const r = await run(m);
    expect([r.verdict, r.property]).toEqual(['violation', 'INV-REFCOUNT']);
    expect(r.message).toMatch(/put_page\(frame 0\): the page is already free/);
  });

  it('getPage counts one more on a live frame, up to the bound of pagesType', async () => {
    const m = once((c) => {
      getPage(c, c.s.page, 0);
      c.s.out = c.s.page[0]!.ref === 2 ? 2 : 1;
      // 3 references > maxRef 2: the bound of pagesType, named.
      getPage(c, c.s.page, 0);
    });
    const r = await run(m);
    expect([r.verdict, r.code]).toEqual(['error', 'E_MODEL_RANGE']);
    expect(r.message).toMatch(/get_page\(frame 0\): more than 2 references, more than pagesType's maxRef allows/);
  });

  it('tryGetPage: one more on a live frame, none on a free one', async () => {
    const m = once((c) => {
      const got = tryGetPage(c.s.page, 0);
      const none = tryGetPage(c.s.page, 1);
      c.s.out = got && !none && c.s.page[0]!.ref === 2 && c.s.page[1].ref === 0 ? 2 : 1;
    });
    expect((await run(m)).verdict).toBe('safe');
  });

  it('a frame freed more often than pagesType allows is E_MODEL_RANGE, in the helper\'s words', async () => {
    const m = once((c) => {
      putPage(c, c.s.page, 0);
      allocPage(c, c.s.page);
      putPage(c, c.s.page, 0);
    }, 1);
    const r = await run(m);
    expect([r.verdict, r.code]).toEqual(['error', 'E_MODEL_RANGE']);
    expect(r.message).toMatch(/frame 0\): the frame is freed more often than pagesType's frees allow/);
  });
});
