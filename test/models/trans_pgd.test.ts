/**
 * The trans_pgd model (docs/seed-problems.md §1, arm64 hibernate's copy of the linear map):
 * every cell of the table of variants, with BFS and DFS; the counterexamples read against
 * the diagram (B copies every pte, then R switches TTBR1 and faults on a page B left
 * unusable); the fixes removed one at a time (each safe cell becomes a violation); and
 * probes showing that the safe variants do meet the entries that matter (read-only
 * aliases, invalid pages, corruption) and still resume or BUG as they should.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CompiledModel, defineModel, loadScenario, replay, type CheckResult, type Model, type Trace } from '../../src/index.js';
import { assertVerdict, type Expectation } from '../../src/testing/index.js';
import transPgd, { pteOptions } from '../../models/trans_pgd/trans_pgd.js';
import { checkIn } from '../unit/helpers.js';

const file = fileURLToPath(new URL('../../models/trans_pgd/trans_pgd.ts', import.meta.url));
const scenarioDir = fileURLToPath(new URL('../../scenarios/trans_pgd/', import.meta.url));

type Params = Record<string, string | number | boolean>;
const N = 3;

// ---- the variants of §1, as parameters ---------------------------------------------

const HIBERNATE_FLAGS = { algo: 'flagged', mkwrite: 'always', mkvalid: 'dpa', checkpfn: 'dpa' };
const V0: Params = { algo: 'v0', sources: '2019', dpa: 'any' };
const V0_OTHER: Params = { algo: 'v0', sources: 'all', dpa: '0' };
const V2: Params = { algo: 'v2', sources: 'all', dpa: 'any' };
const VF_HIB: Params = { ...HIBERNATE_FLAGS, sources: '2019', dpa: 'any' };
const VF_HIB_ALL: Params = { ...HIBERNATE_FLAGS, sources: 'all', dpa: 'any' };
const VF_HIB_OTHER: Params = { ...HIBERNATE_FLAGS, sources: 'all', dpa: '0' };
const VF_NOWRITE: Params = { algo: 'flagged', mkwrite: 'never', mkvalid: 'never', checkpfn: 'never', sources: '2019', dpa: 'any' };
const VF_NOCHECK: Params = { algo: 'flagged', mkwrite: 'always', mkvalid: 'always', checkpfn: 'never', sources: 'all', dpa: 'any' };
const VF_NOVALID: Params = { algo: 'flagged', mkwrite: 'always', mkvalid: 'never', checkpfn: 'dpa', sources: '2019', dpa: '1' };

type Cell = 'SAFE' | 'VIOLATION';
interface Row {
  readonly name: string;
  readonly params: Params;
  readonly cells: Readonly<Record<'INV-W' | 'INV-PFN' | 'INV-STOP', Cell>>;
  /** The invariant the table highlights (reported when all are checked), or null for safe. */
  readonly highlighted: 'INV-W' | 'INV-PFN' | 'INV-STOP' | null;
}

/** The table of §1. "same as V0" is split by source kinds; "n/a" is a cell that holds. */
const TABLE: readonly Row[] = [
  { name: 'V0 original, 2019 source kinds', params: V0, cells: { 'INV-W': 'SAFE', 'INV-PFN': 'SAFE', 'INV-STOP': 'SAFE' }, highlighted: null },
  { name: 'V0 with INV_OTHER, dpa=0', params: V0_OTHER, cells: { 'INV-W': 'VIOLATION', 'INV-PFN': 'SAFE', 'INV-STOP': 'SAFE' }, highlighted: 'INV-W' },
  { name: 'V2 = 7eced90b', params: V2, cells: { 'INV-W': 'SAFE', 'INV-PFN': 'SAFE', 'INV-STOP': 'SAFE' }, highlighted: null },
  { name: 'VF hibernate flags, 2019 kinds', params: VF_HIB, cells: { 'INV-W': 'SAFE', 'INV-PFN': 'SAFE', 'INV-STOP': 'VIOLATION' }, highlighted: 'INV-STOP' },
  { name: 'VF hibernate flags, all kinds', params: VF_HIB_ALL, cells: { 'INV-W': 'VIOLATION', 'INV-PFN': 'SAFE', 'INV-STOP': 'VIOLATION' }, highlighted: 'INV-STOP' },
  // dpa=0: no MKVALID and no CHECKPFN, so nothing is invented and nothing aborts.
  { name: 'VF hibernate flags, INV_OTHER, dpa=0', params: VF_HIB_OTHER, cells: { 'INV-W': 'VIOLATION', 'INV-PFN': 'SAFE', 'INV-STOP': 'SAFE' }, highlighted: 'INV-W' },
  { name: 'VF MKWRITE clear (flags=0)', params: VF_NOWRITE, cells: { 'INV-W': 'VIOLATION', 'INV-PFN': 'SAFE', 'INV-STOP': 'SAFE' }, highlighted: 'INV-W' },
  { name: 'VF MKVALID without CHECKPFN', params: VF_NOCHECK, cells: { 'INV-W': 'SAFE', 'INV-PFN': 'VIOLATION', 'INV-STOP': 'VIOLATION' }, highlighted: 'INV-PFN' },
  { name: 'VF MKVALID clear, dpa=1', params: VF_NOVALID, cells: { 'INV-W': 'VIOLATION', 'INV-PFN': 'SAFE', 'INV-STOP': 'SAFE' }, highlighted: 'INV-W' },
];

