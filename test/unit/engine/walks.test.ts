/**
 * The driver of the bug-hunting strategies (src/engine/walks.ts) and check()'s handling
 * of them: what every run checks, the limits, the verdicts (never safe), the options.
 */
import { describe, expect, it } from 'vitest';
import { actor, defineModel, int, replay } from '../../../src/index.js';
import type { CheckResult, CompiledModel, Plan } from '../../../src/index.js';
import { FRESH, PRUNE, Rng, type Chooser, type Enabled, type RunEnd, type RunView } from '../../../src/strategy/chooser.js';
import { runWalks } from '../../../src/engine/walks.js';
import { ANY_MODEL_PATH, checkIn, compileModel, faulty, mmRejection } from '../helpers.js';
import { abba, quiet, spinner, threeByThree, thrower } from '../strategy/models.js';

const WALKS = ['random', 'pct', 'bounded'] as const;

/** The walks' own counterexample, unshrunk (these tests are of the search, not of the shrinker). */
function run(m: CompiledModel, opts: Plan): Promise<CheckResult> {
  return checkIn(m, ANY_MODEL_PATH, { shrink: false, ...opts });
}

/** A scripted strategy: takes transition `pick(enabled, run)` and records what it saw. */
class Scripted implements Chooser {
  readonly bytes = 0;
  readonly seen: { width: number; instances: number[]; firsts: number[]; moves: [number, number][] }[] = [];
  readonly ends: [RunEnd, number][] = [];
  constructor(
    private readonly pick: (e: Enabled, run: RunView) => number,
    private readonly start: () => number | null = () => FRESH,
  ) {}
  startRun(): number | null {
    return this.start();
  }
  chooseInit(): number {
    return 0;
  }
  choose(e: Enabled, run: RunView): number {
    const instances: number[] = [];
    const firsts: number[] = [];
    const moves: [number, number][] = [];
    for (let j = 0; j <= e.width; j++) firsts.push(e.first(j));
    for (let j = 0; j < e.width; j++) instances.push(e.instance(j));
    for (let i = 0; i < e.length; i++) moves.push([e.k(i), e.ordinal(i)]);
    this.seen.push({ width: e.width, instances, firsts, moves });
    return this.pick(e, run);
  }
  endRun(end: RunEnd, run: RunView): void {
    this.ends.push([end, run.depth]);
  }
  summary() {
    return {};
  }
}

const limits = { maxDepth: Infinity, runs: 1 };

describe('the enabled transitions a strategy sees', () => {
  it('are grouped by instance, ascending, with the step choices as ordinals', async () => {
    const m = compileModel(threeByThree);
    // Always the last transition: instance 2 first, then its choices.
    const s = new Scripted((e) => e.length - 1);
    const o = await runWalks(m, limits, s);
    expect(s.seen[0]).toEqual({ width: 3, instances: [0, 1, 2], firsts: [0, 1, 2, 3], moves: [[0, 0], [1, 0], [2, 0]] });
    // Instance 2 at step b: three choices (ordinals 0..2) after instances 0 and 1.
    expect(s.seen[1]!.moves).toEqual([[0, 0], [1, 0], [2, 0], [2, 1], [2, 2]]);
    expect(s.seen[1]!.firsts).toEqual([0, 1, 2, 5]);
    expect(o.runs).toBe(1);
    expect(o.transitions).toBe(9);
    expect(s.ends).toEqual([['finished', 9]]);
  });

  it('indexOf finds an enabled instance and says -1 for a finished one', async () => {
    const m = compileModel(quiet);
    const found: number[][] = [];
    const s = new Scripted((e) => {
      found.push([e.indexOf(0), e.indexOf(1)]);
      return 0;
    });
    await runWalks(m, limits, s);
    // A (instance 0) takes its three steps, then only B is enabled.
    expect(found).toEqual([[0, 1], [0, 1], [0, 1], [-1, 0], [-1, 0], [-1, 0]]);
  });
});

