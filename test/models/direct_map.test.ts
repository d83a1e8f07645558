/**
 * The direct_map model (docs/seed-problems.md §3): each variant's verdict with BFS and DFS,
 * counterexamples read against Mike's diagram and the table, H's atomicity, fixes removed,
 * and probes showing that the safe variants are not safe by accident (V really is paused
 * inside vm_remove_mappings, pages really are mapped back, failures really happen).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel, bool, defineModel, replay, type CheckResult, type Model } from '../../src/index.js';
import { assertVerdict, checkModel, type Expectation } from '../../src/testing/index.js';
import dm from '../../models/direct_map/direct_map.js';
import { checkIn } from '../unit/helpers.js';

const file = fileURLToPath(new URL('../../models/direct_map/direct_map.ts', import.meta.url));
const scenarioDir = fileURLToPath(new URL('../../scenarios/direct_map/', import.meta.url));

type Params = Record<string, string | number | boolean>;
const SAFE: Expectation = { verdict: 'safe' };
const COPY: Expectation = { verdict: 'violation', property: 'INV-COPY' };
const REPORT: Expectation = { verdict: 'violation', property: 'INV-REPORT' };
const RESTORE: Expectation = { verdict: 'violation', property: 'INV-RESTORE' };

// The variants of §3, with the parameters that select them (defaults: dpa and rodata_full
// both, A present, one vmalloc page, alloc_fail, faithful scheduling, every invariant).
const B0 = { arch: 'arm64', code: 'v5.9' };
const B0x86 = { arch: 'x86', code: 'v5.9' };
const B1 = { arch: 'arm64', code: 'v5.9-dpa-gate', dpa: 'off', rodata_full: 'on' };
const B2 = { arch: 'arm64', code: 'v1', dpa: 'on', rodata_full: 'off' };
const B2full = { arch: 'arm64', code: 'v1-full', dpa: 'on', rodata_full: 'off' };
const B3 = { arch: 'x86', code: 'v5.9', dpa: 'off', A: false, large_np: true, alloc_fail: true };
const F = { arch: 'arm64', code: 'v5.10' };
const Fx86 = { arch: 'x86', code: 'v5.10' };
const Ffail = { arch: 'x86', code: 'v5.10', dpa: 'off', A: false, large_np: true, alloc_fail: true };

/** A check as the old synchronous `check` made it: in this thread, no reduction, the search's own counterexample. */
const run = (params: Params, strategy: 'bfs' | 'dfs' = 'bfs', model: Model = dm): Promise<CheckResult> =>
  checkIn(new CompiledModel(model, params), file, { strategy, shrink: false });

/** The schedule of a counterexample as `actor:label`. */
const labels = (r: CheckResult) => r.trace!.schedule.map((s) => `${s.actor}:${s.label}`);

/** Replays a counterexample; `at(k)` is the state after step k (0: initial), slot -> value. */
function states(r: CheckResult, model: Model = dm) {
  const rp = replay(r.trace!, new CompiledModel(model, r.params as Params));
  expect(rp.reproduced).toBe(true);
  const snaps: Map<string, string>[] = [new Map(rp.initial.map((x) => [x.slot, x.value]))];
  for (const st of rp.steps) {
    const next = new Map(snaps[snaps.length - 1]!);
    for (const ch of st.changes) next.set(ch.slot, ch.to);
    snaps.push(next);
  }
  return { at: (k: number) => snaps[k]!, steps: rp.steps };
}

/** H ran without interleaving: no V or A step between H's first and last step. */
function hAtomic(r: CheckResult): boolean {
  const sched = r.trace!.schedule;
  const first = sched.findIndex((s) => s.actor === 'H');
  const last = sched.map((s) => s.actor).lastIndexOf('H');
  return sched.slice(first, last + 1).every((s) => s.actor === 'H');
}

/** The model with the state, actors or invariants changed (probes and mutants). */
function variant(opts: {
  state?: (s: any, p: any) => any;
  actors?: (a: any, p: any) => any;
  invariants?: (inv: any, p: any) => any;
}): Model {
  const st = dm.state as (p: any) => any;
  const ac = dm.actors as (p: any) => any;
  const iv = dm.invariants as (p: any) => any;
  return defineModel({
    ...dm,
    state: (p: any) => (opts.state ? opts.state(st(p), p) : st(p)),
    actors: (p: any) => (opts.actors ? opts.actors(ac(p), p) : ac(p)),
    invariants: (p: any) => (opts.invariants ? opts.invariants(iv(p), p) : iv(p)),
  } as any);
}