const INVS = ['INV-W', 'INV-PFN', 'INV-STOP'] as const;

/** A check as the old synchronous `check` made it: in this thread, no reduction, the search's own counterexample. */
function run(params: Params, strategy: 'bfs' | 'dfs' = 'bfs', model: Model = transPgd): Promise<CheckResult> {
  return checkIn(new CompiledModel(model, { n: N, ...params }), file, { strategy, shrink: false });
}

function want(cell: Cell, inv: string): Expectation {
  return cell === 'SAFE' ? { verdict: 'safe' } : { verdict: 'violation', property: inv };
}

// ---- reading a counterexample ------------------------------------------------------

interface Read {
  /** The state before step k (k = 0: initial) as slot -> value. */
  readonly at: Map<string, string>[];
  readonly steps: { actor: string; label: string }[];
  /** The state after the last step. */
  readonly last: Map<string, string>;
}

/** Replays a trace and returns each state along it. */
function read(trace: Trace): Read {
  const r = replay(trace, new CompiledModel(transPgd, trace.params));
  expect(r.reproduced).toBe(true);
  const cur = new Map(r.initial.map((x) => [x.slot, x.value] as [string, string]));
  const at = [new Map(cur)];
  for (const st of r.steps) {
    for (const ch of st.changes) cur.set(ch.slot, ch.to);
    at.push(new Map(cur));
  }
  return { at, steps: r.steps.map((s) => ({ actor: s.actor, label: s.label })), last: at[at.length - 1]! };
}

/** The model with one more invariant, `probe`, violated when `reached` holds. */
function withProbe(reached: (s: any, w: any) => boolean): Model {
  const base = transPgd.invariants as (p: any) => Record<string, unknown>;
  return defineModel({
    ...transPgd,
    invariants: (p: any) => ({ ...base(p), probe: (s: any, w: any) => !reached(s, w) }),
  } as any);
}

function probe(params: Params, reached: (s: any, w: any) => boolean): Promise<CheckResult> {
  return run(params, 'bfs', withProbe(reached));
}

const pages = (s: any): number[] => [...Array(s.src.length).keys()];
/** R resumed the image and wrote a page of kind `kind`. */
const resumedThrough = (kind: string) => (s: any) => s.outcome === 'RESUMED' && pages(s).some((i) => s.D.get(i) && s.src.get(i) === kind);

// ---- verdicts ----------------------------------------------------------------------

describe('trans_pgd: every cell of the table of §1 (each invariant alone), BFS and DFS', () => {
  const cases = TABLE.flatMap((row) => INVS.map((inv) => [`${row.name}: ${inv} ${row.cells[inv]}`, row, inv] as const));
  it.each(cases)('%s', async (_name, row, inv) => {
    const w = want(row.cells[inv], inv);
    assertVerdict(await run({ ...row.params, check: inv }, 'bfs'), w);
    assertVerdict(await run({ ...row.params, check: inv }, 'dfs'), w);
  });
});