describe('the driver', () => {
  it('PRUNE ends the run, and a kept prefix is restored, not executed again', async () => {
    const m = compileModel(quiet);
    let runs = 0;
    const s = new Scripted(
      (_e, r) => (r.run === 1 && r.depth === 2 ? PRUNE : 0),
      () => (runs++ === 0 ? FRESH : runs === 2 ? 1 : null),
    );
    const o = await runWalks(m, { maxDepth: Infinity, runs: Infinity }, s);
    // Run 1: 2 moves then PRUNE; run 2 keeps 1 move and makes the remaining 5.
    expect(s.ends).toEqual([
      ['pruned', 2],
      ['finished', 6],
    ]);
    expect(o.transitions).toBe(2 + 5);
    expect(o.runs).toBe(2);
    expect(o.limitHit).toBe('exhausted');
  });

  it('the run view gives the depth, the last instance and the fingerprint of the state', async () => {
    const m = compileModel(quiet);
    const views: [number, number, string][] = [];
    const s = new Scripted((e, r) => {
      views.push([r.depth, r.last, `${r.fpHi}:${r.fpLo}`]);
      return e.length - 1;
    });
    await runWalks(m, limits, s);
    expect(views.map((v) => [v[0], v[1]])).toEqual([
      [0, -1],
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 0],
      [5, 0],
    ]);
    expect(new Set(views.map((v) => v[2])).size).toBe(6);
  });

  it('a strategy that picks a transition out of range is an internal error', async () => {
    const m = compileModel(quiet);
    expect((await mmRejection(runWalks(m, limits, new Scripted((e) => e.length)))).code).toBe('E_INTERNAL');
  });

  it('counts distinct states across runs', async () => {
    const m = compileModel(quiet);
    // Always the first transition: the same 7 states every run.
    const o = await runWalks(m, { maxDepth: Infinity, runs: 5 }, new Scripted(() => 0));
    expect([o.states, o.transitions, o.runs, o.depth, o.limitHit]).toEqual([7, 30, 5, 6, 'runs']);
  });
});

describe('what every run checks', () => {
  for (const strategy of WALKS) {
    it(`an invariant violated in the initial state (${strategy})`, async () => {
      const m = compileModel(
        defineModel({
          id: 'bad-init',
          state: { x: int(0, 3) },
          init: (c) => void (c.s.x = 3),
          actors: { T: actor({ steps: { go: () => {} } }) },
          invariants: { small: (s) => s.x < 3 },
        }),
      );
      const r = await run(m, { strategy });
      expect([r.verdict, r.kind, r.property, r.trace!.schedule.length, r.runs]).toEqual(['violation', 'invariant', 'small', 0, 1]);
      expect(r.message).toMatch(/in an initial state/);
    });

    it(`a fault, with a trace that replays (${strategy})`, async () => {
      const m = compileModel(faulty);
      const r = await run(m, { strategy });
      expect([r.verdict, r.kind, r.property]).toEqual(['violation', 'fault', 'oops']);
      expect(replay(r.trace!, m)).toMatchObject({ reproduced: true, property: 'oops' });
    });

    it(`a deadlock, with a trace that replays (${strategy})`, async () => {
      const m = compileModel(abba);
      const r = await run(m, { strategy });
      expect([r.verdict, r.kind, r.property]).toEqual(['violation', 'deadlock', 'deadlock']);
      expect(replay(r.trace!, m)).toMatchObject({ reproduced: true, kind: 'deadlock' });
    });

    it(`a step that throws is an error with a trace to it (${strategy})`, async () => {
      const m = compileModel(thrower);
      const r = await run(m, { strategy, seed: 3 });
      expect([r.verdict, r.code]).toEqual(['error', 'E_MODEL_THREW']);
      expect(r.message).toMatch(/boom/);
      const steps = r.trace!.schedule.map((s) => `${s.actor} ${s.label}`);
      expect(steps[steps.length - 1]).toBe('B boom');
      expect(steps).toContain('A set');
    });

    it(`nothing found is incomplete, never safe (${strategy})`, async () => {
      const r = await run(compileModel(quiet), { strategy });
      expect(r.verdict).toBe('incomplete');
      expect(r.limit).toBe(strategy === 'bounded' ? 'exhausted' : 'runs');
      expect(r.seed).toBe(1);
      expect(r.trace).toBeUndefined();
    });
  }

  it('random and pct make --runs runs, 1000 by default', async () => {
    for (const strategy of ['random', 'pct'] as const) {
      expect((await run(compileModel(quiet), { strategy })).runs).toBe(1000);
      expect((await run(compileModel(quiet), { strategy, runs: 7 })).runs).toBe(7);
    }
  });
});

