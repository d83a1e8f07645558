/**
 * The riscv_kexec model (docs/seed-problems.md §4): each variant's verdict with BFS and DFS,
 * counterexamples read against the diagrams, fixes that stop holding when the fix is
 * flipped off, probes showing the racing actors reach the window in the safe variants,
 * the scenarios (and their traces' replay), and the page-table primitives of
 * src/kernel/pgtable.ts.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel, defineModel, loadScenario, replay, type CheckResult, type Model } from '../../src/index.js';
import { assertVerdict, type Expectation } from '../../src/testing/index.js';
import model, { INIT, MM_N, MM_O, MM_T, PGD_LINEAR, vaCtrl } from '../../models/riscv_kexec/riscv_kexec.js';
import {
  PAGE_KERNEL,
  PAGE_KERNEL_EXEC,
  ptAllows,
  ptClear,
  ptCopy,
  ptEqual,
  ptFormat,
  ptLeaf,
  ptModifyLeaf,
  ptSameLeaf,
  ptSetLeaf,
  ptSetTable,
  ptSplitInto,
  ptWalk,
  type PtEntry,
} from 'mmrace/kernel';
import { checkIn } from '../unit/helpers.js';

const file = fileURLToPath(new URL('../../models/riscv_kexec/riscv_kexec.ts', import.meta.url));
const scenarioDir = fileURLToPath(new URL('../../scenarios/riscv_kexec/', import.meta.url));

type Params = Record<string, string | boolean | number>;
/** A check as the old synchronous `check` made it: in this thread, no reduction, the search's own counterexample. */
const run = (params: Params, m: Model = model, strategy: 'bfs' | 'dfs' = 'bfs'): Promise<CheckResult> =>
  checkIn(new CompiledModel(m, params), file, { strategy, maxStates: 100_000, shrink: false });

const SYNC: Expectation = { verdict: 'violation', property: 'INV-SYNC' };
const EXEC: Expectation = { verdict: 'violation', property: 'INV-EXEC' };
const SAFE: Expectation = { verdict: 'safe' };
const EXECUTORS = ['loader', 'other', 'forked'] as const;

// Variant bits (docs/seed-problems.md §4): B is the default.
const B = {};
const G1 = { activeMm: true };
const G2 = { buffer: 'vm_map_ram', setx: false };
const G4 = { buffer: 'vm_map_ram' };
const A = { linear: 'pmd' };
const A_SPLIT = { linear: 'pmd', split: true };
const X = { sync: 'pgd_list' };
const X_PRIME = { sync: 'pgd_list_unlocked_copy' };

/** Each row: [name, params, the verdict docs/seed-problems.md gives]. */
const table: [string, Params, Expectation][] = [
  // B: VIOLATION whenever active_mm(T) was created before S2; passes when forked after S2.
  ['B, the loader executes (its mm predates S2)', { ...B }, SYNC],
  ['B, an older task executes', { ...B, executor: 'other' }, SYNC],
  ['B, a task forked by F, F interleaving freely', { ...B, executor: 'forked' }, SYNC],
  ['B, a task forked after kexec_load returned', { ...B, executor: 'forked', forkAfter: true }, SAFE],
  ['B with empty TLBs (the flush is not sufficient)', { ...B, cached: false }, SYNC],
  ['B with empty TLBs, an older task', { ...B, cached: false, executor: 'other' }, SYNC],
  // G1: SAFE for the same task; VIOLATION for another task whose mm predates S2.
  ['G1, the loading task executes', { ...G1 }, SAFE],
  ['G1, the loading task executes, empty TLBs', { ...G1, cached: false }, SAFE],
  ['G1, an older task executes', { ...G1, executor: 'other' }, SYNC],
  ['G1, a task forked by F interleaving freely', { ...G1, executor: 'forked' }, SYNC],
  // G2: VIOLATION for every mm (vm_map_ram maps PAGE_KERNEL without exec).
  ...EXECUTORS.flatMap((e) => [
    [`G2, executor ${e}`, { ...G2, executor: e }, EXEC] as [string, Params, Expectation],
    [`G2, executor ${e}, empty TLBs`, { ...G2, executor: e, cached: false }, EXEC] as [string, Params, Expectation],
  ]),
  // G4, A (with and without splitting), X: SAFE, whoever executes, with a racing fork.
  ...[
    ['G4', G4],
    ['A', A],
    ['A with splitting', A_SPLIT],
    ['X', X],
  ].flatMap(([name, v]) =>
    EXECUTORS.map((e) => [`${name as string}, executor ${e}, a fork racing`, { ...(v as Params), executor: e, fork: true }, SAFE] as [string, Params, Expectation]),
  ),
  // X′: VIOLATION (the copy predates S2, the list walk misses the new pgd).
  ["X′, the forked task executes", { ...X_PRIME, executor: 'forked' }, SYNC],
  // Splitting a PGD leaf would not be safe (the reason for 629db01c64ff).
  ['a PGD leaf split by set_memory_x', { split: true }, SYNC],
  ['a PGD leaf split, a forked executor', { split: true, executor: 'forked' }, SYNC],
];