describe('trans_pgd: with every invariant checked, each variant reports the highlighted one', () => {
  it.each(TABLE.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const w: Expectation = row.highlighted === null ? { verdict: 'safe' } : { verdict: 'violation', property: row.highlighted };
    // BFS: the shortest counterexample, which is the highlighted invariant's.
    assertVerdict(await run(row.params, 'bfs'), w);
    // DFS: any invariant the row violates (the first one its search meets).
    const d = await run(row.params, 'dfs');
    const violated = INVS.filter((inv) => row.cells[inv] === 'VIOLATION');
    if (violated.length === 0) assertVerdict(d, { verdict: 'safe' });
    else {
      expect(d.verdict).toBe('violation');
      expect(violated).toContain(d.property);
    }
  });

  it('every violation trace, BFS and DFS, replays to the same property', async () => {
    for (const row of TABLE) {
      for (const inv of INVS) {
        if (row.cells[inv] !== 'VIOLATION') continue;
        for (const strategy of ['bfs', 'dfs'] as const) {
          const r = await run({ ...row.params, check: inv }, strategy);
          const rr = replay(r.trace!, new CompiledModel(transPgd, r.trace!.params));
          expect(rr.reproduced, `${row.name} ${inv} ${strategy}`).toBe(true);
          expect(rr.property).toBe(inv);
        }
      }
    }
  });
});

describe('trans_pgd: the scenarios are the table', () => {
  const files = readdirSync(scenarioDir).filter((f) => f.endsWith('.json'));
  const key = (p: Params) =>
    JSON.stringify(Object.entries(p).filter(([k]) => !['n', 'symmetry', 'check'].includes(k)).sort(([a], [b]) => a.localeCompare(b)));

  it('each scenario is a row of the table, and expects its highlighted invariant (or the one it checks)', () => {
    const rows = new Set<string>();
    for (const f of files) {
      const sc = loadScenario(scenarioDir + f);
      const row = TABLE.find((r) => key(r.params) === key(sc.params as Params));
      expect(row, `${f} is not a row of the table`).toBeDefined();
      rows.add(row!.name);
      const checked = sc.params['check'] as (typeof INVS)[number] | undefined;
      const exp = checked ? want(row!.cells[checked], checked) : row!.highlighted ? { verdict: 'violation', property: row!.highlighted } : { verdict: 'safe' };
      expect(sc.expect, f).toEqual(exp);
      if (sc.tags.includes('deep')) expect(sc.params['n'] as number).toBeGreaterThanOrEqual(4);
      else expect(sc.params['n'] as number).toBeLessThanOrEqual(3);
    }
    // Every row of the docs/seed-problems.md table has a scenario (the all-kinds hibernate row is covered
    // by its two scenarios: 2019 kinds and INV_OTHER with dpa=0).
    for (const r of TABLE) if (r.params !== VF_HIB_ALL) expect(rows.has(r.name), r.name).toBe(true);
  });

  it('both violations of "MKVALID without CHECKPFN" have a scenario', () => {
    const props = files.map((f) => loadScenario(scenarioDir + f)).filter((s) => s.params['checkpfn'] === 'never' && s.params['mkvalid'] === 'always');
    expect(new Set(props.map((s) => (s.expect as { property: string }).property))).toEqual(new Set(['INV-PFN', 'INV-STOP']));
  });
});

// ---- counterexamples against the diagram -------------------------------------------