describe('limits', () => {
  it('--max-depth bounds the length of a run; a looping model is cut at 1000 steps by default', async () => {
    for (const strategy of ['random', 'pct'] as const) {
      const r = await run(compileModel(spinner), { strategy, runs: 3 });
      expect([r.verdict, r.depth, r.transitions]).toEqual(['incomplete', 1000, 3000]);
      const short = await run(compileModel(spinner), { strategy, runs: 3, maxDepth: 5 });
      expect([short.verdict, short.depth, short.transitions, short.states]).toEqual(['incomplete', 5, 15, 2]);
    }
  });

  it('bounded needs no run length bound: its state cache ends the cycles', async () => {
    const r = await run(compileModel(spinner), { strategy: 'bounded' });
    expect([r.verdict, r.limit, r.states]).toEqual(['incomplete', 'exhausted', 2]);
  });

  it('--max-states stops the search with incomplete', async () => {
    for (const strategy of WALKS) {
      const r = await run(compileModel(quiet), { strategy, maxStates: 3 });
      expect([r.verdict, r.limit, r.states], strategy).toEqual(['incomplete', 'max-states', 3]);
    }
  });

  it('--time-limit 0 stops before the first run', async () => {
    for (const strategy of WALKS) {
      const r = await run(compileModel(faulty), { strategy, timeLimit: 0 });
      expect([r.verdict, r.limit, r.runs], strategy).toEqual(['incomplete', 'time-limit', 0]);
    }
  });

  it('bounded stops at --runs schedules', async () => {
    const r = await run(compileModel(threeByThree), { strategy: 'bounded', runs: 4 });
    expect([r.verdict, r.limit, r.runs]).toEqual(['incomplete', 'runs', 4]);
  });
});

describe('options', () => {
  const m = () => compileModel(quiet);
  it('bad values are usage errors', async () => {
    expect((await mmRejection(run(m(), { strategy: 'pct', seed: -1 }))).code).toBe('E_USAGE');
    expect((await mmRejection(run(m(), { strategy: 'pct', seed: 2 ** 32 }))).code).toBe('E_USAGE');
    expect((await mmRejection(run(m(), { strategy: 'pct', seed: 1.5 }))).code).toBe('E_USAGE');
    expect((await mmRejection(run(m(), { strategy: 'random', runs: 0 }))).code).toBe('E_USAGE');
    expect((await mmRejection(run(m(), { strategy: 'pct', pctDepth: 0 }))).code).toBe('E_USAGE');
    expect((await mmRejection(run(m(), { strategy: 'nope' as 'bfs' }))).code).toBe('E_USAGE');
  });

  it('options that do not apply to the strategy are usage errors', async () => {
    const seed = await mmRejection(run(m(), { strategy: 'bfs', seed: 1 }));
    expect([seed.code, seed.message, seed.hint]).toEqual(['E_USAGE', 'seed does not apply to strategy bfs', 'it applies to random, pct and bounded']);
    expect((await mmRejection(run(m(), { strategy: 'dfs', runs: 3 }))).code).toBe('E_USAGE');
    const pctDepth = await mmRejection(run(m(), { strategy: 'random', pctDepth: 2 }));
    expect([pctDepth.code, pctDepth.message, pctDepth.hint]).toEqual(['E_USAGE', 'pctDepth does not apply to strategy random', 'it applies to pct']);
    expect((await mmRejection(run(m(), { strategy: 'bounded', allViolations: true }))).code).toBe('E_USAGE');
  });

  it('the seed and the runs are in the result; pct adds its depth', async () => {
    const r = await run(m(), { strategy: 'pct', seed: 42, runs: 5, pctDepth: 2 });
    expect([r.seed, r.runs, r.pctDepth, r.strategy]).toEqual([42, 5, 2, 'pct']);
    expect((await run(m(), { strategy: 'random', runs: 5 })).pctDepth).toBeUndefined();
  });
});

describe('Rng', () => {
  it('the same seed gives the same numbers; below(n) stays in 0..n-1', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    const xs = Array.from({ length: 200 }, () => a.below(7));
    expect(Array.from({ length: 200 }, () => b.below(7))).toEqual(xs);
    expect(Math.min(...xs)).toBe(0);
    expect(Math.max(...xs)).toBe(6);
    expect(new Rng(10).below(1)).toBe(0);
    expect(Array.from({ length: 50 }, () => new Rng(10).below(1000))).toEqual(Array(50).fill(new Rng(10).below(1000)));
  });

  it('shuffle gives a permutation', () => {
    const r = new Rng(3);
    const xs = r.shuffle([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...xs].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(xs).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