describe('riscv_kexec verdicts (docs/seed-problems.md §4)', () => {
  it.each(table)('%s', async (_name, params, want) => {
    assertVerdict(await run(params), want);
    assertVerdict(await run(params, model, 'dfs'), want);
  });
});

describe('INV-SYNC over every mm in use (scope=all): kernel mappings are global only with A, G4, X', () => {
  const all: [string, Params, Expectation][] = [
    ['B forked after kexec_load: kexec passes, but mmT and mmO keep the NX leaf', { executor: 'forked', forkAfter: true }, SYNC],
    ['G1 with the loader executing: mmO keeps the NX leaf', { ...G1 }, SYNC],
    ['G4', { ...G4, executor: 'forked' }, SAFE],
    ['A', { ...A, executor: 'forked' }, SAFE],
    ['A with splitting', { ...A_SPLIT, executor: 'forked' }, SAFE],
    ['X', { ...X, executor: 'forked' }, SAFE],
    ['X′ with an unrelated fork, the loader executing (its own kexec passes)', { ...X_PRIME, fork: true }, SYNC],
  ];
  it.each(all)('%s', async (_name, params, want) => {
    assertVerdict(await run({ ...params, scope: 'all' }), want);
    assertVerdict(await run({ ...params, scope: 'all' }, model, 'dfs'), want);
  });

  it("X′'s unrelated fork is harmless to the loader's own kexec (scope=exec)", async () => {
    assertVerdict(await run({ ...X_PRIME, fork: true }), SAFE);
  });

  it('B forked after kexec_load fails scope=all at the end of set_memory_x, before any kexec', async () => {
    const r = await run({ executor: 'forked', forkAfter: true, scope: 'all' });
    const steps = r.trace!.schedule;
    expect(r.kind).toBe('invariant');
    expect(steps[steps.length - 1]).toMatchObject({ actor: 'S', label: 'flush_tlb_kernel_range' });
    expect(steps.some((s) => s.actor === 'E')).toBe(false);
  });
});

// ---- counterexamples against the diagrams ----------------------------------------------

const labels = (r: CheckResult) => r.trace!.schedule.map((s) => `${s.actor}:${s.label}`);
const at = (ls: string[], step: string, nth = 0) => {
  let seen = -1;
  for (let i = 0; i < ls.length; i++) if (ls[i] === step && ++seen === nth) return i;
  return -1;
};
/** Replays a counterexample; returns each step's changes (program counters aside) as slot -> new value. */
function replayed(r: CheckResult, params: Params) {
  const rp = replay(r.trace!, new CompiledModel(model, params));
  expect(rp.reproduced).toBe(true);
  return rp.steps.map(
    (s) => Object.fromEntries(s.changes.filter((c) => !c.slot.endsWith('.pc')).map((c) => [c.slot, c.to])) as Record<string, string>,
  );
}
const linear = `[${PGD_LINEAR}]`;