describe('trans_pgd: counterexamples read as the diagram', () => {
  /** The INV-W shape: B copies every pte, then R switches TTBR1 and faults in copy_page. */
  async function faultShape(params: Params, strategy: 'bfs' | 'dfs' = 'bfs') {
    const r = await run(params, strategy);
    expect(r.property).toBe('INV-W');
    const t = read(r.trace!);
    const labels = t.steps.map((s) => `${s.actor}:${s.label}`);
    const copyLabel = params['algo'] === 'flagged' ? 'B:copy_pte' : 'B:_copy_pte';
    // copy_page_tables runs to completion first: one step per pte, nothing of R in between.
    expect(labels.slice(0, N)).toEqual(Array(N).fill(copyLabel));
    const rest = labels.slice(N);
    expect(rest.slice(0, 2)).toEqual(['R:hibernate_exit', 'R:break_before_make_ttbr_switch']);
    expect(rest.slice(2).every((l) => l === 'R:copy_page')).toBe(true);
    // The fault happens on tmp_pg_dir, on the page R was copying, a page of D.
    const before = t.at[t.at.length - 2]!;
    const P = Number(before.get('R[0].i'));
    expect(before.get('ttbr1')).toBe('tmp_pg_dir');
    expect(before.get(`D[${P}]`)).toBe('true');
    expect(t.last.get('outcome')).toBe('FAULT');
    if (strategy === 'bfs') {
      // Shortest: the n copies, the exit, the switch, and the first page of D.
      expect(t.steps.length).toBe(N + 3);
    }
    return { src: t.last.get(`src[${P}]`)!, dst: t.last.get(`dst[${P}]`)!, dpa: t.last.get('dpa')!, t };
  }

  it('V0, INV_OTHER, dpa=0: _copy_pte leaves dst none for an invalid pte, copy_page faults', async () => {
    for (const strategy of ['bfs', 'dfs'] as const) {
      const f = await faultShape(V0_OTHER, strategy);
      expect(f).toMatchObject({ src: 'INV_OTHER', dst: 'NONE', dpa: 'false' });
    }
  });

  it('VF hibernate flags, INV_OTHER, dpa=0 ("same as V0"): the invalid pte is copied as is', async () => {
    expect(await faultShape(VF_HIB_OTHER)).toMatchObject({ src: 'INV_OTHER', dst: 'INV', dpa: 'false' });
  });

  it('VF MKWRITE clear: R takes a permission fault on a read-only alias (or dpa page left invalid)', async () => {
    const f = await faultShape(VF_NOWRITE);
    expect([f.src, f.dst]).toSatisfy(([s, d]: string[]) => (s === 'V_RO' && d === 'V_RO') || (s === 'INV_DPA' && d === 'INV'));
    // Without debug_pagealloc the only page that can make R fault is a V_RO one.
    expect(await faultShape({ ...VF_NOWRITE, dpa: '0' })).toMatchObject({ src: 'V_RO', dst: 'V_RO' });
  });

  it('VF MKVALID clear, dpa=1: the page debug_pagealloc made invalid is copied invalid', async () => {
    expect(await faultShape(VF_NOVALID)).toMatchObject({ src: 'INV_DPA', dst: 'INV', dpa: 'true' });
  });

  it('VF hibernate flags: copy_pte meets a !pfn_valid pte, returns -ENXIO, the kernel runs on (no BUG)', async () => {
    const r = await run(VF_HIB);
    expect(r.property).toBe('INV-STOP');
    const t = read(r.trace!);
    // Shortest: the corrupt pte is the first one copied.
    expect(t.steps).toEqual([{ actor: 'B', label: 'copy_pte' }]);
    expect(t.last.get('src[0]')).toBe('INV_BAD');
    expect(t.last.get('dpa')).toBe('true');
    expect(t.last.get('outcome')).toBe('ABORT');
    expect(t.last.get('dst[0]')).toBe('NONE');
    // The DFS counterexample ends the same way, at whatever pte the corruption is.
    const d = read((await run(VF_HIB, 'dfs')).trace!);
    const lastStep = d.steps[d.steps.length - 1]!;
    expect(lastStep).toEqual({ actor: 'B', label: 'copy_pte' });
    expect(d.last.get(`src[${Number(d.at[d.at.length - 2]!.get('B[0].i'))}]`)).toBe('INV_BAD');
    expect(d.last.get('outcome')).toBe('ABORT');
  });

  it('VF MKVALID without CHECKPFN: copy_pte maps a !pfn_valid pte (V_BOGUS) and carries on', async () => {
    for (const check of ['all', 'INV-STOP'] as const) {
      const r = await run({ ...VF_NOCHECK, check });
      expect(r.property).toBe(check === 'all' ? 'INV-PFN' : 'INV-STOP');
      const t = read(r.trace!);
      expect(t.steps).toEqual([{ actor: 'B', label: 'copy_pte' }]);
      expect(t.last.get('src[0]')).toBe('INV_BAD');
      expect(t.last.get('dst[0]')).toBe('V_BOGUS');
      expect(t.last.get('outcome')).toBe('RUN');
      expect(t.last.get('B[0].pc')).toBe('copy_pte'); // B goes on with the next pte
    }
  });
});

// ---- the fixes removed -------------------------------------------------------------

