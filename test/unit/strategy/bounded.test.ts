/** The iterative preemption-bounding strategy (src/strategy/bounded.ts). */
import { describe, expect, it } from 'vitest';
import { replay } from '../../../src/index.js';
import type { CheckResult, Model, Plan } from '../../../src/index.js';
import counter from '../../../models/counter/counter.js';
import { essence } from '../../props/results.js';
import { ANY_MODEL_PATH, checkIn, compileModel, faulty } from '../helpers.js';
import { abba, oneWindow, preemptionsOf, quiet, threeByThree, twoWindows } from './models.js';

/** bounded's own counterexample, unshrunk: the one with the fewest preemptions it found. */
function run(model: Model, opts: Plan = {}, params: Record<string, number | boolean> = {}): Promise<CheckResult> {
  return checkIn(compileModel(model, params), ANY_MODEL_PATH, { strategy: 'bounded', shrink: false, ...opts });
}

describe('bounded', () => {
  const cases: [string, Model, string, number][] = [
    ['a fault with no preemption (B runs first, for free)', faulty, 'oops', 0],
    ['a fault inside one window', oneWindow, 'window', 1],
    ['a fault that needs two windows', twoWindows, 'both', 2],
    ['the AB/BA deadlock', abba, 'deadlock', 1],
  ];
  for (const [what, model, property, p] of cases) {
    it(`${what}: ${p} preemption(s), the same for every seed; the trace has them and replays`, async () => {
      for (const seed of [1, 2, 3, 4]) {
        const r = await run(model, { seed });
        expect([r.verdict, r.property, r.preemptions], `seed ${seed}`).toEqual(['violation', property, p]);
        const m = compileModel(model);
        expect(preemptionsOf(m, r.trace!)).toBe(p);
        expect(replay(r.trace!, m).reproduced).toBe(true);
        // Every bound below was tried completely first.
        expect(r.preemptionBound).toBe(p > 0 ? p - 1 : undefined);
      }
    });
  }

  it('nothing to find: every schedule tried, incomplete (never safe), every reachable state seen', async () => {
    const r = await run(quiet);
    expect([r.verdict, r.limit, r.preemptions]).toEqual(['incomplete', 'exhausted', undefined]);
    // ABABAB has the most preemptions, 4 (the last switch is free: A has finished); the
    // state cache may see every state and last instance sooner.
    expect(r.preemptionBound).toBeGreaterThanOrEqual(1);
    expect(r.preemptionBound).toBeLessThanOrEqual(4);
    expect(r.states).toBe(16);
    // The locked counter has no preemption point (a thread that holds the lock is the only
    // one enabled): bound 0 is every schedule, the 3! orders of the threads.
    const locked = await run(counter, {}, { threads: 3, locked: true });
    expect([locked.verdict, locked.limit, locked.preemptionBound, locked.runs, locked.states]).toEqual(['incomplete', 'exhausted', 0, 6, 61]);
    for (const m of [threeByThree, counter]) {
      const bfs = await checkIn(compileModel(m, {}), ANY_MODEL_PATH, { strategy: 'bfs' });
      const b = await run(m);
      expect([b.verdict, b.limit, b.states]).toEqual(['incomplete', 'exhausted', bfs.states]);
    }
  });

  it('--max-depth: a violation deeper than the bound is not found; at the bound it is', async () => {
    const cut = await run(twoWindows, { maxDepth: 3 });
    expect([cut.verdict, cut.limit]).toEqual(['incomplete', 'exhausted']);
    const at = await run(twoWindows, { maxDepth: 4 });
    expect([at.verdict, at.preemptions, at.trace!.schedule.length]).toEqual(['violation', 2, 4]);
  });

  it('--runs bounds the schedules: incomplete with the bound reached so far', async () => {
    // Bound 0 is AAABBB and BBBAAA; the third schedule has one preemption.
    const r = await run(quiet, { runs: 3 });
    expect([r.verdict, r.limit, r.runs, r.preemptionBound]).toEqual(['incomplete', 'runs', 3, 0]);
    const first = await run(quiet, { runs: 1 });
    expect([first.verdict, first.limit, first.runs, first.preemptionBound]).toEqual(['incomplete', 'runs', 1, undefined]);
  });

  it('the same seed gives the same result', async () => {
    const a = await run(counter, { seed: 8 }, { threads: 3, locked: false });
    const b = await run(counter, { seed: 8 }, { threads: 3, locked: false });
    expect(a.verdict).toBe('violation');
    expect({ ...essence(b), runs: b.runs, p: b.preemptions }).toEqual({ ...essence(a), runs: a.runs, p: a.preemptions });
  });
});