describe('counterexamples read as the diagrams', () => {
  it('B: set_memory_x makes init_mm.pgd[k] RWX, machine_kexec walks mmT.pgd[k]: NX -> Oops, with empty TLBs', async () => {
    const r = await run(B);
    const ls = labels(r);
    expect(r.kind).toBe('fault');
    expect(ls[0]).toBe('S:memcpy(control_code_buffer, riscv_kexec_relocate)');
    const set = at(ls, 'S:pageattr_pgd_entry(init_mm)');
    const flush = at(ls, 'S:flush_tlb_kernel_range');
    const jump = ls.length - 1;
    expect(set).toBeGreaterThan(at(ls, 'S:mmap_write_lock(&init_mm)'));
    expect(flush).toBeGreaterThan(set);
    expect(at(ls, 'E:kernel_kexec:machine_shutdown')).toBeGreaterThan(flush);
    expect(ls[jump]).toBe('E:machine_kexec:kexec_method()');
    expect(ls.some((l) => l.startsWith('F:'))).toBe(false);
    // The fault is the walk of the loader's own pgd, whose PGD leaf is still NX.
    expect(r.message).toContain('mmT.pgd');
    expect(r.message).toContain('LEAF(RW-) at pgd');
    expect(r.message).toContain('init_mm: LEAF(RWX)');
    expect(r.message).not.toContain('TLB entry');
    const ch = replayed(r, B);
    expect(ch[set]).toEqual({ [`pt[${INIT}]${linear}.x`]: 'true' }); // only init_mm.pgd changes
    expect(ch[flush]!['tlb.kind']).toBe('none'); // the TLB is empty when E fetches
    expect(ch.slice(flush + 1).some((c) => 'tlb.kind' in c)).toBe(false);
  });

  it('B forked: F copies the PGD leaf before set_memory_x rewrites it; the forked task executes and faults', async () => {
    const params = { executor: 'forked' };
    const r = await run(params);
    const ls = labels(r);
    // pgd_alloc copies the kernel half in address order: [vmalloc, linear]; the second
    // copy is the linear-map leaf.
    const copy = at(ls, 'F:pgd_alloc:memcpy', 1);
    expect(copy).toBeGreaterThanOrEqual(0);
    expect(copy).toBeLessThan(at(ls, 'S:pageattr_pgd_entry(init_mm)'));
    expect(ls[ls.length - 1]).toBe('E:machine_kexec:kexec_method()');
    expect(r.message).toContain('mmN.pgd (satp of task N)');
    const ch = replayed(r, params);
    expect(ch[copy]![`pt[${MM_N}]${linear}.x`]).toBeUndefined(); // copied without X
    expect(ch[copy]![`pt[${MM_N}]${linear}.kind`]).toBe('leaf');
    const sw = at(ls, 'Csw:__schedule:switch_mm');
    expect(ch[sw]).toMatchObject({ current: 'N', satp: String(MM_N) });
  });

  it('G1 with an older task: S rewrites init_mm and current->active_mm, the scheduler switches to O, O faults', async () => {
    const params = { ...G1, executor: 'other' };
    const r = await run(params);
    const ls = labels(r);
    const init = at(ls, 'S:pageattr_pgd_entry(init_mm)');
    const active = at(ls, 'S:pageattr_pgd_entry(current->active_mm)');
    expect(active).toBeGreaterThan(init);
    const ch = replayed(r, params);
    expect(ch[active]).toEqual({ [`pt[${MM_T}]${linear}.x`]: 'true' });
    const sw = at(ls, 'Csw:__schedule:switch_mm');
    expect(ch[sw]).toMatchObject({ current: 'O', satp: String(MM_O) });
    expect(sw).toBeLessThan(at(ls, 'E:kernel_kexec:machine_shutdown'));
    expect(r.message).toContain('mmO.pgd');
  });

  it('G2: vm_map_ram maps PAGE_KERNEL, nobody sets X: the fault is INV-EXEC, not a sync failure', async () => {
    const params = { ...G2, executor: 'forked', cached: false };
    const r = await run(params);
    const ls = labels(r);
    expect(r.property).toBe('INV-EXEC');
    expect(ls[0]).toBe('S:vm_map_ram:vmap_pages_range');
    expect(ls.some((l) => l.includes('pageattr') || l.includes('mmap_write_lock'))).toBe(false);
    expect(r.message).toContain('init_mm: LEAF(RW-)');
    expect(r.message).toContain('mmN.pgd');
  });

  it("X′: F's copy predates the update, S's list walk misses N, F adds N to the list afterwards", async () => {
    const params = { ...X_PRIME, executor: 'forked' };
    const r = await run(params);
    const ls = labels(r);
    const copyLinear = at(ls, 'F:pgd_ctor:clone_pgd_range', 1);
    const set = at(ls, 'S:pageattr_pgd_entry(init_mm)');
    const walks = ls.flatMap((l, i) => (l === 'S:list_for_each_entry(pgd_list):set_pgd' ? [i] : []));
    const add = at(ls, 'F:pgd_list_add');
    expect(copyLinear).toBeLessThan(set);
    expect(walks.length).toBeGreaterThan(0);
    expect(walks[0]!).toBeGreaterThan(set);
    expect(add).toBeGreaterThan(walks[walks.length - 1]!);
    expect(add).toBeGreaterThan(at(ls, 'S:spin_unlock(&pgd_lock)'));
    expect(ls[ls.length - 1]).toBe('E:machine_kexec:kexec_method()');
    const ch = replayed(r, params);
    // The list walk repaired T's and O's pgds, never N's.
    const written = walks.flatMap((i) => Object.keys(ch[i]!));
    expect(written).toEqual(expect.arrayContaining([`pt[${MM_T}]${linear}.x`, `pt[${MM_O}]${linear}.x`]));
    expect(written.some((slot) => slot.startsWith(`pt[${MM_N}]`))).toBe(false);
    expect(r.message).toContain('mmN.pgd');
  });

  it('A without the flush: the NX translation the memcpy cached is fetched through (the flush is necessary)', async () => {
    const r = await run({ ...A, flush: false });
    expect(r.property).toBe('INV-SYNC');
    expect(r.message).toContain('TLB entry LEAF(RW-)');
    expect(labels(r)).toContain('S:pageattr_pmd_entry(init_mm)');
  });

  it("a PGD leaf split: the split installs a table in init_mm's own pgd, mmT keeps the 1 GB NX leaf", async () => {
    const params = { split: true };
    const r = await run(params);
    const ls = labels(r);
    const split = at(ls, 'S:__split_linear_mapping_pud');
    expect(split).toBeGreaterThanOrEqual(0);
    expect(at(ls, 'S:__split_linear_mapping_pmd')).toBeGreaterThan(split);
    expect(at(ls, 'S:pageattr_pte_entry(init_mm)')).toBeGreaterThan(split);
    const ch = replayed(r, params);
    expect(ch[split]![`pt[${INIT}]${linear}.kind`]).toBe('table');
    expect(r.message).toContain('mmT.pgd (satp of task T): LEAF(RW-) at pgd');
  });
});