/** The model with one more invariant, `probe`, violated when `reached` holds. */
const withProbe = (reached: (s: any, w: any) => boolean) =>
  variant({ invariants: (inv) => ({ ...inv, probe: (s: any, w: any) => !reached(s, w) }) });

/** Replaces H's step `label` by `wrap(original)`. */
const mutateH = (label: string, wrap: (orig: (c: any) => void) => (c: any) => void) =>
  variant({
    actors: (a) => {
      expect(a.H.steps).toHaveProperty([label]);
      return { ...a, H: { ...a.H, steps: { ...a.H.steps, [label]: wrap(a.H.steps[label]) } } };
    },
  });

const H_START = 'create_image:local_irq_disable';
const H_END = 'create_image:local_irq_enable';

describe('direct_map verdicts (the table of §3)', () => {
  it.each([
    ['B0: 5.9 arm64 as read, H atomic', B0, SAFE],
    ['B0 on x86 (splits at invalidation may fail)', B0x86, SAFE],
    ['B0 with a 2-page area', { ...B0, vpages: 2 }, SAFE],
    ['B1: map-back gated on dpa only, dpa=0 rodata_full=1', B1, COPY],
    ['B1 over every configuration', { ...B1, dpa: 'both', rodata_full: 'both' }, COPY],
    ['B2: series v1/v2 with A, dpa=1 rodata_full=0', B2, COPY],
    ['B2 over every configuration', { ...B2, dpa: 'both', rodata_full: 'both' }, COPY],
    ['v1/v2 with patch 3/4 (every arm64 gate on rodata_full)', B2full, SAFE],
    ['B3: x86 large not-present, alloc_fail, INV-COPY', { ...B3, check: 'INV-COPY' }, COPY],
    ['B3: x86 large not-present, alloc_fail, INV-REPORT', { ...B3, check: 'INV-REPORT' }, REPORT],
    ['B3 with every invariant: the dropped error comes before the Oops', B3, REPORT],
    ['F: merged 5.10 arm64, H atomic', F, SAFE],
    ['F with a 2-page area', { ...F, vpages: 2 }, SAFE],
    ['F on x86 with failing split allocations (map-back cannot fail)', Fx86, SAFE],
    ['F where set_direct_map_default can fail: INV-COPY', Ffail, COPY],
    ['F where set_direct_map_default can fail: INV-REPORT holds', { ...Ffail, check: 'INV-REPORT' }, SAFE],
    ['F where set_direct_map_default can fail: INV-RESTORE holds', { ...Ffail, check: 'INV-RESTORE' }, SAFE],
    ['B0 unconstrained', { ...B0, unconstrained: true, check: 'INV-COPY' }, COPY],
    ['F unconstrained', { ...F, unconstrained: true, check: 'INV-COPY' }, COPY],
    ['F unconstrained on x86', { ...Fx86, unconstrained: true, check: 'INV-COPY' }, COPY],
  ] as const)('%s', async (_name, params, want) => {
    assertVerdict(await checkModel({ model: dm, file }, params), want);
    assertVerdict(await checkModel({ model: dm, file }, params, { strategy: 'dfs' }), want);
  });

  it('unconstrained, the shortest violation is the INV-COPY race; INV-RESTORE fails too (ptes change under H)', async () => {
    for (const base of [B0, F]) {
      expect((await run({ ...base, unconstrained: true })).property).toBe('INV-COPY');
      expect((await run({ ...base, unconstrained: true, check: 'INV-RESTORE' })).property).toBe('INV-RESTORE');
      expect((await run({ ...base, check: 'INV-RESTORE' })).verdict).toBe('safe');
    }
  });

  it('each scenario of scenarios/direct_map expects what the table says for its parameters', async () => {
    const files = readdirSync(scenarioDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(13);
    for (const f of files) {
      const sc = JSON.parse(readFileSync(scenarioDir + f, 'utf8'));
      const r = await run(sc.params);
      assertVerdict(r, sc.expect);
    }
  });

  it('invalid combinations are parameter errors', () => {
    expect(() => new CompiledModel(dm, { arch: 'arm64', large_np: true })).toThrow(/x86/);
    expect(() => new CompiledModel(dm, { arch: 'x86', code: 'v5.9-dpa-gate' })).toThrow(/arm64/);
    try {
      new CompiledModel(dm, { arch: 'arm64', large_np: true });
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_PARAM');
    }
  });

  it('initial states: every dpa x rodata_full configuration on arm64; x86 adds 4K or LARGE without dpa', () => {
    expect(new CompiledModel(dm, F).initialStates()).toHaveLength(4);
    expect(new CompiledModel(dm, { ...F, dpa: 'on' }).initialStates()).toHaveLength(2);
    expect(new CompiledModel(dm, B1).initialStates()).toHaveLength(1);
    // x86: dpa off gives each vmalloc page 4K or LARGE; dpa on has no large direct-map pages.
    expect(new CompiledModel(dm, Fx86).initialStates()).toHaveLength(2 + 1);
    expect(new CompiledModel(dm, { ...Fx86, vpages: 3 }).initialStates()).toHaveLength(8 + 1);
  });
});

describe('counterexamples read as the diagram', () => {
  it("B1 is Mike's diagram: V invalidates and is frozen, H's map-back returns early, do_copy_page faults", async () => {
    const r = await run(B1);
    expect(labels(r)).toEqual([
      'V:remove_vm_area',
      'V:set_direct_map_invalid_noflush',
      `H:${H_START}`,
      'H:safe_copy_page:kernel_page_present',
      'H:kernel_map_pages(page, 1, 1)',
      'H:do_copy_page',
    ]);
    expect(r.kind).toBe('fault');
    const { at } = states(r);
    expect(at(0).get('dpa')).toBe('false');
    expect(at(0).get('rodata_full')).toBe('true');
    expect(at(2).get('pte[0]')).toBe('INVALID'); // set_direct_map_invalid_noflush: rodata_full
    expect(at(4).get('found[0]')).toBe('INVALID'); // kernel_page_present walked: not present
    expect(at(5).get('pte[0]')).toBe('INVALID'); // __kernel_map_pages: if (!debug_pagealloc) return
    expect(at(5).get('V[0].pc')).toBe('_vm_unmap_aliases'); // V paused inside vm_remove_mappings
  });

  it('B2: a page unmapped by debug_pagealloc is not mapped back by set_direct_map_default (!rodata_full)', async () => {
    const r = await run(B2);
    const l = labels(r);
    const a = l.indexOf('A:free_pages_prepare:debug_pagealloc_map_pages(page, 1, 0)');
    const map = l.indexOf('H:hibernate_map_page(page, 1)');
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(l.indexOf(`H:${H_START}`));
    expect(map).toBe(l.length - 2);
    expect(l[l.length - 1]).toBe('H:do_copy_page');
    expect(l.some((x) => x.startsWith('V:'))).toBe(false); // V plays no part
    const { at, steps } = states(r);
    const page = 1; // A's page follows the vmalloc page
    expect(at(a + 1).get(`pte[${page}]`)).toBe('INVALID');
    expect(steps[map]!.changes.filter((ch) => ch.slot.startsWith('pte'))).toEqual([]); // map-back did nothing
    expect(at(map + 1).get('warned')).toBe('false'); // and returned 0: nothing to report
    expect(r.message).toContain(`page ${page}`);
  });

  it('B3: the split of __set_pages_p fails, __kernel_map_pages drops -ENOMEM silently, do_copy_page faults', async () => {
    for (const check of ['INV-COPY', 'INV-REPORT'] as const) {
      const r = await run({ ...B3, check });
      const l = labels(r);
      expect(l.every((x) => x.startsWith('H:'))).toBe(true); // no race: H alone meets the hypothetical region
      const map = l.indexOf('H:kernel_map_pages(page, 1, 1)');
      expect(r.trace!.schedule[map]!.choice).toEqual([1]); // 'split: alloc fails'
      const { at } = states(r);
      expect(at(0).get('level[1]')).toBe('LARGE');
      expect(at(map + 1).get('level[1]')).toBe('LARGE');
      expect(at(map + 1).get('pte[1]')).toBe('INVALID');
      expect(at(map + 1).get('mapFailed')).toBe('true');
      expect(at(map + 1).get('warned')).toBe('false');
      if (check === 'INV-COPY') expect(l.slice(map + 1)).toEqual(['H:do_copy_page']);
      else expect(map).toBe(l.length - 1);
    }
  });

  it('F-fail: pr_warn_once reports the failed set_direct_map_default, and do_copy_page still reads the page', async () => {
    const r = await run(Ffail);
    const l = labels(r);
    expect(l.slice(-2)).toEqual(['H:hibernate_map_page', 'H:do_copy_page']);
    const { at } = states(r);
    const k = l.length - 1; // state after the map-back
    expect(at(k).get('mapFailed')).toBe('true');
    expect(at(k).get('warned')).toBe('true');
    expect(at(k).get('pte[1]')).toBe('INVALID');
  });

  it.each([
    ['B0', B0],
    ['F', F],
  ])('%s unconstrained: kernel_page_present sees the page present, V invalidates it, do_copy_page faults', async (_n, base) => {
    const r = await run({ ...base, unconstrained: true, check: 'INV-COPY' });
    const l = labels(r);
    const h1 = l.indexOf('H:safe_copy_page:kernel_page_present');
    const v2 = l.indexOf('V:set_direct_map_invalid_noflush');
    expect(h1).toBeGreaterThanOrEqual(0);
    expect(v2).toBeGreaterThan(h1);
    expect(l[l.length - 1]).toBe('H:do_copy_page');
    expect(l.filter((x) => x.includes('map_page') || x.includes('kernel_map_pages'))).toEqual([]); // no map-back: it was present
    expect(l).toHaveLength(5); // V1, H start, H1, V2, H3: the shortest TOCTOU
    expect(hAtomic(r)).toBe(false);
    const { at } = states(r);
    expect(at(h1 + 1).get('found[0]')).toBe('VALID');
    expect(at(v2 + 1).get('pte[0]')).toBe('INVALID');
  });

  it('in the faithful mode every counterexample keeps H atomic (V-prefix, all of H)', async () => {
    for (const params of [B1, B2, { ...B3, check: 'INV-COPY' }, Ffail, { ...B1, dpa: 'both', rodata_full: 'both', vpages: 2 }]) {
      for (const strategy of ['bfs', 'dfs'] as const) {
        const r = await run(params, strategy);
        expect(r.verdict).toBe('violation');
        expect(hAtomic(r)).toBe(true);
        expect(labels(r)[labels(r).length - 1]).toMatch(/^H:/);
      }
    }
  });
});

describe('H is atomic in the faithful mode, and only there', () => {
  // Ghost added for the test: V or A took a step while H stood between its first and its
  // last step (frozen: the CPU is H's).
  const moved = variant({
    state: (s) => ({ ...s, movedWhileH: bool() }),
    actors: (a) => {
      const wrap = (steps: Record<string, any>) =>
        Object.fromEntries(
          Object.entries(steps).map(([label, st]) => [
            label,
            {
              await: st.await,
              do: (c: any) => {
                const h = c.pc('H');
                if (h !== H_START && h !== 'done') c.s.movedWhileH = true;
                st.do(c);
              },
            },
          ]),
        );
      return { ...a, V: { ...a.V, steps: wrap(a.V.steps) }, A: { ...a.A, steps: wrap(a.A.steps) } };
    },
    invariants: (inv) => ({ ...inv, atomic: (s: any) => !s.movedWhileH }),
  });

  it.each([
    ['B0', B0],
    ['F', F],
    ['F x86', Fx86],
  ])('%s: no V or A step while H runs; with unconstrained, there is', async (_n, params) => {
    expect((await run({ ...params, vpages: 2 }, 'bfs', moved)).verdict).toBe('safe');
    const r = await run({ ...params, unconstrained: true, check: 'INV-REPORT' }, 'bfs', moved);
    expect(r.property).toBe('atomic');
  });
});

describe('a lost update outside the invariants of §3', () => {
  it("unconstrained, H's unmap can undo V's set_direct_map_default: V frees a page left out of the direct map", async () => {
    const m = withProbe((s, w) => w.pc('V') === 'done' && w.pc('H') === 'done' && !s.oops && s.pte.get(0) === 'INVALID');
    // check=INV-REPORT: the INV-COPY Oops of other schedules is a ghost, so the search goes on.
    expect((await run({ ...F, check: 'INV-REPORT' }, 'bfs', m)).verdict).toBe('safe');
    const r = await run({ ...F, unconstrained: true, check: 'INV-REPORT' }, 'bfs', m);
    expect(r.property).toBe('probe');
    const l = labels(r);
    expect(l.indexOf('H:safe_copy_page:kernel_page_present')).toBeGreaterThan(l.indexOf('V:set_direct_map_invalid_noflush'));
    expect(l.indexOf('H:hibernate_unmap_page')).toBeGreaterThan(l.indexOf('V:set_direct_map_default_noflush'));
    expect(l.indexOf('H:hibernate_unmap_page')).toBeGreaterThan(l.indexOf('V:__free_pages'));
  });
});

describe('no variant is safe by accident', () => {
  describe('fixes removed (a parameter flip) make the safe variants fail', () => {
    it.each([
      ['B0 with the __kernel_map_pages gate of B1', B0, { code: 'v5.9-dpa-gate' }, COPY],
      ['B0 without H atomicity', B0, { unconstrained: true, check: 'INV-COPY' }, COPY],
      ['F without v3 (series v1/v2)', F, { code: 'v1' }, COPY],
      ['F without H atomicity', F, { unconstrained: true, check: 'INV-COPY' }, COPY],
      ['v1-full without patch 3/4', B2full, { code: 'v1' }, COPY],
      ['F-fail-report without the pr_warn_once (5.9 __kernel_map_pages)', { ...Ffail, check: 'INV-REPORT' }, { code: 'v5.9' }, REPORT],
      ['F x86 with a hypothetical large not-present region', Fx86, { large_np: true, dpa: 'off' }, COPY],
      ['B0 x86 with a hypothetical large not-present region', B0x86, { large_np: true, dpa: 'off', check: 'INV-COPY' }, COPY],
    ] as const)('%s', async (_n, base, flip, want) => {
      assertVerdict(await run(base), SAFE);
      assertVerdict(await run({ ...base, ...flip }), want);
    });

    it('with a failing map-back, the large region is only safe without alloc_fail', async () => {
      assertVerdict(await run({ ...Ffail, alloc_fail: false }), SAFE);
      assertVerdict(await run({ ...B3, alloc_fail: false }), SAFE);
    });
  });

  describe('INV-RESTORE is not vacuous: H mutated', () => {
    it('hibernate_unmap_page without flush_tlb_kernel_range leaves a stale translation', async () => {
      const m = mutateH('hibernate_unmap_page', (orig) => (c) => {
        const i = c.l.i;
        const t = c.s.tlb.get(i);
        orig(c);
        c.s.tlb.set(i, t);
      });
      const r = await run({ ...F, A: false, dpa: 'off', rodata_full: 'on' }, 'bfs', m);
      assertVerdict(r, RESTORE);
      const { at } = states(r, m);
      const end = r.trace!.schedule.length;
      expect(at(end).get('pte[0]')).toBe('INVALID');
      expect(at(end).get('tlb[0]')).toBe('true');
    });

    it('hibernate_unmap_page that does not unmap leaves the page mapped', async () => {
      const m = mutateH('hibernate_unmap_page', (orig) => (c) => {
        const i = c.l.i;
        const v = c.s.pte.get(i);
        orig(c);
        c.s.pte.set(i, v);
      });
      assertVerdict(await run(F, 'bfs', m), RESTORE);
      assertVerdict(await run(F, 'dfs', m), RESTORE);
    });

    it('5.9 kernel_map_pages(page, 1, 0) that does not unmap leaves the page mapped', async () => {
      const m = mutateH('kernel_map_pages(page, 1, 0)', (orig) => (c) => {
        const i = c.l.i;
        const v = c.s.pte.get(i);
        orig(c);
        c.s.pte.set(i, v);
      });
      assertVerdict(await run(B0, 'bfs', m), RESTORE);
      assertVerdict(await run(B0x86, 'bfs', m), RESTORE);
    });
  });

  describe('probes: the actors reach the window in the safe variants', () => {
    const reach = (params: Params, probe: (s: any, w: any) => boolean) => run(params, 'bfs', withProbe(probe));

    it.each([
      ['B0', B0],
      ['F', F],
      ['B0 x86', B0x86],
      ['F x86', Fx86],
    ])("%s: H runs while V is paused after set_direct_map_invalid (Mike's window), maps the page back and restores it", async (_n, params) => {
      const r = await reach(params, (s, w) => w.pc('H') === H_END && s.found.get(0) === 'INVALID' && w.pc('V') === '_vm_unmap_aliases');
      expect(r.property).toBe('probe');
      const l = labels(r);
      expect(l.indexOf('V:set_direct_map_invalid_noflush')).toBeLessThan(l.indexOf(`H:${H_START}`));
      expect(l.some((x) => /H:(kernel_map_pages\(page, 1, 1\)|hibernate_map_page)/.test(x))).toBe(true);
      expect(hAtomic(r)).toBe(true);
    });

    it.each([
      ['B0', B0],
      ['F', F],
      ['B0 x86', B0x86],
      ['F x86', Fx86],
    ])('%s: H copies a page that debug_pagealloc unmapped, and leaves it unmapped', async (_n, params) => {
      const r = await reach(params, (s, w) => w.pc('H') === H_END && s.found.get(1) === 'INVALID' && s.pte.get(1) === 'INVALID');
      expect(r.property).toBe('probe');
    });

    it('B0 and F with rodata_full=0: the page V invalidated is still found in each configuration that can unmap it', async () => {
      // 5.9: set_direct_map_invalid needs rodata_full; 5.10: dpa || rodata_full.
      expect((await reach({ ...B0, rodata_full: 'off' }, (s) => s.found.get(0) === 'INVALID')).verdict).toBe('safe');
      expect((await reach({ ...F, rodata_full: 'off', dpa: 'on' }, (s) => s.found.get(0) === 'INVALID')).property).toBe('probe');
    });

    it('x86: a split at invalidation that fails leaves the page LARGE and mapped; H copies it as present', async () => {
      const r = await reach(B0x86, (s, w) => w.pc('V') === '_vm_unmap_aliases' && s.level.get(0) === 'LARGE' && w.pc('H') === H_END);
      expect(r.property).toBe('probe');
      const inv = r.trace!.schedule.find((x) => x.label === 'set_direct_map_invalid_noflush')!;
      expect(inv.choice).toEqual([1]); // split: alloc fails (-ENOMEM ignored by set_area_direct_map)
    });

    it('x86: a page V split and invalidated is 4K when H maps it back, so the map-back cannot fail', async () => {
      // Only the initial states where V's page is LARGE (x86 without debug_pagealloc).
      const probe = withProbe((s, w) => w.pc('H') === H_END && s.found.get(0) === 'INVALID' && s.level.get(0) === '4K');
      const init = (c: any) => {
        dm.init!(c);
        c.s.level.set(0, 'LARGE'); // one of the two initial levels dm.init chooses from
      };
      const m = defineModel({ ...probe, init } as any);
      const r = await run({ ...Fx86, dpa: 'off' }, 'bfs', m);
      expect(r.property).toBe('probe');
      const { at } = states(r, m);
      expect(at(0).get('level[0]')).toBe('LARGE');
    });

    it('F-fail-report: the failed map-back and the Oops do happen, with the warning printed', async () => {
      const r = await reach({ ...Ffail, check: 'INV-REPORT' }, (s) => s.oops && s.mapFailed && s.warned);
      expect(r.property).toBe('probe');
    });

    it('v1-full is safe because debug_pagealloc unmaps nothing without rodata_full; v1 does unmap', async () => {
      const noUnmap = (s: any, w: any) => w.pc('A') === 'done' && s.dpa && s.pte.get(1) === 'VALID';
      expect((await reach(B2full, noUnmap)).property).toBe('probe');
      // v1 (patch 2 only): A does unmap (the probe state is unreachable), INV-COPY as a ghost.
      expect((await reach({ ...B2, check: 'INV-REPORT' }, noUnmap)).verdict).toBe('safe');
      expect((await reach({ ...B2, check: 'INV-REPORT' }, (s) => s.oops)).property).toBe('probe');
    });
  });
});