describe('trans_pgd: no variant is safe by accident (each fix removed is a violation)', () => {
  it.each([
    // V0's INV-W rests on pte_mkwrite (read-only aliases) ...
    ['V0 without pte_mkwrite', { ...V0, mkwrite: 'never' }, 'INV-W'],
    // ... and on the dpa fix-up branch: with secretmem & co. it is not enough (V0 -> V2).
    ['V0 original with INV_OTHER (V2 -> V0)', { ...V2, algo: 'v0' }, 'INV-W'],
    // V0's and V2's INV-PFN and INV-STOP rest on BUG_ON(!pfn_valid()).
    ['V0 without BUG_ON', { ...V0, bug_on: false }, 'INV-PFN'],
    ['V0 without BUG_ON, INV-STOP alone', { ...V0, bug_on: false, check: 'INV-STOP' }, 'INV-STOP'],
    ['V2 without BUG_ON', { ...V2, bug_on: false }, 'INV-PFN'],
    ['V2 without BUG_ON, INV-STOP alone', { ...V2, bug_on: false, check: 'INV-STOP' }, 'INV-STOP'],
    ['V2 without pte_mkwrite', { ...V2, mkwrite: 'never' }, 'INV-W'],
    // V0 + INV_OTHER's INV-PFN / INV-STOP hold because dpa=0 never invents: with dpa=1 and
    // no BUG_ON they fail.
    ['V0 + INV_OTHER, dpa=1, without BUG_ON', { ...V0_OTHER, dpa: '1', bug_on: false }, 'INV-PFN'],
    // VF hibernate's INV-PFN rests on CHECKPFN, its INV-W (2019 kinds) on MKWRITE and MKVALID.
    ['VF hibernate without CHECKPFN', { ...VF_HIB, checkpfn: 'never' }, 'INV-PFN'],
    ['VF hibernate without MKWRITE, INV-W alone', { ...VF_HIB, mkwrite: 'never', check: 'INV-W' }, 'INV-W'],
    ['VF hibernate without MKVALID, INV-W alone', { ...VF_HIB, mkvalid: 'never', check: 'INV-W' }, 'INV-W'],
    // VF MKWRITE clear's INV-PFN and INV-STOP hold because flags=0 invents nothing.
    ['VF flags=0 plus MKVALID, INV-PFN alone', { ...VF_NOWRITE, mkvalid: 'always', check: 'INV-PFN' }, 'INV-PFN'],
    ['VF flags=0 plus MKVALID, INV-STOP alone', { ...VF_NOWRITE, mkvalid: 'always', check: 'INV-STOP' }, 'INV-STOP'],
    // VF MKVALID without CHECKPFN's INV-W rests on MKVALID being unconditional and on MKWRITE.
    ['VF MKVALID only with dpa, INV-W alone', { ...VF_NOCHECK, mkvalid: 'dpa', check: 'INV-W' }, 'INV-W'],
    ['VF MKVALID without MKWRITE, INV-W alone', { ...VF_NOCHECK, mkwrite: 'never', check: 'INV-W' }, 'INV-W'],
    // VF MKVALID clear's INV-PFN / INV-STOP hold because nothing is made valid.
    ['VF MKVALID clear, MKVALID back (CHECKPFN aborts)', { ...VF_NOVALID, check: 'INV-STOP', mkvalid: 'dpa' }, 'INV-STOP'],
    ['VF MKVALID clear, MKVALID back without CHECKPFN', { ...VF_NOVALID, mkvalid: 'dpa', checkpfn: 'never' }, 'INV-PFN'],
  ] as const)('%s: %s', async (_name, params, property) => {
    assertVerdict(await run(params as Params), { verdict: 'violation', property });
    assertVerdict(await run(params as Params, 'dfs'), { verdict: 'violation', property });
  });
});

// ---- probes: the safe cells meet the entries that matter ----------------------------