// ---- not safe by accident -----------------------------------------------------------------

describe('each fix, flipped off, is a violation', () => {
  it.each([
    ['G1 without the active_mm walk (= B)', { ...G1, activeMm: false }, SYNC],
    ['G4 without set_memory_x (= G2)', { ...G4, executor: 'forked', setx: false }, EXEC],
    ['G4 on the linear map (= B)', { ...G4, executor: 'forked', buffer: 'page_address' }, SYNC],
    ['A with PGD leaves (= B)', { ...A, executor: 'forked', linear: 'pgd' }, SYNC],
    ['A with splitting, PGD leaves', { ...A_SPLIT, executor: 'forked', linear: 'pgd' }, SYNC],
    ['A without the TLB flush', { ...A, executor: 'forked', flush: false }, SYNC],
    ['G4 without the TLB flush', { ...G4, flush: false }, SYNC],
    ['X without pgd_list (= B)', { ...X, executor: 'forked', sync: 'none' }, SYNC],
    ['X with the copy outside pgd_lock (= X′)', { ...X, executor: 'forked', sync: 'pgd_list_unlocked_copy' }, SYNC],
    ['B forked after kexec_load, fork no longer ordered', { executor: 'forked', forkAfter: false }, SYNC],
  ] as [string, Params, Expectation][])('%s', async (_name, params, want) => {
    assertVerdict(await run(params), want);
  });
});

/** The model with one more invariant, violated when `reached` holds. */
function withProbe(reached: (s: any, w: any) => boolean): Model {
  const base = model.invariants as (p: any) => Record<string, unknown>;
  return defineModel({ ...model, invariants: (p: any) => ({ ...base(p), probe: (s: any, w: any) => !reached(s, w) }) } as any);
}
const reach = async (params: Params, probe: (s: any, w: any) => boolean) => {
  const r = await run(params, withProbe(probe));
  expect(r.verdict).toBe('violation');
  expect(r.property).toBe('probe');
  return r;
};
const initX = (s: any, va: readonly number[]) => ptAllows(ptLeaf(s.pt, INIT, va), 'x');

