/**
 * src/run/plan.ts: the option rules every caller shares. Worker threads are capped at the
 * cores available; an option that asks for something the strategy does not do is refused
 * (E_USAGE) rather than ignored, and a suite's options (`mmrace ci`) are applied where
 * they fit.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { MmraceError } from '../../../src/errors.js';
import { fitting, resolvePlan, type Plan } from '../../../src/run/plan.js';

const cores = availableParallelism();

/** The E_USAGE message resolving `plan` throws. */
function refusal(plan: Plan): string {
  try {
    resolvePlan(plan, null);
  } catch (e) {
    if (e instanceof MmraceError && e.code === 'E_USAGE') return e.message;
    throw e;
  }
  throw new Error(`not refused: ${JSON.stringify(plan)}`);
}

describe('workers', () => {
  it('above the cores available: as many as the cores', () => {
    expect(resolvePlan({ workers: 1024 }, null).workers).toBe(cores);
    expect(resolvePlan({ workers: 1_000_000 }, null).workers).toBe(cores);
    expect(resolvePlan({ workers: cores }, null).workers).toBe(cores);
  });

  it('0 and auto as before', () => {
    expect(resolvePlan({ workers: 0 }, null)).toMatchObject({ workers: 0, autoWorkers: false });
    expect(resolvePlan({ workers: 'auto' }, null)).toMatchObject({ autoWorkers: true });
    expect(resolvePlan({}, null).workers).toBeLessThanOrEqual(cores);
  });

  it('a number that is not a whole number is refused', () => {
    expect(refusal({ workers: -1 })).toMatch(/workers = -1: must be a whole number, or auto/);
    expect(refusal({ workers: 1.5 })).toMatch(/workers = 1\.5/);
  });
});

describe('options that a strategy does not apply are refused', () => {
  const cases: [Plan, RegExp][] = [
    ...(['dfs', 'random', 'pct', 'bounded'] as const).map((strategy): [Plan, RegExp] => [{ strategy, workers: 1 }, new RegExp(`workers does not apply to strategy ${strategy}`)]),
    ...(['random', 'pct', 'bounded'] as const).flatMap((strategy): [Plan, RegExp][] => [
      [{ strategy, por: true }, /por does not apply/],
      [{ strategy, symmetry: true }, /symmetry does not apply/],
      [{ strategy, comparePor: true }, /comparePor does not apply/],
    ]),
    [{ comparePor: true, por: false }, /comparePor needs partial-order reduction/],
  ];
  it.each(cases.map(([p, m]) => [JSON.stringify(p), p, m] as const))('%s', (_, plan, message) => {
    expect(refusal(plan)).toMatch(message);
  });

  it('what the strategy does anyway stays accepted: workers 0 or auto, the reductions off', () => {
    for (const strategy of ['dfs', 'random', 'pct', 'bounded'] as const) {
      expect(() => resolvePlan({ strategy, workers: 0 }, null)).not.toThrow();
      expect(() => resolvePlan({ strategy, workers: 'auto' }, null)).not.toThrow();
      expect(() => resolvePlan({ strategy, por: false, symmetry: false }, null)).not.toThrow();
    }
    expect(() => resolvePlan({ strategy: 'dfs', por: true, symmetry: true, comparePor: true }, null)).not.toThrow();
    expect(() => resolvePlan({ strategy: 'bounded', maxDepth: 5, maxStates: 10, timeLimit: 1 }, null)).not.toThrow();
  });

  it("a suite's options fit each scenario's strategy (mmrace ci)", () => {
    const suite: Plan = { workers: 2, por: true, symmetry: false, memory: 2 ** 30 };
    expect(fitting(suite, 'bfs')).toEqual(suite);
    expect(fitting(suite, 'dfs')).toEqual({ por: true, symmetry: false, memory: 2 ** 30 });
    expect(fitting(suite, 'random')).toEqual({ memory: 2 ** 30 });
    expect(fitting({ workers: 'auto' }, 'pct')).toEqual({ workers: 'auto' });
    for (const s of ['bfs', 'dfs', 'random', 'pct', 'bounded'] as const) expect(() => resolvePlan(fitting(suite, s), null)).not.toThrow();
  });
});