describe('trans_pgd: the safe variants reach the window', () => {
  const reached = (r: CheckResult) => {
    expect(r.verdict).toBe('violation');
    expect(r.property).toBe('probe');
  };

  it('V0: R writes through a read-only alias made writable, and resumes', async () => {
    reached(await probe(V0, resumedThrough('V_RO')));
  });
  it('V0: R writes a page debug_pagealloc had made invalid, and resumes', async () => {
    reached(await probe(V0, resumedThrough('INV_DPA')));
  });
  it('V0: corruption under debug_pagealloc stops the machine with BUG', async () => {
    reached(await probe(V0, (s) => s.outcome === 'BUG' && s.invented && s.dpa));
  });
  it('V0: R resumes an image of three pages', async () => {
    reached(await probe(V0, (s) => s.outcome === 'RESUMED' && pages(s).every((i) => s.D.get(i))));
  });
  it('V0 + INV_OTHER, dpa=0: B meets the corrupt pte and leaves dst none (nothing invented)', async () => {
    reached(await probe(V0_OTHER, (s, w) => w.pc('B') === 'done' && pages(s).some((i) => s.src.get(i) === 'INV_BAD')));
  });
  it('V2: R writes a secretmem/vmalloc/kfence page with debug_pagealloc off, and resumes', async () => {
    reached(await probe(V2, (s) => !s.dpa && resumedThrough('INV_OTHER')(s)));
  });
  it('V2: corruption without debug_pagealloc stops the machine with BUG', async () => {
    reached(await probe(V2, (s) => s.outcome === 'BUG' && !s.dpa));
  });
  it('VF hibernate flags: B meets corruption under dpa and aborts without mapping it (INV-PFN holds)', async () => {
    reached(await probe({ ...VF_HIB, check: 'INV-PFN' }, (s) => s.outcome === 'ABORT' && s.invented));
  });
  it('VF hibernate flags, 2019 kinds: R writes read-only and dpa pages, and resumes', async () => {
    reached(await probe({ ...VF_HIB, check: 'INV-W' }, resumedThrough('V_RO')));
    reached(await probe({ ...VF_HIB, check: 'INV-W' }, resumedThrough('INV_DPA')));
  });
  it('VF flags=0 (INV-STOP n/a): B meets corruption and copies it invalid, inventing nothing', async () => {
    reached(await probe({ ...VF_NOWRITE, check: 'INV-STOP' }, (s) => pages(s).some((i) => s.src.get(i) === 'INV_BAD' && s.dst.get(i) === 'INV')));
  });
  it('VF MKVALID without CHECKPFN (INV-W holds): R writes INV_OTHER and V_RO pages with dpa=0, and resumes', async () => {
    reached(await probe({ ...VF_NOCHECK, check: 'INV-W' }, (s) => !s.dpa && resumedThrough('INV_OTHER')(s)));
    reached(await probe({ ...VF_NOCHECK, check: 'INV-W' }, resumedThrough('V_RO')));
  });
  it('VF MKVALID clear, dpa=1 (INV-PFN, INV-STOP hold): B meets corruption and aborts, inventing nothing', async () => {
    reached(await probe({ ...VF_NOVALID, check: 'INV-STOP' }, (s) => s.outcome === 'ABORT' && !s.invented));
  });
});

// ---- initial states and the symmetry reduction --------------------------------------

describe('trans_pgd: initial states', () => {
  const binom = (a: number, b: number) => {
    let r = 1;
    for (let i = 1; i <= b; i++) r = (r * (a - b + i)) / i;
    return r;
  };
  // Options per pte (kind, and whether R writes it) from §1: NONE; V_RW, V_RO, INV_DPA (dpa
  // only), INV_OTHER (all kinds only) each in D or not; INV_BAD never in D.
  const perPte = (sources: string, dpa: boolean) => 1 + 2 * 2 + (dpa ? 2 : 0) + (sources === 'all' ? 2 : 0) + 1;

  it.each([
    ['2019', 'any', false],
    ['all', 'any', false],
    ['all', '0', false],
    ['2019', '1', false],
    ['2019', 'any', true],
    ['all', 'any', true],
  ] as const)('sources=%s dpa=%s symmetry=%s', (sources, dpa, symmetry) => {
    for (const n of [1, 2, 3]) {
      const m = new CompiledModel(transPgd, { n, sources, dpa, symmetry });
      const dpas = dpa === 'any' ? [false, true] : [dpa === '1'];
      let expected = 0;
      for (const d of dpas) {
        const k = perPte(sources, d);
        expect(pteOptions(sources, d).length).toBe(k);
        // All sequences, or one per multiset (sequences in non-decreasing order).
        expected += symmetry ? binom(k + n - 1, n) : k ** n;
      }
      expect(m.initialStates().length).toBe(expected);
    }
  });

  it('INV_BAD is never a page R writes; NONE never either', () => {
    for (const o of pteOptions('all', true)) if (o.kind === 'INV_BAD' || o.kind === 'NONE') expect(o.inD).toBe(false);
  });

  it('the symmetry reduction gives the same verdict and property for every cell', async () => {
    for (const row of TABLE) {
      for (const inv of ['all', ...INVS]) {
        const a = await run({ ...row.params, check: inv });
        const b = await run({ ...row.params, check: inv, symmetry: true });
        expect(b.verdict, `${row.name} ${inv}`).toBe(a.verdict);
        expect(b.property).toBe(a.property);
      }
    }
  });
});