describe('the safe variants are not safe by accident: the racing actors reach the window', () => {
  it.each([
    ['G4', G4],
    ['A', A],
    ['A with splitting', A_SPLIT],
    ['X', X],
  ] as [string, Params][])('%s: the forked mm copied the PGD entry before S2, and kexec through it still passes', async (_name, v) => {
    await reach({ ...v, executor: 'forked' }, (s, w) => s.copiedBeforeSetX && w.pc('E') === 'done');
  });

  it.each([
    ['G4', G4],
    ['A', A],
    ['A with splitting', A_SPLIT],
    ['X', X],
  ] as [string, Params][])('%s: the TLB holds the old NX translation after S2, until the flush', async (_name, v) => {
    const va = vaCtrl({ buffer: (v as any).buffer ?? 'page_address' });
    await reach({ ...v, executor: 'forked' }, (s) => s.tlb.kind === 'leaf' && !s.tlb.x && initX(s, va));
  });

  it('X: F waits for pgd_lock while S propagates the new entry along pgd_list', async () => {
    await reach({ ...X, executor: 'forked' }, (_s, w) => w.pc('F') === 'spin_lock(&pgd_lock)' && w.pc('S') === 'list_for_each_entry(pgd_list):set_pgd');
  });

  it("X: N is on pgd_list with the old entry while init_mm has the new one, and S's list walk repairs it", async () => {
    const va = vaCtrl({ buffer: 'page_address' });
    await reach(
      { ...X, executor: 'forked' },
      (s, w) => s.pgdList.get(MM_N) && !ptAllows(ptLeaf(s.pt, MM_N, va), 'x') && initX(s, va) && w.pc('S') === 'list_for_each_entry(pgd_list):set_pgd',
    );
  });

  it('G1 with the loading task: its own pgd is rewritten and machine_kexec runs through it', async () => {
    const va = vaCtrl({ buffer: 'page_address' });
    await reach({ ...G1 }, (s, w) => w.pc('E') === 'done' && s.satp === MM_T && ptAllows(ptLeaf(s.pt, MM_T, va), 'x') && s.tlb.kind === 'none');
  });

  it('B with F interleaving freely: a task forked after S2 executes and passes', async () => {
    await reach({ executor: 'forked' }, (s, w) => w.pc('E') === 'done' && !s.copiedBeforeSetX);
  });

  it('Csw: a kernel thread runs on a borrowed (lazy) mm, and the executor only runs after a switch back', async () => {
    await reach({ ...A, executor: 'other' }, (s) => s.current === 'K' && s.satp === MM_O);
    const r = await run({ executor: 'other' });
    const sw = r.trace!.schedule.filter((s) => s.actor === 'Csw');
    expect(sw.length).toBeGreaterThan(0);
  });
});

// ---- the scenarios --------------------------------------------------------------------------

describe('scenarios/riscv_kexec', () => {
  const files = readdirSync(scenarioDir).filter((f) => f.endsWith('.json'));
  it('cover every variant of the table', () => {
    const names = files.map((f) => f.replace(/\.json$/, ''));
    for (const v of ['b', 'b-forked', 'b-forked-after', 'g1', 'g1-other', 'g2', 'g4', 'a', 'a-split', 'x', 'x-prime']) expect(names).toContain(v);
  });
  it.each(files)('%s meets its expectation, and its counterexample replays', async (f) => {
    const sc = loadScenario(scenarioDir + f);
    const m = new CompiledModel(model, sc.params ?? {});
    const r = await checkIn(m, file, { strategy: (sc.strategy ?? 'bfs') as 'bfs' | 'dfs', shrink: false });
    assertVerdict(r, sc.expect as Expectation);
    expect(r.seconds).toBeLessThan(2);
    if (r.verdict === 'violation') expect(replay(r.trace!, m).reproduced).toBe(true);
  });
});

// ---- src/kernel/pgtable.ts ------------------------------------------------------------------

describe('src/kernel/pgtable.ts', () => {
  const entry = (): PtEntry => ({ kind: 'none', table: 0, valid: false, r: false, w: false, x: false, pfn: 0 });
  /** Tables: 0 and 1 roots, 2 a pmd table, 3 a pte table, 4 a spare table. */
  const pool = () => Array.from({ length: 5 }, () => [entry(), entry()]);

  it('a walk stops at the first leaf: a huge leaf maps the whole range below it', () => {
    const pt = pool();
    ptSetLeaf(pt[0]![1]!, PAGE_KERNEL);
    const w = ptWalk(pt, 0, [1, 0, 1]);
    expect(w).toMatchObject({ level: 0, table: 0, index: 1 });
    expect(ptLeaf(pt, 0, [1, 1, 0])).toBe(pt[0]![1]);
    ptSetTable(pt[0]![0]!, 2);
    ptSetTable(pt[2]![0]!, 3);
    ptSetLeaf(pt[3]![1]!, PAGE_KERNEL_EXEC);
    expect(ptWalk(pt, 0, [0, 0, 1])).toMatchObject({ level: 2, table: 3, index: 1 });
    expect(ptAllows(ptLeaf(pt, 0, [0, 0, 1]), 'x')).toBe(true);
    expect(ptLeaf(pt, 0, [0, 0, 0])).toBeNull(); // none pte
    expect(ptLeaf(pt, 0, [0, 1, 0])).toBeNull(); // none pmd
    ptSetLeaf(pt[3]![0]!, PAGE_KERNEL, 0, false);
    expect(ptLeaf(pt, 0, [0, 0, 0])).toBeNull(); // invalid leaf
    ptSetTable(pt[3]![0]!, 4);
    expect(ptLeaf(pt, 0, [0, 0, 0])).toBeNull(); // a table at the last level
  });

  it('a copied leaf is a snapshot; a copied table entry shares the lower levels', () => {
    const pt = pool();
    ptSetLeaf(pt[0]![1]!, PAGE_KERNEL);
    ptSetTable(pt[0]![0]!, 2);
    ptSetLeaf(pt[2]![0]!, PAGE_KERNEL);
    for (let k = 0; k < 2; k++) ptCopy(pt[1]![k]!, pt[0]![k]!);
    expect(ptModifyLeaf(ptWalk(pt, 0, [1, 0]).entry, { x: true })).toBe(true);
    expect(ptModifyLeaf(ptWalk(pt, 0, [0, 0]).entry, { x: true })).toBe(true);
    expect(ptAllows(ptLeaf(pt, 1, [1, 0]), 'x')).toBe(false);
    expect(ptSameLeaf(ptLeaf(pt, 1, [1, 0]), ptLeaf(pt, 0, [1, 0]))).toBe(false);
    expect(ptAllows(ptLeaf(pt, 1, [0, 0]), 'x')).toBe(true);
    expect(ptSameLeaf(ptLeaf(pt, 1, [0, 0]), ptLeaf(pt, 0, [0, 0]))).toBe(true);
  });

  it('the pageattr callbacks rewrite leaves only; clear then set', () => {
    const e = entry();
    ptSetTable(e, 2);
    expect(ptModifyLeaf(e, { x: true })).toBe(false);
    expect(e.x).toBe(false);
    ptSetLeaf(e, PAGE_KERNEL_EXEC);
    ptModifyLeaf(e, { r: true }, { w: true, x: true });
    expect(ptFormat(e)).toBe('LEAF(R--)');
  });

  it('writers keep one representation per meaning', () => {
    const a = entry();
    const b = entry();
    ptSetLeaf(a, PAGE_KERNEL_EXEC, 0);
    ptSetTable(a, 3);
    ptSetTable(b, 3);
    expect(ptEqual(a, b)).toBe(true);
    ptClear(a);
    expect(ptEqual(a, entry())).toBe(true);
    expect(ptFormat(b)).toBe('TABLE(t3)');
    expect(ptFormat(null)).toBe('none');
  });

  it('splitting a huge leaf keeps the translation; the new table is shared once installed', () => {
    const pt = pool();
    ptSetTable(pt[0]![1]!, 2);
    ptSetLeaf(pt[2]![0]!, PAGE_KERNEL);
    ptCopy(pt[1]![1]!, pt[0]![1]!);
    const before = { ...ptLeaf(pt, 0, [1, 0, 1])! };
    ptSplitInto(pt, 3, pt[2]![0]!);
    ptSetTable(pt[2]![0]!, 3);
    expect(ptWalk(pt, 0, [1, 0, 1]).level).toBe(2);
    expect(ptSameLeaf(ptLeaf(pt, 0, [1, 0, 1]), before)).toBe(true);
    ptModifyLeaf(ptWalk(pt, 0, [1, 0, 0]).entry, { x: true });
    expect(ptAllows(ptLeaf(pt, 1, [1, 0, 0]), 'x')).toBe(true); // through the other root too
    expect(ptAllows(ptLeaf(pt, 1, [1, 0, 1]), 'x')).toBe(false); // the neighbour page keeps NX
  });
});
